#include "ctg/tls/certificate.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <ctime>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "ctg/core/file.hpp"

namespace ctg::tls {

namespace {

constexpr std::int64_t k_day = 24 * 60 * 60;
constexpr std::int64_t k_local_lifetime = 365 * k_day;
constexpr std::int64_t k_renew_before = 7 * k_day;
constexpr int k_serial_bytes = 16;

struct OpenSslFree {
  void operator()(BIO* p) const { BIO_free_all(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(BASIC_CONSTRAINTS* p) const { BASIC_CONSTRAINTS_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, OpenSslFree>;

// The reason of the most recent OpenSSL error, emptying the thread's error queue.
std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  return reason == nullptr ? std::string("unknown OpenSSL error") : std::string(reason);
}

Owned<BIO> memory_bio(const std::string& text) {
  return Owned<BIO>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string drain(BIO* bio) {
  std::string out(BIO_ctrl_pending(bio), '\0');
  const int n = BIO_read(bio, out.data(), static_cast<int>(out.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

Result<Owned<EVP_PKEY>> load_key(const std::string& pem, std::string_view what) {
  auto bio = memory_bio(pem);
  Owned<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return fail(ErrorKind::invalid_input, fmt::format("cannot read {}: {}", what, openssl_reason()));
  return key;
}

Result<Owned<X509>> load_certificate(const std::string& pem, std::string_view what) {
  auto bio = memory_bio(pem);
  Owned<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return fail(ErrorKind::invalid_input, fmt::format("{}: no PEM certificate found", what));
  }
  return cert;
}

Result<std::string> key_to_pem(EVP_PKEY* key) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return fail(ErrorKind::internal, fmt::format("cannot write a private key: {}", openssl_reason()));
  }
  return drain(bio.get());
}

Result<std::string> certificate_to_pem(X509* cert) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return fail(ErrorKind::internal, fmt::format("cannot write a certificate: {}", openssl_reason()));
  }
  return drain(bio.get());
}

std::int64_t to_unix(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return 0;
  return ::timegm(&tm);
}

std::string name_entry(const X509_NAME* name, int nid) {
  const int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return {};
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return out;
}

std::string fingerprint(const X509* cert) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (X509_digest(cert, EVP_sha256(), digest.data(), &length) != 1) return {};
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    if (i > 0) out += ':';
    out += fmt::format("{:02X}", digest[i]);
  }
  return out;
}

// ---- subjectAltName -----------------------------------------------------------------------------

GENERAL_NAME* general_name_at(const GENERAL_NAMES* names, int i) {
  return static_cast<GENERAL_NAME*>(OPENSSL_sk_value(ossl_check_const_GENERAL_NAME_sk_type(names), i));
}

Result<void> add_name(GENERAL_NAMES* names, int type, ASN1_STRING* value) {
  GENERAL_NAME* name = GENERAL_NAME_new();
  if (name == nullptr) {
    ASN1_STRING_free(value);
    return fail(ErrorKind::internal, "out of memory");
  }
  GENERAL_NAME_set0_value(name, type, value);
  if (sk_GENERAL_NAME_push(names, name) <= 0) {
    GENERAL_NAME_free(name);
    return fail(ErrorKind::internal, "out of memory");
  }
  return {};
}

Result<void> add_subject_alt_names(X509* cert, const CertificateSpec& spec) {
  if (spec.dns_names.empty() && spec.ip_addresses.empty()) return {};
  Owned<GENERAL_NAMES> names(GENERAL_NAMES_new());
  if (!names) return fail(ErrorKind::internal, "out of memory");
  for (const auto& dns : spec.dns_names) {
    ASN1_IA5STRING* value = ASN1_IA5STRING_new();
    if (value == nullptr || ASN1_STRING_set(value, dns.data(), static_cast<int>(dns.size())) != 1) {
      ASN1_IA5STRING_free(value);
      return fail(ErrorKind::internal, "out of memory");
    }
    if (auto added = add_name(names.get(), GEN_DNS, value); !added) return added;
  }
  for (const auto& ip : spec.ip_addresses) {
    ASN1_OCTET_STRING* value = a2i_IPADDRESS(ip.c_str());
    if (value == nullptr) {
      ERR_clear_error();
      return fail(ErrorKind::invalid_input, fmt::format("not an IP address: \"{}\"", ip));
    }
    if (auto added = add_name(names.get(), GEN_IPADD, value); !added) return added;
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return fail(ErrorKind::internal, fmt::format("cannot add subjectAltName: {}", openssl_reason()));
  }
  return {};
}

void read_subject_alt_names(const X509* cert, CertificateInfo& info) {
  Owned<GENERAL_NAMES> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return;
  const int count = sk_GENERAL_NAME_num(names.get());
  for (int i = 0; i < count; ++i) {
    const GENERAL_NAME* name = general_name_at(names.get(), i);
    if (name->type == GEN_DNS) {
      const ASN1_STRING* value = name->d.dNSName;
      info.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                                  static_cast<std::size_t>(ASN1_STRING_length(value)));
    } else if (name->type == GEN_IPADD) {
      const ASN1_STRING* value = name->d.iPAddress;
      const int length = ASN1_STRING_length(value);
      std::array<char, INET6_ADDRSTRLEN> text{};
      const int family = length == 4 ? AF_INET : AF_INET6;
      if ((length == 4 || length == 16) &&
          ::inet_ntop(family, ASN1_STRING_get0_data(value), text.data(), text.size()) != nullptr) {
        info.ip_addresses.emplace_back(text.data());
      }
    }
  }
}

// ---- building -----------------------------------------------------------------------------------

Result<void> add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) {
    return fail(ErrorKind::internal, fmt::format("cannot add {} \"{}\": {}", OBJ_nid2sn(nid), value, openssl_reason()));
  }
  return {};
}

