// ctg listen, end to end: a real listener process on loopback, real sockets, the journal read back
// with `ctg events list`.
#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "ctg/net/http_client.hpp"
#include "ctg/net/url.hpp"
#include "ctg/tls/certificate.hpp"
#include "listen_support.hpp"

using namespace ctg::test;
using nlohmann::json;

namespace {

// Rows of `events list --json` oldest first.
json oldest_first(json rows) {
  std::reverse(rows.begin(), rows.end());
  return rows;
}

std::string fmt_hex(std::size_t n) {
  std::ostringstream s;
  s << std::hex << n;
  return s.str();
}

std::string error_code(const HttpAnswer& answer) {
  const auto j = answer.json();
  return j.is_object() && j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : "";
}

// Deliveries from `threads` clients over keep-alive connections until `stop`; each event id that
// was answered 2xx is added to `acknowledged`.
struct Load {
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;

  Load(int port, int count) {
    for (int t = 0; t < count; ++t) {
      threads.emplace_back([this, port] {
        while (!stop) {
          Connection connection(port);
          if (!connection.ok()) return;  // the listener is gone
          for (int i = 0; i < 50 && !stop; ++i) {
            const auto event = make_event();
            if (!connection.send(delivery_request(event))) break;
            const auto answer = connection.read_answer(5000);
            if (answer.status == 0) break;
            ++answered;
            if (answer.status >= 200 && answer.status < 300) {
              std::lock_guard lock(mutex);
              acknowledged.push_back(event.id);
            }
            if (answer.closed) break;
          }
        }
      });
    }
  }
  ~Load() { join(); }
  void join() {
    stop = true;
    for (auto& t : threads)
      if (t.joinable()) t.join();
  }
};

void require_all_journaled(const std::vector<std::string>& acknowledged, const std::string& store) {
  const auto rows = events_list(store);
  std::set<std::string> journaled;
  for (const auto& row : rows) {
    if (row["status"] == 200 && row["event_id"].is_string()) journaled.insert(row["event_id"].get<std::string>());
  }
  std::size_t missing = 0;
  for (const auto& id : acknowledged) {
    if (!journaled.contains(id)) {
      ++missing;
      INFO("acknowledged but not journaled: " << id);
      CHECK(journaled.contains(id));
    }
  }
  CHECK(missing == 0);
}

}  // namespace

