#include <doctest/doctest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "ctg/core/file.hpp"
#include "ctg/tls/certificate.hpp"

using namespace ctg;

namespace {

constexpr std::int64_t k_day = 86400;
constexpr std::int64_t k_t0 = 1'700'000'000;  // 2023-11-14

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};

std::unique_ptr<X509, X509Free> parse(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free_all)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                    &BIO_free_all);
  return std::unique_ptr<X509, X509Free>(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// X509_verify_cert of `leaf` against the trust anchor `root` at time `at`, for a TLS server.
int verify_chain(const std::string& leaf_pem, const std::string& root_pem, std::int64_t at) {
  auto leaf = parse(leaf_pem);
  auto root = parse(root_pem);
  std::unique_ptr<X509_STORE, X509Free> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), root.get());
  std::unique_ptr<X509_STORE_CTX, X509Free> context(X509_STORE_CTX_new());
  X509_STORE_CTX_init(context.get(), store.get(), leaf.get(), nullptr);
  X509_STORE_CTX_set_purpose(context.get(), X509_PURPOSE_SSL_SERVER);
  const std::time_t t = at;
  X509_STORE_CTX_set_time(context.get(), 0, t);
  if (X509_verify_cert(context.get()) == 1) return X509_V_OK;
  return X509_STORE_CTX_get_error(context.get());
}

std::string temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ctg-tls-test-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

tls::KeyPair ec_key() {
  auto key = tls::generate_key(tls::KeyType::ec_p256);
  REQUIRE(key.has_value());
  return *key;
}

}  // namespace