Result<void> set_random_serial(X509* cert) {
  std::array<unsigned char, k_serial_bytes> bytes{};
  if (RAND_bytes(bytes.data(), k_serial_bytes) != 1) {
    return fail(ErrorKind::internal, fmt::format("no random bytes: {}", openssl_reason()));
  }
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);  // positive, 127 bits, never zero
  Owned<BIGNUM> number(BN_bin2bn(bytes.data(), k_serial_bytes, nullptr));
  if (!number || BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(cert)) == nullptr) {
    return fail(ErrorKind::internal, fmt::format("cannot set a serial number: {}", openssl_reason()));
  }
  return {};
}

Result<void> set_validity(X509* cert, const CertificateSpec& spec) {
  const std::time_t not_before = spec.not_before;
  const std::time_t not_after = spec.not_after;
  if (ASN1_TIME_set(X509_getm_notBefore(cert), not_before) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), not_after) == nullptr) {
    return fail(ErrorKind::invalid_input, "the certificate's validity times cannot be encoded");
  }
  return {};
}

// Builds and signs a certificate for `key`; a self-signed one when issuer_cert is null.
Result<Issued> build(const CertificateSpec& spec, const KeyPair& key, X509* issuer_cert, EVP_PKEY* issuer_key) {
  std::string common_name = spec.common_name;
  if (common_name.empty())
    common_name = !spec.dns_names.empty()      ? spec.dns_names.front()
                  : !spec.ip_addresses.empty() ? spec.ip_addresses.front()
                                               : std::string();
  if (common_name.empty()) {
    return fail(ErrorKind::usage, "a certificate needs a common name or a subject alternative name");
  }
  auto subject_key = load_key(key.private_key_pem, "the private key");
  if (!subject_key) return std::unexpected(subject_key.error());

  Owned<X509> cert(X509_new());
  if (!cert) return fail(ErrorKind::internal, "out of memory");
  X509* x = cert.get();
  if (X509_set_version(x, X509_VERSION_3) != 1) return fail(ErrorKind::internal, openssl_reason());
  if (auto done = set_random_serial(x); !done) return std::unexpected(done.error());
  if (auto done = set_validity(x, spec); !done) return std::unexpected(done.error());

  X509_NAME* subject = X509_get_subject_name(x);
  if (X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) != 1) {
    return fail(ErrorKind::invalid_input, fmt::format("cannot use \"{}\" as a common name", common_name));
  }
  const bool self_signed = issuer_cert == nullptr;
  if (X509_set_issuer_name(x, self_signed ? subject : X509_get_subject_name(issuer_cert)) != 1 ||
      X509_set_pubkey(x, subject_key->get()) != 1) {
    return fail(ErrorKind::internal, openssl_reason());
  }

  const bool rsa = EVP_PKEY_get_base_id(subject_key->get()) == EVP_PKEY_RSA;
  X509* issuer = self_signed ? x : issuer_cert;
  Result<void> done =
      add_extension(x, issuer, NID_basic_constraints, spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (done && spec.is_ca) {
    done = add_extension(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  } else if (done && !self_signed) {
    done = add_extension(x, issuer, NID_key_usage,
                         rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature");
  }
  if (done && !spec.is_ca) done = add_extension(x, issuer, NID_ext_key_usage, "serverAuth");
  if (done) done = add_subject_alt_names(x, spec);
  if (done) done = add_extension(x, issuer, NID_subject_key_identifier, "hash");
  if (done) done = add_extension(x, issuer, NID_authority_key_identifier, "keyid");
  if (!done) return std::unexpected(done.error());

  const EVP_MD* digest = spec.digest == Digest::sha1 ? EVP_sha1() : EVP_sha256();
  if (X509_sign(x, self_signed ? subject_key->get() : issuer_key, digest) <= 0) {
    return fail(ErrorKind::internal, fmt::format("cannot sign the certificate: {}", openssl_reason()));
  }
  auto pem = certificate_to_pem(x);
  if (!pem) return std::unexpected(pem.error());
  return Issued{.certificate_pem = std::move(*pem), .private_key_pem = key.private_key_pem};
}

}  // namespace

Result<KeyPair> generate_key(KeyType type) {
  Owned<EVP_PKEY> key;
  switch (type) {
    case KeyType::ec_p256:
      key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
      break;
    case KeyType::rsa_1024:
      key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}));
      break;
    case KeyType::rsa_2048:
      key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}));
      break;
    case KeyType::rsa_4096:
      key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{4096}));
      break;
  }
  if (!key) return fail(ErrorKind::internal, fmt::format("cannot generate a key: {}", openssl_reason()));
  auto pem = key_to_pem(key.get());
  if (!pem) return std::unexpected(pem.error());
  return KeyPair{.private_key_pem = std::move(*pem)};
}

