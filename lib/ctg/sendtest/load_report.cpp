#include "ctg/sendtest/load_report.hpp"

#include <charconv>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/core/text.hpp"

namespace ctg::sendtest {

namespace {

using json = nlohmann::ordered_json;

double ms(std::chrono::microseconds us) { return static_cast<double>(us.count()) / 1000.0; }

std::string ms_text(std::chrono::microseconds us) {
  if (us.count() < 10'000) return fmt::format("{:.2f} ms", ms(us));
  if (us.count() < 1'000'000) return fmt::format("{:.1f} ms", ms(us));
  return fmt::format("{:.2f} s", ms(us) / 1000.0);
}

std::string percent(double fraction) { return fmt::format("{:.2f}%", fraction * 100.0); }

// 12345 -> "12,345"
std::string grouped(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

Result<double> parse_number(std::string_view text) {
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return fail(ErrorKind::usage, "");
  return value;
}

}  // namespace

Result<double> parse_error_rate(std::string_view text) {
  const auto trimmed = text::trim(text);
  const bool is_percent = trimmed.ends_with('%');
  auto value = parse_number(is_percent ? text::trim(trimmed.substr(0, trimmed.size() - 1)) : trimmed);
  if (!value || *value < 0 || (is_percent ? *value > 100 : *value > 1)) {
    return fail(ErrorKind::usage, fmt::format("--max-error-rate: \"{}\" is not a rate", text::excerpt(text, 40)),
                "give a fraction (0.01) or a percentage (1%)");
  }
  return is_percent ? *value / 100.0 : *value;
}

Result<std::chrono::milliseconds> parse_duration(std::string_view text, std::string_view flag) {
  const auto trimmed = text::trim(text);
  struct Unit {
    std::string_view suffix;
    double ms;
  };
  constexpr Unit units[] = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
  double factor = 1000;  // plain seconds
  std::string_view number = trimmed;
  for (const auto& unit : units) {
    if (trimmed.ends_with(unit.suffix)) {
      factor = unit.ms;
      number = trimmed.substr(0, trimmed.size() - unit.suffix.size());
      break;
    }
  }
  auto value = parse_number(number);
  if (!value || *value <= 0) {
    return fail(ErrorKind::usage, fmt::format("{}: \"{}\" is not a duration", flag, text::excerpt(text, 40)),
                "for example 30s, 2m, 500ms");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(*value * factor));
}

std::vector<LoadCheck> evaluate(const LoadStats& stats, std::optional<double> max_p99_ms, double max_error_rate) {
  std::vector<LoadCheck> checks;
  {
    LoadCheck c{"error rate", stats.error_rate() <= max_error_rate, ""};
    c.message = fmt::format("error rate {} ({} of {}) {} the budget of {}", percent(stats.error_rate()),
                            grouped(stats.errors()), grouped(stats.sent), c.passed ? "within" : "is over",
                            percent(max_error_rate));
    checks.push_back(std::move(c));
  }
  if (max_p99_ms) {
    const auto p99 = stats.latency.percentile(0.99);
    LoadCheck c{"p99 latency", stats.latency.count() > 0 && ms(p99) <= *max_p99_ms, ""};
    c.message = stats.latency.count() == 0
                    ? "no answer came, so there is no latency to judge"
                    : fmt::format("p99 {} {} the budget of {} ms", ms_text(p99), c.passed ? "within" : "is over",
                                  *max_p99_ms);
    checks.push_back(std::move(c));
  }
  return checks;
}

ExitCode exit_code(const LoadReport& report) {
  if (report.stats.completed == 0 && !report.stats.failures.empty()) return ExitCode::cannot_run;
  for (const auto& c : report.checks)
    if (!c.passed) return ExitCode::failed;
  return ExitCode::ok;
}

std::vector<std::string> text_lines(const LoadReport& report) {
  const auto& s = report.stats;
  std::vector<std::string> lines;
  lines.push_back(fmt::format("{} requests in {:.2f} s over {} connection{}: {} answers/s", grouped(s.sent),
                              static_cast<double>(s.elapsed.count()) / 1e6, report.concurrency,
                              report.concurrency == 1 ? "" : "s", grouped(static_cast<std::uint64_t>(s.throughput()))));
  if (s.latency.count() > 0) {
    lines.push_back(fmt::format("latency  p50 {}  p90 {}  p99 {}  max {}", ms_text(s.latency.percentile(0.5)),
                                ms_text(s.latency.percentile(0.9)), ms_text(s.latency.percentile(0.99)),
                                ms_text(s.latency.max())));
  }
  std::string statuses;
  for (const auto& [status, n] : s.statuses) statuses += fmt::format("{}{} × {}", statuses.empty() ? "" : ", ", status, grouped(n));
  lines.push_back("statuses " + (statuses.empty() ? std::string("none") : statuses));
  std::string failures;
  for (const auto& [why, n] : s.failures) failures += fmt::format("{}{} × {}", failures.empty() ? "" : ", ", why, grouped(n));
  if (!failures.empty()) lines.push_back("no answer " + failures);
  return lines;
}

std::string to_json(const LoadReport& report) {
  const auto& s = report.stats;
  json statuses = json::object();
  for (const auto& [status, n] : s.statuses) statuses[std::to_string(status)] = n;
  json failures = json::object();
  for (const auto& [why, n] : s.failures) failures[why] = n;
  json checks = json::array();
  for (const auto& c : report.checks) checks.push_back({{"name", c.name}, {"passed", c.passed}, {"message", c.message}});
  json out{{"mode", "load"},
           {"url", report.url},
           {"concurrency", report.concurrency},
           {"rate", report.rate > 0 ? json(report.rate) : json(nullptr)},
           {"sent", s.sent},
           {"answered", s.completed},
           {"succeeded", s.succeeded},
           {"errors", s.errors()},
           {"error_rate", s.error_rate()},
           {"duration_ms", ms(s.elapsed)},
           {"throughput", s.throughput()},
           {"latency_ms",
            {{"p50", ms(s.latency.percentile(0.5))},
             {"p90", ms(s.latency.percentile(0.9))},
             {"p99", ms(s.latency.percentile(0.99))},
             {"max", ms(s.latency.max())},
             {"mean", ms(s.latency.mean())}}},
           {"statuses", statuses},
           {"failures", failures},
           {"checks", checks},
           {"exit_code", static_cast<int>(exit_code(report))}};
  return out.dump(2, ' ', false, json::error_handler_t::replace);
}

std::string to_junit(const LoadReport& report) {
  std::size_t failed = 0;
  for (const auto& c : report.checks) failed += c.passed ? 0 : 1;
  const double seconds = static_cast<double>(report.stats.elapsed.count()) / 1e6;
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += fmt::format("<testsuites name=\"ctg send-test\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3f}\">\n",
                     report.checks.size(), failed, seconds);
  xml += fmt::format("  <testsuite name=\"load\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{:.3f}\">\n",
                     report.checks.size(), failed, seconds);
  xml += fmt::format("    <properties>\n      <property name=\"url\" value=\"{}\"/>\n"
                     "      <property name=\"requests\" value=\"{}\"/>\n      <property name=\"concurrency\" value=\"{}\"/>\n"
                     "    </properties>\n",
                     text::xml_text(report.url), report.stats.sent, report.concurrency);
  for (const auto& c : report.checks) {
    xml += fmt::format("    <testcase name=\"{}\" classname=\"ctg.load\" time=\"{:.3f}\">\n", text::xml_text(c.name), seconds);
    if (!c.passed) xml += fmt::format("      <failure message=\"{}\" type=\"failed\"/>\n", text::xml_text(c.message));
    xml += "    </testcase>\n";
  }
  xml += "  </testsuite>\n</testsuites>\n";
  return xml;
}

}  // namespace ctg::sendtest
