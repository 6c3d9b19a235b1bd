// The journal's read side: one read connection, guarded by a mutex. In WAL mode a reader sees the
// last committed state and never waits for the writer (nor the writer for it).
#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <cstdint>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/core/text.hpp"
#include "ctg/store/journal.hpp"
#include "ctg/store/journal_impl.hpp"
#include "ctg/store/schema.hpp"

namespace ctg::store {

namespace {

constexpr int k_reader_flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

constexpr std::string_view k_forward_columns =
    "id, delivery_id, target, state, attempts, next_attempt_at_ms, last_status, last_error, last_latency_us";

// ctg_glob(pattern, text): text::glob_match in SQL, so that list() filters with exactly the glob
// semantics of the rest of ctg (SQLite's GLOB also knows [classes] and counts '?' in characters).
void sql_glob(sqlite3_context* context, int, sqlite3_value** args) {
  auto view = [](sqlite3_value* value) {
    const auto* text = sqlite3_value_text(value);
    const int size = sqlite3_value_bytes(value);
    if (text == nullptr || size <= 0) return std::string_view();
    return std::string_view(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
  };
  sqlite3_result_int(context, text::glob_match(view(args[0]), view(args[1])) ? 1 : 0);
}

Error read_error(std::string_view path, const std::string& why) {
  return Error{ErrorKind::io, fmt::format("cannot read journal {}: {}", path, why), {}};
}

std::optional<ForwardState> parse_state(std::string_view name) {
  for (auto state : {ForwardState::pending, ForwardState::delivered, ForwardState::failed, ForwardState::dead}) {
    if (to_string(state) == name) return state;
  }
  return std::nullopt;
}

std::optional<Headers> decode_headers(const std::string& json_text) {
  const auto json = nlohmann::json::parse(json_text, nullptr, false);
  if (json.is_discarded() || !json.is_array()) return std::nullopt;
  Headers headers;
  headers.reserve(json.size());
  for (const auto& pair : json) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) return std::nullopt;
    headers.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  }
  return headers;
}

// The SQL condition for a list() status filter, or a usage error naming the valid values.
Result<std::string> status_condition(std::string_view status) {
  if (status == "accepted") return std::string("d.status BETWEEN 200 AND 299 AND d.duplicate = 0");
  if (status == "rejected") return std::string("d.status NOT BETWEEN 200 AND 299");
  if (status == "duplicate") return std::string("d.duplicate = 1");
  if (status == "forward-failed") {
    return std::string(
        "EXISTS (SELECT 1 FROM forwards f WHERE f.delivery_id = d.id AND f.state IN ('failed', 'dead'))");
  }
  if (status == "dead")
    return std::string("EXISTS (SELECT 1 FROM forwards f WHERE f.delivery_id = d.id AND f.state = 'dead')");
  if (status.size() == 3 && status[0] >= '1' && status[0] <= '5') {
    if (status.substr(1) == "xx") return fmt::format("d.status BETWEEN {0}00 AND {0}99", status[0]);
    int code = 0;
    const auto [end, ec] = std::from_chars(status.data(), status.data() + status.size(), code);
    if (ec == std::errc() && end == status.data() + status.size()) return fmt::format("d.status = {}", code);
  }
  constexpr std::array<std::string_view, 8> k_names = {"accepted", "rejected", "duplicate", "forward-failed",
                                                       "dead",     "2xx",      "4xx",       "5xx"};
  const auto near = text::nearest(status, k_names, 1);
  return fail(ErrorKind::usage,
              fmt::format("unknown status filter \"{}\": use accepted, rejected, duplicate, forward-failed, dead, "
                          "a class such as 2xx, 4xx or 5xx, or a code such as 401",
                          status),
              near.empty() ? std::string() : fmt::format("did you mean {}?", near.front()));
}

}  // namespace

