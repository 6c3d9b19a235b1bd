// ctg events list / show / replay / to-fixture, end to end, on journals written by a real
// `ctg listen`.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <set>
#include <sstream>

#include "listen_support.hpp"

using namespace ctg::test;
using nlohmann::json;

namespace {

std::string header_of(const json& shown, const std::string& name) {
  for (const auto& h : shown["headers"])
    if (h[0] == name) return h[1].get<std::string>();
  return {};
}

// A journal with a known history, written by a listener that keeps running:
//   1 sms[0]  2 email  3 sms[1]  4 sms[0] again (duplicate)  5 unsigned (401)  6 wrong path (404)
//   7 otp
struct History {
  TempDir dir;
  Listener listener{dir};
  std::vector<SignedEvent> sms;
  SignedEvent email;
  SignedEvent otp;

  History() {
    REQUIRE(listener.ready());
    const int port = listener.port();
    sms.push_back(make_event("text.incoming.sms"));
    email = make_event("email.incoming");
    sms.push_back(make_event("text.incoming.sms"));
    otp = make_event("otp.reverse.verified");
    REQUIRE(deliver(port, sms[0]).status == 200);
    REQUIRE(deliver(port, email).status == 200);
    REQUIRE(deliver(port, sms[1]).status == 200);
    auto again = sms[0];
    again.signature = sign_now(again.body);
    REQUIRE(deliver(port, again).json()["duplicate"] == true);
    REQUIRE(raw_exchange(port, http_request("POST", k_webhook_path, {}, email.body)).status == 401);
    REQUIRE(raw_exchange(port, http_request("POST", "/nope", {}, "{}")).status == 404);
    REQUIRE(deliver(port, otp).status == 200);
  }
  const std::string& store() const { return listener.store(); }
};

std::vector<int> ids_of(const json& rows) {
  std::vector<int> ids;
  for (const auto& row : rows) ids.push_back(row["id"].get<int>());
  return ids;
}

}  // namespace

TEST_CASE("cli::events list shows the journal newest first and filters by type, status and limit") {
  History h;
  CHECK(ids_of(events_list(h.store())) == std::vector<int>{7, 6, 5, 4, 3, 2, 1});
  CHECK(ids_of(events_list(h.store(), {"--type", "text.*"})) == std::vector<int>{4, 3, 1});
  CHECK(ids_of(events_list(h.store(), {"--type", "email.incoming"})) == std::vector<int>{2});
  CHECK(ids_of(events_list(h.store(), {"--status", "accepted"})) == std::vector<int>{7, 3, 2, 1});
  CHECK(ids_of(events_list(h.store(), {"--status", "rejected"})) == std::vector<int>{6, 5});
  CHECK(ids_of(events_list(h.store(), {"--status", "duplicate"})) == std::vector<int>{4});
  CHECK(ids_of(events_list(h.store(), {"--status", "401"})) == std::vector<int>{5});
  CHECK(ids_of(events_list(h.store(), {"--type", "text.*", "--status", "accepted"})) == std::vector<int>{3, 1});

  const auto limited = run_ctg({"events", "list", "--json", "--limit", "2", "--store", h.store()});
  REQUIRE(limited.exit_code == 0);
  CHECK(ids_of(json::parse(limited.out)) == std::vector<int>{7, 6});

  const auto row = events_list(h.store(), {"--status", "duplicate"}).at(0);
  CHECK(row["event_id"] == h.sms[0].id);
  CHECK(row["type"] == "text.incoming.sms");
  CHECK(row["duplicate"] == true);
  CHECK(row["status"] == 200);

  // The table: a header, one line per delivery, the duplicate marked.
  const auto table = run_ctg({"events", "list", "--store", h.store()});
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find("EVENT ID") != std::string::npos);
  CHECK(table.out.find(h.otp.id) != std::string::npos);
  CHECK(table.out.find("200*") != std::string::npos);
  CHECK(table.out.find("not_found") != std::string::npos);
  const auto none = run_ctg({"events", "list", "--type", "identity.*", "--store", h.store()});
  CHECK(none.exit_code == 0);
  CHECK(none.err.find("no deliveries match") != std::string::npos);

  const auto bad = run_ctg({"events", "list", "--status", "acepted", "--store", h.store()});
  CHECK(bad.exit_code == 2);
  const auto missing = run_ctg({"events", "list", "--store", h.dir.path() + "/nothing.db"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("no journal at") != std::string::npos);
}

