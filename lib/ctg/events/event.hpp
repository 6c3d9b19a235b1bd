// ctg::events — a received or generated event: the exact raw bytes plus what was parsed from them.
//
// parse_event() never loses the raw body (signatures cover the bytes, so nothing is ever
// re-serialised for forwarding or verification). Hostile input cannot crash or hang it: invalid
// UTF-8, numbers out of range and nesting deeper than k_max_depth are errors with a clear message.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ctg/core/error.hpp"
#include "ctg/events/catalog.hpp"

namespace ctg::events {

// Nesting deeper than this is refused before the JSON parser sees it.
inline constexpr std::size_t k_max_depth = 64;

enum class Format { envelope, legacy_v1 };

class Event {
 public:
  const std::string& raw() const { return m_raw; }       // the exact bytes received
  Format format() const { return m_format; }
  const std::string& id() const { return m_id; }         // "evt_..."; empty for legacy v1
  const std::string& type() const { return m_type; }     // "text.incoming.sms"; "v1.sms" for legacy
  std::int64_t timestamp() const { return m_timestamp; } // envelope (or crumbs) timestamp, seconds
  const std::string& api_version() const { return m_api_version; }  // may be empty
  const EventType* known_type() const { return m_known; }            // nullptr for unknown types
  const nlohmann::ordered_json& json() const { return *m_json; }     // the parsed body
  const nlohmann::ordered_json& data() const;  // `data` (or `crumbs` for legacy v1); null if absent

 private:
  friend Result<Event> parse_event(std::string raw);
  std::string m_raw;
  Format m_format = Format::envelope;
  std::string m_id;
  std::string m_type;
  std::int64_t m_timestamp = 0;
  std::string m_api_version;
  const EventType* m_known = nullptr;
  std::shared_ptr<const nlohmann::ordered_json> m_json;
  const nlohmann::ordered_json* m_data = nullptr;  // in *m_json, looked up once
};

// Parses and validates the envelope. Errors (kind invalid_input) are precise:
//   "body is empty", "invalid UTF-8 at byte 17", "JSON nested deeper than 64 levels",
//   "invalid JSON at line 1, column 9: ...", "body must be a JSON object, got array",
//   "missing field \"id\"", "id must be a string, got number 12",
//   "timestamp must be an integer number of seconds, got string \"1707321600\"",
//   "data must be an object, got null".
// A body with `message` and `crumbs` but no `type` is legacy v1. Unknown types are valid events.
Result<Event> parse_event(std::string raw);

// What an event's envelope says, without the rest of the body.
struct EventHead {
  Format format = Format::envelope;
  std::string id;
  std::string type;
  std::int64_t timestamp = 0;
  std::string api_version;
};

// Validates `raw` as parse_event() does (the same bodies accepted, the same errors) and returns
// its envelope, without building a JSON document: one scan of the bytes for a plain body,
// parse_event() itself for anything less plain (see event_head.cpp). For the receiver's hot path.
Result<EventHead> read_event_head(std::string_view raw);

// One strict-validation finding: a `data` field that does not match the platform's schema.
struct SchemaIssue {
  std::string path;     // "data.attachments[0].url"
  std::string message;  // "missing", "must be a string, got number 3", ...
};

// Checks the type's fields (catalog FieldSpec), plus envelope details the parser lets pass
// (api_version present, timestamp that looks like milliseconds, `evt_` id prefix). Reports every
// mismatch, not just the first. Unknown types yield no issues.
std::vector<SchemaIssue> strict_issues(const Event& event);

// One line for humans: sender -> recipient and a text excerpt for messages; delivery status and
// error; email subject; OTP status; identity session outcome. Never longer than ~120 characters,
// never contains control characters.
std::string summarize(const Event& event);

// The JSON type name used in messages: "string", "number", "object", "array", "boolean", "null".
std::string_view json_type_name(const nlohmann::ordered_json& value);

}  // namespace ctg::events
