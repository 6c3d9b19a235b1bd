#include "ctg/sendtest/report.hpp"

#include <ctime>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/core/text.hpp"

namespace ctg::sendtest {

namespace {

using json = nlohmann::ordered_json;

double millis(std::chrono::microseconds us) {
  return static_cast<double>(us.count()) / 1000.0;
}

double seconds(std::chrono::microseconds us) {
  return static_cast<double>(us.count()) / 1e6;
}

std::string iso_time(std::int64_t unix_ms) {
  const std::time_t t = unix_ms / 1000;
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec);
}

void count(Tally& t, Verdict v) {
  switch (v) {
    case Verdict::passed:
      ++t.passed;
      break;
    case Verdict::failed:
      ++t.failed;
      break;
    case Verdict::skipped:
      ++t.skipped;
      break;
    case Verdict::error:
      ++t.errors;
      break;
  }
}

json nullable(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

}  // namespace

Tally tally(const Report& report) {
  Tally t;
  for (const auto& o : report.outcomes) count(t, o.result.verdict);
  return t;
}

ExitCode exit_code(const Report& report) {
  const auto t = tally(report);
  if (t.failed == 0 && t.errors == 0) return ExitCode::ok;
  bool answered = false;
  for (const auto& o : report.outcomes) {
    for (const auto& e : o.result.exchanges) answered = answered || e.status != 0;
  }
  if (t.errors > 0 && !answered) return ExitCode::cannot_run;
  return ExitCode::failed;
}

std::string summary_line(const Report& report) {
  const auto t = tally(report);
  std::string line = fmt::format("{} passed", t.passed);
  if (t.failed > 0) line += fmt::format(", {} failed", t.failed);
  if (t.errors > 0) line += fmt::format(", {} could not run", t.errors);
  if (t.skipped > 0) line += fmt::format(", {} skipped", t.skipped);
  if (report.duration < std::chrono::seconds(1)) {
    line += fmt::format(" in {} ms", report.duration.count() / 1000);
  } else {
    line += fmt::format(" in {:.1f} s", seconds(report.duration));
  }
  return line;
}

std::string to_json(const Report& report) {
  const auto t = tally(report);
  json cases = json::array();
  for (const auto& [c, r] : report.outcomes) {
    json exchanges = json::array();
    for (const auto& e : r.exchanges) {
      exchanges.push_back({{"event_id", nullable(e.event_id)},
                           {"status", e.status == 0 ? json(nullptr) : json(e.status)},
                           {"latency_ms", millis(e.latency)},
                           {"response_excerpt", e.excerpt},
                           {"location", nullable(e.location)},
                           {"error", e.failure ? json(e.failure->message) : json(nullptr)}});
    }
    cases.push_back({{"suite", c.suite},
                     {"name", c.name},
                     {"type", c.type},
                     {"verdict", to_string(r.verdict)},
                     {"expected", c.expect.describe()},
                     {"message", nullable(r.message)},
                     {"risk", r.verdict == Verdict::failed || r.verdict == Verdict::error ? json(c.risk) : json(nullptr)},
                     {"sends", c.what},
                     {"latency_ms", millis(r.latency)},
                     {"exchanges", std::move(exchanges)}});
  }
  json out{{"url", report.url},
           {"started_at", iso_time(report.started_at_ms) + "Z"},
           {"duration_ms", millis(report.duration)},
           {"passed", t.passed},
           {"failed", t.failed},
           {"errors", t.errors},
           {"skipped", t.skipped},
           {"exit_code", static_cast<int>(exit_code(report))},
           {"cases", std::move(cases)}};
  return out.dump(2, ' ', false, json::error_handler_t::replace);
}

std::string to_junit(const Report& report) {
  // Suites in order of first appearance.
  std::vector<std::string> suites;
  std::map<std::string, std::vector<const Outcome*>> by_suite;
  for (const auto& o : report.outcomes) {
    if (!by_suite.contains(o.test.suite)) suites.push_back(o.test.suite);
    by_suite[o.test.suite].push_back(&o);
  }
  const auto all = tally(report);
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += fmt::format("<testsuites name=\"ctg send-test\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" "
                     "time=\"{:.3f}\">\n",
                     all.total(), all.failed, all.errors, all.skipped, seconds(report.duration));
  for (const auto& suite : suites) {
    Tally t;
    std::chrono::microseconds time{0};
    for (const auto* o : by_suite[suite]) {
      count(t, o->result.verdict);
      time += o->result.latency;
    }
    xml += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" "
                       "time=\"{:.3f}\" timestamp=\"{}\">\n",
                       text::xml_text(suite), t.total(), t.failed, t.errors, t.skipped, seconds(time),
                       iso_time(report.started_at_ms));
    xml += fmt::format("    <properties>\n      <property name=\"url\" value=\"{}\"/>\n    </properties>\n",
                       text::xml_text(report.url));
    for (const auto* o : by_suite[suite]) {
      const auto& [c, r] = *o;
      xml += fmt::format("    <testcase name=\"{}\" classname=\"ctg.{}\" time=\"{:.3f}\">\n", text::xml_text(c.name),
                         text::xml_text(suite), seconds(r.latency));
      xml += fmt::format("      <properties>\n        <property name=\"type\" value=\"{}\"/>\n      </properties>\n",
                         text::xml_text(c.type));
      const std::string body = text::xml_text(fmt::format("{}\nsends: {}\nrisk: {}", r.message, c.what, c.risk));
      switch (r.verdict) {
        case Verdict::passed:
          break;
        case Verdict::failed:
          xml += fmt::format("      <failure message=\"{}\" type=\"failed\">{}</failure>\n", text::xml_text(r.message), body);
          break;
        case Verdict::error:
          xml += fmt::format("      <error message=\"{}\" type=\"unreachable\">{}</error>\n", text::xml_text(r.message), body);
          break;
        case Verdict::skipped:
          xml += fmt::format("      <skipped message=\"{}\"/>\n", text::xml_text(r.message));
          break;
      }
      xml += "    </testcase>\n";
    }
    xml += "  </testsuite>\n";
  }
  xml += "</testsuites>\n";
  return xml;
}

}  // namespace ctg::sendtest
