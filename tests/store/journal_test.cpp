#include <doctest/doctest.h>

#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "ctg/store/journal.hpp"
#include "ctg/store/schema.hpp"
#include "../temp_dir.hpp"

using namespace ctg;
using namespace ctg::store;

namespace {

// Each test in a folder of its own.
struct TempDir : test::ScratchDir {
  TempDir() : ScratchDir("ctg-journal") {}
};

std::unique_ptr<Journal> open_journal(const std::string& path, const JournalOptions& options = {}) {
  auto journal = Journal::open(path, options);
  REQUIRE_MESSAGE(journal.has_value(), (journal ? std::string() : journal.error().message));
  return std::move(*journal);
}

Delivery delivery(std::int64_t at_ms, std::string event_id, std::string event_type, int status) {
  Delivery d;
  d.received_at_ms = at_ms;
  d.peer = "127.0.0.1:53422";
  d.method = "POST";
  d.path = "/contiguity/webhook";
  d.headers = {{"Content-Type", "application/json"}, {"Contiguity-Signature", "t=1,v1=abc"}};
  d.body = R"({"id":")" + event_id + R"(","type":")" + event_type + R"("})";
  d.verification = status >= 200 && status <= 299 ? "valid" : "signature_mismatch";
  d.event_id = std::move(event_id);
  d.event_type = std::move(event_type);
  d.status = status;
  if (status >= 300) d.rejection = "signature_mismatch: no signature matches";
  d.duration_us = 42;
  return d;
}

std::int64_t append_ok(Journal& journal, const Delivery& d, const std::vector<std::string>& targets = {}) {
  auto appended = journal.append(d, targets);
  REQUIRE_MESSAGE(appended.has_value(), (appended ? std::string() : appended.error().message));
  return appended->id;
}

std::vector<std::int64_t> ids_of(const Result<std::vector<Delivery>>& deliveries) {
  REQUIRE_MESSAGE(deliveries.has_value(), (deliveries ? std::string() : deliveries.error().message));
  std::vector<std::int64_t> ids;
  for (const auto& d : *deliveries) ids.push_back(d.id);
  return ids;
}

// Runs `sql` on the database with a connection of the test's own.
void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

std::string raw_query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  std::string out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    if (!out.empty()) out += ",";
    const auto* text = sqlite3_column_text(stmt, 0);
    out += text != nullptr ? reinterpret_cast<const char*>(text) : "NULL";
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("store::journal creates a private file, its folders and the schema") {
  TempDir dir;
  const auto path = dir.file("state/ctg/events.db");
  const auto old_mask = ::umask(0);  // a permissive umask must not widen any mode
  auto opened = Journal::open(path);
  ::umask(old_mask);
  REQUIRE(opened.has_value());
  auto& journal = **opened;
  CHECK(journal.path() == path);
  append_ok(journal, delivery(1, "evt_1", "text.incoming.sms", 200));

  CHECK(mode_of(path) == 0600);
  CHECK(mode_of(path + "-wal") == 0600);
  CHECK(mode_of(path + "-shm") == 0600);
  CHECK(mode_of(dir.file("state")) == 0700);
  CHECK(mode_of(dir.file("state/ctg")) == 0700);

  CHECK(raw_query(path, "PRAGMA user_version") == std::to_string(schema::known_version()));
  CHECK(schema::known_version() >= 1);
  CHECK(raw_query(path, "PRAGMA journal_mode") == "wal");
  CHECK(raw_query(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") ==
        "attempts,deliveries,forwards");
  CHECK(raw_query(path, "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name") ==
        "attempts_forward,deliveries_event_id,deliveries_received_at,forwards_delivery,"
        "forwards_queue");
  CHECK(raw_query(path, "SELECT group_concat(name) FROM pragma_index_info('forwards_queue')") ==
        "target,state,delivery_id");
}

TEST_CASE("store::journal checkpoints its WAL in the background once appends pause") {
  // The checkpoint copies the WAL into the database file while the journal stays open; it is not
  // run inside a commit (see journal_impl.hpp). 1,200 deliveries of 4 KiB fill over 1,000 pages.
  TempDir dir;
  const auto path = dir.file("events.db");
  auto journal = open_journal(path);
  const auto file_size = [&](const std::string& name) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(name, ec);
    return ec ? std::uintmax_t{0} : size;
  };
  for (int i = 0; i < 1200; ++i) {
    auto d = delivery(i, "evt_" + std::to_string(i), "text.incoming.sms", 200);
    d.body.append(4096, 'x');
    append_ok(*journal, d);
  }
  CHECK(file_size(path + "-wal") > 4'000'000);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (file_size(path) < 4'000'000 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(file_size(path) >= 4'000'000);
  CHECK(journal->find(1200).value().has_value());
}

TEST_CASE("store::journal commits a caller's batch in one go, in order, reporting on the caller's thread") {
  TempDir dir;
  auto journal = open_journal(dir.file("events.db"));
  std::vector<std::pair<std::int64_t, bool>> results;  // id, duplicate
  std::set<std::thread::id> threads;
  Journal::Batch batch;
  for (const char* id : {"evt_a", "evt_b", "evt_a"}) {
    journal->add(batch, delivery(1, id, "text.incoming.sms", 200), {"http://app"}, [&, id](Result<Appended> appended, Delivery&& back) {
      CHECK(back.event_id == std::string(id));  // the delivery comes back
      REQUIRE(appended.has_value());
      results.emplace_back(appended->id, appended->duplicate);
      threads.insert(std::this_thread::get_id());
    });
  }
  CHECK(results.empty());  // nothing happens before commit()
  CHECK(journal->list({}).value().empty());
  journal->commit(batch);
  CHECK(batch.empty());
  CHECK(results == std::vector<std::pair<std::int64_t, bool>>{{1, false}, {2, false}, {3, true}});
  CHECK(threads == std::set<std::thread::id>{std::this_thread::get_id()});
  CHECK(journal->pending_count("http://app").value() == 2);  // the duplicate is not forwarded
  CHECK(journal->find(3).value()->body == delivery(1, "evt_a", "text.incoming.sms", 200).body);

  // A batch dropped before its commit fails what it holds: nothing is left unanswered.
  std::vector<std::string> failures;
  {
    Journal::Batch dropped;
    journal->add(dropped, delivery(2, "evt_c", "text.incoming.sms", 200), {}, [&](Result<Appended> appended, Delivery&&) {
      REQUIRE_FALSE(appended.has_value());
      failures.push_back(appended.error().message);
    });
  }
  CHECK(failures == std::vector<std::string>{"the delivery was never committed"});
  CHECK_FALSE(journal->find_by_event_id("evt_c").value().has_value());
}

TEST_CASE("store::journal takes batches from several threads beside blocking appends") {
  TempDir dir;
  auto journal = open_journal(dir.file("events.db"));
  constexpr int k_threads = 3, k_batches = 50, k_per_batch = 8;
  std::atomic<int> committed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < k_batches; ++b) {
        Journal::Batch batch;
        for (int i = 0; i < k_per_batch; ++i) {
          const auto id = fmt::format("evt_{}_{}_{}", t, b, i);
          journal->add(batch, delivery(i, id, "text.incoming.sms", 200), {"http://app"}, [&](Result<Appended> appended, Delivery&&) {
            if (appended && !appended->duplicate) ++committed;
          });
        }
        journal->commit(batch);
      }
    });
  }
  // Blocking appends (the forwarder's path) go through the writer thread meanwhile.
  for (int i = 0; i < 100; ++i) CHECK(append_ok(*journal, delivery(i, fmt::format("evt_blocking_{}", i), "text.incoming.sms", 200)) > 0);
  for (auto& thread : threads) thread.join();
  CHECK(committed == k_threads * k_batches * k_per_batch);
  const auto all = journal->list({.limit = 0}).value();
  CHECK(all.size() == static_cast<std::size_t>(k_threads * k_batches * k_per_batch + 100));
  std::set<std::int64_t> ids;
  for (const auto& d : all) ids.insert(d.id);
  CHECK(ids.size() == all.size());
  CHECK(journal->pending_count("http://app").value() == k_threads * k_batches * k_per_batch);
}

