#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ctg/listen/forwarder.hpp"
#include "ctg/store/journal.hpp"

using namespace ctg;
using namespace std::chrono_literals;

namespace {

constexpr listen::RetryPolicy k_fast_retry{.max_attempts = 1000, .base_delay = 10ms, .max_delay = 50ms};
constexpr auto k_patience = 4s;  // upper bound on any wait; the tests normally take milliseconds

// Polls `done` until it holds or `k_patience` has passed; returns its last value.
bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + k_patience;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// A loopback port that nobody listens on (bound, read, closed).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ctg-forwarder-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

struct Received {
  std::string path;
  std::string delivery_id;
  std::string body;
  httplib::Headers headers;
};

// A loopback HTTP server that records every request and answers through `answer` (200 by default).
class TestServer {
 public:
  using Answer = std::function<void(const httplib::Request&, httplib::Response&, int request_number)>;

  explicit TestServer(Answer answer = {}) : m_answer(std::move(answer)) {
    m_server.set_keep_alive_timeout(1);  // stop() waits for idle keep-alive connections this long
    m_server.Post(".*", [this](const httplib::Request& request, httplib::Response& response) {
      int number = 0;
      {
        std::lock_guard lock(m_mutex);
        m_requests.push_back({request.path, request.get_header_value("X-Ctg-Delivery-Id"), request.body,
                              request.headers});
        number = static_cast<int>(m_requests.size());
      }
      response.set_content("{\"ok\":true}", "application/json");
      if (m_answer) m_answer(request, response, number);
    });
  }
  ~TestServer() { stop(); }

  // Listens on `port` (0: any free port) and returns the port.
  int start(int port = 0) {
    if (port == 0) {
      port = m_server.bind_to_any_port("127.0.0.1");
    } else {
      REQUIRE(m_server.bind_to_port("127.0.0.1", port));
    }
    REQUIRE(port > 0);
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    return port;
  }
  void stop() {
    if (!m_thread.joinable()) return;
    eventually([&] { return m_server.is_running(); });  // stop() before listening would not stop it
    m_server.stop();
    m_thread.join();
  }

  std::vector<Received> requests() const {
    std::lock_guard lock(m_mutex);
    return m_requests;
  }
  // The delivery ids of the requests answered 2xx, in arrival order.
  std::vector<std::string> delivered_ids(const std::function<bool(int)>& succeeded) const {
    std::vector<std::string> ids;
    auto all = requests();
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (succeeded(static_cast<int>(i) + 1)) ids.push_back(all[i].delivery_id);
    }
    return ids;
  }

 private:
  httplib::Server m_server;
  std::thread m_thread;
  Answer m_answer;
  mutable std::mutex m_mutex;
  std::vector<Received> m_requests;
};

class RecordingObserver final : public listen::ForwardObserver {
 public:
  struct Seen {
    std::int64_t delivery_id = 0;
    std::string target;
    store::Attempt attempt;
    store::ForwardState state = store::ForwardState::pending;
  };

  void on_attempt(const store::Delivery& delivery, const store::Forward& forward, const store::Attempt& attempt,
                  store::ForwardState final_state) override {
    std::lock_guard lock(m_mutex);
    m_attempts.push_back({delivery.id, forward.target, attempt, final_state});
  }
  void on_target_down(const std::string& target, const std::string& error, std::int64_t waiting) override {
    std::lock_guard lock(m_mutex);
    m_downs.push_back(target + " | " + error + " | " + std::to_string(waiting));
  }
  void on_target_up(const std::string& target, std::int64_t waiting) override {
    std::lock_guard lock(m_mutex);
    m_ups.push_back(target + " | " + std::to_string(waiting));
  }

  std::vector<Seen> attempts() const {
    std::lock_guard lock(m_mutex);
    return m_attempts;
  }
  std::vector<std::string> downs() const {
    std::lock_guard lock(m_mutex);
    return m_downs;
  }
  std::vector<std::string> ups() const {
    std::lock_guard lock(m_mutex);
    return m_ups;
  }

 private:
  mutable std::mutex m_mutex;
  std::vector<Seen> m_attempts;
  std::vector<std::string> m_downs;
  std::vector<std::string> m_ups;
};

