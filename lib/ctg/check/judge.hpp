// ctg::check — the judgements made from facts already gathered: the certificate (chain outcome,
// hostname, validity, key, signature, lifetime) and the phases of the main connection. No network
// and no clock here: `now` and the dates are Unix seconds; checker.cpp probes and calls these.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "ctg/check/report.hpp"
#include "ctg/check/trust.hpp"
#include "ctg/tls/certificate.hpp"

namespace ctg::check {

inline double as_ms(std::chrono::microseconds us) {
  return static_cast<double>(us.count()) / 1000.0;
}

Finding judge_chain(const Trust& trust, const TrustStore& store, const tls::CertificateInfo& leaf);
Finding judge_hostname(bool matches, const std::string& host, const tls::CertificateInfo& leaf);
Finding judge_validity(std::int64_t not_before, std::int64_t not_after, std::int64_t now);
Finding judge_key(const std::string& key_type, int key_bits);
// The RSA key size of the same strength (NIST SP 800-57): EC P-256 is 3072, P-384 7680.
int rsa_equivalent_bits(const std::string& key_type, int key_bits);
// The leaf's and the intermediates' (a served root's own signature is not checked by clients).
Finding judge_signature(const std::vector<tls::CertificateInfo>& served);
Finding judge_lifetime(const tls::CertificateInfo& leaf);

// The time of each phase of the main connection; their sum is judged against the budget.
struct Phases {
  std::chrono::microseconds dns{0}, connect{0}, tls{0}, first_byte{0};
  std::chrono::microseconds total() const { return dns + connect + tls + first_byte; }
};
Finding judge_latency(const Phases& phases, std::chrono::milliseconds budget, bool timed_out);

}  // namespace ctg::check