Result<void> Journal::Impl::open_reader() {
  auto reader = sqlite::Connection::open(m_path, k_reader_flags);
  if (!reader) return std::unexpected(reader.error());
  m_reader = std::move(*reader);
  if (auto done = schema::configure(m_reader, schema::Role::reader, m_path); !done) return done;
  if (sqlite3_create_function_v2(m_reader.get(), "ctg_glob", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, &sql_glob,
                                 nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail(ErrorKind::io, fmt::format("cannot open journal {}: {}", m_path, m_reader.last_error()));
  }
  const std::string deliveries = fmt::format("SELECT {} FROM deliveries ", k_delivery_columns);
  const std::string forwards = fmt::format("SELECT {} FROM forwards ", k_forward_columns);
  const std::pair<sqlite::Statement*, std::string> statements[] = {
      {&m_r.find, deliveries + "WHERE id = ?1"},
      {&m_r.find_by_event_id, deliveries + "WHERE event_id = ?1 AND status BETWEEN 200 AND 299 ORDER BY id LIMIT 1"},
      {&m_r.forwards_of, forwards + "WHERE delivery_id = ?1 ORDER BY id"},
      {&m_r.attempts_of,
       "SELECT forward_id, number, started_at_ms, status, latency_us, error, response_excerpt, next_attempt_at_ms"
       " FROM attempts WHERE forward_id = ?1 ORDER BY number, id"},
      // Distinct targets by skipping through the forwards_queue index: O(targets * log n).
      {&m_r.first_target, "SELECT MIN(target) FROM forwards"},
      {&m_r.next_target, "SELECT MIN(target) FROM forwards WHERE target > ?1"},
      {&m_r.head_of, forwards + "WHERE target = ?1 AND state = 'pending' ORDER BY delivery_id, id LIMIT 1"},
      {&m_r.pending_of, forwards + "WHERE target = ?1 AND state = 'pending' ORDER BY delivery_id, id LIMIT ?2"},
      {&m_r.pending_count, "SELECT COUNT(*) FROM forwards WHERE target = ?1 AND state = 'pending'"},
  };
  for (const auto& [statement, sql] : statements) {
    if (auto prepared = prepare(m_reader, *statement, sql); !prepared) return prepared;
  }
  return {};
}

namespace {

// Steps `statement` to its end, turning each row into a T with `read_row`.
template <class T, class ReadRow>
Result<std::vector<T>> collect(const sqlite::Connection& db, std::string_view path, sqlite::Statement& statement,
                               ReadRow read_row) {
  std::vector<T> rows;
  while (true) {
    const int rc = statement.step();
    if (rc == SQLITE_DONE) return rows;
    if (rc != SQLITE_ROW) return std::unexpected(read_error(path, db.last_error()));
    auto row = read_row(path, statement);
    if (!row) return std::unexpected(row.error());
    rows.push_back(std::move(*row));
  }
}

template <class T>
Result<std::optional<T>> first_of(Result<std::vector<T>> rows) {
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<T>();
  return std::optional<T>(std::move(rows->front()));
}

Result<Delivery> read_delivery(std::string_view path, const sqlite::Statement& s) {
  Delivery d;
  d.id = s.column_int64(0);
  d.received_at_ms = s.column_int64(1);
  d.peer = s.column_text(2);
  d.method = s.column_text(3);
  d.path = s.column_text(4);
  auto headers = decode_headers(s.column_text(5));
  if (!headers) return std::unexpected(read_error(path, fmt::format("delivery {} has unreadable headers", d.id)));
  d.headers = std::move(*headers);
  d.body = s.column_blob(6);
  d.verification = s.column_text(7);
  d.verification_message = s.column_text(8);
  d.event_id = s.column_text(9);
  d.event_type = s.column_text(10);
  d.status = s.column_int(11);
  d.rejection = s.column_text(12);
  d.duplicate = s.column_int(13) != 0;
  d.duration_us = s.column_int64(14);
  d.body_length = static_cast<std::uint64_t>(s.column_int64(15));
  return d;
}

Result<Forward> read_forward(std::string_view path, const sqlite::Statement& s) {
  Forward f;
  f.id = s.column_int64(0);
  f.delivery_id = s.column_int64(1);
  f.target = s.column_text(2);
  const auto state = parse_state(s.column_text(3));
  if (!state) return std::unexpected(read_error(path, fmt::format("forward {} has an unknown state", f.id)));
  f.state = *state;
  f.attempts = s.column_int(4);
  f.next_attempt_at_ms = s.column_int64(5);
  f.last_status = s.column_int(6);
  f.last_error = s.column_text(7);
  f.last_latency_us = s.column_int64(8);
  return f;
}

Result<Attempt> read_attempt(std::string_view, const sqlite::Statement& s) {
  Attempt a;
  a.forward_id = s.column_int64(0);
  a.number = s.column_int(1);
  a.started_at_ms = s.column_int64(2);
  a.status = s.column_int(3);
  a.latency_us = s.column_int64(4);
  a.error = s.column_text(5);
  a.response_excerpt = s.column_text(6);
  a.next_attempt_at_ms = s.column_int64(7);
  return a;
}

}  // namespace

Result<std::vector<Delivery>> Journal::list(const ListFilter& filter) const {
  std::string sql = fmt::format("SELECT {} FROM deliveries d WHERE 1", k_delivery_columns);
  if (filter.status) {
    auto condition = status_condition(*filter.status);
    if (!condition) return std::unexpected(condition.error());
    sql += " AND " + *condition;
  }
  int next = 1;
  const int glob_index = filter.type_glob ? next++ : 0;
  const int since_index = filter.since_ms ? next++ : 0;
  if (glob_index != 0) sql += fmt::format(" AND ctg_glob(?{}, d.event_type)", glob_index);
  if (since_index != 0) sql += fmt::format(" AND d.received_at_ms >= ?{}", since_index);
  sql += fmt::format(" ORDER BY d.id DESC LIMIT ?{}", next);

  std::lock_guard lock(m_impl->m_read_mutex);
  sqlite::Statement statement;
  if (auto prepared = m_impl->prepare(m_impl->m_reader, statement, sql); !prepared) {
    return std::unexpected(prepared.error());
  }
  if (glob_index != 0) statement.bind_text(glob_index, *filter.type_glob);
  if (since_index != 0) statement.bind(since_index, *filter.since_ms);
  // limit 0: no limit (SQLite reads a negative LIMIT as none).
  const auto limit = std::min<std::size_t>(filter.limit, INT64_MAX);
  statement.bind(next, limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(limit));
  return collect<Delivery>(m_impl->m_reader, m_impl->m_path, statement, read_delivery);
}

Result<std::optional<Delivery>> Journal::find(std::int64_t id) const {
  std::lock_guard lock(m_impl->m_read_mutex);
  auto& s = m_impl->m_r.find;
  sqlite::ResetOnExit reset(s);
  s.bind(1, id);
  return first_of(collect<Delivery>(m_impl->m_reader, m_impl->m_path, s, read_delivery));
}

Result<std::optional<Delivery>> Journal::find_by_event_id(const std::string& event_id) const {
  if (event_id.empty()) return std::optional<Delivery>();  // deliveries whose body did not parse
  std::lock_guard lock(m_impl->m_read_mutex);
  auto& s = m_impl->m_r.find_by_event_id;
  sqlite::ResetOnExit reset(s);
  s.bind_text(1, event_id);
  return first_of(collect<Delivery>(m_impl->m_reader, m_impl->m_path, s, read_delivery));
}

Result<std::vector<Forward>> Journal::forwards_of(std::int64_t delivery_id) const {
  std::lock_guard lock(m_impl->m_read_mutex);
  auto& s = m_impl->m_r.forwards_of;
  sqlite::ResetOnExit reset(s);
  s.bind(1, delivery_id);
  return collect<Forward>(m_impl->m_reader, m_impl->m_path, s, read_forward);
}

Result<std::vector<Attempt>> Journal::attempts_of(std::int64_t forward_id) const {
  std::lock_guard lock(m_impl->m_read_mutex);
  auto& s = m_impl->m_r.attempts_of;
  sqlite::ResetOnExit reset(s);
  s.bind(1, forward_id);
  return collect<Attempt>(m_impl->m_reader, m_impl->m_path, s, read_attempt);
}

Result<std::vector<std::string>> Journal::pending_targets() const {
  std::lock_guard lock(m_impl->m_read_mutex);
  auto& r = m_impl->m_r;
  // Every distinct target, then each one's head; ordered by the heads' delivery order.
  struct Head {
    std::int64_t delivery_id, forward_id;
    std::string target;
  };
  std::vector<Head> heads;
  std::optional<std::string> target;
  while (true) {
    auto& step = target ? r.next_target : r.first_target;
    sqlite::ResetOnExit reset(step);
    if (target) step.bind_text(1, *target);
    if (step.step() != SQLITE_ROW) return std::unexpected(read_error(m_impl->m_path, m_impl->m_reader.last_error()));
    if (sqlite3_column_type(step.get(), 0) == SQLITE_NULL) break;
    target = step.column_text(0);

    sqlite::ResetOnExit reset_head(r.head_of);
    r.head_of.bind_text(1, *target);
    auto head = first_of(collect<Forward>(m_impl->m_reader, m_impl->m_path, r.head_of, read_forward));
    if (!head) return std::unexpected(head.error());
    if (*head) heads.push_back({(*head)->delivery_id, (*head)->id, *target});
  }
  std::sort(heads.begin(), heads.end(), [](const Head& a, const Head& b) {
    return std::pair(a.delivery_id, a.forward_id) < std::pair(b.delivery_id, b.forward_id);
  });
  std::vector<std::string> targets;
  targets.reserve(heads.size());
  for (auto& head : heads) targets.push_back(std::move(head.target));
  return targets;
}

Result<std::optional<Forward>> Journal::head_of(const std::string& target) const {
  std::lock_guard lock(m_impl->m_read_mutex);
  auto& s = m_impl->m_r.head_of;
  sqlite::ResetOnExit reset(s);
  s.bind_text(1, target);
  return first_of(collect<Forward>(m_impl->m_reader, m_impl->m_path, s, read_forward));
}

Result<std::vector<Forward>> Journal::pending_of(const std::string& target, std::size_t limit) const {
  std::lock_guard lock(m_impl->m_read_mutex);
  auto& s = m_impl->m_r.pending_of;
  sqlite::ResetOnExit reset(s);
  s.bind_text(1, target);
  s.bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  return collect<Forward>(m_impl->m_reader, m_impl->m_path, s, read_forward);
}

Result<std::int64_t> Journal::pending_count(const std::string& target) const {
  std::lock_guard lock(m_impl->m_read_mutex);
  auto& s = m_impl->m_r.pending_count;
  sqlite::ResetOnExit reset(s);
  s.bind_text(1, target);
  if (s.step() != SQLITE_ROW) return std::unexpected(read_error(m_impl->m_path, m_impl->m_reader.last_error()));
  return s.column_int64(0);
}

}  // namespace ctg::store
