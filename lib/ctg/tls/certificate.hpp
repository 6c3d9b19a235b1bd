// ctg::tls — certificates and keys made with OpenSSL: the self-signed certificate `ctg listen
// --tls` generates on first use, and the CAs, intermediates and odd leaves the tests need
// (expired, not yet valid, wrong host, RSA-1024, SHA-1 signed). PEM in, PEM out; no OpenSSL type
// crosses this header. All functions are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ctg/core/error.hpp"

namespace ctg::tls {

enum class KeyType { ec_p256, rsa_2048, rsa_1024, rsa_4096 };
enum class Digest { sha256, sha1 };

struct KeyPair {
  std::string private_key_pem;
};

// A new private key as PKCS#8 PEM. RSA-4096 takes a second or two. Errors (internal): OpenSSL failed.
Result<KeyPair> generate_key(KeyType type);

struct CertificateSpec {
  std::string common_name;                // subject CN
  std::vector<std::string> dns_names;     // SAN DNS entries
  std::vector<std::string> ip_addresses;  // SAN IP entries ("127.0.0.1", "::1")
  std::int64_t not_before = 0;            // Unix seconds
  std::int64_t not_after = 0;             // Unix seconds
  bool is_ca = false;                     // basicConstraints CA:TRUE + keyCertSign
  Digest digest = Digest::sha256;
};

struct Issued {
  std::string certificate_pem;
  std::string private_key_pem;
};

// Extensions written: basicConstraints (critical; CA:TRUE for CAs), keyUsage (critical;
// keyCertSign+cRLSign+digitalSignature for CAs, digitalSignature (+keyEncipherment for RSA) for
// leaves issued by a CA; none on a self-signed leaf, so that it can be its own trust anchor, as
// `openssl req -x509` makes them), extendedKeyUsage serverAuth (leaves), subjectAltName (when names
// are given), subjectKeyIdentifier and authorityKeyIdentifier. The serial is 16 random bytes
// (positive). Digest::sha1 signs with SHA-1, which OpenSSL 3 still does; verifying clients at
// security level 1 or more (Debian's default is 2) refuse such a certificate, as they refuse RSA-1024.
// An empty common_name takes the first DNS name or IP address. Errors (invalid_input): a malformed
// key or issuer PEM, an IP entry that is not an address, an issuer key that does not match its
// certificate; (usage) a spec with neither a common name nor a SAN entry.
//
// A self-signed certificate for `key` (a leaf or a root CA, per spec.is_ca).
Result<Issued> self_signed(const CertificateSpec& spec, const KeyPair& key);

// A certificate for `key`, signed by the issuer (certificate + key PEM).
Result<Issued> issue(const CertificateSpec& spec, const KeyPair& key, const Issued& issuer);

// SHA-256 fingerprint of the first certificate in `pem`, as "AB:CD:...".
Result<std::string> fingerprint_sha256(const std::string& certificate_pem);

// What a certificate says, for messages and checks (net::Client's TLS errors, `ctg check`).
struct CertificateInfo {
  std::string subject_cn;                 // empty when the subject has no CN
  std::string issuer_cn;                  // empty when the issuer has no CN
  std::vector<std::string> dns_names;     // SAN DNS entries, in certificate order
  std::vector<std::string> ip_addresses;  // SAN IP entries, as text ("127.0.0.1", "::1")
  std::int64_t not_before = 0;            // Unix seconds
  std::int64_t not_after = 0;             // Unix seconds
  bool is_ca = false;                     // basicConstraints CA:TRUE
  bool self_issued = false;               // subject == issuer
  std::string key_type;                   // "RSA", "EC", "ED25519", ... (EVP_PKEY_get0_type_name)
  int key_bits = 0;                       // 2048 for RSA-2048, 256 for P-256
  std::string signature_algorithm;        // "sha256WithRSAEncryption", "ecdsa-with-SHA1", ...
  std::string fingerprint_sha256;         // as fingerprint_sha256() gives it
};

// Parses the first certificate in `pem`. Errors (invalid_input): "the certificate: no PEM
// certificate found".
Result<CertificateInfo> inspect_certificate(const std::string& certificate_pem);

// The certificate `ctg listen --tls` uses when none is given: loads cert.pem/key.pem from `dir`,
// or creates them (EC P-256, self-signed leaf, CN and SAN localhost, SAN 127.0.0.1 and ::1, valid
// from `now` for 365 days; key file mode 0600, cert 0644, `dir` created 0700) when absent, unreadable
// as PEM, not a matching pair, or expiring within 7 days. The certificate is its own trust anchor:
// clients trust it with --ca-file cert.pem. Errors (io): the files cannot be read or written.
struct LocalCertificate {
  std::string cert_file;    // <dir>/cert.pem
  std::string key_file;     // <dir>/key.pem
  std::string fingerprint;  // as fingerprint_sha256() gives it
  bool created = false;     // true when made by this call
  std::int64_t not_after = 0;
};
Result<LocalCertificate> ensure_local_certificate(const std::string& dir, std::int64_t now);

}  // namespace ctg::tls
