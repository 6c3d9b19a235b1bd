// ctg::check — the certificate questions a sender's TLS client asks: does the chain the server
// sent lead to a trusted root (with nothing fetched: no AIA), and is the certificate for the host
// in the URL. Validity, key and signature are judged from tls::CertificateInfo (checker.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ctg/core/error.hpp"

namespace ctg::check {

struct TrustStore {
  std::string ca_file;  // empty: the system's trusted roots
};

struct Trust {
  enum class Outcome {
    trusted,         // chains to a root of the store
    incomplete,      // the served chain stops at a certificate whose issuer is not at hand
    self_signed,     // the leaf is its own issuer, and not in the store
    untrusted_root,  // the chain ends in a root the store does not hold
    invalid,         // another verification error (detail says which)
  };
  Outcome outcome = Outcome::invalid;
  std::string anchor;        // trusted: the root's common name (or subject)
  std::string last_issuer;   // incomplete: the issuer named by the last certificate served
  std::string detail;        // OpenSSL's words for the error
  std::size_t served = 0;    // certificates the server sent
  std::size_t chain_length = 0;  // trusted: certificates in the verified chain, root included
};

// Verifies `chain_pem` (leaf first, as served) against `store`, at time `now`, using only the
// served certificates as intermediates. Expiry of the leaf, and keys or digests too weak for the
// default security level, are left to their own findings and do not make the chain untrusted.
// Errors (invalid_input): a served certificate that cannot be parsed; (io) the store cannot be loaded.
Result<Trust> verify_chain(const std::vector<std::string>& chain_pem, const TrustStore& store, std::int64_t now);

// Whether the leaf is valid for `host` (a DNS name, matched against SAN entries with wildcards as
// TLS clients do, or an IP address, matched against SAN IP entries).
bool matches_host(const std::string& leaf_pem, const std::string& host);

}  // namespace ctg::check
