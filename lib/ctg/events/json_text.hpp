// ctg::events (internal) — JSON parsing that hostile input cannot crash, and the wording of values
// in messages. Shared by event.cpp, summary.cpp and fixtures.cpp; not part of the public API.
// Includes nlohmann/json.hpp, so only .cpp files include it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ctg/core/error.hpp"
#include "ctg/events/event.hpp"

namespace ctg::events::detail {

using Json = nlohmann::ordered_json;

// The deepest nesting of '[' and '{' outside strings in `bytes`, counting no further than
// `limit + 1` (so a 100,000-level document is cheap to refuse). Escapes in strings are honoured.
std::size_t nesting_depth(std::string_view bytes, std::size_t limit);

// Parses `bytes` as one JSON value, in this order of checks: valid UTF-8 ("invalid UTF-8 at byte
// N", N counted from 0), nesting ("JSON nested deeper than 64 levels"), syntax ("invalid JSON at
// line L, column C: <reason>", both from 1), numbers out of range ("invalid JSON at line L, column
// C: number 1e400 is out of range"). Errors carry `kind`. Never throws.
Result<Json> parse_json(std::string_view bytes, ErrorKind kind);

// A value as messages quote it: `number 12`, `string "1707321600"` (excerpted), `boolean true`,
// `null`, `object`, `array`.
std::string describe(const Json& value);

// True for the legacy v1 shape: an object with `message` and `crumbs` but no `type`.
bool looks_like_legacy_v1(const Json& body);

// The string member `key` of `object`, or an empty view when `object` is not an object or the
// member is missing or not a string. The view points into `object`.
std::string_view string_member(const Json& object, std::string_view key);

// Plain JSON text (plain_json.cpp) to the document nlohmann would build, in one cheaper pass; or
// nullopt when nlohmann must decide (errors, and the unusual). parse_json() tries it first.
std::optional<Json> parse_plain_json(std::string_view bytes);

// The type name (json_type_name()) of the one value in `bytes` when it is plain JSON text, checked
// in one pass as parse_plain_json() reads it (exponents, long numbers and surrogate pairs
// included) but without building anything; nullopt when parse_json() must decide. Never names a
// type for text that parse_json() refuses.
std::optional<std::string_view> plain_json_type(std::string_view bytes);

// Returns the document Json::parse(bytes) returns and throws what it throws (the same exception
// types, messages and byte positions), in O(n log n) time where Json::parse takes O(n^2) on an
// object of n members (ordered_json looks each key up in a vector): nlohmann's lexer and parser
// drive a builder that appends members to their object and merges repeated keys once the object
// is complete (merge_repeated_keys). parse_json()'s second path, for what parse_plain_json() leaves.
Json parse_json_with_nlohmann(std::string_view bytes);

// True when two members of `object` have the same key: pairwise, without allocating, for 16
// members or fewer; beyond, through a hash table, in linear time; keys chosen to collide in it
// are sorted instead (O(n log n) comparisons, whatever the keys).
bool has_repeated_keys(const Json::object_t& object);

// Makes `object`, its members in the order of the text, what nlohmann's parser makes of them: a
// repeated key keeps the place of its first occurrence and takes the value of its last
// (ordered_map::operator[], then assignment). O(n log n) (a sort) when some key repeats; linear
// otherwise, and nothing changes.
void merge_repeated_keys(Json::object_t& object);

// read_event_head()'s single scan (event_head.cpp): the envelope of a plain body, or nullopt when
// parse_event() must decide. Never accepts a body that parse_event() refuses.
std::optional<EventHead> scan_event_head(std::string_view raw);

}  // namespace ctg::events::detail