TEST_CASE("cli::listen answers each rejection with its documented status, keeps serving and journals it") {
  TempDir dir;
  Listener listener(dir);
  REQUIRE(listener.ready());
  const int port = listener.port();

  const auto get = raw_exchange(port, http_request("GET", k_webhook_path, {}, ""));
  CHECK(get.status == 405);
  CHECK(get.header("Allow") == "POST");
  CHECK(error_code(get) == "method_not_allowed");

  const auto event = make_event();
  const auto wrong_path = raw_exchange(
      port, http_request("POST", "/webhooks", {{"Contiguity-Signature", event.signature}}, event.body));
  CHECK(wrong_path.status == 404);
  CHECK(error_code(wrong_path) == "not_found");

  // Default --max-body is 1 MiB: one byte more is refused.
  const std::string big(1024 * 1024 + 1, 'x');
  const auto too_big = raw_exchange(port, http_request("POST", k_webhook_path, {{"Contiguity-Signature", sign_now(big)}}, big));
  CHECK(too_big.status == 413);
  CHECK(error_code(too_big) == "body_too_large");

  const auto unsigned_answer = raw_exchange(port, http_request("POST", k_webhook_path, {}, event.body));
  CHECK(unsigned_answer.status == 401);
  CHECK(error_code(unsigned_answer) == "header_missing");

  const auto forged = raw_exchange(
      port, http_request("POST", k_webhook_path, {{"Contiguity-Signature", sign_now(event.body, "whsec_wrong")}},
                         event.body));
  CHECK(forged.status == 401);
  const auto forged_json = forged.json();
  REQUIRE(forged_json.is_object());
  CHECK(forged_json["received"] == false);
  CHECK(forged_json["error"] == "signature_mismatch");
  CHECK(!forged_json["message"].get<std::string>().empty());

  const std::string not_json = "{\"id\": \"evt_x\", ";
  const auto invalid = raw_exchange(
      port, http_request("POST", k_webhook_path, {{"Contiguity-Signature", sign_now(not_json)}}, not_json));
  CHECK(invalid.status == 400);
  CHECK(error_code(invalid) == "invalid_event");
  CHECK(!invalid.json()["message"].get<std::string>().empty());

  const std::string not_envelope = R"({"hello":"world"})";
  const auto no_envelope = raw_exchange(
      port, http_request("POST", k_webhook_path, {{"Contiguity-Signature", sign_now(not_envelope)}}, not_envelope));
  CHECK(no_envelope.status == 400);
  CHECK(error_code(no_envelope) == "invalid_event");

  const auto accepted = deliver(port, event);
  CHECK(accepted.status == 200);
  CHECK(accepted.json() == json{{"received", true}, {"id", event.id}});

  // The same event again (a sender's retry, signed afresh): 2xx, marked duplicate.
  auto again = event;
  again.signature = sign_now(event.body);
  const auto duplicate = deliver(port, again);
  CHECK(duplicate.status == 200);
  CHECK(duplicate.json() == json{{"received", true}, {"id", event.id}, {"duplicate", true}});

  CHECK(listener.process().running());
  const auto rows = oldest_first(events_list(listener.store()));
  REQUIRE(rows.size() == 9);
  const std::vector<std::pair<int, std::string>> expected{
      {405, "method_not_allowed"}, {404, "not_found"}, {413, "body_too_large"},
      {401, "header_missing"},     {401, "signature_mismatch"}, {400, "invalid_event"},
      {400, "invalid_event"},      {200, ""},                   {200, ""}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("row " << i << ": " << rows[i].dump());
    CHECK(rows[i]["status"] == expected[i].first);
    if (expected[i].second.empty()) {
      CHECK(rows[i]["rejection"].is_null());
      CHECK(rows[i]["event_id"] == event.id);
    } else {
      CHECK(rows[i]["rejection"].get<std::string>().starts_with(expected[i].second + ": "));
    }
  }
  CHECK(rows[0]["method"] == "GET");
  CHECK(rows[1]["path"] == "/webhooks");
  CHECK(rows[7]["duplicate"] == false);
  CHECK(rows[8]["duplicate"] == true);
  CHECK(rows[7]["verification"] == "valid");
}

TEST_CASE("cli::listen --max-body sets the limit") {
  TempDir dir;
  Listener listener(dir, {.args = {"--max-body", "300"}});
  REQUIRE(listener.ready());
  const auto event = make_event();
  REQUIRE(event.body.size() <= 300);
  CHECK(deliver(listener.port(), event).status == 200);
  const std::string body(301, ' ');
  const auto answer = raw_exchange(listener.port(), http_request("POST", k_webhook_path,
                                                                 {{"Contiguity-Signature", sign_now(body)}}, body));
  CHECK(answer.status == 413);
  CHECK(answer.json()["message"].get<std::string>().find("300") != std::string::npos);
}