std::unique_ptr<store::Journal> open_journal(const TempDir& dir) {
  auto journal = store::Journal::open((dir.path / "events.db").string());
  REQUIRE(journal.has_value());
  return std::move(*journal);
}

// Journals one accepted delivery queued for `targets`; returns its id.
std::int64_t append(store::Journal& journal, const std::vector<std::string>& targets, std::string body,
                    store::Headers headers = {{"Content-Type", "application/json"}}) {
  static std::atomic<int> counter{0};
  store::Delivery delivery;
  delivery.received_at_ms = 1;
  delivery.peer = "127.0.0.1:1";
  delivery.method = "POST";
  delivery.path = "/contiguity/webhook";
  delivery.headers = std::move(headers);
  delivery.body = std::move(body);
  delivery.verification = "valid";
  delivery.event_id = "evt_forwarder_" + std::to_string(++counter);
  delivery.event_type = "text.incoming.sms";
  delivery.status = 200;
  auto appended = journal.append(delivery, targets);
  REQUIRE(appended.has_value());
  return appended->id;
}

store::Forward forward_of(const store::Journal& journal, std::int64_t delivery_id, const std::string& target) {
  auto forwards = journal.forwards_of(delivery_id);
  REQUIRE(forwards.has_value());
  for (const auto& forward : *forwards) {
    if (forward.target == target) return forward;
  }
  FAIL("no forward of delivery " << delivery_id << " to " << target);
  return {};
}

std::unique_ptr<listen::Forwarder> make_forwarder(store::Journal& journal, std::vector<listen::ForwardTarget> targets,
                                                  listen::ForwardObserver& observer,
                                                  listen::RetryPolicy retry = k_fast_retry) {
  listen::ForwarderOptions options;
  options.targets = std::move(targets);
  options.retry = retry;
  options.client.connect_timeout = 1000ms;
  options.client.timeout = 2000ms;
  auto forwarder = listen::Forwarder::create(journal, std::move(options), observer);
  REQUIRE(forwarder.has_value());
  return std::move(*forwarder);
}

std::string url_of(int port, std::string_view path = "/hook") {
  return "http://127.0.0.1:" + std::to_string(port) + std::string(path);
}

std::vector<std::string> ids_text(const std::vector<std::int64_t>& ids) {
  std::vector<std::string> out;
  for (auto id : ids) out.push_back(std::to_string(id));
  return out;
}

}  // namespace

TEST_CASE("listen::forwarder retry_delay") {
  const listen::RetryPolicy policy{.max_attempts = 8, .base_delay = 500ms, .max_delay = 60000ms};
  SUBCASE("full jitter: uniform in [0, base * 2^(attempt-1)]") {
    CHECK(listen::retry_delay(policy, 1, std::nullopt, 0.0) == 0ms);
    CHECK(listen::retry_delay(policy, 1, std::nullopt, 0.5) == 250ms);
    CHECK(listen::retry_delay(policy, 1, std::nullopt, 0.999999) == 500ms);
    CHECK(listen::retry_delay(policy, 2, std::nullopt, 0.999999) == 1000ms);
    CHECK(listen::retry_delay(policy, 4, std::nullopt, 0.999999) == 4000ms);
    for (int attempt = 1; attempt <= 40; ++attempt) {
      for (double r : {0.0, 0.25, 0.5, 0.75, 0.9999999}) {
        const auto delay = listen::retry_delay(policy, attempt, std::nullopt, r);
        CHECK(delay >= 0ms);
        CHECK(delay <= 60000ms);
        CHECK(delay <= listen::retry_delay(policy, attempt + 1, std::nullopt, r));  // grows with attempt
      }
    }
  }
  SUBCASE("capped at max_delay, even for huge attempt numbers") {
    CHECK(listen::retry_delay(policy, 8, std::nullopt, 0.999999) == 60000ms);
    CHECK(listen::retry_delay(policy, 1000000, std::nullopt, 0.999999) == 60000ms);
    CHECK(listen::retry_delay(policy, 1000000, std::nullopt, 0.5) == 30000ms);
  }
  SUBCASE("Retry-After is used as is, capped at max_delay") {
    CHECK(listen::retry_delay(policy, 1, 7000ms, 0.0) == 7000ms);
    CHECK(listen::retry_delay(policy, 5, 0ms, 0.9) == 0ms);
    CHECK(listen::retry_delay(policy, 1, 3600000ms, 0.3) == 60000ms);
    CHECK(listen::retry_delay(policy, 1, std::chrono::milliseconds::max(), 0.3) == 60000ms);
  }
}