TEST_CASE("cli::events show prints one delivery in text and JSON, with its forwards and attempts") {
  TempDir dir;
  TinyServer target([](int n) { return std::pair{n == 1 ? 502 : 200, std::string(n == 1 ? "down" : "thanks")}; });
  Listener listener(dir, {.args = {"--forward-to", target.url()}});
  REQUIRE(listener.ready());
  const auto event = make_event("text.incoming.sms");
  REQUIRE(deliver(listener.port(), event).status == 200);
  REQUIRE(wait_until([&] { return events_show(listener.store(), "1")["forwards"][0]["state"] == "delivered"; }, 10000));

  // By journal id and by event id, the same delivery.
  const auto shown = events_show(listener.store(), event.id);
  CHECK(shown == events_show(listener.store(), "1"));
  CHECK(shown["id"] == 1);
  CHECK(shown["status"] == 200);
  CHECK(shown["type"] == "text.incoming.sms");
  CHECK(shown["event_id"] == event.id);
  CHECK(shown["verification"] == "valid");
  CHECK(shown["method"] == "POST");
  CHECK(shown["path"] == "/contiguity/webhook");
  CHECK(shown["body"] == event.body);
  CHECK(header_of(shown, "Contiguity-Signature") == event.signature);
  REQUIRE(shown["forwards"].size() == 1);
  const auto& forward = shown["forwards"][0];
  CHECK(forward["target"] == target.url());
  CHECK(forward["state"] == "delivered");
  REQUIRE(forward["attempts"].size() == 2);
  CHECK(forward["attempts"][0]["number"] == 1);
  CHECK(forward["attempts"][0]["status"] == 502);
  CHECK(forward["attempts"][0]["response_excerpt"] == "down");
  CHECK(forward["attempts"][0]["next_attempt_at"].is_string());
  CHECK(forward["attempts"][1]["number"] == 2);
  CHECK(forward["attempts"][1]["status"] == 200);
  CHECK(forward["attempts"][1]["response_excerpt"] == "thanks");

  const auto text = run_ctg({"events", "show", "1", "--store", listener.store()});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("text.incoming.sms " + event.id) != std::string::npos);
  CHECK(text.out.find("Contiguity-Signature: " + event.signature) != std::string::npos);
  CHECK(text.out.find("\"body\": \"Hello world\"") != std::string::npos);
  CHECK(text.out.find("forward to " + target.url() + ": delivered") != std::string::npos);
  CHECK(text.out.find("attempt 1") != std::string::npos);
  CHECK(text.out.find("attempt 2") != std::string::npos);
  CHECK(text.out.find("retry at") != std::string::npos);

  // A rejected delivery shows why.
  REQUIRE(raw_exchange(listener.port(), http_request("POST", k_webhook_path, {{"Contiguity-Signature", "t=1,v1=ab"}},
                                                     event.body))
              .status == 401);
  const auto rejected = run_ctg({"events", "show", "2", "--store", listener.store()});
  CHECK(rejected.out.find("rejected") != std::string::npos);
  CHECK(rejected.out.find("header_malformed") != std::string::npos);

  const auto unknown = run_ctg({"events", "show", "evt_nothing", "--store", listener.store()});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("no delivery evt_nothing") != std::string::npos);
}

