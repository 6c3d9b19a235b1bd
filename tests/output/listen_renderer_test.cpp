#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "ctg/output/console.hpp"
#include "ctg/output/listen_renderer.hpp"

using namespace ctg;

namespace {
// What a renderer writes to stdout, through a real FILE stream.
struct CapturedOut {
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  std::FILE* err = std::fopen("/dev/null", "w");
  ~CapturedOut() {
    std::fclose(out);
    std::fclose(err);
    std::free(buf);
  }
  std::string text() {
    std::fflush(out);
    return {buf, len};
  }
};

listen::DeliveryReport accepted(std::string event_id) {
  listen::DeliveryReport report;
  report.delivery.status = 200;
  report.delivery.event_type = "text.incoming.sms";
  report.delivery.event_id = std::move(event_id);
  report.delivery.verification = "valid";
  report.summary = "+15555550123 -> +15555550100 \"hi\"";
  return report;
}
}  // namespace

TEST_CASE("output::ListenRenderer says in its place how many deliveries the display left out") {
  CapturedOut c;
  output::Console console(c.out, c.err, {});
  output::ListenRenderer renderer(console, {});
  renderer.on_delivery(accepted("evt_1"));
  renderer.on_skipped(1234);
  renderer.on_delivery(accepted("evt_1236"));
  renderer.on_skipped(1);
  renderer.on_stopped(0);
  const std::string out = c.text();
  const auto first = out.find("evt_1 ");
  const auto skipped = out.find("\n1234 deliveries not shown: the display fell behind (all are journaled: ctg events list)\n");
  const auto last = out.find("evt_1236");
  REQUIRE(first != std::string::npos);
  REQUIRE(skipped != std::string::npos);
  REQUIRE(last != std::string::npos);
  CHECK(first < skipped);
  CHECK(skipped < last);
  CHECK(out.find("\n1 delivery not shown") != std::string::npos);
}

TEST_CASE("output::ListenRenderer --json gives a skipped line, and the stop line counts every request") {
  CapturedOut c;
  output::Console console(c.out, c.err, {});
  output::ListenRenderer renderer(console, {.json = true});
  renderer.on_delivery(accepted("evt_1"));
  renderer.on_skipped(7);
  renderer.on_stopped(0);
  const std::string out = c.text();
  const auto first_end = out.find('\n');
  const auto second_end = out.find('\n', first_end + 1);
  REQUIRE(second_end != std::string::npos);
  const auto delivery = nlohmann::json::parse(out.substr(0, first_end));
  const auto skipped = nlohmann::json::parse(out.substr(first_end + 1, second_end - first_end - 1));
  const auto stopped = nlohmann::json::parse(out.substr(second_end + 1));
  CHECK(delivery["event"] == "delivery");
  CHECK(skipped == nlohmann::json{{"event", "skipped"}, {"deliveries", 7}});
  CHECK(stopped["event"] == "stopped");
  CHECK(stopped["deliveries"] == 8);
}