TEST_CASE("listen::forwarder parse_retry_after") {
  constexpr std::int64_t now = 1792567680;  // Wed, 21 Oct 2026 07:28:00 GMT
  CHECK(listen::parse_retry_after("120", now) == 120000ms);
  CHECK(listen::parse_retry_after(" 0 ", now) == 0ms);
  CHECK(listen::parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now - 30) == 30000ms);
  CHECK(listen::parse_retry_after("Wed, 21 Oct 2026 07:29:05 GMT", now) == 65000ms);
  CHECK(listen::parse_retry_after("Wednesday, 21-Oct-26 07:28:10 GMT", now) == 10000ms);  // RFC 850
  CHECK(listen::parse_retry_after("Wed Oct 21 07:28:02 2026", now) == 2000ms);            // asctime
  CHECK(listen::parse_retry_after("Tue, 20 Oct 2026 07:28:00 GMT", now) == 0ms);          // in the past
  CHECK(listen::parse_retry_after("99999999999999999999999", now) == std::chrono::milliseconds::max());
  for (std::string_view garbage : {"", "soon", "-5", "1.5", "12s", "Wed, 32 Oct 2026 07:28:00 GMT",
                                   "Wed, 21 Foo 2026 07:28:00 GMT", "Wed, 21 Oct 2026 25:00:00 GMT",
                                   "Wed, 21 Oct 2026 07:28:00 PST", "Wed, 21 Oct 2026"}) {
    CAPTURE(garbage);
    CHECK_FALSE(listen::parse_retry_after(garbage, now).has_value());
  }
}

TEST_CASE("listen::forwarder is_retryable_status") {
  for (int status : {408, 429, 500, 502, 503, 504, 599}) {
    CAPTURE(status);
    CHECK(listen::is_retryable_status(status));
  }
  for (int status : {200, 204, 301, 302, 307, 400, 401, 403, 404, 405, 409, 410, 413, 422, 600}) {
    CAPTURE(status);
    CHECK_FALSE(listen::is_retryable_status(status));
  }
}

TEST_CASE("listen::forwarder targets_for") {
  const std::vector<listen::ForwardTarget> targets{
      {.url = "http://a/sms", .events = {"text.*"}},
      {.url = "http://b/all", .events = {}},
      {.url = "http://c/mail", .events = {"email.*", "*.mms"}},
  };
  CHECK(listen::targets_for(targets, "text.incoming.sms") == std::vector<std::string>{"http://a/sms", "http://b/all"});
  CHECK(listen::targets_for(targets, "text.incoming.mms") ==
        std::vector<std::string>{"http://a/sms", "http://b/all", "http://c/mail"});
  CHECK(listen::targets_for(targets, "email.incoming") == std::vector<std::string>{"http://b/all", "http://c/mail"});
  CHECK(listen::targets_for(targets, "").empty());
  CHECK(listen::targets_for({}, "text.incoming.sms").empty());
}

TEST_CASE("listen::forwarder create refuses bad and repeated target URLs") {
  TempDir dir;
  auto journal = open_journal(dir);
  RecordingObserver observer;
  listen::ForwarderOptions options;
  options.targets = {{.url = "http://127.0.0.1:9/ok"}, {.url = "ftp://example.com/x"}};
  auto bad = listen::Forwarder::create(*journal, options, observer);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().kind == ErrorKind::usage);
  CHECK(bad.error().message.find("ftp://example.com/x") != std::string::npos);

  options.targets = {{.url = "http://127.0.0.1:9/ok"}, {.url = "http://127.0.0.1:9/ok"}};
  auto twice = listen::Forwarder::create(*journal, options, observer);
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().kind == ErrorKind::usage);
}

