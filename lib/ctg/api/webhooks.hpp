// ctg::api — webhook endpoints as the Contiguity API returns them, and the plan of an upsert by URL
// (`ctg register`). Network-free: parsing the API's `data`, matching URLs, diffing fields.
//
// The contract (issue 6; platform.md §5 for the conventions):
//   GET    {base}/webhooks        -> data {"webhooks": [Webhook...]}
//   POST   {base}/webhooks        {"url","events","description"} -> data Webhook (+ "secret")
//   PATCH  {base}/webhooks/{id}   any of url, events, description -> data Webhook
//   DELETE {base}/webhooks/{id}   -> data {"id", "deleted": true}
// An empty `events` list means every event type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ctg/core/error.hpp"

namespace ctg::api {

struct Webhook {
  std::string id;  // "wh_..."
  std::string url;
  std::vector<std::string> events;  // empty: every event type
  std::string description;
  std::optional<std::int64_t> created_at_ms;
  std::optional<std::string> secret;  // only in the answer to a create
};

// Reads one webhook object. Errors (network, since it is the server's answer that is wrong):
// "unexpected answer from the Contiguity API: webhook without an \"id\"" and the like.
Result<Webhook> parse_webhook(const nlohmann::json& value);
// Reads `data` of GET /webhooks: {"webhooks": [...]} (a bare array is accepted too).
Result<std::vector<Webhook>> parse_webhook_list(const nlohmann::json& data);

// The webhook as ctg prints it in --json output (never with its secret).
nlohmann::ordered_json to_json(const Webhook& webhook);

// "all" for an empty list, else the types joined with ",".
std::string events_text(const std::vector<std::string>& events);

// --events as given ("text.*,otp.new", repeatable) into the sorted list of catalog types it names.
// A pattern may be a glob over the current types ("text.*") or an exact type of any generation.
// "all" or "*" alone means every type (an empty list). Errors (usage): "unknown event type
// \"text.incomming.sms\"" with a "did you mean" hint, "--events pattern \"foo.*\" matches no event type".
Result<std::vector<std::string>> resolve_events(const std::vector<std::string>& specs);

// Whether two URLs name the same endpoint: scheme and host compared case-insensitively, a default
// port written or not, the path and query exactly.
bool same_endpoint(std::string_view a, std::string_view b);

// The webhook among `existing` registered for `url`, or nullptr.
const Webhook* find_by_url(const std::vector<Webhook>& existing, std::string_view url);
const Webhook* find_by_id(const std::vector<Webhook>& existing, std::string_view id);

// What `ctg register` wants: events always (declarative: no --events means every type); the
// description only when given (a description edited in the Console is otherwise left alone).
struct Desired {
  std::string url;
  std::vector<std::string> events;  // sorted; empty: all
  std::optional<std::string> description;
};

struct FieldChange {
  std::string field;  // "events", "description"
  std::string from;   // as printed: "all", "text.incoming.sms,otp.new", "\"old text\""
  std::string to;
};

enum class Action { create, update, none };
std::string_view to_string(Action action);  // "create", "update", "none"

struct Plan {
  Action action = Action::create;
  std::optional<Webhook> existing;  // for update and none
  std::vector<FieldChange> changes;  // for update
  nlohmann::json body() const;       // the POST (all fields) or PATCH (changed fields only) body
  Desired desired;
};

// Upsert by URL: absent -> create; present with other events (compared as sets) or, when given,
// another description -> update those fields; identical -> none.
Plan plan_registration(const std::vector<Webhook>& existing, const Desired& desired);

}  // namespace ctg::api
