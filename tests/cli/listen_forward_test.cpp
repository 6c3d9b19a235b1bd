// ctg listen --forward-to, end to end: targets that are down, come up, fail and answer; the order
// and count of what each target receives; dead letters.
#include <doctest/doctest.h>

#include <csignal>
#include <map>
#include <set>
#include <thread>

#include "listen_support.hpp"

using namespace ctg::test;
using nlohmann::json;

namespace {

// The forward states of every delivery in `store` (rows oldest first), per target.
std::map<std::string, std::vector<std::string>> forward_states(const std::string& store) {
  std::map<std::string, std::vector<std::string>> out;
  auto rows = events_list(store);
  std::reverse(rows.begin(), rows.end());
  for (const auto& row : rows) {
    for (const auto& forward : row["forwards"]) {
      out[forward["target"].get<std::string>()].push_back(forward["state"].get<std::string>());
    }
  }
  return out;
}

bool all_in_state(const std::string& store, std::size_t targets, std::size_t per_target, const std::string& state) {
  const auto states = forward_states(store);
  if (states.size() != targets) return false;
  for (const auto& [target, list] : states) {
    if (list.size() != per_target) return false;
    for (const auto& s : list)
      if (s != state) return false;
  }
  return true;
}

// Event ids journaled by a target listener, oldest first.
std::vector<std::string> received_ids(const std::string& store) {
  auto rows = events_list(store);
  std::reverse(rows.begin(), rows.end());
  std::vector<std::string> ids;
  for (const auto& row : rows) {
    CHECK(row["status"] == 200);
    CHECK(row["duplicate"] == false);
    ids.push_back(row["event_id"].is_string() ? row["event_id"].get<std::string>() : "?");
  }
  return ids;
}

std::string target_url(int port) { return "http://127.0.0.1:" + std::to_string(port) + k_webhook_path; }

}  // namespace

TEST_CASE("cli::listen forwards to a target that was down, once per target and in order, when it comes up") {
  TempDir dir;
  TempDir up_dir;
  TempDir late_dir;
  Listener up(up_dir);  // a target that answers from the start
  REQUIRE(up.ready());
  const int late_port = free_port();  // a target that is down at first

  Listener source(dir, {.args = {"--json", "--forward-to", target_url(late_port), "--forward-to",
                                 target_url(up.port()), "--max-attempts", "50"}});
  REQUIRE(source.ready());
  std::vector<std::string> sent;
  for (int i = 0; i < 6; ++i) {
    const auto event = make_event(i % 2 == 0 ? "text.incoming.sms" : "email.incoming");
    REQUIRE(deliver(source.port(), event).status == 200);
    sent.push_back(event.id);
  }
  // The down target is noticed (one line, not one per event), and nothing is lost meanwhile.
  CHECK(wait_until([&] {
    for (const auto& line : source.json_lines())
      if (line["event"] == "target_down" && line["target"] == target_url(late_port)) return true;
    return false;
  }, 10000));
  CHECK(wait_until([&] { return up.process().running() && received_ids(up.store()).size() == sent.size(); }, 10000));

  Listener late(late_dir, {.port = late_port});
  REQUIRE(late.ready());
  CHECK(wait_until([&] { return all_in_state(source.store(), 2, sent.size(), "delivered"); }, 15000));

  CHECK(received_ids(late.store()) == sent);
  CHECK(received_ids(up.store()) == sent);
  int target_down_lines = 0;
  bool target_up_line = false;
  for (const auto& line : source.json_lines()) {
    if (line["event"] == "target_down") ++target_down_lines;
    if (line["event"] == "target_up" && line["target"] == target_url(late_port)) target_up_line = true;
  }
  CHECK(target_down_lines == 1);
  CHECK(target_up_line);

  // Forwarded byte for byte, with the original signature (which the target verified) and the
  // journal id of the source's delivery.
  const auto first = events_show(late.store(), sent.front());
  const auto original = events_show(source.store(), sent.front());
  CHECK(first["body"] == original["body"]);
  std::map<std::string, std::string> headers;
  for (const auto& h : first["headers"]) headers[h[0].get<std::string>()] = h[1].get<std::string>();
  std::string original_signature;
  for (const auto& h : original["headers"])
    if (h[0] == "Contiguity-Signature") original_signature = h[1].get<std::string>();
  CHECK(headers["Contiguity-Signature"] == original_signature);
  CHECK(headers["X-Ctg-Delivery-Id"] == std::to_string(original["id"].get<int>()));
  CHECK(first["verification"] == "valid");

  // Each event was attempted until it was delivered, and the attempts are journaled.
  const auto forwards = original["forwards"];
  REQUIRE(forwards.size() == 2);
  for (const auto& forward : forwards) {
    CHECK(forward["state"] == "delivered");
    REQUIRE(!forward["attempts"].empty());
    CHECK(forward["attempts"].back()["status"] == 200);
    if (forward["target"] == target_url(late_port)) {
      CHECK(forward["attempts"].size() >= 2);
      CHECK(forward["attempts"][0]["status"].is_null());
      CHECK(!forward["attempts"][0]["error"].get<std::string>().empty());
    }
  }
  CHECK(source.stop(SIGTERM) == 130);
  CHECK(source.json_lines().back()["event"] == "stopped");
  CHECK(source.json_lines().back()["pending_forwards"] == 0);
}

