#include "ctg/sendtest/report.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using namespace ctg;
using namespace ctg::sendtest;

namespace {

Outcome outcome(std::string name, Verdict verdict, int status, std::string message = {}) {
  Outcome o;
  o.test.suite = "conformance";
  o.test.name = std::move(name);
  o.test.type = "text.incoming.sms";
  o.test.risk = "the risk";
  o.result.verdict = verdict;
  o.result.message = std::move(message);
  if (verdict != Verdict::skipped) {
    Exchange e;
    e.status = status;
    if (status == 0) e.failure = net::Failure{net::FailureKind::connect, "connection refused", {}};
    o.result.exchanges.push_back(e);
  }
  return o;
}

}  // namespace

TEST_CASE("sendtest::exit_code") {
  Report report;
  report.outcomes.push_back(outcome("a", Verdict::passed, 200));
  report.outcomes.push_back(outcome("b", Verdict::skipped, 0, "no secret"));
  CHECK(exit_code(report) == ExitCode::ok);
  report.outcomes.push_back(outcome("c", Verdict::failed, 200, "expected 4xx, got 200"));
  CHECK(exit_code(report) == ExitCode::failed);

  Report unreachable;
  unreachable.outcomes.push_back(outcome("a", Verdict::error, 0, "connection refused"));
  unreachable.outcomes.push_back(outcome("b", Verdict::error, 0, "connection refused"));
  CHECK(exit_code(unreachable) == ExitCode::cannot_run);
  // Some answers came: the endpoint is reachable, so what failed is the receiver's.
  unreachable.outcomes.push_back(outcome("c", Verdict::passed, 200));
  CHECK(exit_code(unreachable) == ExitCode::failed);
}

TEST_CASE("sendtest::summary_line and to_json count every verdict") {
  Report report;
  report.url = "http://127.0.0.1:1/hook";
  report.duration = std::chrono::milliseconds(1500);
  report.outcomes.push_back(outcome("a", Verdict::passed, 200));
  report.outcomes.push_back(outcome("b", Verdict::failed, 500, "expected 2xx, got 500"));
  report.outcomes.push_back(outcome("c", Verdict::skipped, 0, "no secret"));
  report.outcomes.push_back(outcome("d", Verdict::error, 0, "connection refused"));
  CHECK(summary_line(report) == "1 passed, 1 failed, 1 could not run, 1 skipped in 1.5 s");
  const auto json = nlohmann::json::parse(to_json(report));
  CHECK(json["passed"] == 1);
  CHECK(json["failed"] == 1);
  CHECK(json["skipped"] == 1);
  CHECK(json["errors"] == 1);
  CHECK(json["exit_code"] == 1);
  CHECK(json["cases"][1]["risk"] == "the risk");
  CHECK(json["cases"][0]["risk"].is_null());
  CHECK(json["cases"][3]["exchanges"][0]["error"] == "connection refused");
}

TEST_CASE("sendtest::to_junit escapes what XML cannot hold as is") {
  Report report;
  report.url = "http://h/hook?a=1&b=\"2\"";
  report.outcomes.push_back(outcome("<tag> & 'quote'", Verdict::failed, 500, "got \x01 and \xFF bytes"));
  const auto xml = to_junit(report);
  CHECK(xml.find("value=\"http://h/hook?a=1&amp;b=&quot;2&quot;\"") != std::string::npos);
  CHECK(xml.find("name=\"&lt;tag&gt; &amp; &apos;quote&apos;\"") != std::string::npos);
  CHECK(xml.find("message=\"got \xEF\xBF\xBD and \xEF\xBF\xBD bytes\"") != std::string::npos);
  CHECK(xml.find('\x01') == std::string::npos);
  CHECK(xml.find("tests=\"1\" failures=\"1\" errors=\"0\" skipped=\"0\"") != std::string::npos);
}
