#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "ctg/output/console.hpp"
#include "ctg/output/listen_renderer.hpp"

using namespace ctg;

namespace {
// What a renderer writes to stdout and stderr, through real FILE streams.
struct CapturedOut {
  char* buf = nullptr;
  std::size_t len = 0;
  char* err_buf = nullptr;
  std::size_t err_len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  std::FILE* err = open_memstream(&err_buf, &err_len);
  ~CapturedOut() {
    std::fclose(out);
    std::fclose(err);
    std::free(buf);
    std::free(err_buf);
  }
  std::string text() {
    std::fflush(out);
    return {buf, len};
  }
  std::string err_text() {
    std::fflush(err);
    return {err_buf, err_len};
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

namespace {

// What a sender can put in a type, an id, a header or a body to take over a terminal: set the
// window title (OSC ... BEL), clear the screen (CSI 2J), the same as one C1 byte (U+009B), rewrite
// the line (bare CR), erase (backspace, DEL), reorder what is read (RIGHT-TO-LEFT OVERRIDE).
const std::string k_title = "\x1b]0;pwned\x07";
const std::string k_clear = "\x1b[2J";
const std::string k_csi = "\u009b31m";
const std::string k_rewrite = "ok\rforged\b\x7f";
const std::string k_rlo = "\u202ecba";

// True when `out` holds nothing a terminal would act on but LF and CR LF (and, with colour,
// SGR sequences "ESC [ digits m" that the renderer itself writes).
bool inert(const std::string& out, bool colour = false) {
  const std::string without_sgr = colour ? std::regex_replace(out, std::regex("\x1b\\[[0-9;]*m"), "") : out;
  for (std::size_t i = 0; i < without_sgr.size(); ++i) {
    const auto b = static_cast<unsigned char>(without_sgr[i]);
    const bool line_break = b == '\n' || (b == '\r' && i + 1 < without_sgr.size() && without_sgr[i + 1] == '\n');
    if ((b < 0x20 && !line_break) || b == 0x7F) return false;
  }
  for (std::string_view bad : {"\xC2\x80", "\xC2\x85", "\xC2\x9B", "\xE2\x80\xAE"}) {
    if (without_sgr.find(bad) != std::string::npos) return false;
  }
  return true;
}

listen::DeliveryReport hostile_accepted() {
  listen::DeliveryReport report;
  auto& d = report.delivery;
  d.id = 7;
  d.status = 200;
  d.event_type = "text." + k_title + k_clear;
  d.event_id = "evt_" + k_csi + k_rewrite;
  d.verification = "unverified";
  d.peer = "127.0.0.1:4242";
  d.method = "POST";
  d.path = "/hook";
  d.headers = {{"X-Evil" + k_clear, "v" + k_title}};
  d.body = "{\"body\":\"" + k_rlo + "\"}\r\nnext line\r" + k_clear + k_csi;
  report.summary = "+1 \xE2\x86\x92 +2 \"" + k_rlo + k_title + "\"";
  report.hints = {"the signature header says " + k_clear};
  report.schema_issues = {{"data." + k_csi, "must be E.164, got \"" + k_rewrite + "\""}};
  report.forwarded_to = {"http://127.0.0.1:9/x"};
  return report;
}

listen::DeliveryReport hostile_rejected() {
  listen::DeliveryReport report;
  auto& d = report.delivery;
  d.status = 400;
  d.method = "POST";
  d.path = "/hook" + k_csi;
  d.body = k_title;
  d.rejection = "invalid_json: expected a value at \"" + k_clear + "\"";
  return report;
}

std::vector<std::string> lines_of(const std::string& out) {
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("output::ListenRenderer text shows a hostile delivery escaped, every line of it") {
  for (const bool colour : {false, true}) {
    CAPTURE(colour);
    CapturedOut c;
    output::ConsoleOptions options;
    options.stdout_color = colour ? output::Color::on : output::Color::off;
    options.stderr_color = options.stdout_color;
    output::Console console(c.out, c.err, options);
    output::ListenRenderer renderer(console, {.print_body = true, .verbose = true});
    renderer.on_delivery(hostile_accepted());
    renderer.on_delivery(hostile_rejected());
    store::Delivery delivery = hostile_accepted().delivery;
    store::Forward forward{.id = 1, .delivery_id = 7, .target = "http://127.0.0.1:9/x" + k_clear};
    store::Attempt attempt{
        .forward_id = 1, .number = 1, .status = 0, .error = "refused " + k_title, .response_excerpt = k_csi + k_rlo};
    renderer.on_attempt(delivery, forward, attempt, store::ForwardState::pending);
    attempt.status = 502;
    attempt.error.clear();
    renderer.on_attempt(delivery, forward, attempt, store::ForwardState::failed);
    renderer.on_target_down("http://127.0.0.1:9/x" + k_csi, "refused " + k_title, 1);
    renderer.on_target_up("http://127.0.0.1:9/x" + k_csi, 0);
    const std::string out = c.text();
    const std::string err = c.err_text();
    CHECK(inert(out, colour));
    CHECK(inert(err, colour));
    // Each hostile piece is there, escaped, where it belongs.
    CHECK(out.find("text.\\x1b]0;pwned\\x07\\x1b[2J") != std::string::npos);           // type
    CHECK(out.find("evt_\\u009b31mok\\x0dforged\\x08\\x7f") != std::string::npos);     // id
    CHECK(out.find("\"\\u202ecba\\x1b]0;pwned\\x07\"") != std::string::npos);          // summary
    CHECK(out.find("hint: the signature header says \\x1b[2J") != std::string::npos);  // hint
    CHECK(out.find("schema: data.\\u009b31m must be E.164") != std::string::npos);     // schema issue
    CHECK(out.find("POST /hook\\u009b31m  invalid_json: expected a value at \"\\x1b[2J\"") !=
          std::string::npos);                                            // rejection
    CHECK(out.find("refused \\x1b]0;pwned\\x07") != std::string::npos);  // forward error
    CHECK(out.find("\\u009b31m\\u202ecba") != std::string::npos);        // answer excerpt
    CHECK(out.find("/x\\x1b[2J") != std::string::npos);                  // target
    CHECK(err.find("/x\\u009b31m unreachable: refused \\x1b]0;pwned\\x07") != std::string::npos);
    CHECK(err.find("/x\\u009b31m is answering again") != std::string::npos);
    // The body keeps its lines (LF and CR LF), not its bare CR.
    CHECK(out.find("{\"body\":\"\\u202ecba\"}\r\nnext line\\x0d\\x1b[2J\\u009b31m\n") != std::string::npos);
  }
}

TEST_CASE("output::ListenRenderer --json keeps hostile text exactly, escaped by the encoder") {
  CapturedOut c;
  output::Console console(c.out, c.err, {});
  output::ListenRenderer renderer(console, {.json = true, .print_body = true});
  const auto accepted_report = hostile_accepted();
  const auto rejected_report = hostile_rejected();
  renderer.on_delivery(accepted_report);
  renderer.on_delivery(rejected_report);
  store::Forward forward{.id = 1, .delivery_id = 7, .target = "http://127.0.0.1:9/x"};
  store::Attempt attempt{
      .forward_id = 1, .number = 1, .status = 0, .error = "refused " + k_title, .response_excerpt = k_csi + k_rlo};
  renderer.on_attempt(accepted_report.delivery, forward, attempt, store::ForwardState::pending);
  renderer.on_target_down("http://127.0.0.1:9/x" + k_csi, k_title, 1);
  const std::string out = c.text();
  CHECK(inert(out));
  CHECK(out.find("\\u001b]0;pwned\\u0007") != std::string::npos);
  CHECK(out.find("\\u009b31m") != std::string::npos);
  CHECK(out.find("\\u202ecba") != std::string::npos);
  const auto lines = lines_of(out);
  REQUIRE(lines.size() == 4);
  const auto delivery = nlohmann::json::parse(lines[0]);
  const auto& d = accepted_report.delivery;
  CHECK(delivery["type"] == d.event_type);
  CHECK(delivery["event_id"] == d.event_id);
  CHECK(delivery["summary"] == accepted_report.summary);
  CHECK(delivery["hints"][0] == accepted_report.hints[0]);
  CHECK(delivery["schema_issues"][0]["path"] == accepted_report.schema_issues[0].path);
  CHECK(delivery["schema_issues"][0]["message"] == accepted_report.schema_issues[0].message);
  CHECK(delivery["body"] == d.body);
  const auto rejected = nlohmann::json::parse(lines[1]);
  CHECK(rejected["path"] == rejected_report.delivery.path);
  CHECK(rejected["rejection"] == rejected_report.delivery.rejection);
  CHECK(rejected["body"] == rejected_report.delivery.body);
  const auto forwarded = nlohmann::json::parse(lines[2]);
  CHECK(forwarded["error"] == attempt.error);
  CHECK(forwarded["response_excerpt"] == attempt.response_excerpt);
  const auto down = nlohmann::json::parse(lines[3]);
  CHECK(down["target"] == "http://127.0.0.1:9/x" + k_csi);
  CHECK(down["error"] == k_title);
}
