#include "ctg/store/schema.hpp"

#include <array>

#include <fmt/format.h>

namespace ctg::store::schema {

namespace {

// Each step takes the schema from version i to i + 1. Steps are append-only: a released step is
// never edited, a change is a new step.
constexpr std::array k_migrations = {
    // 1: deliveries, their forwards, and each forward's attempts.
    R"sql(
CREATE TABLE deliveries (
  id                   INTEGER PRIMARY KEY,   -- 1, 2, 3, ... in arrival order
  received_at_ms       INTEGER NOT NULL,
  peer                 TEXT NOT NULL,
  method               TEXT NOT NULL,
  path                 TEXT NOT NULL,
  headers              TEXT NOT NULL,         -- JSON array of [name, value] pairs, in order
  body                 BLOB NOT NULL,         -- the exact bytes received
  verification         TEXT NOT NULL,
  verification_message TEXT NOT NULL,
  event_id             TEXT NOT NULL,
  event_type           TEXT NOT NULL,
  status               INTEGER NOT NULL,      -- the HTTP status answered
  rejection            TEXT NOT NULL,
  duplicate            INTEGER NOT NULL,      -- 0 or 1
  duration_us          INTEGER NOT NULL
);
CREATE INDEX deliveries_event_id ON deliveries (event_id);
CREATE INDEX deliveries_received_at ON deliveries (received_at_ms);
CREATE INDEX deliveries_event_type ON deliveries (event_type);

CREATE TABLE forwards (
  id                 INTEGER PRIMARY KEY,
  delivery_id        INTEGER NOT NULL REFERENCES deliveries (id),
  target             TEXT NOT NULL,
  state              TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'dead')),
  attempts           INTEGER NOT NULL DEFAULT 0,
  next_attempt_at_ms INTEGER NOT NULL,
  last_status        INTEGER NOT NULL DEFAULT 0,
  last_error         TEXT NOT NULL DEFAULT '',
  last_latency_us    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX forwards_queue ON forwards (target, state, delivery_id);
CREATE INDEX forwards_delivery ON forwards (delivery_id);

CREATE TABLE attempts (
  id                 INTEGER PRIMARY KEY,
  forward_id         INTEGER NOT NULL REFERENCES forwards (id),
  number             INTEGER NOT NULL,
  started_at_ms      INTEGER NOT NULL,
  status             INTEGER NOT NULL,
  latency_us         INTEGER NOT NULL,
  error              TEXT NOT NULL,
  response_excerpt   TEXT NOT NULL,
  next_attempt_at_ms INTEGER NOT NULL
);
CREATE INDEX attempts_forward ON attempts (forward_id, number);
)sql",
    // 2: `events list --type` matches globs with ctg_glob(), which no index serves; the index
    // only cost every insert a page.
    R"sql(
DROP INDEX IF EXISTS deliveries_event_type;
)sql",
    // 3: a rejected or incomplete request's body is kept up to a bounded prefix; body_length is its
    // full length then (NULL: the body column holds it whole).
    R"sql(
ALTER TABLE deliveries ADD COLUMN body_length INTEGER;
)sql",
};

std::string open_error(const std::string& path, const std::string& reason) {
  return fmt::format("cannot open journal {}: {}", path, reason);
}

Result<int> user_version(sqlite::Connection& db, const std::string& path) {
  auto statement = sqlite::Statement::prepare(db, "PRAGMA user_version");
  if (!statement) return fail(ErrorKind::io, open_error(path, statement.error().message));
  if (statement->step() != SQLITE_ROW) return fail(ErrorKind::io, open_error(path, db.last_error()));
  return statement->column_int(0);
}

}  // namespace

int known_version() {
  return static_cast<int>(k_migrations.size());
}

Result<void> configure(sqlite::Connection& db, Role role, const std::string& path) {
  sqlite3_busy_timeout(db.get(), 10'000);
  // WAL with synchronous=NORMAL: a commit is complete once its frames are written to the WAL file
  // (in the kernel's page cache), without an fsync. That survives the death of the process,
  // SIGKILL included, which is the promise the journal makes; only a power loss or kernel crash
  // can lose the last commits (the database itself stays consistent). fsyncs happen only at
  // checkpoints, so durability does not cost a disk flush per commit.
  const char* settings = role == Role::writer ? "PRAGMA journal_mode = WAL;"
                                                "PRAGMA synchronous = NORMAL;"
                                                "PRAGMA foreign_keys = ON;"
                                                "PRAGMA temp_store = MEMORY;"
                                                "PRAGMA cache_size = -32768;"  // KiB: hot index pages stay cached
                                                "PRAGMA journal_size_limit = 67108864;"
                                              : "PRAGMA synchronous = NORMAL;"
                                                "PRAGMA foreign_keys = ON;"
                                                "PRAGMA temp_store = MEMORY;"
                                                "PRAGMA query_only = ON;";
  if (auto done = db.exec(settings); !done) return fail(ErrorKind::io, open_error(path, done.error().message));
  return {};
}

Result<void> migrate(sqlite::Connection& db, const std::string& path) {
  if (auto begun = db.exec("BEGIN IMMEDIATE"); !begun) {
    return fail(ErrorKind::io, open_error(path, begun.error().message));
  }
  auto applied = [&]() -> Result<void> {
    auto found = user_version(db, path);
    if (!found) return std::unexpected(found.error());
    if (*found > known_version()) {
      return fail(ErrorKind::io,
                  fmt::format("journal {} was written by a newer ctg (schema {}, this ctg knows {})", path, *found,
                              known_version()),
                  "upgrade ctg, or use another journal file");
    }
    for (auto version = static_cast<std::size_t>(*found < 0 ? 0 : *found); version < k_migrations.size(); ++version) {
      if (auto done = db.exec(k_migrations[version]); !done) {
        return fail(ErrorKind::io,
                    open_error(path, fmt::format("schema migration {} failed: {}", version + 1, done.error().message)));
      }
    }
    if (*found != known_version()) {
      const auto set_version = fmt::format("PRAGMA user_version = {}", known_version());
      if (auto done = db.exec(set_version.c_str()); !done) {
        return fail(ErrorKind::io, open_error(path, done.error().message));
      }
    }
    return {};
  }();
  if (!applied) {
    (void)db.exec("ROLLBACK");
    return applied;
  }
  if (auto committed = db.exec("COMMIT"); !committed) {
    (void)db.exec("ROLLBACK");
    return fail(ErrorKind::io, open_error(path, committed.error().message));
  }
  return {};
}

}  // namespace ctg::store::schema