TEST_CASE("cli::listen keeps a keep-alive connection in step after rejecting a request with a body") {
  // A sender reuses its connection: the body of a refused request must not be read as the next
  // request (which would then be lost, and a bogus malformed request journaled).
  TempDir dir;
  Listener listener(dir, {.args = {"--max-body", "1000"}});
  REQUIRE(listener.ready());
  Connection connection(listener.port());
  REQUIRE(connection.ok());
  const auto event = make_event();

  REQUIRE(connection.send(http_request("POST", "/elsewhere", {{"Content-Type", "application/json"}}, event.body)));
  CHECK(connection.read_answer().status == 404);
  REQUIRE(connection.send(http_request("PUT", k_webhook_path, {{"Content-Type", "application/json"}}, event.body)));
  const auto put = connection.read_answer();
  CHECK(put.status == 405);
  CHECK(put.header("Allow") == "POST");
  const std::string big(5000, '{');
  REQUIRE(connection.send(http_request("POST", k_webhook_path, {{"Contiguity-Signature", sign_now(big)}}, big)));
  CHECK(connection.read_answer().status == 413);
  std::string chunked_big = "POST /contiguity/webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) chunked_big += "3e8\r\n" + std::string(1000, 'a') + "\r\n";
  chunked_big += "0\r\n\r\n";
  REQUIRE(connection.send(chunked_big));
  CHECK(connection.read_answer().status == 413);

  REQUIRE(connection.send(delivery_request(event)));
  const auto ok = connection.read_answer();
  CHECK(ok.status == 200);
  CHECK(ok.json()["id"] == event.id);

  const auto rows = oldest_first(events_list(listener.store()));
  REQUIRE(rows.size() == 5);
  CHECK(rows[0]["status"] == 404);
  CHECK(rows[1]["status"] == 405);
  CHECK(rows[2]["status"] == 413);
  CHECK(rows[3]["status"] == 413);
  CHECK(rows[4]["status"] == 200);
  for (const auto& row : rows) CHECK(row["rejection"].dump().find("malformed_request") == std::string::npos);
}