TEST_CASE("store::journal keeps its data when reopened") {
  TempDir dir;
  const auto path = dir.file("events.db");
  {
    auto journal = open_journal(path);
    CHECK(append_ok(*journal, delivery(1, "evt_1", "text.incoming.sms", 200), {"http://app"}) == 1);
    CHECK(append_ok(*journal, delivery(2, "evt_2", "text.incoming.sms", 401)) == 2);
  }
  auto journal = open_journal(path);
  CHECK(ids_of(journal->list({})) == std::vector<std::int64_t>{2, 1});
  CHECK(journal->pending_count("http://app").value() == 1);  // pending forwards survive a restart
  CHECK(append_ok(*journal, delivery(3, "evt_1", "text.incoming.sms", 200)) == 3);
  CHECK(journal->find(3).value()->duplicate);  // duplicate detection spans restarts
}

TEST_CASE("store::journal migrates a schema-1 file and keeps its data") {
  TempDir dir;
  const auto path = dir.file("events.db");
  {
    auto journal = open_journal(path);
    CHECK(append_ok(*journal, delivery(1, "evt_1", "text.incoming.sms", 200)) == 1);
  }
  // As schema 1 left it: with the event_type index that step 2 drops, without step 3's body_length.
  raw_exec(path, "CREATE INDEX deliveries_event_type ON deliveries (event_type);"
                 "ALTER TABLE deliveries DROP COLUMN body_length; PRAGMA user_version = 1");
  auto journal = open_journal(path);
  CHECK(raw_query(path, "PRAGMA user_version") == std::to_string(schema::known_version()));
  CHECK(raw_query(path, "SELECT count(*) FROM sqlite_master WHERE name = 'deliveries_event_type'") == "0");
  CHECK(ids_of(journal->list({.type_glob = "text.*"})) == std::vector<std::int64_t>{1});
  CHECK(append_ok(*journal, delivery(2, "evt_1", "text.incoming.sms", 200)) == 2);
  CHECK(journal->find(2).value()->duplicate);
  // The rows from before step 3 read back with their body's own length.
  const auto first = journal->find(1).value();
  REQUIRE(first.has_value());
  CHECK(first->body_length == first->body.size());
}

