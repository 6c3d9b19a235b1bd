// ctg::store::schema — private to lib/ctg/store: the journal's connection settings and its
// versioned schema (PRAGMA user_version), brought up to date by an ordered list of migrations.
#pragma once

#include <string>

#include "ctg/core/error.hpp"
#include "ctg/store/sqlite.hpp"

namespace ctg::store::schema {

// The schema version this ctg writes: the number of migrations it knows.
int known_version();

enum class Role { writer, reader };

// Applies the per-connection settings: busy timeout, WAL, synchronous=NORMAL, foreign keys, cache.
// A reader is also made query-only. Errors (io): "cannot open journal <path>: <reason>".
Result<void> configure(sqlite::Connection& db, Role role, const std::string& path);

// Brings the schema from PRAGMA user_version up to known_version() in one IMMEDIATE transaction
// (so two processes opening one new file do not both migrate it). On success user_version equals
// known_version(). Errors (io): "journal <path> was written by a newer ctg (schema 7, this ctg
// knows 1)" when user_version is higher; "cannot open journal <path>: <reason>" otherwise.
Result<void> migrate(sqlite::Connection& db, const std::string& path);

}  // namespace ctg::store::schema