TEST_CASE("cli::listen survives hostile input and still accepts a normal delivery") {
  TempDir dir;
  // --json: the display must cope with whatever the request carried (invalid UTF-8 included).
  Listener listener(dir, {.args = {"--json", "--print-body"}});
  REQUIRE(listener.ready());
  const int port = listener.port();
  const auto signed_post = [&](const std::string& body, const Headers& extra = {},
                               std::string_view version = "HTTP/1.1") {
    Headers headers{{"Contiguity-Signature", sign_now(body)}};
    headers.insert(headers.end(), extra.begin(), extra.end());
    return http_request("POST", k_webhook_path, headers, body, version);
  };
  std::size_t expected_rows = 0;

  {
    // Invalid JSON, signed so that the JSON stage is reached.
    const auto a = raw_exchange(port, signed_post("{\"id\":\"evt_1\",\"type\":"));
    CHECK(a.status == 400);
    ++expected_rows;

    // Empty body.
    const auto empty = raw_exchange(port, signed_post(""));
    CHECK(empty.status == 400);
    CHECK(error_code(empty) == "invalid_event");
    ++expected_rows;

    // A POST with neither Content-Length nor Transfer-Encoding has an empty body (RFC 9112 6.3):
    // it is answered at once, not after the read timeout.
    const auto unframed = raw_exchange(port, "POST /contiguity/webhook HTTP/1.1\r\nHost: x\r\n\r\n", 4000);
    CHECK(unframed.status >= 400);
    CHECK(unframed.status < 500);
    CHECK(unframed.elapsed.count() < 2000);
    ++expected_rows;

    // 100,000-deep nesting, arrays and objects.
    const std::string deep_array = std::string(100000, '[') + std::string(100000, ']');
    CHECK(raw_exchange(port, signed_post(deep_array)).status == 400);
    std::string deep_object;
    for (int i = 0; i < 100000; ++i) deep_object += "{\"a\":";
    deep_object += "1" + std::string(100000, '}');
    CHECK(raw_exchange(port, signed_post(deep_object)).status == 400);
    // ... and unsigned (rejected before parsing).
    CHECK(raw_exchange(port, http_request("POST", k_webhook_path, {}, deep_array)).status == 401);
    expected_rows += 3;

    // Invalid UTF-8: in the body, in the path, in a header value, in the signature header.
    const std::string bad_utf8_body = "{\"id\":\"evt_\xff\xfe\",\"type\":\"text.incoming.sms\",\"data\":{}}";
    CHECK(raw_exchange(port, signed_post(bad_utf8_body)).status == 400);
    const auto bad_path = raw_exchange(port, http_request("POST", "/contiguity/\xff\xfe", {}, "{}"));
    CHECK(bad_path.status == 404);
    CHECK(error_code(bad_path) == "not_found");
    const auto bad_header = raw_exchange(
        port, http_request("POST", k_webhook_path, {{"Contiguity-Signature", "t=\xff\xfe,v1=00"}}, "{}"));
    CHECK(bad_header.status == 401);
    CHECK(error_code(bad_header) == "header_malformed");
    const auto good = make_event();
    const auto odd_header = raw_exchange(
        port, http_request("POST", k_webhook_path,
                           {{"Contiguity-Signature", good.signature}, {"X-Odd", "caf\xe9 \xc3\x28"}}, good.body));
    CHECK(odd_header.status == 200);
    expected_rows += 4;

    // Chunked transfer encoding: a valid signed event, and malformed chunks.
    const auto chunked_event = make_event();
    std::string chunked = "POST /contiguity/webhook HTTP/1.1\r\nHost: x\r\nContiguity-Signature: " +
                          chunked_event.signature + "\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::size_t half = chunked_event.body.size() / 2;
    chunked += fmt_hex(half) + "\r\n" + chunked_event.body.substr(0, half) + "\r\n";
    chunked += fmt_hex(chunked_event.body.size() - half) + "\r\n" + chunked_event.body.substr(half) + "\r\n0\r\n\r\n";
    const auto chunked_answer = raw_exchange(port, chunked);
    CHECK(chunked_answer.status == 200);
    CHECK(chunked_answer.json()["id"] == chunked_event.id);
    const auto bad_chunks = raw_exchange(
        port, "POST /contiguity/webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
    CHECK(bad_chunks.status == 400);
    expected_rows += 2;

    // HTTP/1.0.
    const auto old_event = make_event();
    const auto http10 = raw_exchange(port, http_request("POST", k_webhook_path,
                                                        {{"Contiguity-Signature", old_event.signature}},
                                                        old_event.body, "HTTP/1.0"));
    CHECK(http10.status == 200);
    CHECK(http10.json()["id"] == old_event.id);
    ++expected_rows;

    // Oversize headers: one 100 KB header line; a 20 KB request target; 5,000 headers.
    const auto long_header = raw_exchange(port, signed_post(make_event().body, {{"X-Big", std::string(100000, 'a')}}));
    CHECK(long_header.status >= 400);
    CHECK(long_header.status < 500);
    const auto long_uri = raw_exchange(port, http_request("POST", "/" + std::string(20000, 'a'), {}, ""));
    CHECK(long_uri.status == 414);
    Headers many;
    for (int i = 0; i < 5000; ++i) many.emplace_back("X-H" + std::to_string(i), std::string(40, 'v'));
    const auto many_answer = raw_exchange(port, signed_post(make_event().body, many));
    CHECK(many_answer.status != 0);
    expected_rows += 3;

    // Truncated body: fewer bytes than Content-Length, then the client stops sending.
    {
      Connection connection(port);
      REQUIRE(connection.ok());
      connection.send("POST /contiguity/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"id\":\"evt_");
      connection.shutdown_write();
      connection.read_answer(3000);
    }
    ++expected_rows;

    // Not HTTP at all; a connection that sends nothing.
    {
      Connection tls_hello(port);
      tls_hello.send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + std::string(200, '\0'));
      Connection silent(port);
      Connection garbage(port);
      garbage.send("\r\n\r\nGARBAGE / HTTP/9.9\r\n\r\n");
      CHECK(garbage.read_answer(3000).status == 505);  // well-formed, but HTTP/9.9 (RFC 9110, 15.6.6)
      ++expected_rows;
    }
    ++expected_rows;  // the TLS hello, journaled as a malformed request once its connection closed
  }

  // After all of it: a normal signed delivery is acknowledged, and the process still runs.
  const auto event = make_event();
  const auto answer = deliver(port, event);
  CHECK(answer.status == 200);
  CHECK(answer.json()["id"] == event.id);
  ++expected_rows;
  CHECK(listener.process().running());

  // Every request is in the journal, which `ctg events` can still read, and the display kept up.
  CHECK(wait_until([&] { return events_list(listener.store()).size() >= expected_rows; }, 8000));
  const auto rows = events_list(listener.store());
  CHECK(rows.size() == expected_rows);
  for (const auto& row : rows) {
    const auto shown = run_ctg({"events", "show", std::to_string(row["id"].get<int>()), "--store", listener.store()});
    INFO("events show " << row["id"] << ": " << shown.err);
    CHECK(shown.exit_code == 0);
    const auto shown_json =
        run_ctg({"events", "show", std::to_string(row["id"].get<int>()), "--json", "--store", listener.store()});
    CHECK(shown_json.exit_code == 0);
  }
  CHECK(wait_until([&] {
    int deliveries = 0;
    for (const auto& line : listener.json_lines()) deliveries += line["event"] == "delivery" ? 1 : 0;
    return deliveries == static_cast<int>(expected_rows);
  }, 8000));
  CHECK(listener.process().running());
  CHECK(listener.stop(SIGTERM) == 130);
}

