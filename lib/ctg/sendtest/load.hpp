// ctg::sendtest — load mode: `--count N --concurrency C` (optionally `--rate R` per second or
// `--duration`) requests over C keep-alive connections from one epoll loop, each with a fresh
// event id, signed. Latencies go into a Histogram; errors are counted by status and by kind.
// With --rate, a request's latency counts from when it was due, not from when it could be sent,
// so that a stalled receiver shows in the percentiles (no coordinated omission).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ctg/core/clock.hpp"
#include "ctg/core/error.hpp"
#include "ctg/net/url.hpp"
#include "ctg/sendtest/cases.hpp"
#include "ctg/sendtest/histogram.hpp"

namespace ctg::sendtest {

struct LoadOptions {
  std::uint64_t count = 0;                    // requests to send; 0 with a duration: as many as fit
  std::chrono::milliseconds duration{0};      // stop sending after this long (0: until count)
  std::size_t concurrency = 1;                // connections, each with one request in flight
  double rate = 0;                            // requests per second over all connections; 0: as fast as answered
  std::chrono::milliseconds timeout{10000};   // per request (connect included)
  std::chrono::milliseconds connect_timeout{5000};
  bool insecure = false;
  std::string ca_file;
  StatusExpectation expect;                   // statuses that count as success
};

struct LoadStats {
  std::uint64_t sent = 0;       // requests started
  std::uint64_t completed = 0;  // answered with a status
  std::uint64_t succeeded = 0;  // answered with an expected status
  std::chrono::microseconds elapsed{0};
  Histogram latency;                              // of answered requests
  std::map<int, std::uint64_t> statuses;          // every status answered
  std::map<std::string, std::uint64_t> failures;  // no answer, by kind: "connection refused", "timeout", ...
  std::uint64_t errors() const { return sent - succeeded; }
  double error_rate() const { return sent == 0 ? 0.0 : static_cast<double>(errors()) / static_cast<double>(sent); }
  double throughput() const;  // answered requests per second
};

// Called about every 200 ms from the loop with the figures so far.
using LoadProgress = std::function<void(const LoadStats&)>;

// Sends the payloads in turn (signed with `plan.secret` when set, marked as test traffic per
// `plan`). Errors (could not run at all): the host does not resolve (network), the CA file cannot
// be read (io/usage).
Result<LoadStats> run_load(const net::Url& url, std::span<const Payload> payloads, const PlanOptions& plan,
                           const LoadOptions& options, const LoadProgress& progress = {});

}  // namespace ctg::sendtest
