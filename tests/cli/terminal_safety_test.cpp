// What a sender writes into an event cannot take over the terminal of whoever runs `ctg listen`,
// `ctg events list` or `ctg events show`: escape sequences in an event's type and id (and body)
// are shown escaped in text, and kept exactly, as JSON escapes, with --json.
#include <doctest/doctest.h>

#include <csignal>
#include <string>

#include "ctg/core/text.hpp"
#include "listen_support.hpp"

using namespace ctg::test;
using nlohmann::json;

namespace {

// Set the window title (OSC ... BEL), clear the screen (CSI 2J), and CSI as one C1 character.
const std::string k_title = "\x1b]0;pwned\x07";
const std::string k_clear = "\x1b[2J";
const std::string k_csi = "\u009b31m";

// An event whose type and id carry all three, and whose body text carries them too.
SignedEvent hostile_event(const std::string& secret) {
  auto event = make_event("text.incoming.sms", secret.empty() ? k_listen_secret : secret);
  auto body = json::parse(event.body);
  body["type"] = "text.incoming.sms" + k_title + k_clear + k_csi;
  body["id"] = "evt_" + k_title + k_clear + k_csi;
  body["data"]["body"] = "hi " + k_title + k_clear + k_csi;
  event.type = body["type"];
  event.id = body["id"];
  event.body = body.dump();
  event.signature = secret.empty() ? "" : sign_now(event.body, secret);
  return event;
}

// No byte of a control sequence a terminal would act on: ESC, BEL, CSI as a UTF-8 C1 character,
// and no byte that is not UTF-8 (a raw 8-bit CSI among them).
void check_inert(const std::string& out) {
  INFO(out);
  CHECK(out.find('\x1b') == std::string::npos);
  CHECK(out.find('\x07') == std::string::npos);
  CHECK(out.find("\xC2\x9B") == std::string::npos);
  CHECK_FALSE(ctg::text::find_invalid_utf8(out).has_value());
}

}  // namespace

TEST_CASE("cli::listen, events list and events show print a hostile type and id escaped") {
  TempDir dir;
  Listener listener(dir, {.args = {"--print-body"}, .secret = ""});
  REQUIRE(listener.ready());
  const auto event = hostile_event("");
  const auto answer = raw_exchange(
      listener.port(), http_request("POST", k_webhook_path, {{"Content-Type", "application/json"}}, event.body));
  REQUIRE(answer.status == 200);
  REQUIRE(wait_until([&] { return listener.process().out().find("pwned") != std::string::npos; }, 5000));
  CHECK(listener.stop(SIGTERM) == 130);

  const std::string shown = listener.process().out();
  check_inert(shown);
  check_inert(listener.process().err());
  CHECK(shown.find("text.incoming.sms\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m") != std::string::npos);
  CHECK(shown.find("evt_\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m") != std::string::npos);
  CHECK(shown.find("\"hi \\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\"") != std::string::npos);  // the body

  const auto env = listen_env(dir, "");
  const auto list = run_ctg({"events", "list", "--store", listener.store()}, env);
  REQUIRE(list.exit_code == 0);
  check_inert(list.out);
  CHECK(list.out.find("text.incoming.sms\\x1b]0;pwned\\x07") != std::string::npos);
  CHECK(list.out.find("evt_\\x1b]0;pwned\\x07") != std::string::npos);

  const auto show = run_ctg({"events", "show", "1", "--store", listener.store()}, env);
  REQUIRE(show.exit_code == 0);
  check_inert(show.out);
  CHECK(show.out.find("text.incoming.sms\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m evt_\\x1b]0;pwned\\x07") !=
        std::string::npos);
  CHECK(show.out.find("\"hi \\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\"") != std::string::npos);  // the body

  // --raw is byte for byte into a pipe (for ctg verify --request), escaped on a terminal: run
  // under script(1), whose pseudo-terminal is ctg's stdout.
  const auto piped = run_ctg({"events", "show", "1", "--raw", "--store", listener.store()}, env);
  REQUIRE(piped.exit_code == 0);
  CHECK(piped.out.find(event.body) != std::string::npos);
  const std::string command = std::string(CTG_BINARY) + " events show 1 --raw --store " + listener.store();
  const auto on_terminal = run_process("/usr/bin/script", {"-qec", command, "/dev/null"}, env);
  REQUIRE(on_terminal.exit_code == 0);
  CHECK(on_terminal.out.find("POST /contiguity/webhook HTTP/1.1") != std::string::npos);
  CHECK(on_terminal.out.find("\\u009b31m") != std::string::npos);
  check_inert(on_terminal.out);

  // Looked up by its hostile event id, too.
  const auto by_id = run_ctg({"events", "show", event.id, "--store", listener.store()}, env);
  REQUIRE(by_id.exit_code == 0);
  check_inert(by_id.out);
  CHECK(by_id.out == show.out);
}

TEST_CASE("cli::listen --json, events list --json and events show --json keep a hostile signed event exactly") {
  TempDir dir;
  Listener listener(dir, {.args = {"--json", "--print-body"}});
  REQUIRE(listener.ready());
  const auto event = hostile_event(k_listen_secret);
  REQUIRE(deliver(listener.port(), event).status == 200);
  REQUIRE(wait_until([&] { return listener.json_lines().size() >= 2; }, 5000));
  CHECK(listener.stop(SIGTERM) == 130);

  const std::string out = listener.process().out();
  check_inert(out);
  CHECK(out.find("\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m") != std::string::npos);
  const auto lines = listener.json_lines();
  REQUIRE(lines.size() >= 2);
  CHECK(lines[1]["type"] == event.type);
  CHECK(lines[1]["event_id"] == event.id);
  CHECK(lines[1]["verification"] == "valid");
  CHECK(lines[1]["body"] == event.body);

  const auto env = listen_env(dir);
  const auto list = run_ctg({"events", "list", "--json", "--store", listener.store()}, env);
  REQUIRE(list.exit_code == 0);
  check_inert(list.out);
  const auto rows = json::parse(list.out);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["type"] == event.type);
  CHECK(rows[0]["event_id"] == event.id);

  const auto show = run_ctg({"events", "show", "1", "--json", "--store", listener.store()}, env);
  REQUIRE(show.exit_code == 0);
  check_inert(show.out);
  const auto one = json::parse(show.out);
  CHECK(one["type"] == event.type);
  CHECK(one["event_id"] == event.id);
  CHECK(one["body"] == event.body);
}
