// ctg::check — `ctg check URL`: the HTTPS setup of a webhook endpoint judged the way a server-side
// sender sees it (../shared/design.md, "HTTPS as a webhook sender sees it"). A sender does not
// fetch missing intermediates, does not follow redirects, ignores HSTS and gives up after its
// timeout; the checks say what breaks delivery (FAIL), what to fix soon (WARN) and what is worth
// knowing (INFO).
//
// After DNS, the probes run side by side, each on its own connection: the main one (every
// version, OCSP asked for, then a POST of a sample event, timed phase by phase), one per protocol
// version, one per class of weak ciphers, and one POST with a forged signature.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "ctg/check/report.hpp"
#include "ctg/check/trust.hpp"
#include "ctg/net/url.hpp"

namespace ctg::check {

struct CheckOptions {
  net::Url url;
  TrustStore store;                   // --ca-file, or the system's roots
  std::optional<std::string> secret;  // signs the sample (and makes the forged case meaningful)
  std::chrono::milliseconds max_latency{2000};
  std::chrono::milliseconds timeout{10'000};
  bool grade = false;
  std::int64_t now = 0;               // Unix seconds: validity is judged at this time
  std::string user_agent = "ctg";
};

// The findings for `options.url` (any scheme: http:// is a finding too). Never fails: an endpoint
// that cannot be reached is a FAIL finding.
Report run_check(const CheckOptions& options);

// Pieces of the judgement, exposed for tests. `now` and the dates are Unix seconds.
Finding judge_validity(std::int64_t not_before, std::int64_t not_after, std::int64_t now);
Finding judge_key(const std::string& key_type, int key_bits);
// The RSA key size of the same strength (NIST SP 800-57): EC P-256 is 3072, P-384 7680.
int rsa_equivalent_bits(const std::string& key_type, int key_bits);
// The time of each phase of the main connection; their sum is judged against the budget.
struct Phases {
  std::chrono::microseconds dns{0}, connect{0}, tls{0}, first_byte{0};
  std::chrono::microseconds total() const { return dns + connect + tls + first_byte; }
};
Finding judge_latency(const Phases& phases, std::chrono::milliseconds budget, bool timed_out);

}  // namespace ctg::check
