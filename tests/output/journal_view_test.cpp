#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "../temp_dir.hpp"
#include "ctg/output/console.hpp"
#include "ctg/output/journal_view.hpp"
#include "ctg/store/journal.hpp"

using namespace ctg;

namespace {

// What a view writes to stdout, through a real FILE stream.
struct Captured {
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  std::FILE* err = std::fopen("/dev/null", "w");
  output::Console console{out, err, {}};
  ~Captured() {
    std::fclose(out);
    std::fclose(err);
    std::free(buf);
  }
  std::string take() {
    std::fflush(out);
    std::string text(buf, len);
    std::rewind(out);
    std::fflush(out);
    len = 0;
    return text;
  }
};

const std::string k_title = "\x1b]0;pwned\x07";
const std::string k_clear = "\x1b[2J";
const std::string k_csi = "\u009b31m";
const std::string k_rlo = "\u202ecba";

// True when `out` holds no control character but LF, no DEL, no C1 control and no bidi override.
bool inert(const std::string& out) {
  for (const char c : out) {
    const auto b = static_cast<unsigned char>(c);
    if ((b < 0x20 && c != '\n') || b == 0x7F) return false;
  }
  return out.find("\xC2\x9B") == std::string::npos && out.find("\xE2\x80\xAE") == std::string::npos;
}

// A journal holding one hostile delivery, forwarded once with a hostile answer.
struct HostileJournal {
  test::ScratchDir dir{"ctg-view"};
  std::unique_ptr<store::Journal> journal;
  store::Delivery delivery;

  HostileJournal() {
    auto opened = store::Journal::open(dir.file("events.db"));
    REQUIRE(opened.has_value());
    journal = std::move(*opened);
    delivery.received_at_ms = 1'764'400'000'000;
    delivery.peer = "127.0.0.1:4242" + k_clear;
    delivery.method = "POST";
    delivery.path = "/hook" + k_csi;
    delivery.headers = {{"Content-Type", "application/json"}, {"X-Evil", "v" + k_title + k_rlo}};
    delivery.event_type = "text." + k_title;
    delivery.event_id = "evt_" + k_clear + k_csi;
    delivery.body = "{\"type\":\"text." + std::string("\\u001b]0;pwned\\u0007") +
                    "\",\"id\":\"evt_1\",\"data\":{\"body\":\"" + k_csi + k_rlo + "\"}}";
    delivery.verification = "unverified";
    delivery.status = 200;
    auto appended = journal->append(delivery, {"http://127.0.0.1:9/x"});
    REQUIRE(appended.has_value());
    delivery.id = appended->id;
    auto forwards = journal->forwards_of(delivery.id);
    REQUIRE(forwards.has_value());
    REQUIRE(forwards->size() == 1);
    store::Attempt attempt{.forward_id = forwards->front().id,
                           .number = 1,
                           .started_at_ms = delivery.received_at_ms + 5,
                           .status = 0,
                           .error = "refused " + k_title,
                           .response_excerpt = k_csi + k_rlo};
    REQUIRE(journal->record_attempt(attempt, store::ForwardState::failed).has_value());
    // A rejected request whose body is not JSON.
    store::Delivery rejected;
    rejected.received_at_ms = delivery.received_at_ms + 10;
    rejected.method = "POST";
    rejected.path = "/hook";
    rejected.body = "line 1\r\nline 2\r" + k_clear;
    rejected.status = 400;
    rejected.rejection = "invalid_json" + k_title + ": at \"" + k_csi + "\"";
    REQUIRE(journal->append(rejected, {}).has_value());
  }
};

}  // namespace