TEST_CASE("listen::forwarder delivers in order once a down target comes up, and after it restarts") {
  TempDir dir;
  auto journal = open_journal(dir);
  RecordingObserver observer;
  const int port = free_port();
  const std::string target = url_of(port);
  auto forwarder = make_forwarder(*journal, {{.url = target}}, observer);
  forwarder->start();
  forwarder->start();  // a no-op

  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(append(*journal, {target}, "{\"n\":" + std::to_string(i) + "}"));
    forwarder->notify();
  }
  REQUIRE(eventually([&] { return observer.attempts().size() >= 3; }));  // refused, retried
  CHECK(observer.downs().size() == 1);
  CHECK(observer.downs().front().find(target) == 0);
  CHECK(observer.ups().empty());

  TestServer server;
  server.start(port);
  REQUIRE(eventually([&] { return server.requests().size() >= 5; }));
  REQUIRE(eventually([&] { return journal->pending_count(target).value_or(-1) == 0; }));
  auto got = server.requests();
  REQUIRE(got.size() == 5);  // exactly once each
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].delivery_id == std::to_string(ids[i]));
    CHECK(got[i].body == "{\"n\":" + std::to_string(i) + "}");
  }
  REQUIRE(eventually([&] { return observer.ups().size() == 1; }));  // reported after journaling
  CHECK(observer.downs().size() == 1);
  for (auto id : ids) CHECK(forward_of(*journal, id, target).state == store::ForwardState::delivered);

  // The server goes away with the forwarder's keep-alive connection open, then returns: the same
  // client reconnects.
  server.stop();
  const auto late = append(*journal, {target}, "{\"late\":true}");
  forwarder->notify();
  REQUIRE(eventually([&] { return observer.downs().size() == 2; }));
  TestServer again;
  again.start(port);
  REQUIRE(eventually([&] { return forward_of(*journal, late, target).state == store::ForwardState::delivered; }));
  REQUIRE(again.requests().size() == 1);
  CHECK(again.requests().front().delivery_id == std::to_string(late));
  forwarder->stop();
  CHECK(observer.ups().size() == 2);
  CHECK(observer.downs().size() == 2);
}

TEST_CASE("listen::forwarder forwards the body byte for byte with the original headers") {
  TempDir dir;
  auto journal = open_journal(dir);
  RecordingObserver observer;
  TestServer server;
  const std::string target = url_of(server.start(), "/sms?tenant=1");
  auto forwarder = make_forwarder(
      *journal, {{.url = target, .headers = {{"X-Env", "test"}, {"Authorization", "Bearer abc"}}}}, observer);
  forwarder->start();

  const std::string body = "{ \"type\" :\t\"text.incoming.sms\",\r\n  \"text\": \"h\xC3\xA9llo \xF0\x9F\x91\x8B\"  }\n\n  ";
  const auto id = append(*journal, {target}, body,
                         {{"Host", "127.0.0.1:3000"},
                          {"Content-Type", "application/json; charset=utf-8"},
                          {"Contiguity-Signature", "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"},
                          {"User-Agent", "Contiguity-Webhooks/1.0"}});
  forwarder->notify();
  REQUIRE(eventually([&] { return !server.requests().empty(); }));
  forwarder->stop();

  const auto got = server.requests();
  REQUIRE(got.size() == 1);
  const auto header = [&](const std::string& name) {
    auto it = got[0].headers.find(name);
    return it == got[0].headers.end() ? std::string("<absent>") : it->second;
  };
  CHECK(got[0].path == "/sms");
  CHECK(got[0].body == body);
  CHECK(header("Contiguity-Signature") ==
        "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd");
  CHECK(header("Content-Type") == "application/json; charset=utf-8");
  CHECK(header("X-Ctg-Delivery-Id") == std::to_string(id));
  CHECK(header("X-Env") == "test");
  CHECK(header("Authorization") == "Bearer abc");
  CHECK(got[0].headers.count("Contiguity-Signature") == 1);
  CHECK(header("User-Agent") != "Contiguity-Webhooks/1.0");  // only the signature and type are carried over

  const auto forward = forward_of(*journal, id, target);
  CHECK(forward.state == store::ForwardState::delivered);
  const auto attempts = journal->attempts_of(forward.id);
  REQUIRE(attempts.has_value());
  REQUIRE(attempts->size() == 1);
  CHECK(attempts->front().number == 1);
  CHECK(attempts->front().status == 200);
  CHECK(attempts->front().error.empty());
  CHECK(attempts->front().response_excerpt == "{\"ok\":true}");
  CHECK(attempts->front().next_attempt_at_ms == 0);
  REQUIRE(observer.attempts().size() == 1);
  CHECK(observer.attempts().front().state == store::ForwardState::delivered);
  CHECK(observer.downs().empty());
  CHECK(observer.ups().empty());
}

