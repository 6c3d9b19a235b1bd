#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "ctg/listen/receiver.hpp"
#include "ctg/signing/signature.hpp"
#include "ctg/store/journal.hpp"
#include "../temp_dir.hpp"

using namespace ctg;
using namespace std::chrono_literals;

namespace {

// Records what the display is given, in order; holds the display thread in its first
// on_delivery() until open() is called, as a display starved of CPU would be held.
class GatedObserver final : public listen::ReceiverObserver {
 public:
  void on_delivery(const listen::DeliveryReport& report) override {
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [this] { return m_open; });
    m_seen.push_back(report.delivery.event_id);
    m_given += 1;
    m_cv.notify_all();
  }
  void on_skipped(std::int64_t count) override {
    std::lock_guard lock(m_mutex);
    m_seen.push_back(fmt::format("skipped {}", count));
    m_given += count;
    m_cv.notify_all();
  }
  void on_journal_error(const Error&) override {}

  void open() {
    std::lock_guard lock(m_mutex);
    m_open = true;
    m_cv.notify_all();
  }
  // Waits until `n` deliveries were shown or counted; returns what was seen.
  std::vector<std::string> wait_for(std::int64_t n) {
    std::unique_lock lock(m_mutex);
    REQUIRE(m_cv.wait_for(lock, 5s, [&] { return m_given >= n; }));
    return m_seen;
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_open = false;
  std::int64_t m_given = 0;
  std::vector<std::string> m_seen;
};

std::string event_body(int i, std::size_t padding) {
  return fmt::format(R"({{"id":"evt_{:04}","type":"text.incoming.sms","timestamp":1764400000,"api_version":"v2025.9.7",)"
                     R"("data":{{"from":"+15555550123","to":"+15555550100","body":"{}"}}}})",
                     i, std::string(padding, 'x'));
}

}  // namespace

TEST_CASE("listen::Receiver journals and answers while the display is held, and counts what it could not keep") {
  test::ScratchDir dir("ctg-receiver");
  auto journal = store::Journal::open(dir.file("events.db"));
  REQUIRE(journal);
  GatedObserver observer;
  listen::ReceiverOptions options;
  options.port = 0;
  options.loops = 1;
  options.display_backlog = 16 * 1024;  // about five of these deliveries
  auto receiver = listen::Receiver::create(options, **journal, nullptr, observer);
  REQUIRE(receiver);
  REQUIRE((*receiver)->bind());
  std::thread server([&] { (void)(*receiver)->run(); });

  // Every delivery is answered 200 while the display thread is stuck in its first line.
  constexpr int k_deliveries = 40;
  httplib::Client client("127.0.0.1", (*receiver)->port());
  for (int i = 0; i < k_deliveries; ++i) {
    const auto answer = client.Post("/contiguity/webhook", event_body(i, 3000), "application/json");
    REQUIRE(answer);
    CHECK(answer->status == 200);
  }

  // All are journaled, shown or not.
  auto stored = (*journal)->list({.limit = 0});
  REQUIRE(stored);
  CHECK(stored->size() == k_deliveries);

  // Once the display runs again it shows what it kept, in order, and one count for the rest; the
  // deliveries after the count are shown again.
  observer.open();
  observer.wait_for(k_deliveries);  // the backlog shown or counted: the display has caught up
  const auto extra = client.Post("/contiguity/webhook", event_body(k_deliveries, 10), "application/json");
  REQUIRE(extra);
  CHECK(extra->status == 200);
  const auto seen = observer.wait_for(k_deliveries + 1);
  REQUIRE(seen.size() >= 3);
  CHECK(seen.front() == "evt_0000");
  CHECK(seen.back() == fmt::format("evt_{:04}", k_deliveries));
  int shown = 0;
  std::int64_t skipped = 0;
  int counts = 0;
  std::string previous;
  for (const auto& line : seen) {
    if (line.starts_with("skipped ")) {
      skipped += std::stoll(line.substr(8));
      ++counts;
      continue;
    }
    CHECK(line > previous);  // arrival order
    previous = line;
    ++shown;
  }
  // One count, or two when the display thread took its first batch only after a count had begun
  // (a batch taken leaves the queue empty, and the next delivery is kept so that it goes on).
  CHECK(counts >= 1);
  CHECK(counts <= 2);
  CHECK(skipped > 0);
  CHECK(shown >= 2);
  CHECK(shown <= 8);  // the backlog holds about five
  CHECK(shown + skipped == k_deliveries + 1);

  (*receiver)->stop();
  server.join();
}

