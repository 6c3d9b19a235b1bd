// apps/ctg — `ctg check`: its flags (check_command.cpp) and its Run, in ctg-net (check_run.cpp), a
// hand-over in the front-end (handoff.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "command.hpp"
#include "secrets.hpp"

namespace ctg::app {

struct CheckFlags {
  std::string url;
  std::string ca_file;
  SecretFlags secrets;
  std::int64_t max_latency_ms = 2000;
  double timeout_seconds = 10;
  bool grade = false;
  std::string junit;            // --junit FILE
  std::string fail_on = "fail";  // "fail" or "warn"
  std::string user_agent;
};

Run check_run(std::shared_ptr<CheckFlags> flags);

}  // namespace ctg::app