TEST_CASE("listen::forwarder classifies answers: retry, dead letter, fail at once") {
  TempDir dir;
  auto journal = open_journal(dir);
  RecordingObserver observer;
  std::atomic<int> throttled{0};
  TestServer server([&throttled](const httplib::Request& request, httplib::Response& response, int) {
    if (request.path == "/500") {
      response.status = 500;
      response.set_content(std::string(300, 'x'), "text/plain");
    } else if (request.path == "/400") {
      response.status = 400;
      response.set_content("{\"error\":\"bad\"}", "application/json");
    } else if (request.path == "/302") {
      response.status = 302;
      response.set_header("Location", "https://elsewhere.example/hook");
    } else if (request.path == "/429") {
      if (throttled++ == 0) {
        response.status = 429;
        response.set_header("Retry-After", "0");
      }
    }
  });
  const int port = server.start();
  const std::string t500 = url_of(port, "/500"), t400 = url_of(port, "/400"), t302 = url_of(port, "/302"),
                    t429 = url_of(port, "/429");
  const listen::RetryPolicy retry{.max_attempts = 3, .base_delay = 10ms, .max_delay = 50ms};
  auto forwarder =
      make_forwarder(*journal, {{.url = t500}, {.url = t400}, {.url = t302}, {.url = t429}}, observer, retry);
  const auto id = append(*journal, {t500, t400, t302, t429}, "{}");
  forwarder->start();
  REQUIRE(eventually([&] {
    auto forwards = journal->forwards_of(id);
    return forwards && std::ranges::none_of(*forwards, [](const store::Forward& f) {
             return f.state == store::ForwardState::pending;
           });
  }));
  forwarder->stop();

  {  // 500 always: dead after max_attempts
    const auto forward = forward_of(*journal, id, t500);
    CHECK(forward.state == store::ForwardState::dead);
    CHECK(forward.attempts == 3);
    CHECK(forward.last_status == 500);
    const auto attempts = journal->attempts_of(forward.id);
    REQUIRE(attempts.has_value());
    REQUIRE(attempts->size() == 3);
    for (int i = 0; i < 3; ++i) {
      const auto& attempt = (*attempts)[static_cast<std::size_t>(i)];
      CHECK(attempt.number == i + 1);
      CHECK(attempt.status == 500);
      CHECK(attempt.error == "HTTP 500");
      CHECK(attempt.response_excerpt == std::string(200, 'x'));
      CHECK((attempt.next_attempt_at_ms != 0) == (i < 2));
    }
    const auto seen = observer.attempts();
    CHECK(std::ranges::count_if(seen, [&](const auto& s) { return s.target == t500; }) == 3);
    CHECK(std::ranges::count_if(seen, [&](const auto& s) {
            return s.target == t500 && s.state == store::ForwardState::dead;
          }) == 1);
    const auto downs = observer.downs();
    REQUIRE(downs.size() == 1);  // once, not per attempt
    CHECK(downs.front().find(t500 + " | HTTP 500") == 0);
  }
  {  // 400: failed after one attempt
    const auto forward = forward_of(*journal, id, t400);
    CHECK(forward.state == store::ForwardState::failed);
    CHECK(forward.attempts == 1);
    const auto attempts = journal->attempts_of(forward.id);
    REQUIRE(attempts.has_value());
    REQUIRE(attempts->size() == 1);
    CHECK(attempts->front().error == "HTTP 400");
    CHECK(attempts->front().response_excerpt == "{\"error\":\"bad\"}");
    CHECK(attempts->front().next_attempt_at_ms == 0);
  }
  {  // 302: failed, naming the Location, not followed
    const auto forward = forward_of(*journal, id, t302);
    CHECK(forward.state == store::ForwardState::failed);
    CHECK(forward.attempts == 1);
    CHECK(forward.last_status == 302);
    CHECK(forward.last_error == "redirected to https://elsewhere.example/hook (redirects are not followed)");
  }
  {  // 429 with Retry-After: 0 is retried
    const auto forward = forward_of(*journal, id, t429);
    CHECK(forward.state == store::ForwardState::delivered);
    CHECK(forward.attempts == 2);
    const auto attempts = journal->attempts_of(forward.id);
    REQUIRE(attempts.has_value());
    REQUIRE(attempts->size() == 2);
    CHECK(attempts->front().status == 429);
    CHECK(attempts->front().next_attempt_at_ms != 0);
    CHECK(attempts->front().next_attempt_at_ms - attempts->front().started_at_ms < 1000);
    CHECK(attempts->back().status == 200);
  }
}