TEST_CASE("store::journal keeps a body's full length when only a prefix of it is stored") {
  TempDir dir;
  auto journal = open_journal(dir.file("events.db"));
  auto cut = delivery(1, "", "", 401);
  cut.body = std::string(1000, 'x');
  cut.body_length = 1'048'575;
  CHECK(append_ok(*journal, cut) == 1);
  auto whole = delivery(2, "evt_2", "text.incoming.sms", 200);
  whole.body_length = 0;  // 0: the body's own length
  CHECK(append_ok(*journal, whole) == 2);
  const auto first = journal->find(1).value();
  REQUIRE(first.has_value());
  CHECK(first->body.size() == 1000);
  CHECK(first->body_length == 1'048'575);
  const auto second = journal->find(2).value();
  REQUIRE(second.has_value());
  CHECK(second->body_length == second->body.size());
  const auto listed = journal->list({});
  REQUIRE(listed.has_value());
  REQUIRE(listed->size() == 2);
  CHECK(raw_query(dir.file("events.db"), "SELECT count(*) FROM deliveries WHERE body_length IS NULL") == "1");
}

TEST_CASE("store::journal refuses what it cannot open") {
  TempDir dir;
  SUBCASE("a schema newer than this ctg knows") {
    const auto path = dir.file("events.db");
    open_journal(path).reset();
    raw_exec(path, "PRAGMA user_version = 99");
    auto refused = Journal::open(path);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == ErrorKind::io);
    CHECK(refused.error().message == "journal " + path + " was written by a newer ctg (schema 99, this ctg knows " +
                                         std::to_string(schema::known_version()) + ")");
    CHECK(raw_query(path, "PRAGMA user_version") == "99");  // left as it was
  }
  SUBCASE("a file that is not a database") {
    const auto path = dir.file("events.db");
    std::ofstream(path) << std::string(4096, 'x');
    auto refused = Journal::open(path);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == ErrorKind::io);
    CHECK(refused.error().message == "cannot open journal " + path + ": file is not a database");
  }
  SUBCASE("a folder that cannot be created") {
    const auto blocker = dir.file("file");
    std::ofstream(blocker) << "x";
    auto refused = Journal::open(blocker + "/events.db");
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == ErrorKind::io);
    CHECK(refused.error().message.starts_with("cannot open journal " + blocker + "/events.db: "));
  }
}

TEST_CASE("store::journal keeps headers exactly, whether plain ASCII, escaped, or not UTF-8") {
  TempDir dir;
  auto journal = open_journal(dir.file("events.db"));
  // (sent, read back): exact, except bytes that are not UTF-8, which JSON text cannot hold: they
  // come back as U+FFFD and the rest exactly.
  const std::vector<std::pair<Headers, Headers>> cases = {
      {{{"Host", "localhost:3000"}, {"Content-Type", "application/json"}, {"X-Empty", ""}}, {}},
      {{{"X-Quote", "say \"hi\""}, {"X-Back\\slash", "a\\b"}, {"X-Ctl", std::string("tab\there\x01\x1f", 11)}}, {}},
      {{{"X-Del", "\x7f"}, {"X-Utf8", "caf\xC3\xA9"}, {"X-Plain", "plain"}}, {}},
      {{{"X-Latin1", "caf\xE9"}, {"X-Plain", "plain"}}, {{"X-Latin1", "caf\xEF\xBF\xBD"}, {"X-Plain", "plain"}}},
  };
  for (const auto& [sent, kept] : cases) {
    Delivery d;
    d.method = "POST";
    d.path = "/";
    d.headers = sent;
    d.status = 400;
    const auto appended = journal->append(d, {});
    REQUIRE(appended);
    const auto got = journal->find(appended->id);
    REQUIRE(got);
    REQUIRE(got->has_value());
    CHECK((*got)->headers == (kept.empty() ? sent : kept));
  }
}