TEST_CASE("cli::listen dead-letters an event after --max-attempts failures, and shows it") {
  TempDir dir;
  const int dead_port = free_port();
  const std::string dead = "http://127.0.0.1:" + std::to_string(dead_port) + "/hook";
  Listener source(dir, {.args = {"--forward-to", dead, "--max-attempts", "2"}});
  REQUIRE(source.ready());
  std::vector<std::string> sent;
  for (int i = 0; i < 3; ++i) {
    const auto event = make_event();
    REQUIRE(deliver(source.port(), event).status == 200);
    sent.push_back(event.id);
  }
  REQUIRE(wait_until([&] { return all_in_state(source.store(), 1, sent.size(), "dead"); }, 15000));

  // Shown as it happens: one line per dead letter.
  CHECK(wait_until([&] {
    const auto out = source.process().out();
    std::size_t lines = 0;
    for (auto pos = out.find("dead-lettered after 2 attempts"); pos != std::string::npos;
         pos = out.find("dead-lettered after 2 attempts", pos + 1))
      ++lines;
    return lines == sent.size();
  }, 5000));
  CHECK(source.process().err().find(dead + " unreachable") != std::string::npos);

  // And kept: `events list --status dead`, `events show`.
  const auto dead_rows = events_list(source.store(), {"--status", "dead"});
  CHECK(dead_rows.size() == sent.size());
  for (const auto& id : sent) {
    const auto shown = events_show(source.store(), id);
    REQUIRE(shown["forwards"].size() == 1);
    const auto& forward = shown["forwards"][0];
    CHECK(forward["target"] == dead);
    CHECK(forward["state"] == "dead");
    REQUIRE(forward["attempts"].size() == 2);
    CHECK(forward["attempts"][0]["next_attempt_at"].is_string());
    CHECK(forward["attempts"][1]["next_attempt_at"].is_null());
    CHECK(forward["attempts"][1]["error"].get<std::string>().find("refused") != std::string::npos);
    const auto text = run_ctg({"events", "show", id, "--store", source.store()});
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("forward to " + dead + ": dead") != std::string::npos);
    CHECK(text.out.find("attempt 2") != std::string::npos);
  }
  // The events table marks them too.
  const auto table = run_ctg({"events", "list", "--store", source.store()});
  CHECK(table.out.find("dead") != std::string::npos);
  CHECK(source.process().running());
}

