// ctg::sendtest — the results of a run as CI reads them: a verdict per case, the exit code
// (0 all passed, 1 any failed, 3 the endpoint could not be reached at all), a JSON document and
// JUnit XML (one testsuite per suite, one testcase per case) for GitHub Actions, GitLab, Jenkins.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "ctg/core/exit_code.hpp"
#include "ctg/sendtest/cases.hpp"
#include "ctg/sendtest/runner.hpp"

namespace ctg::sendtest {

struct Outcome {
  Case test;
  CaseResult result;
};

struct Report {
  std::string url;
  std::vector<Outcome> outcomes;
  std::int64_t started_at_ms = 0;  // Unix milliseconds
  std::chrono::microseconds duration{0};
};

struct Tally {
  std::size_t passed = 0, failed = 0, skipped = 0, errors = 0;
  std::size_t total() const { return passed + failed + skipped + errors; }
};

Tally tally(const Report& report);

// 0 when nothing failed; 3 when no case got an answer because the endpoint could not be reached
// (DNS, connect, TLS) — a broken receiver is 1, an unreachable one is 3; otherwise 1.
ExitCode exit_code(const Report& report);

// "14 passed, 1 failed, 2 skipped in 0.4 s"
std::string summary_line(const Report& report);

// One JSON document (schema in the README).
std::string to_json(const Report& report);

// JUnit XML: <testsuites> with a <testsuite> per suite (property url), a <testcase> per case
// (property type; <failure>, <error> or <skipped> with the reason and the risk).
std::string to_junit(const Report& report);

}  // namespace ctg::sendtest