TEST_CASE("listen::forwarder keeps the order through retries, without duplicates") {
  TempDir dir;
  auto journal = open_journal(dir);
  RecordingObserver observer;
  constexpr int k_failures = 4;
  TestServer server([](const httplib::Request&, httplib::Response& response, int number) {
    if (number <= k_failures) response.status = 503;
  });
  const std::string target = url_of(server.start());
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(append(*journal, {target}, "{\"i\":" + std::to_string(i) + "}"));
  auto forwarder = make_forwarder(*journal, {{.url = target}}, observer);
  forwarder->start();
  REQUIRE(eventually([&] { return journal->pending_count(target).value_or(-1) == 0; }));
  forwarder->stop();

  const auto got = server.requests();
  REQUIRE(got.size() == ids.size() + k_failures);
  for (int i = 0; i < k_failures; ++i) CHECK(got[static_cast<std::size_t>(i)].delivery_id == std::to_string(ids[0]));
  CHECK(server.delivered_ids([](int number) { return number > k_failures; }) == ids_text(ids));
  CHECK(forward_of(*journal, ids[0], target).attempts == k_failures + 1);
  CHECK(observer.downs().size() == 1);
  CHECK(observer.ups().size() == 1);
}

TEST_CASE("listen::forwarder resumes pending forwards in a new forwarder on the same journal") {
  TempDir dir;
  auto journal = open_journal(dir);
  const int port = free_port();
  const std::string target = url_of(port);
  std::vector<std::int64_t> ids;
  {
    RecordingObserver observer;
    auto first = make_forwarder(*journal, {{.url = target}}, observer);
    first->start();
    for (int i = 0; i < 3; ++i) ids.push_back(append(*journal, {target}, "{\"r\":" + std::to_string(i) + "}"));
    first->notify();
    REQUIRE(eventually([&] { return !observer.attempts().empty(); }));
    first->stop();
  }  // destroyed: nothing runs any more
  CHECK(journal->pending_count(target).value_or(-1) == 3);

  TestServer server;
  server.start(port);
  RecordingObserver observer;
  auto second = make_forwarder(*journal, {{.url = target}}, observer);
  second->start();  // no notify(): the rows in the journal are the queue
  REQUIRE(eventually([&] { return journal->pending_count(target).value_or(-1) == 0; }));
  second->stop();
  const auto got = server.requests();
  std::vector<std::string> received;
  for (const auto& request : got) received.push_back(request.delivery_id);
  CHECK(received == ids_text(ids));
  for (auto id : ids) CHECK(forward_of(*journal, id, target).state == store::ForwardState::delivered);
}

TEST_CASE("listen::forwarder targets proceed independently") {
  TempDir dir;
  auto journal = open_journal(dir);
  RecordingObserver observer;
  TestServer server;
  const std::string up = url_of(server.start());
  const std::string down = url_of(free_port());
  auto forwarder = make_forwarder(*journal, {{.url = down}, {.url = up}}, observer);
  forwarder->start();
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(append(*journal, {down, up}, "{\"k\":" + std::to_string(i) + "}"));
    forwarder->notify();
  }
  REQUIRE(eventually([&] { return journal->pending_count(up).value_or(-1) == 0; }));
  forwarder->stop();

  std::vector<std::string> received;
  for (const auto& request : server.requests()) received.push_back(request.delivery_id);
  CHECK(received == ids_text(ids));
  CHECK(journal->pending_count(down).value_or(-1) == 5);
  REQUIRE(observer.downs().size() == 1);
  CHECK(observer.downs().front().find(down + " | ") == 0);
}