TEST_CASE("cli::listen retries a target's 5xx, gives up at once on a 4xx, and sends each event once it succeeds") {
  TempDir dir;
  // The first two requests are answered 503, then 200.
  TinyServer flaky([](int n) { return std::pair{n <= 2 ? 503 : 200, std::string(n <= 2 ? "busy" : "ok")}; });
  // A target that refuses everything with 400; answered in text that is not UTF-8.
  TinyServer refusing([](int) { return std::pair{400, std::string("bad \xff\xfe request")}; });
  Listener source(dir, {.args = {"--json", "--forward-to", flaky.url(), "--forward-to", "text.*=" + refusing.url(),
                                 "-H", "X-Env: test", "--max-attempts", "5"}});
  REQUIRE(source.ready());
  std::vector<SignedEvent> sent;
  for (const char* type : {"text.incoming.sms", "email.incoming", "text.delivery.confirmed"}) {
    sent.push_back(make_event(type));
    REQUIRE(deliver(source.port(), sent.back()).status == 200);
  }
  // A sender's retry of an event already accepted: acknowledged, journaled as a duplicate, not
  // forwarded again.
  auto retry = sent[1];
  retry.signature = sign_now(retry.body);
  const auto duplicate = deliver(source.port(), retry);
  CHECK(duplicate.status == 200);
  CHECK(duplicate.json()["duplicate"] == true);
  REQUIRE(wait_until([&] {
    const auto states = forward_states(source.store());
    return states.contains(flaky.url()) && states.at(flaky.url()) == std::vector<std::string>(3, "delivered") &&
           states.contains(refusing.url()) && states.at(refusing.url()) == std::vector<std::string>(2, "failed");
  }, 15000));

  // The flaky target: the first event three times (503, 503, 200), then the others once, in order,
  // each with the original body, signature and the extra header.
  const auto requests = flaky.requests();
  REQUIRE(requests.size() == 5);
  const std::vector<std::size_t> expected{0, 0, 0, 1, 2};
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& sent_event = sent[expected[i]];
    CHECK(requests[i].method == "POST");
    CHECK(requests[i].target == "/hook");
    CHECK(requests[i].body == sent_event.body);
    CHECK(requests[i].header("Contiguity-Signature") == sent_event.signature);
    CHECK(requests[i].header("X-Env") == "test");
    CHECK(requests[i].header("X-Ctg-Delivery-Id").has_value());
  }
  // The refusing target saw only the text.* events, once each (a 400 is not retried).
  const auto refused = refusing.requests();
  REQUIRE(refused.size() == 2);
  CHECK(refused[0].body == sent[0].body);
  CHECK(refused[1].body == sent[2].body);
  const auto failed = events_list(source.store(), {"--status", "forward-failed"});
  CHECK(failed.size() == 2);
  const auto duplicates = events_list(source.store(), {"--status", "duplicate"});
  REQUIRE(duplicates.size() == 1);
  CHECK(duplicates[0]["event_id"] == sent[1].id);
  CHECK(duplicates[0]["forwards"].empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // nothing more arrives
  CHECK(flaky.requests().size() == 5);

  // The display said so, in JSON lines that parse although the answer was not UTF-8.
  int failed_lines = 0;
  for (const auto& line : source.json_lines()) {
    if (line["event"] == "forward" && line["state"] == "failed") {
      ++failed_lines;
      CHECK(line["status"] == 400);
      CHECK(line["target"] == refusing.url());
    }
  }
  CHECK(failed_lines == 2);
  const auto shown = run_ctg({"events", "show", sent[0].id, "--json", "--store", source.store()});
  CHECK(shown.exit_code == 0);
  CHECK(source.process().running());
}

TEST_CASE("cli::listen resumes pending forwards after a restart with the same store") {
  TempDir dir;
  const int down_port = free_port();
  std::vector<std::string> sent;
  {
    Listener source(dir, {.args = {"--forward-to", target_url(down_port), "--max-attempts", "50"}});
    REQUIRE(source.ready());
    for (int i = 0; i < 3; ++i) {
      const auto event = make_event();
      REQUIRE(deliver(source.port(), event).status == 200);
      sent.push_back(event.id);
    }
    CHECK(source.stop(SIGTERM) == 130);
    CHECK(source.process().err().find("3 forward(s) still pending") != std::string::npos);
  }
  // Same store; the target is up now.
  TempDir target_dir;
  Listener late(target_dir, {.port = down_port});
  REQUIRE(late.ready());
  Listener source(dir, {.args = {"--forward-to", target_url(down_port), "--max-attempts", "50"}});
  REQUIRE(source.ready());
  CHECK(wait_until([&] { return all_in_state(source.store(), 1, sent.size(), "delivered"); }, 15000));
  CHECK(received_ids(late.store()) == sent);
}