// The bound asserted below; the measured worst case is printed (MESSAGE) on every run.
TEST_CASE("cli::listen acknowledges a normal delivery in under 1000 ms while 50 clients trickle their headers") {
  constexpr int k_slow_clients = 50;
  constexpr std::int64_t k_bound_ms = 1000;
  TempDir dir;
  Listener listener(dir);
  REQUIRE(listener.ready());
  const int port = listener.port();

  std::vector<std::unique_ptr<Connection>> slow;
  for (int i = 0; i < k_slow_clients; ++i) {
    slow.push_back(std::make_unique<Connection>(port));
    REQUIRE(slow.back()->ok());
  }
  // Headers that never end: one byte per connection every 20 ms.
  const std::string prefix = "POST /contiguity/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> sent{0};
  std::thread trickler([&] {
    for (std::size_t i = 0; !stop; ++i) {
      const char byte = i < prefix.size() ? prefix[i] : 'a';
      for (auto& connection : slow) connection->send(std::string_view(&byte, 1));
      ++sent;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  REQUIRE(wait_until([&] { return sent >= 10; }, 5000));

  std::int64_t worst = 0;
  std::int64_t total = 0;
  constexpr int k_deliveries = 10;
  for (int i = 0; i < k_deliveries; ++i) {
    const auto event = make_event();
    const auto start = std::chrono::steady_clock::now();
    const auto answer = deliver(port, event, 5000);  // connect, send, read the answer
    const auto elapsed = ms_since(start);
    CHECK(answer.status == 200);
    worst = std::max(worst, elapsed);
    total += elapsed;
  }
  stop = true;
  trickler.join();
  MESSAGE("slow-header test: " << k_slow_clients << " trickling clients; normal delivery acknowledged in "
                               << total / k_deliveries << " ms on average, " << worst << " ms at worst (bound "
                               << k_bound_ms << " ms)");
  CHECK(worst < k_bound_ms);
  CHECK(listener.process().running());
}

// Bursts of up to 100 connections that send nothing: each connection is accepted at once (no SYN
// dropped by a full accept queue), and a normal client is not queued behind them.
TEST_CASE("cli::listen accepts a burst of 100 connections and answers the next delivery, each in under 1000 ms") {
  constexpr std::int64_t k_bound_ms = 1000;
  TempDir dir;
  Listener listener(dir);
  REQUIRE(listener.ready());
  std::int64_t worst_burst = 0;
  std::int64_t worst_answer = 0;
  for (int round = 1; round <= 5; ++round) {
    std::vector<std::unique_ptr<Connection>> idle;
    const auto burst_start = std::chrono::steady_clock::now();
    for (int i = 0; i < 20 * round; ++i) {
      idle.push_back(std::make_unique<Connection>(listener.port()));
      REQUIRE(idle.back()->ok());
    }
    worst_burst = std::max(worst_burst, ms_since(burst_start));
    const auto start = std::chrono::steady_clock::now();
    const auto answer = deliver(listener.port(), make_event(), 8000);
    worst_answer = std::max(worst_answer, ms_since(start));
    CHECK(answer.status == 200);
  }
  MESSAGE("burst test: connections accepted in " << worst_burst << " ms, delivery answered in " << worst_answer
                                                 << " ms at worst (bound " << k_bound_ms << " ms each)");
  CHECK(worst_burst < k_bound_ms);
  CHECK(worst_answer < k_bound_ms);
}

TEST_CASE("cli::listen loses no acknowledged delivery when killed with SIGKILL under concurrent load") {
  // With one event loop, and with two committing their rounds side by side.
  for (const char* threads : {"1", "2"}) {
  CAPTURE(threads);
  TempDir dir;
  std::vector<std::string> acknowledged;
  std::string store;
  {
    Listener listener(dir, {.args = {"--threads", threads}});
    REQUIRE(listener.ready());
    store = listener.store();
    Load load(listener.port(), 8);
    CHECK(wait_until([&] { return load.answered >= 300; }, 15000));
    listener.process().signal(SIGKILL);
    CHECK(listener.process().wait() == 128 + SIGKILL);
    load.join();
    acknowledged = load.acknowledged;
  }
  REQUIRE(acknowledged.size() >= 300);
  Listener restarted(dir);
  REQUIRE(restarted.ready());
  require_all_journaled(acknowledged, store);
  CHECK(deliver(restarted.port(), make_event()).status == 200);
  }
}

TEST_CASE("cli::listen on a busy port exits 3 with \"address already in use\"") {
  TempDir dir;
  Listener first(dir);
  REQUIRE(first.ready());
  auto second = start_ctg({"listen", "--port", std::to_string(first.port()), "--store", dir.path() + "/second.db"},
                          listen_env(dir));
  CHECK(second->wait(10000) == 3);
  CHECK(second->err().find("address already in use") != std::string::npos);
  CHECK(first.process().running());
}

TEST_CASE("cli::listen --port 0 picks a free port, says which, and writes the ready file") {
  TempDir dir;
  Listener listener(dir);
  REQUIRE(listener.ready());
  CHECK(listener.port() > 0);
  CHECK(listener.url() == "http://127.0.0.1:" + std::to_string(listener.port()) + "/contiguity/webhook");
  CHECK(read_file(listener.ready_file()) == listener.url() + "\n");
  CHECK(wait_until([&] { return listener.process().err().find("listening on " + listener.url()) != std::string::npos; },
                   5000));
  CHECK(listener.process().err().find("journal: " + listener.store()) != std::string::npos);
  CHECK(deliver(listener.port(), make_event()).status == 200);
}

TEST_CASE("cli::listen --json writes a ready record, then one delivery line per request") {
  TempDir dir;
  Listener listener(dir, {.args = {"--json"}});
  REQUIRE(listener.ready());
  const auto event = make_event("otp.reverse.verified");
  CHECK(deliver(listener.port(), event).status == 200);
  CHECK(raw_exchange(listener.port(), http_request("POST", k_webhook_path, {}, event.body)).status == 401);
  REQUIRE(wait_until([&] { return listener.json_lines().size() >= 3; }, 5000));
  CHECK(listener.stop(SIGTERM) == 130);

  // Every stdout line is one JSON object.
  std::istringstream out(listener.process().out());
  std::string line;
  std::vector<json> lines;
  while (std::getline(out, line)) {
    const auto parsed = json::parse(line, nullptr, false);
    INFO(line);
    REQUIRE(parsed.is_object());
    lines.push_back(parsed);
  }
  REQUIRE(lines.size() == 4);
  CHECK(lines[0]["event"] == "ready");
  CHECK(lines[0]["url"] == listener.url());
  CHECK(lines[0]["verifying"] == true);
  CHECK(lines[0]["store"] == listener.store());
  CHECK(lines[0]["targets"] == json::array());

  const auto& accepted = lines[1];
  CHECK(accepted["event"] == "delivery");
  CHECK(accepted["id"] == 1);
  CHECK(accepted["status"] == 200);
  CHECK(accepted["type"] == "otp.reverse.verified");
  CHECK(accepted["event_id"] == event.id);
  CHECK(accepted["verification"] == "valid");
  CHECK(accepted["duplicate"] == false);
  CHECK(accepted["rejection"].is_null());
  CHECK(accepted["method"] == "POST");
  CHECK(accepted["path"] == "/contiguity/webhook");
  CHECK(accepted["forwarded_to"] == json::array());
  CHECK(accepted["received_at"].get<std::string>().ends_with("Z"));
  CHECK(accepted["peer"].get<std::string>().starts_with("127.0.0.1:"));

  const auto& rejected = lines[2];
  CHECK(rejected["event"] == "delivery");
  CHECK(rejected["id"] == 2);
  CHECK(rejected["status"] == 401);
  CHECK(rejected["type"].is_null());
  CHECK(rejected["rejection"].get<std::string>().starts_with("header_missing: "));

  CHECK(lines[3]["event"] == "stopped");
  CHECK(lines[3]["deliveries"] == 2);
}

TEST_CASE("cli::listen exits 130 on SIGTERM or SIGINT after finishing, with every acknowledged delivery journaled") {
  for (const int signo : {SIGTERM, SIGINT}) {
    CAPTURE(signo);
    TempDir dir;
    Listener listener(dir, {.args = {"--threads", signo == SIGINT ? "2" : "1"}});
    REQUIRE(listener.ready());
    Load load(listener.port(), 6);
    CHECK(wait_until([&] { return load.answered >= 150; }, 15000));
    const auto start = std::chrono::steady_clock::now();
    listener.process().signal(signo);
    CHECK(listener.process().wait(15000) == 130);
    const auto stop_ms = ms_since(start);
    load.join();
    MESSAGE("stopped " << stop_ms << " ms after signal " << signo << " with " << load.acknowledged.size()
                       << " deliveries acknowledged");
    CHECK(!load.acknowledged.empty());
    require_all_journaled(load.acknowledged, listener.store());
  }
}

TEST_CASE("cli::listen exits 130 within 4000 ms of SIGTERM while clients trickle their headers") {
  constexpr std::int64_t k_bound_ms = 4000;  // the listener gives connections 2 s to finish
  TempDir dir;
  Listener listener(dir);
  REQUIRE(listener.ready());
  std::vector<std::unique_ptr<Connection>> slow;
  for (int i = 0; i < 5; ++i) slow.push_back(std::make_unique<Connection>(listener.port()));
  Connection idle(listener.port());  // a keep-alive connection with nothing more to say
  REQUIRE(idle.send(delivery_request(make_event())));
  REQUIRE(idle.read_answer().status == 200);
  std::atomic<bool> stop{false};
  std::thread trickler([&] {
    const std::string prefix = "POST /contiguity/webhook HTTP/1.1\r\nX-Slow: ";
    for (std::size_t i = 0; !stop; ++i) {
      const char byte = i < prefix.size() ? prefix[i] : 'a';
      for (auto& connection : slow) connection->send(std::string_view(&byte, 1));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  listener.process().signal(SIGTERM);
  const int code = listener.process().wait(15000);
  const auto elapsed = ms_since(start);
  stop = true;
  trickler.join();
  MESSAGE("exited " << elapsed << " ms after SIGTERM with 5 clients trickling");
  CHECK(code == 130);
  CHECK(elapsed < k_bound_ms);
  CHECK(events_list(listener.store()).size() >= 1);
}

TEST_CASE("cli::listen can be restarted on the same port right after a load (SO_REUSEADDR)") {
  TempDir dir;
  int port = 0;
  {
    Listener first(dir);
    REQUIRE(first.ready());
    port = first.port();
    // Connection: close makes the server close first, leaving its side in TIME_WAIT.
    for (int i = 0; i < 100; ++i) {
      const auto answer = raw_exchange(port, delivery_request(make_event(), k_webhook_path, true));
      REQUIRE(answer.status == 200);
    }
    CHECK(first.stop(SIGTERM) == 130);
  }
  Listener second(dir, {.port = port});
  REQUIRE(second.ready());
  CHECK(second.port() == port);
  CHECK(deliver(port, make_event()).status == 200);
  CHECK(events_list(second.store()).size() == 101);
}

TEST_CASE("cli::listen --tls generates a self-signed certificate that a client trusting it can use") {
  TempDir dir;
  const std::string cert = dir.path() + "/state/ctg/tls/cert.pem";
  std::string fingerprint;
  {
    Listener listener(dir, {.args = {"--tls", "--json"}});
    REQUIRE(listener.ready());
    CHECK(listener.url().starts_with("https://127.0.0.1:"));
    REQUIRE(std::filesystem::exists(cert));
    CHECK(std::filesystem::exists(dir.path() + "/state/ctg/tls/key.pem"));
    const auto expected = ctg::tls::fingerprint_sha256(read_file(cert));
    REQUIRE(expected.has_value());
    fingerprint = *expected;

    REQUIRE(wait_until([&] { return !listener.json_lines().empty(); }, 5000));
    const auto ready = listener.json_lines().front();
    CHECK(ready["event"] == "ready");
    CHECK(ready["tls"]["fingerprint_sha256"] == fingerprint);
    CHECK(ready["tls"]["certificate"] == cert);
    CHECK(ready["tls"]["generated"] == true);

    const auto url = ctg::net::parse_url(listener.url());
    REQUIRE(url.has_value());
    const auto event = make_event();
    auto trusting = ctg::net::Client::create(*url, {.ca_file = cert});
    REQUIRE(trusting.has_value());
    const auto answer =
        (*trusting)->send("POST", url->target, {{"Contiguity-Signature", event.signature}}, event.body);
    REQUIRE(answer.has_value());
    CHECK(answer->status == 200);
    CHECK(json::parse(answer->body) == json{{"received", true}, {"id", event.id}});

    // A client that does not trust it is refused in the handshake, and the listener carries on.
    auto distrusting = ctg::net::Client::create(*url, {});
    REQUIRE(distrusting.has_value());
    const auto refused = (*distrusting)->send("POST", url->target, {}, event.body);
    REQUIRE(!refused.has_value());
    CHECK(refused.error().kind == ctg::net::FailureKind::tls);
    // Plain HTTP to the TLS port is no request at all.
    raw_exchange(listener.port(), delivery_request(make_event()), 2000);
    CHECK(listener.process().running());
    const auto again = make_event();
    const auto second =
        (*trusting)->send("POST", url->target, {{"Contiguity-Signature", again.signature}}, again.body);
    REQUIRE(second.has_value());
    CHECK(second->status == 200);
    CHECK(listener.stop(SIGTERM) == 130);
  }
  // The next start reuses the certificate.
  Listener listener(dir, {.args = {"--tls", "--json"}});
  REQUIRE(listener.ready());
  REQUIRE(wait_until([&] { return !listener.json_lines().empty(); }, 5000));
  CHECK(listener.json_lines().front()["tls"]["generated"] == false);
  CHECK(listener.json_lines().front()["tls"]["fingerprint_sha256"] == fingerprint);
}
