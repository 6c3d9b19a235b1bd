// apps/ctg — `ctg send-test`: its flags (send_test_command.cpp) and its Run, in ctg-net
// (send_test_run.cpp), a hand-over in the front-end (handoff.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "command.hpp"
#include "ctg/net/http_client.hpp"
#include "secrets.hpp"

namespace ctg::app {

struct SendTestFlags {
  std::string url;
  std::vector<std::string> events;       // --event globs
  std::vector<std::string> fixtures;     // --fixture files
  std::vector<std::string> from_events;  // --from-event journal ids or event ids
  std::string store;                     // the journal --from-event reads
  std::vector<std::string> sets;         // --set path=value
  SecretFlags secrets;
  bool no_sign = false;
  bool no_test_header = false;
  std::vector<std::string> headers;      // -H 'K: V'
  std::string expect_status = "2xx";
  std::int64_t max_latency_ms = 2000;
  double timeout_seconds = 10;
  net::ClientOptions client;
  std::string suite;                     // "" or "conformance"
  // load mode
  std::uint64_t count = 0;
  std::size_t concurrency = 10;
  double rate = 0;
  std::string duration;                  // "30s", "2m", "500ms", or seconds
  std::optional<double> max_p99_ms;
  std::string max_error_rate = "0";      // a fraction (0.01) or a percentage (1%)
  std::string junit;                     // --junit FILE
};

Run send_test_run(std::shared_ptr<SendTestFlags> flags);

}  // namespace ctg::app
