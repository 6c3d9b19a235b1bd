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

}  // namespace ctg::check
