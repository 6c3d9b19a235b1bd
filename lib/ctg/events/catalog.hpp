// ctg::events — the catalog of Contiguity event types (platform.md §3).
//
// Three generations: the 16 current types; the older names a receiver still meets
// (`communications.incoming.*` 2024-11..2025-09, and `text.incoming` / `whatsapp.incoming` for one
// week); and the legacy v1 `{message, crumbs}` format without an envelope, which ctg names
// `v1.sms`, `v1.whatsapp` and `v1.imessage` after `crumbs.type`. The catalog is static data; all
// functions are thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ctg::events {

enum class Generation { current, older, legacy_v1 };

// The shape a field must have for strict validation.
enum class FieldKind {
  string,          // JSON string
  string_or_null,  // JSON string or null
  integer,         // JSON integer
  number,          // any JSON number
  boolean,
  object,
  array,
  any,             // present, any JSON value
};

// One required (or optional) field of a type's `data`, addressed by a dot path relative to
// `data`; "attachments[].url" checks `url` in every element of the `attachments` array,
// "from.address" checks a member of an object.
struct FieldSpec {
  std::string_view path;
  FieldKind kind;
  bool required = true;
};

struct EventType {
  std::string_view name;         // "text.incoming.sms"
  Generation generation;
  std::string_view description;  // one line: "An SMS arrived at one of your numbers"
  std::string_view api_version;  // the api_version the platform sends with it ("v2025.9.7", "v2")
  std::string_view replaced_by;  // for older names: the current type; empty otherwise
  std::span<const FieldSpec> fields;  // what strict validation checks in `data` (or `crumbs`)
};

// Every known type: current first (platform.md order), then older names, then legacy v1.
std::span<const EventType> catalog();

// Only the 16 current types.
std::vector<const EventType*> current_types();

// The entry for `name`, or nullptr for an unknown type.
const EventType* find_type(std::string_view name);

// Names of every catalog type, in catalog order (for suggestions and completions).
std::vector<std::string_view> type_names();

// The catalog names matching a glob such as "text.*" (see text::glob_match), restricted to the
// generation `only`; a pattern without wildcards matches only that exact name, of any generation
// (so an explicit older name still resolves). Empty when nothing matches.
std::vector<const EventType*> match_types(std::string_view pattern, Generation only = Generation::current);

std::string_view to_string(Generation generation);  // "current", "older", "legacy-v1"

}  // namespace ctg::events
