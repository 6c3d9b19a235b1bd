// ctg::events — sample payloads: one JSON file per catalog type in fixtures/, compiled into the
// binary (see core/embedded.hpp), and turned into fresh events on demand.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ctg/core/clock.hpp"
#include "ctg/core/error.hpp"
#include "ctg/events/catalog.hpp"

namespace ctg::events {

struct Fixture {
  const EventType* type;     // never null
  std::string_view file;     // "text.incoming.sms.json"
  std::string_view content;  // the file's bytes as shipped
};

// Every embedded fixture, in catalog order.
std::vector<Fixture> fixtures();

// The fixture for `type_name`. Unknown: usage error "unknown event type \"x\"" whose hint lists
// the nearest names ("did you mean text.incoming.sms?").
Result<Fixture> find_fixture(std::string_view type_name);

// One `--set path=value` override. The value is taken as JSON when it parses as JSON (`[]`,
// `42`, `"quoted"`, `null`), otherwise as a string (`Hi there`). The path is dotted;
// numeric segments index arrays (`data.attachments.0.url`); missing objects are created.
struct Override {
  std::string path;
  std::string value;
};

// Parses "path=value" (the first '=' splits). Usage error when there is no '=' or the path is empty.
Result<Override> parse_override(std::string_view text);

struct InstantiateOptions {
  std::string id;          // the new envelope id ("evt_..."); empty keeps the fixture's
  UnixSeconds timestamp{}; // the new timestamp; 0 keeps the fixture's
  std::vector<Override> overrides;
  bool pretty = true;      // 2-space indented output; false gives compact JSON
};

// A fresh body from a fixture: envelope `id` and `timestamp` (and `data.timestamp` when the
// fixture has one; `crumbs.timestamp` for legacy v1) replaced, then the overrides applied in
// order, serialised with the fixture's key order. Errors: an override path that crosses a
// non-object (usage, naming the path), a body that no longer parses as an event.
Result<std::string> instantiate(const Fixture& fixture, const InstantiateOptions& options);

// The same for any JSON body (a captured event, a --fixture file): id and timestamp replaced when
// given (legacy v1 bodies have no id), overrides applied. Usage error when `body` is not a JSON
// object, naming the line and column of a parse error.
Result<std::string> instantiate_body(std::string_view body, const InstantiateOptions& options);

// A fresh envelope id: "evt_" followed by 16 random alphanumerics.
std::string new_event_id();

}  // namespace ctg::events
