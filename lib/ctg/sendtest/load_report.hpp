// ctg::sendtest — load mode's verdicts (p99 and error-rate budgets), its exit code and reports.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "ctg/core/error.hpp"
#include "ctg/core/exit_code.hpp"
#include "ctg/sendtest/load.hpp"

namespace ctg::sendtest {

struct LoadCheck {
  std::string name;     // "error rate", "p99 latency"
  bool passed = true;
  std::string message;  // "error rate 0.12% (12 of 10000) is over the budget of 0.10%"
};

struct LoadReport {
  std::string url;
  std::uint64_t concurrency = 0;
  double rate = 0;
  LoadStats stats;
  std::vector<LoadCheck> checks;
  std::int64_t started_at_ms = 0;
};

// "0.01" or "1%" -> 0.01. Usage error naming --max-error-rate unless in [0, 1].
Result<double> parse_error_rate(std::string_view text);

// "30s", "2m", "500ms", "1h" or plain seconds ("10", "2.5"). Usage error naming `flag`.
Result<std::chrono::milliseconds> parse_duration(std::string_view text, std::string_view flag);

std::vector<LoadCheck> evaluate(const LoadStats& stats, std::optional<double> max_p99_ms, double max_error_rate);

// 3 when no request got an answer and some could not connect; 1 when a check failed; else 0.
ExitCode exit_code(const LoadReport& report);

std::vector<std::string> text_lines(const LoadReport& report);  // the summary, without colour
std::string to_json(const LoadReport& report);
std::string to_junit(const LoadReport& report);  // testsuite "load", a testcase per check

}  // namespace ctg::sendtest