Result<Issued> self_signed(const CertificateSpec& spec, const KeyPair& key) {
  return build(spec, key, nullptr, nullptr);
}

Result<Issued> issue(const CertificateSpec& spec, const KeyPair& key, const Issued& issuer) {
  auto issuer_cert = load_certificate(issuer.certificate_pem, "the issuer certificate");
  if (!issuer_cert) return std::unexpected(issuer_cert.error());
  auto issuer_key = load_key(issuer.private_key_pem, "the issuer's private key");
  if (!issuer_key) return std::unexpected(issuer_key.error());
  if (X509_check_private_key(issuer_cert->get(), issuer_key->get()) != 1) {
    ERR_clear_error();
    return fail(ErrorKind::invalid_input, "the issuer's private key does not match its certificate");
  }
  return build(spec, key, issuer_cert->get(), issuer_key->get());
}

Result<std::string> fingerprint_sha256(const std::string& certificate_pem) {
  auto cert = load_certificate(certificate_pem, "the certificate");
  if (!cert) return std::unexpected(cert.error());
  return fingerprint(cert->get());
}

Result<CertificateInfo> inspect_certificate(const std::string& certificate_pem) {
  auto loaded = load_certificate(certificate_pem, "the certificate");
  if (!loaded) return std::unexpected(loaded.error());
  const X509* cert = loaded->get();
  CertificateInfo info;
  info.subject_cn = name_entry(X509_get_subject_name(cert), NID_commonName);
  info.issuer_cn = name_entry(X509_get_issuer_name(cert), NID_commonName);
  read_subject_alt_names(cert, info);
  info.not_before = to_unix(X509_get0_notBefore(cert));
  info.not_after = to_unix(X509_get0_notAfter(cert));
  Owned<BASIC_CONSTRAINTS> constraints(
      static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(cert, NID_basic_constraints, nullptr, nullptr)));
  info.is_ca = constraints && constraints->ca != 0;
  info.self_issued = X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
  if (const EVP_PKEY* key = X509_get0_pubkey(cert)) {
    const char* name = EVP_PKEY_get0_type_name(key);
    info.key_type = name != nullptr ? name : "unknown";
    info.key_bits = EVP_PKEY_get_bits(key);
  }
  const char* algorithm = OBJ_nid2ln(X509_get_signature_nid(cert));
  info.signature_algorithm = algorithm != nullptr ? algorithm : "unknown";
  info.fingerprint_sha256 = fingerprint(cert);
  return info;
}

Result<LocalCertificate> ensure_local_certificate(const std::string& dir, std::int64_t now) {
  const std::filesystem::path base(dir);
  LocalCertificate local;
  local.cert_file = (base / "cert.pem").string();
  local.key_file = (base / "key.pem").string();

  std::error_code ec;
  if (std::filesystem::exists(local.cert_file, ec) && std::filesystem::exists(local.key_file, ec)) {
    auto cert_pem = file::read(local.cert_file);
    if (!cert_pem) return std::unexpected(cert_pem.error());
    auto key_pem = file::read(local.key_file);
    if (!key_pem) return std::unexpected(key_pem.error());
    auto cert = load_certificate(*cert_pem, local.cert_file);
    auto key = load_key(*key_pem, local.key_file);
    // A damaged or mismatched pair is ctg's own file: it is replaced like an expiring one.
    if (cert && key && X509_check_private_key(cert->get(), key->get()) == 1) {
      local.not_after = to_unix(X509_get0_notAfter(cert->get()));
      if (local.not_after - now > k_renew_before) {
        local.fingerprint = fingerprint(cert->get());
        return local;
      }
    }
    ERR_clear_error();
  }

  auto key = generate_key(KeyType::ec_p256);
  if (!key) return std::unexpected(key.error());
  const CertificateSpec spec{.common_name = "localhost",
                             .dns_names = {"localhost"},
                             .ip_addresses = {"127.0.0.1", "::1"},
                             .not_before = now,
                             .not_after = now + k_local_lifetime};
  auto issued = self_signed(spec, *key);
  if (!issued) return std::unexpected(issued.error());
  if (auto written = file::write_private(local.key_file, issued->private_key_pem, 0600); !written) {
    return std::unexpected(written.error());
  }
  if (auto written = file::write_private(local.cert_file, issued->certificate_pem, 0644); !written) {
    return std::unexpected(written.error());
  }
  auto fp = fingerprint_sha256(issued->certificate_pem);
  if (!fp) return std::unexpected(fp.error());
  local.fingerprint = std::move(*fp);
  local.not_after = spec.not_after;
  local.created = true;
  return local;
}

}  // namespace ctg::tls