TEST_CASE("output::JournalView text shows hostile journal text escaped") {
  HostileJournal j;
  Captured c;
  output::JournalView view(c.console, *j.journal);
  auto all = j.journal->list({});
  REQUIRE(all.has_value());
  view.list_table(*all);
  const std::string table = c.take();
  CHECK(inert(table));
  CHECK(table.find("text.\\x1b]0;pwned\\x07") != std::string::npos);
  CHECK(table.find("evt_\\x1b[2J\\u009b31m") != std::string::npos);
  CHECK(table.find("invalid_json\\x1b]0;pwned\\x07") != std::string::npos);  // a rejection's kind

  view.show_text(all->back());
  const std::string shown = c.take();
  CHECK(inert(shown));
  CHECK(shown.find("from 127.0.0.1:4242\\x1b[2J") != std::string::npos);
  CHECK(shown.find("POST /hook\\u009b31m") != std::string::npos);
  CHECK(shown.find("text.\\x1b]0;pwned\\x07 evt_\\x1b[2J\\u009b31m") != std::string::npos);
  CHECK(shown.find("X-Evil: v\\x1b]0;pwned\\x07\\u202ecba") != std::string::npos);
  CHECK(shown.find("\\u009b31m\\u202ecba") != std::string::npos);  // the body, as indented JSON
  CHECK(shown.find("refused \\x1b]0;pwned\\x07") != std::string::npos);

  view.show_text(all->front());
  const std::string rejected = c.take();
  CHECK(inert(rejected.substr(0, rejected.find("line 1"))));
  CHECK(rejected.find("line 1\r\nline 2\\x0d\\x1b[2J\n") != std::string::npos);  // a body keeps CR LF
  CHECK(rejected.find("invalid_json\\x1b]0;pwned\\x07: at \"\\u009b31m\"") != std::string::npos);

  listen::ReplayResult failed{.delivery_id = j.delivery.id,
                              .outcome = std::unexpected(net::Failure{.message = "refused " + k_clear})};
  view.replay_line(all->back(), failed, false);
  net::Response redirect;
  redirect.status = 302;
  redirect.headers = {{"Location", "http://x/" + k_title}};
  listen::ReplayResult moved{.delivery_id = j.delivery.id, .outcome = redirect};
  view.replay_line(all->back(), moved, false);
  const std::string replayed = c.take();
  CHECK(inert(replayed));
  CHECK(replayed.find("refused \\x1b[2J") != std::string::npos);
  CHECK(replayed.find("redirected to http://x/\\x1b]0;pwned\\x07") != std::string::npos);
}

TEST_CASE("output::JournalView --json keeps hostile journal text exactly, escaped by the encoder") {
  HostileJournal j;
  Captured c;
  output::JournalView view(c.console, *j.journal);
  auto all = j.journal->list({});
  REQUIRE(all.has_value());
  view.list_json(*all);
  const std::string listed = c.take();
  CHECK(inert(listed));
  const auto rows = nlohmann::json::parse(listed);
  REQUIRE(rows.size() == 2);
  CHECK(rows[1]["type"] == j.delivery.event_type);
  CHECK(rows[1]["event_id"] == j.delivery.event_id);
  CHECK(rows[1]["path"] == j.delivery.path);
  CHECK(rows[1]["peer"] == j.delivery.peer);

  view.show_json(all->back());
  const std::string shown = c.take();
  CHECK(inert(shown));
  CHECK(shown.find("\\u001b]0;pwned\\u0007") != std::string::npos);
  CHECK(shown.find("\\u009b31m\\u202ecba") != std::string::npos);
  const auto one = nlohmann::json::parse(shown);
  CHECK(one["body"] == j.delivery.body);
  CHECK(one["headers"][1][1] == j.delivery.headers[1].second);
  CHECK(one["forwards"][0]["attempts"][0]["error"] == "refused " + k_title);
  CHECK(one["forwards"][0]["attempts"][0]["response_excerpt"] == k_csi + k_rlo);

  listen::ReplayResult failed{.delivery_id = j.delivery.id,
                              .outcome = std::unexpected(net::Failure{.message = "refused " + k_clear})};
  view.replay_line(all->back(), failed, true);
  const std::string replayed = c.take();
  CHECK(inert(replayed));
  const auto line = nlohmann::json::parse(replayed);
  CHECK(line["type"] == j.delivery.event_type);
  CHECK(line["error"] == "refused " + k_clear);
}