TEST_CASE("store::journal round-trips every field of a delivery") {
  TempDir dir;
  auto journal = open_journal(dir.file("events.db"));
  Delivery d;
  d.received_at_ms = 1'717'171'717'171;
  d.peer = "[::1]:40000";
  d.method = "POST";
  d.path = "/hooks/contiguity?x=1";
  d.headers = {{"Host", "localhost"}, {"X-Dup", "one"}, {"Content-Type", "application/json"},
               {"X-Dup", "two"},      {"X-Empty", ""},  {"X-Utf8", "caf\xC3\xA9 \xE2\x9C\x93"}};
  for (int i = 0; i < 512; ++i) d.body.push_back(static_cast<char>(i % 256));  // every byte, NULs included
  d.verification = "timestamp_too_old";
  d.verification_message = "the timestamp is 400 s old";
  d.event_id = "evt_\xC3\xA9";
  d.event_type = "text.incoming.sms";
  d.status = 204;
  d.rejection = "";
  d.duration_us = 9'876'543'210;
  d.id = 777;          // ignored
  d.duplicate = true;  // ignored: the journal decides

  const auto appended = journal->append(d, {});
  REQUIRE(appended.has_value());
  CHECK(appended->id == 1);
  CHECK_FALSE(appended->duplicate);

  auto check_same = [&](const Delivery& got) {
    CHECK(got.id == 1);
    CHECK(got.received_at_ms == d.received_at_ms);
    CHECK(got.peer == d.peer);
    CHECK(got.method == d.method);
    CHECK(got.path == d.path);
    CHECK(got.headers == d.headers);
    CHECK(got.body.size() == 512);
    CHECK(got.body == d.body);
    CHECK(got.verification == d.verification);
    CHECK(got.verification_message == d.verification_message);
    CHECK(got.event_id == d.event_id);
    CHECK(got.event_type == d.event_type);
    CHECK(got.status == d.status);
    CHECK(got.rejection == d.rejection);
    CHECK_FALSE(got.duplicate);
    CHECK(got.duration_us == d.duration_us);
  };
  auto found = journal->find(1);
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  check_same(**found);
  auto by_event = journal->find_by_event_id(d.event_id);
  REQUIRE(by_event.has_value());
  REQUIRE(by_event->has_value());
  check_same(**by_event);
  auto listed = journal->list({});
  REQUIRE(listed.has_value());
  REQUIRE(listed->size() == 1);
  check_same(listed->front());

  CHECK_FALSE(journal->find(2).value().has_value());
  CHECK_FALSE(journal->find_by_event_id("evt_other").value().has_value());

  SUBCASE("headers that JSON must escape, and bytes that are not UTF-8") {
    Delivery odd = delivery(1, "evt_2", "x", 400);
    odd.headers = {{"X-Quote", "say \"hi\" \\ back\\"},
                   {"X-Control", std::string("a\tb\nc\x01\x1f", 8)},
                   {"X-Nul", std::string("a\0b", 3)},
                   {"X-\xC3\xA9", "\xF0\x9F\x98\x80"}};
    const auto id = append_ok(*journal, odd);
    CHECK(journal->find(id).value()->headers == odd.headers);

    odd.headers = {{"X-Latin1", "caf\xE9"}, {"X-Ok", "ok"}};
    const auto replaced = append_ok(*journal, odd);
    CHECK(journal->find(replaced).value()->headers == Headers{{"X-Latin1", "caf\xEF\xBF\xBD"}, {"X-Ok", "ok"}});
  }
  SUBCASE("empty fields stay empty, not NULL") {
    Delivery empty;
    empty.status = 400;
    CHECK(append_ok(*journal, empty) == 2);
    auto got = journal->find(2).value();
    REQUIRE(got.has_value());
    CHECK(got->body.empty());
    CHECK(got->headers.empty());
    CHECK(got->event_id.empty());
    CHECK(raw_query(journal->path(), "SELECT typeof(body) FROM deliveries WHERE id = 2") == "blob");
  }
}