TEST_CASE("tls::generate_key") {
  auto ec = tls::generate_key(tls::KeyType::ec_p256);
  REQUIRE(ec.has_value());
  CHECK(ec->private_key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
  auto other = tls::generate_key(tls::KeyType::ec_p256);
  CHECK(other->private_key_pem != ec->private_key_pem);

  auto rsa = tls::generate_key(tls::KeyType::rsa_1024);
  REQUIRE(rsa.has_value());
  auto issued = tls::self_signed({.common_name = "weak", .not_before = k_t0, .not_after = k_t0 + k_day}, *rsa);
  REQUIRE(issued.has_value());
  auto info = tls::inspect_certificate(issued->certificate_pem);
  REQUIRE(info.has_value());
  CHECK(info->key_type == "RSA");
  CHECK(info->key_bits == 1024);
  CHECK(issued->private_key_pem == rsa->private_key_pem);
}

TEST_CASE("tls::self_signed and tls::issue") {
  const auto ca_key = ec_key();
  auto ca = tls::self_signed(
      {.common_name = "ctg test CA", .not_before = k_t0, .not_after = k_t0 + 365 * k_day, .is_ca = true}, ca_key);
  REQUIRE(ca.has_value());

  SUBCASE("a root CA") {
    auto info = tls::inspect_certificate(ca->certificate_pem);
    REQUIRE(info.has_value());
    CHECK(info->subject_cn == "ctg test CA");
    CHECK(info->issuer_cn == "ctg test CA");
    CHECK(info->is_ca);
    CHECK(info->self_issued);
    CHECK(info->not_before == k_t0);
    CHECK(info->not_after == k_t0 + 365 * k_day);
    CHECK(info->key_type == "EC");
    CHECK(info->key_bits == 256);
    CHECK(info->signature_algorithm == "ecdsa-with-SHA256");
    CHECK(info->dns_names.empty());

    auto cert = parse(ca->certificate_pem);
    const std::uint32_t usage = X509_get_key_usage(cert.get());
    CHECK((usage & KU_KEY_CERT_SIGN) != 0);
    CHECK((usage & KU_CRL_SIGN) != 0);
    CHECK(X509_get0_subject_key_id(cert.get()) != nullptr);
    CHECK(X509_check_ca(cert.get()) == 1);
    CHECK(verify_chain(ca->certificate_pem, ca->certificate_pem, k_t0 + k_day) == X509_V_OK);
  }

  SUBCASE("a leaf signed by the CA: SANs, extensions, exact validity, a verifying chain") {
    const auto leaf_key = ec_key();
    auto leaf = tls::issue({.common_name = "localhost",
                            .dns_names = {"localhost", "*.example.test"},
                            .ip_addresses = {"127.0.0.1", "::1"},
                            .not_before = k_t0 + 10,
                            .not_after = k_t0 + 90 * k_day + 7},
                           leaf_key, *ca);
    REQUIRE(leaf.has_value());
    CHECK(leaf->private_key_pem == leaf_key.private_key_pem);
    auto info = tls::inspect_certificate(leaf->certificate_pem);
    REQUIRE(info.has_value());
    CHECK(info->subject_cn == "localhost");
    CHECK(info->issuer_cn == "ctg test CA");
    CHECK_FALSE(info->is_ca);
    CHECK_FALSE(info->self_issued);
    CHECK(info->dns_names == std::vector<std::string>{"localhost", "*.example.test"});
    CHECK(info->ip_addresses == std::vector<std::string>{"127.0.0.1", "::1"});
    CHECK(info->not_before == k_t0 + 10);
    CHECK(info->not_after == k_t0 + 90 * k_day + 7);

    auto cert = parse(leaf->certificate_pem);
    auto root = parse(ca->certificate_pem);
    CHECK((X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER) != 0);
    CHECK((X509_get_key_usage(cert.get()) & KU_DIGITAL_SIGNATURE) != 0);
    CHECK((X509_get_key_usage(cert.get()) & KU_KEY_CERT_SIGN) == 0);
    CHECK(X509_check_ca(cert.get()) == 0);
    const ASN1_OCTET_STRING* authority = X509_get0_authority_key_id(cert.get());
    REQUIRE(authority != nullptr);
    CHECK(ASN1_OCTET_STRING_cmp(authority, X509_get0_subject_key_id(root.get())) == 0);
    CHECK(X509_check_host(cert.get(), "localhost", 0, 0, nullptr) == 1);
    CHECK(X509_check_host(cert.get(), "a.example.test", 0, 0, nullptr) == 1);
    CHECK(X509_check_ip_asc(cert.get(), "::1", 0) == 1);

    CHECK(verify_chain(leaf->certificate_pem, ca->certificate_pem, k_t0 + k_day) == X509_V_OK);
    CHECK(verify_chain(leaf->certificate_pem, ca->certificate_pem, k_t0 + 91 * k_day) == X509_V_ERR_CERT_HAS_EXPIRED);
    CHECK(verify_chain(leaf->certificate_pem, ca->certificate_pem, k_t0) == X509_V_ERR_CERT_NOT_YET_VALID);
    auto stranger = tls::self_signed(
        {.common_name = "other CA", .not_before = k_t0, .not_after = k_t0 + 365 * k_day, .is_ca = true}, ec_key());
    CHECK(verify_chain(leaf->certificate_pem, stranger->certificate_pem, k_t0 + k_day) ==
          X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  }

  SUBCASE("an intermediate CA in between") {
    auto intermediate = tls::issue(
        {.common_name = "ctg test intermediate", .not_before = k_t0, .not_after = k_t0 + 100 * k_day, .is_ca = true},
        ec_key(), *ca);
    REQUIRE(intermediate.has_value());
    auto leaf = tls::issue({.dns_names = {"svc.example.test"}, .not_before = k_t0, .not_after = k_t0 + 30 * k_day},
                           ec_key(), *intermediate);
    REQUIRE(leaf.has_value());
    auto info = tls::inspect_certificate(leaf->certificate_pem);
    CHECK(info->subject_cn == "svc.example.test");  // an empty CN takes the first SAN
    CHECK(info->issuer_cn == "ctg test intermediate");
    CHECK(verify_chain(intermediate->certificate_pem, ca->certificate_pem, k_t0 + k_day) == X509_V_OK);
  }

  SUBCASE("SHA-1 signed, RSA-1024 leaf") {
    auto weak_key = tls::generate_key(tls::KeyType::rsa_1024);
    REQUIRE(weak_key.has_value());
    auto leaf = tls::issue({.common_name = "old",
                            .dns_names = {"old.example.test"},
                            .not_before = k_t0,
                            .not_after = k_t0 + k_day,
                            .digest = tls::Digest::sha1},
                           *weak_key, *ca);
    REQUIRE(leaf.has_value());
    auto info = tls::inspect_certificate(leaf->certificate_pem);
    CHECK(info->signature_algorithm == "ecdsa-with-SHA1");  // the issuer's key is EC
    CHECK(info->key_type == "RSA");
    CHECK(info->key_bits == 1024);
    CHECK((X509_get_key_usage(parse(leaf->certificate_pem).get()) & KU_KEY_ENCIPHERMENT) != 0);

    auto self = tls::self_signed(
        {.common_name = "sha1", .not_before = k_t0, .not_after = k_t0 + k_day, .digest = tls::Digest::sha1}, *weak_key);
    REQUIRE(self.has_value());
    CHECK(tls::inspect_certificate(self->certificate_pem)->signature_algorithm == "sha1WithRSAEncryption");
  }

  SUBCASE("errors") {
    const auto key = ec_key();
    auto bad_ip = tls::self_signed(
        {.common_name = "x", .ip_addresses = {"localhost"}, .not_before = k_t0, .not_after = k_t0 + k_day}, key);
    CHECK(bad_ip.error().kind == ErrorKind::invalid_input);
    CHECK(bad_ip.error().message == "not an IP address: \"localhost\"");

    auto nameless = tls::self_signed({.not_before = k_t0, .not_after = k_t0 + k_day}, key);
    CHECK(nameless.error().kind == ErrorKind::usage);

    auto bad_key = tls::self_signed({.common_name = "x", .not_before = k_t0, .not_after = k_t0 + k_day},
                                    tls::KeyPair{"not a key"});
    CHECK(bad_key.error().kind == ErrorKind::invalid_input);
    CHECK(bad_key.error().message.starts_with("cannot read the private key"));

    tls::Issued mismatched{ca->certificate_pem, key.private_key_pem};
    auto wrong_issuer =
        tls::issue({.common_name = "x", .not_before = k_t0, .not_after = k_t0 + k_day}, key, mismatched);
    CHECK(wrong_issuer.error().message == "the issuer's private key does not match its certificate");

    CHECK(tls::inspect_certificate("garbage").error().message == "the certificate: no PEM certificate found");
    CHECK(tls::fingerprint_sha256("").error().kind == ErrorKind::invalid_input);
  }

  SUBCASE("fingerprint_sha256") {
    auto fingerprint = tls::fingerprint_sha256(ca->certificate_pem);
    REQUIRE(fingerprint.has_value());
    REQUIRE(fingerprint->size() == 32 * 3 - 1);  // "AB:CD:...", 32 bytes
    for (std::size_t i = 0; i < fingerprint->size(); ++i) {
      const char c = (*fingerprint)[i];
      if (i % 3 == 2) {
        CHECK(c == ':');
      } else {
        CHECK(((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')));
      }
    }
    CHECK(*fingerprint == tls::inspect_certificate(ca->certificate_pem)->fingerprint_sha256);
    // Same bytes, same fingerprint; a new certificate for the same key differs (random serial).
    CHECK(*tls::fingerprint_sha256(ca->certificate_pem + "trailing text") == *fingerprint);
    auto again = tls::self_signed(
        {.common_name = "ctg test CA", .not_before = k_t0, .not_after = k_t0 + 365 * k_day, .is_ca = true}, ca_key);
    CHECK(*tls::fingerprint_sha256(again->certificate_pem) != *fingerprint);
  }
}

TEST_CASE("tls::ensure_local_certificate") {
  const std::string dir = temp_dir();
  const std::string state = dir + "/state/tls";  // created on first use

  auto first = tls::ensure_local_certificate(state, k_t0);
  REQUIRE(first.has_value());
  CHECK(first->created);
  CHECK(first->cert_file == state + "/cert.pem");
  CHECK(first->key_file == state + "/key.pem");
  CHECK(first->not_after == k_t0 + 365 * k_day);
  struct stat key_stat {};
  REQUIRE(::stat(first->key_file.c_str(), &key_stat) == 0);
  CHECK((key_stat.st_mode & 0777) == 0600);

  auto cert_pem = file::read(first->cert_file);
  REQUIRE(cert_pem.has_value());
  auto info = tls::inspect_certificate(*cert_pem);
  REQUIRE(info.has_value());
  CHECK(info->dns_names == std::vector<std::string>{"localhost"});
  CHECK(info->ip_addresses == std::vector<std::string>{"127.0.0.1", "::1"});
  CHECK(info->key_type == "EC");
  CHECK(info->not_before == k_t0);
  CHECK(info->fingerprint_sha256 == first->fingerprint);
  // A self-signed leaf is its own trust anchor (what --ca-file cert.pem relies on).
  CHECK(verify_chain(*cert_pem, *cert_pem, k_t0 + k_day) == X509_V_OK);

  SUBCASE("reused while more than 7 days remain") {
    auto second = tls::ensure_local_certificate(state, k_t0 + 300 * k_day);
    REQUIRE(second.has_value());
    CHECK_FALSE(second->created);
    CHECK(second->fingerprint == first->fingerprint);
    CHECK(second->not_after == first->not_after);
  }
  SUBCASE("regenerated within 7 days of expiry") {
    const std::int64_t later = first->not_after - 6 * k_day;
    auto renewed = tls::ensure_local_certificate(state, later);
    REQUIRE(renewed.has_value());
    CHECK(renewed->created);
    CHECK(renewed->fingerprint != first->fingerprint);
    CHECK(renewed->not_after == later + 365 * k_day);
  }
  SUBCASE("regenerated when the key is missing or the files are damaged") {
    std::filesystem::remove(first->key_file);
    auto recreated = tls::ensure_local_certificate(state, k_t0);
    REQUIRE(recreated.has_value());
    CHECK(recreated->created);
    REQUIRE(file::write_private(recreated->cert_file, "not a certificate", 0644).has_value());
    auto repaired = tls::ensure_local_certificate(state, k_t0);
    REQUIRE(repaired.has_value());
    CHECK(repaired->created);
    CHECK(tls::inspect_certificate(*file::read(repaired->cert_file)).has_value());
  }
  std::filesystem::remove_all(dir);
}
