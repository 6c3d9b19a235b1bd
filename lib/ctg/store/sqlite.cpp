#include "ctg/store/sqlite.hpp"

#include <utility>

#include <fmt/format.h>

namespace ctg::store::sqlite {

Connection::~Connection() {
  // sqlite3_close_v2 defers the close until every statement is finalized; the journal finalizes
  // its statements first, so this closes at once.
  if (m_db != nullptr) sqlite3_close_v2(m_db);
}

Connection::Connection(Connection&& other) noexcept : m_db(std::exchange(other.m_db, nullptr)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (m_db != nullptr) sqlite3_close_v2(m_db);
    m_db = std::exchange(other.m_db, nullptr);
  }
  return *this;
}

Result<Connection> Connection::open(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  Connection connection(db);  // owns the handle even when opening failed
  if (rc != SQLITE_OK) {
    const std::string reason = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return fail(ErrorKind::io, fmt::format("cannot open journal {}: {}", path, reason));
  }
  sqlite3_extended_result_codes(db, 1);
  return connection;
}

std::string Connection::last_error() const {
  return m_db != nullptr ? std::string(sqlite3_errmsg(m_db)) : std::string("no connection");
}

Result<void> Connection::exec(const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string reason = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return fail(ErrorKind::io, std::move(reason));
  }
  return {};
}

Statement::~Statement() {
  if (m_stmt != nullptr) sqlite3_finalize(m_stmt);
}

Statement::Statement(Statement&& other) noexcept : m_stmt(std::exchange(other.m_stmt, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (m_stmt != nullptr) sqlite3_finalize(m_stmt);
    m_stmt = std::exchange(other.m_stmt, nullptr);
  }
  return *this;
}

Result<Statement> Statement::prepare(const Connection& db, std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc =
      sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  Statement statement(stmt);
  if (rc != SQLITE_OK) return fail(ErrorKind::io, db.last_error());
  return statement;
}

void Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(m_stmt, index, value);
}

void Statement::bind_text(int index, std::string_view value) {
  // std::string_view::data() of an empty view may be null, which SQLite would store as NULL.
  sqlite3_bind_text64(m_stmt, index, value.empty() ? "" : value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8);
}

void Statement::bind_blob(int index, std::string_view value) {
  if (value.empty()) {
    sqlite3_bind_zeroblob(m_stmt, index, 0);
  } else {
    sqlite3_bind_blob64(m_stmt, index, value.data(), value.size(), SQLITE_STATIC);
  }
}

void Statement::bind_null(int index) {
  sqlite3_bind_null(m_stmt, index);
}

int Statement::step() {
  return sqlite3_step(m_stmt);
}

void Statement::reset() {
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
}

std::int64_t Statement::column_int64(int index) const {
  return sqlite3_column_int64(m_stmt, index);
}

int Statement::column_int(int index) const {
  return sqlite3_column_int(m_stmt, index);
}

std::string Statement::column_text(int index) const {
  const auto* text = sqlite3_column_text(m_stmt, index);
  const int size = sqlite3_column_bytes(m_stmt, index);
  if (text == nullptr || size <= 0) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::string Statement::column_blob(int index) const {
  const void* blob = sqlite3_column_blob(m_stmt, index);
  const int size = sqlite3_column_bytes(m_stmt, index);
  if (blob == nullptr || size <= 0) return {};
  return std::string(static_cast<const char*>(blob), static_cast<std::size_t>(size));
}

}  // namespace ctg::store::sqlite
