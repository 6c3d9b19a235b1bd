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
  CHECK(counts == 1);
  CHECK(skipped > 0);
  CHECK(shown >= 2);
  CHECK(shown <= 8);  // the backlog holds about five
  CHECK(shown + skipped == k_deliveries + 1);

  (*receiver)->stop();
  server.join();
}