TEST_CASE("cli::events show --raw prints a request that ctg verify --request accepts") {
  TempDir dir;
  Listener listener(dir);
  REQUIRE(listener.ready());
  const auto event = make_event("email.incoming");
  REQUIRE(deliver(listener.port(), event).status == 200);
  // Chunked on the wire: the raw request carries the decoded body with a Content-Length.
  const auto chunked_event = make_event("text.incoming.sms");
  std::ostringstream size;
  size << std::hex << chunked_event.body.size();
  REQUIRE(raw_exchange(listener.port(), "POST /contiguity/webhook HTTP/1.1\r\nHost: x\r\nContiguity-Signature: " +
                                            chunked_event.signature + "\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                            size.str() + "\r\n" + chunked_event.body + "\r\n0\r\n\r\n")
              .status == 200);

  for (const auto& e : {event, chunked_event}) {
    const auto raw = run_ctg({"events", "show", e.id, "--raw", "--store", listener.store()});
    REQUIRE(raw.exit_code == 0);
    CHECK(raw.out.starts_with("POST /contiguity/webhook HTTP/1.1\r\n"));
    CHECK(raw.out.ends_with("\r\n\r\n" + e.body));
    CHECK(raw.out.find("Transfer-Encoding") == std::string::npos);
    const auto file = dir.write("captured-" + e.id + ".http", raw.out);
    auto env = listen_env(dir);
    const auto verified = run_ctg({"verify", "--request", file}, env);
    INFO(verified.out << verified.err);
    CHECK(verified.exit_code == 0);
    CHECK(verified.out.starts_with("valid"));
    // The same capture with another secret does not verify.
    const auto wrong = run_ctg({"verify", "--request", file}, listen_env(dir, "whsec_other"));
    CHECK(wrong.exit_code == 1);
  }
}

TEST_CASE("cli::events replay delivers byte for byte to another listener, or signed afresh with --resign") {
  History h;
  TempDir target_dir;
  Listener target(target_dir);  // the same secret: it accepts the original signatures
  REQUIRE(target.ready());

  const auto replayed = run_ctg({"events", "replay", h.sms[1].id, h.email.id, "--to", target.url(), "--store",
                                 h.store(), "--json"});
  INFO(replayed.err);
  CHECK(replayed.exit_code == 0);
  std::istringstream lines(replayed.out);
  std::string line;
  int good = 0;
  while (std::getline(lines, line)) {
    const auto j = json::parse(line);
    CHECK(j["status"] == 200);
    ++good;
  }
  CHECK(good == 2);

  for (const auto& e : {h.sms[1], h.email}) {
    const auto original = events_show(h.store(), e.id);
    const auto copy = events_show(target.store(), e.id);
    CHECK(copy["body"] == original["body"]);
    CHECK(copy["body"] == e.body);
    CHECK(header_of(copy, "Contiguity-Signature") == e.signature);
    CHECK(header_of(copy, "X-Ctg-Replay") == std::to_string(original["id"].get<int>()));
    CHECK(copy["verification"] == "valid");
  }
  // --type replays every accepted delivery of that type, oldest first (duplicates excluded).
  TempDir by_type_dir;
  Listener by_type(by_type_dir);
  REQUIRE(by_type.ready());
  CHECK(run_ctg({"events", "replay", "--type", "text.*", "--to", by_type.url(), "--store", h.store()}).exit_code == 0);
  auto rows = events_list(by_type.store());
  std::reverse(rows.begin(), rows.end());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["event_id"] == h.sms[0].id);
  CHECK(rows[1]["event_id"] == h.sms[1].id);

  // A listener with another secret refuses the original signature (exit 1) ...
  TempDir other_dir;
  Listener other(other_dir, {.secret = "whsec_other_listener"});
  REQUIRE(other.ready());
  const auto refused = run_ctg({"events", "replay", h.otp.id, "--to", other.url(), "--store", h.store()});
  CHECK(refused.exit_code == 1);
  CHECK(refused.out.find("401") != std::string::npos);
  // ... and accepts it signed afresh with its secret.
  const auto resigned = run_ctg({"events", "replay", h.otp.id, "--to", other.url(), "--store", h.store(), "--resign"},
                                listen_env(h.dir, "whsec_other_listener"));
  INFO(resigned.err);
  CHECK(resigned.exit_code == 0);
  auto other_rows = events_list(other.store());
  REQUIRE(other_rows.size() == 2);
  CHECK(other_rows[0]["status"] == 200);
  CHECK(other_rows[0]["event_id"] == h.otp.id);
  const auto copy = events_show(other.store(), "2");
  CHECK(copy["body"] == h.otp.body);
  CHECK(header_of(copy, "Contiguity-Signature") != h.otp.signature);

  const auto no_secret = run_ctg({"events", "replay", h.otp.id, "--to", other.url(), "--store", h.store(), "--resign"});
  CHECK(no_secret.exit_code == 2);
  const auto unreachable = run_ctg(
      {"events", "replay", h.otp.id, "--to", "http://127.0.0.1:" + std::to_string(free_port()) + "/x", "--store",
       h.store()});
  CHECK(unreachable.exit_code == 3);
}

TEST_CASE("cli::events to-fixture writes the delivery's event as a fixture file") {
  History h;
  const auto out = run_ctg({"events", "to-fixture", h.email.id, "--store", h.store()});
  REQUIRE(out.exit_code == 0);
  const auto fixture = json::parse(out.out, nullptr, false);
  REQUIRE(fixture.is_object());
  CHECK(fixture["type"] == "email.incoming");
  CHECK(fixture["id"] == h.email.id);
  CHECK(fixture == json::parse(h.email.body));
  // Pretty-printed, with the key order of the body.
  CHECK(out.out.find("\n  \"") != std::string::npos);
  CHECK(out.out.find("\"id\"") < out.out.find("\"type\""));

  const std::string file = h.dir.path() + "/otp.json";
  const auto written = run_ctg({"events", "to-fixture", "7", "-o", file, "--store", h.store()});
  CHECK(written.exit_code == 0);
  CHECK(json::parse(read_file(file))["type"] == "otp.reverse.verified");

  // A delivery that is not an event cannot be one.
  const auto rejected = run_ctg({"events", "to-fixture", "6", "--store", h.store()});
  CHECK(rejected.exit_code != 0);
  CHECK(rejected.err.find("not an event") != std::string::npos);
}