namespace {

// Records every report; each on_delivery() takes `delay`, as a display far behind would.
class SlowObserver final : public listen::ReceiverObserver {
 public:
  explicit SlowObserver(std::chrono::milliseconds delay) : m_delay(delay) {}
  void on_delivery(const listen::DeliveryReport& report) override {
    std::this_thread::sleep_for(m_delay);
    std::lock_guard lock(m_mutex);
    m_reports.push_back(report);
  }
  void on_skipped(std::int64_t count) override {
    std::lock_guard lock(m_mutex);
    m_skipped += count;
  }
  void on_journal_error(const Error&) override {}
  std::vector<listen::DeliveryReport> reports() {
    std::lock_guard lock(m_mutex);
    return m_reports;
  }
  std::int64_t skipped() {
    std::lock_guard lock(m_mutex);
    return m_skipped;
  }

 private:
  std::chrono::milliseconds m_delay;
  std::mutex m_mutex;
  std::vector<listen::DeliveryReport> m_reports;
  std::int64_t m_skipped = 0;
};

}  // namespace

TEST_CASE("listen::Receiver stops within its grace, counting what the display could not show") {
  test::ScratchDir dir("ctg-receiver-stop");
  auto journal = store::Journal::open(dir.file("events.db"));
  REQUIRE(journal);
  SlowObserver observer(250ms);
  listen::ReceiverOptions options;
  options.port = 0;
  options.loops = 1;
  auto receiver = listen::Receiver::create(options, **journal, nullptr, observer);
  REQUIRE(receiver);
  REQUIRE((*receiver)->bind());
  std::thread server([&] { (void)(*receiver)->run(); });
  constexpr int k_deliveries = 20;  // 5 s of display work
  httplib::Client client("127.0.0.1", (*receiver)->port());
  for (int i = 0; i < k_deliveries; ++i) {
    const auto answer = client.Post("/contiguity/webhook", event_body(i, 100), "application/json");
    REQUIRE(answer);
    CHECK(answer->status == 200);
  }
  const auto stopping = std::chrono::steady_clock::now();
  (*receiver)->stop();
  server.join();
  receiver->reset();
  const auto took = std::chrono::steady_clock::now() - stopping;
  CHECK_MESSAGE(took < 2500ms, "stopping took ", std::chrono::duration_cast<std::chrono::milliseconds>(took).count(), " ms");
  const auto shown = static_cast<std::int64_t>(observer.reports().size());
  CHECK(observer.skipped() > 0);
  CHECK(shown + observer.skipped() == k_deliveries);
  auto stored = (*journal)->list({.limit = 0});
  REQUIRE(stored);
  CHECK(stored->size() == k_deliveries);  // all journaled, shown or not
}

TEST_CASE("listen::Receiver diagnoses a mismatch off the request path and keeps a bounded prefix of a rejected body") {
  test::ScratchDir dir("ctg-receiver-prefix");
  auto journal = store::Journal::open(dir.file("events.db"));
  REQUIRE(journal);
  SlowObserver observer(0ms);
  listen::ReceiverOptions options;
  options.port = 0;
  options.loops = 1;
  const std::string secret = "whsec_receiver_prefix_test";
  options.policy.secrets = {secret};
  auto receiver = listen::Receiver::create(options, **journal, nullptr, observer);
  REQUIRE(receiver);
  REQUIRE((*receiver)->bind());
  std::thread server([&] { (void)(*receiver)->run(); });

  // 200 KB signed as it is, delivered with a newline added after signing.
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string body = event_body(1, 200'000);
  httplib::Client client("127.0.0.1", (*receiver)->port());
  const httplib::Headers headers{{"Contiguity-Signature", signing::sign(secret, now, body)}};
  const auto rejected = client.Post("/contiguity/webhook", headers, body + "\n", "application/json");
  REQUIRE(rejected);
  CHECK(rejected->status == 401);
  const auto accepted = client.Post("/contiguity/webhook", headers, body, "application/json");
  REQUIRE(accepted);
  CHECK(accepted->status == 200);
  (*receiver)->stop();
  server.join();
  receiver->reset();

  const auto reports = observer.reports();
  REQUIRE(reports.size() == 2);
  // The hint was found over the whole body, although the journal keeps a prefix of it.
  bool trailing_hint = false;
  for (const auto& hint : reports[0].hints) trailing_hint = trailing_hint || hint.find("trailing") != std::string::npos;
  CHECK(trailing_hint);
  auto stored = (*journal)->list({.limit = 0});
  REQUIRE(stored);
  REQUIRE(stored->size() == 2);
  const auto& first = (*stored)[0].id < (*stored)[1].id ? (*stored)[0] : (*stored)[1];
  const auto& second = (*stored)[0].id < (*stored)[1].id ? (*stored)[1] : (*stored)[0];
  CHECK(first.status == 401);
  CHECK(first.body.size() == 64 * 1024);
  CHECK(first.body_length == body.size() + 1);
  CHECK(first.body == (body + "\n").substr(0, 64 * 1024));
  CHECK(second.status == 200);
  CHECK(second.body == body);  // an accepted body is kept whole
  CHECK(second.body_length == body.size());
}
