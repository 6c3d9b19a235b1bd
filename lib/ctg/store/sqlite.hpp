// ctg::store::sqlite — private to lib/ctg/store: thin RAII owners of a SQLite connection and a
// prepared statement, so the rest of the store never calls sqlite3_close/finalize by hand.
//
// Threading: a Connection and its Statements are used by one thread at a time (connections are
// opened with SQLITE_OPEN_NOMUTEX; the journal serialises each connection itself).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "ctg/core/error.hpp"

namespace ctg::store::sqlite {

class Connection {
 public:
  Connection() = default;
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Opens `path` read-write (the file must exist or SQLITE_OPEN_CREATE is implied by `flags`).
  // Errors (io): "cannot open journal <path>: <reason>".
  static Result<Connection> open(const std::string& path, int flags);

  sqlite3* get() const { return m_db; }
  // The connection's last error, lower-case as ctg words its messages.
  std::string last_error() const;
  // Runs one or more statements that return no rows. Errors carry SQLite's message.
  Result<void> exec(const char* sql);

 private:
  explicit Connection(sqlite3* db) : m_db(db) {}
  sqlite3* m_db = nullptr;
};

// A prepared statement. Bindings are 1-based like SQLite's; text and blobs are bound without a
// copy (SQLITE_STATIC), so the bound bytes must outlive the next step()/reset().
class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Prepares `sql` (SQLITE_PREPARE_PERSISTENT: the statement is reused many times).
  static Result<Statement> prepare(const Connection& db, std::string_view sql);

  void bind(int index, std::int64_t value);
  void bind(int index, int value) { bind(index, static_cast<std::int64_t>(value)); }
  void bind_text(int index, std::string_view value);
  void bind_blob(int index, std::string_view value);
  void bind_null(int index);

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step();
  // Ends the current execution (releasing its read snapshot) and clears the bindings.
  void reset();

  std::int64_t column_int64(int index) const;
  int column_int(int index) const;
  std::string column_text(int index) const;  // exact bytes, NULs included
  std::string column_blob(int index) const;

  sqlite3_stmt* get() const { return m_stmt; }

 private:
  explicit Statement(sqlite3_stmt* stmt) : m_stmt(stmt) {}
  sqlite3_stmt* m_stmt = nullptr;
};

// Resets a statement when the scope ends, so that no statement keeps a read snapshot open (which
// would stop WAL checkpoints) and no stale SQLITE_STATIC binding survives its bytes.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& statement) : m_statement(statement) {}
  ~ResetOnExit() { m_statement.reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& m_statement;
};

}  // namespace ctg::store::sqlite