TEST_CASE("store::journal marks repeated event ids as duplicates") {
  TempDir dir;
  auto journal = open_journal(dir.file("events.db"));

  SUBCASE("across batches") {
    const auto rejected = append_ok(*journal, delivery(1, "evt_a", "text.incoming.sms", 401), {"t"});
    const auto original = journal->append(delivery(2, "evt_a", "text.incoming.sms", 200), {"t"}).value();
    const auto again = journal->append(delivery(3, "evt_a", "text.incoming.sms", 202), {"t"}).value();
    const auto rejected_later = journal->append(delivery(4, "evt_a", "text.incoming.sms", 500), {"t"}).value();
    CHECK_FALSE(original.duplicate);  // a rejected delivery never counts as the original
    CHECK(again.duplicate);
    CHECK_FALSE(rejected_later.duplicate);  // only accepted deliveries are duplicates
    CHECK_FALSE(journal->find(rejected).value()->duplicate);
    CHECK(journal->find(again.id).value()->duplicate);
    CHECK(journal->find_by_event_id("evt_a").value()->id == original.id);
    CHECK(journal->forwards_of(original.id).value().size() == 1);
    CHECK(journal->forwards_of(again.id).value().empty());
    CHECK(journal->pending_count("t").value() == 1);  // not forwarded twice

    // Deliveries whose body did not parse have no event id and are never duplicates.
    CHECK_FALSE(journal->append(delivery(5, "", "", 200), {}).value().duplicate);
    CHECK_FALSE(journal->append(delivery(6, "", "", 200), {}).value().duplicate);
    CHECK_FALSE(journal->find_by_event_id("").value().has_value());
  }

  SUBCASE("within one batch") {
    // Hold the database's write lock so that the writer stalls on its first batch while the other
    // appends pile up in its queue; they are then committed together in the next transaction.
    sqlite3* blocker = nullptr;
    REQUIRE(sqlite3_open(journal->path().c_str(), &blocker) == SQLITE_OK);
    REQUIRE(sqlite3_exec(blocker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    constexpr int k_threads = 8;
    std::vector<Appended> results(k_threads);
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int i = 0; i < k_threads; ++i) {
      threads.emplace_back([&, i] {
        auto appended = journal->append(delivery(i, "evt_same", "text.incoming.sms", 200), {"t"});
        if (appended) {
          results[static_cast<std::size_t>(i)] = *appended;
        } else {
          ++failures;
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    REQUIRE(sqlite3_exec(blocker, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(blocker);
    for (auto& thread : threads) thread.join();
    REQUIRE(failures == 0);
    const auto originals =
        std::count_if(results.begin(), results.end(), [](const Appended& a) { return !a.duplicate; });
    CHECK(originals == 1);
    const auto first = std::min_element(results.begin(), results.end(),
                                        [](const Appended& a, const Appended& b) { return a.id < b.id; });
    CHECK_FALSE(first->duplicate);  // the first one journaled is the original
    for (const auto& a : results) {
      CHECK(journal->forwards_of(a.id).value().size() == (a.duplicate ? 0u : 1u));
      CHECK(journal->find(a.id).value()->duplicate == a.duplicate);
    }
    CHECK(journal->pending_count("t").value() == 1);
  }
}

TEST_CASE("store::journal creates forwards only for accepted, new deliveries") {
  TempDir dir;
  auto journal = open_journal(dir.file("events.db"));
  const std::vector<std::string> targets = {"http://b.test/hook", "http://a.test/hook"};

  const auto accepted = append_ok(*journal, delivery(5000, "evt_1", "text.incoming.sms", 200), targets);
  auto forwards = journal->forwards_of(accepted).value();
  REQUIRE(forwards.size() == 2);
  CHECK(forwards[0].target == targets[0]);
  CHECK(forwards[1].target == targets[1]);
  for (const auto& f : forwards) {
    CHECK(f.delivery_id == accepted);
    CHECK(f.state == ForwardState::pending);
    CHECK(f.attempts == 0);
    CHECK(f.next_attempt_at_ms == 5000);  // due at once
    CHECK(f.last_status == 0);
    CHECK(f.last_error.empty());
  }
  CHECK(journal->forwards_of(append_ok(*journal, delivery(5001, "evt_2", "x", 401), targets)).value().empty());
  CHECK(journal->forwards_of(append_ok(*journal, delivery(5002, "evt_3", "x", 503), targets)).value().empty());
  CHECK(journal->forwards_of(append_ok(*journal, delivery(5003, "evt_1", "x", 200), targets)).value().empty());
  CHECK(journal->forwards_of(append_ok(*journal, delivery(5004, "evt_4", "x", 200), {})).value().empty());
  CHECK(journal->forwards_of(append_ok(*journal, delivery(5005, "", "", 200), targets)).value().size() == 2);
}

TEST_CASE("store::journal lists newest first with filters") {
  TempDir dir;
  auto journal = open_journal(dir.file("events.db"));
  const std::vector<std::string> target = {"http://app"};
  append_ok(*journal, delivery(1000, "e1", "text.incoming.sms", 200), target);     // 1 accepted
  append_ok(*journal, delivery(2000, "e1", "text.incoming.sms", 200), target);     // 2 duplicate
  append_ok(*journal, delivery(3000, "e3", "text.delivery.failed", 401), target);  // 3 rejected
  append_ok(*journal, delivery(4000, "e4", "email.incoming", 500), target);        // 4 rejected
  append_ok(*journal, delivery(5000, "e5", "text.incoming.mms", 202), target);     // 5 forward failed
  append_ok(*journal, delivery(6000, "e6", "a[b]", 200), target);                  // 6 forward dead
  append_ok(*journal, delivery(7000, "", "", 400), target);                        // 7 did not parse
  const auto f5 = journal->forwards_of(5).value().at(0).id;
  const auto f6 = journal->forwards_of(6).value().at(0).id;
  REQUIRE(journal->record_attempt({.forward_id = f5, .number = 1, .status = 400}, ForwardState::failed));
  REQUIRE(journal->record_attempt({.forward_id = f6, .number = 5, .error = "timeout"}, ForwardState::dead));

  using Ids = std::vector<std::int64_t>;
  auto with_status = [&](const char* status) { return ids_of(journal->list({.status = status})); };
  CHECK(ids_of(journal->list({})) == Ids{7, 6, 5, 4, 3, 2, 1});
  CHECK(ids_of(journal->list({.limit = 3})) == Ids{7, 6, 5});
  CHECK(ids_of(journal->list({.limit = 0})) == Ids{7, 6, 5, 4, 3, 2, 1});
  CHECK(ids_of(journal->list({.type_glob = "text.*"})) == Ids{5, 3, 2, 1});
  CHECK(ids_of(journal->list({.type_glob = "text.incoming.?ms"})) == Ids{5, 2, 1});
  CHECK(ids_of(journal->list({.type_glob = "a[b]"})) == Ids{6});  // '[' is a plain character
  CHECK(ids_of(journal->list({.type_glob = "*incoming*", .limit = 2})) == Ids{5, 4});
  CHECK(ids_of(journal->list({.type_glob = "nothing.*"})).empty());
  CHECK(ids_of(journal->list({.since_ms = 4000})) == Ids{7, 6, 5, 4});
  CHECK(with_status("accepted") == Ids{6, 5, 1});
  CHECK(with_status("rejected") == Ids{7, 4, 3});
  CHECK(with_status("duplicate") == Ids{2});
  CHECK(with_status("2xx") == Ids{6, 5, 2, 1});
  CHECK(with_status("4xx") == Ids{7, 3});
  CHECK(with_status("5xx") == Ids{4});
  CHECK(with_status("401") == Ids{3});
  CHECK(with_status("202") == Ids{5});
  CHECK(with_status("forward-failed") == Ids{6, 5});
  CHECK(with_status("dead") == Ids{6});
  CHECK(ids_of(journal->list({.type_glob = "text.*", .since_ms = 2000, .status = "accepted"})) == Ids{5});

  for (const char* bad : {"acepted", "6xx", "40", "4XX", "", "2xx "}) {
    CAPTURE(bad);
    auto refused = journal->list({.status = bad});
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == ErrorKind::usage);
    CHECK(refused.error().message.starts_with("unknown status filter \"" + std::string(bad) + "\": use accepted, "));
    CHECK(refused.error().message.find("forward-failed") != std::string::npos);
  }
  CHECK(journal->list({.status = "acepted"}).error().hint == "did you mean accepted?");
}

TEST_CASE("store::journal queues forwards per target in delivery order") {
  TempDir dir;
  auto journal = open_journal(dir.file("events.db"));
  const std::string a = "http://a.test/", b = "http://b.test/";
  append_ok(*journal, delivery(1, "e1", "t", 200), {b});     // 1
  append_ok(*journal, delivery(2, "e2", "t", 200), {a, b});  // 2
  append_ok(*journal, delivery(3, "e3", "t", 200), {a});     // 3
  append_ok(*journal, delivery(4, "e4", "t", 401), {a});     // 4, rejected: nothing to forward

  CHECK(journal->pending_targets().value() == std::vector<std::string>{b, a});
  CHECK(journal->head_of(a).value()->delivery_id == 2);
  CHECK(journal->head_of(b).value()->delivery_id == 1);
  CHECK_FALSE(journal->head_of("http://none/").value().has_value());
  auto delivery_ids = [](const std::vector<Forward>& forwards) {
    std::vector<std::int64_t> ids;
    for (const auto& f : forwards) ids.push_back(f.delivery_id);
    return ids;
  };
  CHECK(delivery_ids(journal->pending_of(b, 10).value()) == std::vector<std::int64_t>{1, 2});
  CHECK(delivery_ids(journal->pending_of(b, 1).value()) == std::vector<std::int64_t>{1});
  CHECK(delivery_ids(journal->pending_of(a, 10).value()) == std::vector<std::int64_t>{2, 3});
  CHECK(journal->pending_count(a).value() == 2);
  CHECK(journal->pending_count(b).value() == 2);
  CHECK(journal->pending_count("http://none/").value() == 0);

  // The head stays the head while it waits for a retry, even if it is not due.
  const auto head_b = journal->head_of(b).value().value();
  REQUIRE(journal->record_attempt({.forward_id = head_b.id, .number = 1, .status = 503, .next_attempt_at_ms = 99'999},
                                  ForwardState::pending));
  CHECK(journal->head_of(b).value()->id == head_b.id);
  CHECK(journal->head_of(b).value()->next_attempt_at_ms == 99'999);

  REQUIRE(journal->record_attempt({.forward_id = head_b.id, .number = 2, .status = 200}, ForwardState::delivered));
  CHECK(journal->head_of(b).value()->delivery_id == 2);
  CHECK(journal->pending_count(b).value() == 1);
  CHECK(journal->pending_targets().value() == std::vector<std::string>{a, b});  // a's head (2) is older now

  const auto pending_a = journal->pending_of(a, 10).value();
  for (const auto& f : pending_a) {
    REQUIRE(journal->record_attempt({.forward_id = f.id, .number = 1, .status = 200}, ForwardState::delivered));
  }
  CHECK(journal->pending_targets().value() == std::vector<std::string>{b});
  CHECK_FALSE(journal->head_of(a).value().has_value());
}

TEST_CASE("store::journal records attempts and forward state transitions") {
  TempDir dir;
  const auto path = dir.file("events.db");
  std::int64_t retried = 0, refused = 0, dead = 0;
  {
    auto journal = open_journal(path);
    append_ok(*journal, delivery(1, "e1", "t", 200), {"http://x/", "http://y/", "http://z/"});
    const auto forwards = journal->forwards_of(1).value();
    REQUIRE(forwards.size() == 3);
    retried = forwards[0].id;
    refused = forwards[1].id;
    dead = forwards[2].id;

    const Attempt first{.forward_id = retried,
                        .number = 1,
                        .started_at_ms = 10,
                        .status = 503,
                        .latency_us = 1500,
                        .error = "",
                        .response_excerpt = "busy",
                        .next_attempt_at_ms = 1010};
    REQUIRE(journal->record_attempt(first, ForwardState::pending));
    auto f = journal->forwards_of(1).value().at(0);
    CHECK(f.state == ForwardState::pending);
    CHECK(f.attempts == 1);
    CHECK(f.next_attempt_at_ms == 1010);
    CHECK(f.last_status == 503);
    CHECK(f.last_latency_us == 1500);

    const Attempt second{.forward_id = retried,
                         .number = 2,
                         .started_at_ms = 1010,
                         .status = 0,
                         .latency_us = 10'000'000,
                         .error = "timeout after 10000 ms",
                         .next_attempt_at_ms = 3010};
    REQUIRE(journal->record_attempt(second, ForwardState::pending));
    f = journal->forwards_of(1).value().at(0);
    CHECK(f.state == ForwardState::pending);
    CHECK(f.attempts == 2);
    CHECK(f.last_status == 0);
    CHECK(f.last_error == "timeout after 10000 ms");
    CHECK(f.next_attempt_at_ms == 3010);

    REQUIRE(journal->record_attempt({.forward_id = retried,
                                     .number = 3,
                                     .started_at_ms = 3010,
                                     .status = 200,
                                     .latency_us = 900,
                                     .response_excerpt = "ok"},
                                    ForwardState::delivered));
    REQUIRE(journal->record_attempt({.forward_id = refused, .number = 1, .status = 400, .response_excerpt = "bad"},
                                    ForwardState::failed));
    for (int n = 1; n <= 5; ++n) {
      REQUIRE(journal->record_attempt({.forward_id = dead, .number = n, .error = "connection refused"},
                                      n < 5 ? ForwardState::pending : ForwardState::dead));
    }

    auto unknown = journal->record_attempt({.forward_id = 9999, .number = 1}, ForwardState::delivered);
    REQUIRE_FALSE(unknown.has_value());
    CHECK(unknown.error().kind == ErrorKind::internal);
    CHECK(unknown.error().message == "journal " + path + " has no forward 9999");
    CHECK(journal->attempts_of(9999).value().empty());
  }
  auto journal = open_journal(path);  // committed before returning, so it is all there after a restart
  const auto forwards = journal->forwards_of(1).value();
  REQUIRE(forwards.size() == 3);
  CHECK(forwards[0].state == ForwardState::delivered);
  CHECK(forwards[0].attempts == 3);
  CHECK(forwards[0].last_status == 200);
  CHECK(forwards[1].state == ForwardState::failed);
  CHECK(forwards[1].last_status == 400);
  CHECK(forwards[2].state == ForwardState::dead);
  CHECK(forwards[2].attempts == 5);
  CHECK(forwards[2].last_error == "connection refused");
  CHECK(journal->pending_targets().value().empty());

  const auto attempts = journal->attempts_of(retried).value();
  REQUIRE(attempts.size() == 3);
  CHECK(attempts[0].number == 1);
  CHECK(attempts[0].started_at_ms == 10);
  CHECK(attempts[0].status == 503);
  CHECK(attempts[0].latency_us == 1500);
  CHECK(attempts[0].response_excerpt == "busy");
  CHECK(attempts[0].next_attempt_at_ms == 1010);
  CHECK(attempts[1].number == 2);
  CHECK(attempts[1].error == "timeout after 10000 ms");
  CHECK(attempts[2].number == 3);
  CHECK(attempts[2].status == 200);
  CHECK(attempts[2].next_attempt_at_ms == 0);
  CHECK(journal->attempts_of(refused).value().size() == 1);
  CHECK(journal->attempts_of(dead).value().size() == 5);
}

TEST_CASE("store::journal takes concurrent appends from many threads") {
  TempDir dir;
  auto journal = open_journal(dir.file("events.db"));
  constexpr int k_threads = 8;
  constexpr int k_per_thread = 2500;
  std::vector<std::vector<std::int64_t>> ids(k_threads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      const std::vector<std::string> targets = {"http://app/"};
      for (int i = 0; i < k_per_thread; ++i) {
        auto d = delivery(i, "evt_" + std::to_string(t) + "_" + std::to_string(i), "text.incoming.sms", 200);
        d.body = std::to_string(t) + ":" + std::to_string(i);
        auto appended = journal->append(d, targets);
        if (!appended || appended->duplicate) {
          ++failures;
          return;
        }
        ids[static_cast<std::size_t>(t)].push_back(appended->id);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  journal->flush();
  REQUIRE(failures == 0);

  std::set<std::int64_t> distinct;
  for (int t = 0; t < k_threads; ++t) {
    const auto& mine = ids[static_cast<std::size_t>(t)];
    REQUIRE(mine.size() == k_per_thread);
    CHECK(std::is_sorted(mine.begin(), mine.end()));  // each thread's deliveries in its order
    distinct.insert(mine.begin(), mine.end());
    const auto last = journal->find(mine.back()).value();
    REQUIRE(last.has_value());
    CHECK(last->body == std::to_string(t) + ":" + std::to_string(k_per_thread - 1));
  }
  CHECK(distinct.size() == k_threads * k_per_thread);
  CHECK(*distinct.begin() == 1);
  CHECK(*distinct.rbegin() == k_threads * k_per_thread);
  CHECK(journal->list({.limit = 0}).value().size() == k_threads * k_per_thread);
  CHECK(journal->pending_count("http://app/").value() == k_threads * k_per_thread);
}

TEST_CASE("store::journal fails only the job at fault in a batch, and commits the others") {
  TempDir dir;
  const auto path = dir.file("events.db");
  auto journal = open_journal(path);
  {
    // A trigger that makes SQLite refuse one kind of row: a statement failing in mid-batch.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "CREATE TRIGGER poison BEFORE INSERT ON deliveries WHEN NEW.event_id LIKE 'evt_poison%'"
                         " BEGIN SELECT RAISE(ABORT, 'poisoned row'); END;",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  // Batches of 40 in which every 25th delivery is poisoned.
  constexpr int k_appends = 1000;
  Journal::Batch batch;
  std::atomic<int> committed{0};
  std::vector<std::string> refused;
  std::mutex refused_mutex;
  for (int i = 0; i < k_appends; ++i) {
    const bool poisoned = i % 25 == 7;
    const auto id = (poisoned ? "evt_poison_" : "evt_ok_") + std::to_string(i);
    journal->add(batch, delivery(i, id, "text.incoming.sms", 200), {}, [&, id](Result<Appended> appended, Delivery&&) {
      if (appended) {
        ++committed;
        return;
      }
      CHECK(appended.error().message.find("poisoned row") != std::string::npos);
      std::lock_guard lock(refused_mutex);
      refused.push_back(id);
    });
    if (i % 40 == 39) journal->commit(batch);
  }
  CHECK(committed == k_appends - 40);
  CHECK(refused.size() == 40);
  for (const auto& id : refused) CHECK(id.starts_with("evt_poison_"));
  CHECK(journal->list({.limit = 0}).value().size() == k_appends - 40);
}

TEST_CASE("store::journal keeps every acknowledged delivery when killed with SIGKILL") {
  TempDir dir;
  const auto path = dir.file("events.db");
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child appends from several threads and reports each id once append() has returned;
    // it never exits on its own: the parent kills it mid-stream.
    ::close(fds[0]);
    auto opened = Journal::open(path);
    if (!opened) ::_exit(3);
    auto& journal = **opened;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (std::int64_t i = 0;; ++i) {
          auto appended = journal.append(
              delivery(i, "evt_" + std::to_string(t) + "_" + std::to_string(i), "text.incoming.sms", 200),
              {"http://app/"});
          if (!appended) ::_exit(4);
          const std::int64_t id = appended->id;
          if (::write(fds[1], &id, sizeof id) != static_cast<ssize_t>(sizeof id)) ::_exit(5);
        }
      });
    }
    for (auto& thread : threads) thread.join();
    ::_exit(6);
  }
  ::close(fds[1]);

  std::vector<std::int64_t> reported;
  std::string pending_bytes;
  bool killed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (true) {
    if (!killed && reported.size() >= 3000) {
      ::kill(child, SIGKILL);
      killed = true;
    }
    if (!killed && std::chrono::steady_clock::now() > deadline) {
      ::kill(child, SIGKILL);
      FAIL("the child reported too few appends");
    }
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;  // the child is gone and everything it reported has been read
    pending_bytes.append(buffer, static_cast<std::size_t>(n));
    while (pending_bytes.size() >= sizeof(std::int64_t)) {
      std::int64_t id = 0;
      std::memcpy(&id, pending_bytes.data(), sizeof id);
      reported.push_back(id);
      pending_bytes.erase(0, sizeof id);
    }
  }
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE_MESSAGE(WIFSIGNALED(status), "child exited with " << WEXITSTATUS(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  REQUIRE(reported.size() >= 3000);

  auto journal = open_journal(path);
  std::size_t missing = 0;
  for (const auto id : reported) {
    auto found = journal->find(id);
    REQUIRE(found.has_value());
    if (!found->has_value()) ++missing;
  }
  CHECK(missing == 0);
  const auto all = journal->list({.limit = 0}).value();
  CHECK(all.size() >= reported.size());
  CHECK(journal->pending_count("http://app/").value() == static_cast<std::int64_t>(all.size()));
}

TEST_CASE("store::default_journal_path follows XDG") {
  CHECK(default_journal_path("/x/state", "/home/u") == "/x/state/ctg/events.db");
  CHECK(default_journal_path("/x/state/", "/home/u") == "/x/state/ctg/events.db");
  CHECK(default_journal_path(nullptr, "/home/u") == "/home/u/.local/state/ctg/events.db");
  CHECK(default_journal_path("", "/home/u") == "/home/u/.local/state/ctg/events.db");
  CHECK(default_journal_path("relative/state", "/home/u") == "/home/u/.local/state/ctg/events.db");
  CHECK(default_journal_path(nullptr, nullptr) == "ctg-events.db");
}

TEST_CASE("store::to_string(ForwardState)") {
  CHECK(to_string(ForwardState::pending) == "pending");
  CHECK(to_string(ForwardState::delivered) == "delivered");
  CHECK(to_string(ForwardState::failed) == "failed");
  CHECK(to_string(ForwardState::dead) == "dead");
}
