#include "ctg/api/webhooks.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/core/text.hpp"
#include "ctg/events/catalog.hpp"
#include "ctg/net/url.hpp"

namespace ctg::api {

namespace {

using nlohmann::json;

std::unexpected<Error> unexpected_answer(std::string_view what) {
  return fail(ErrorKind::network, fmt::format("unexpected answer from the Contiguity API: {}", what));
}

std::vector<std::string> sorted_unique(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  return items;
}

std::string json_quoted(std::string_view s) {
  return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

Result<Webhook> parse_webhook(const json& value) {
  if (!value.is_object()) return unexpected_answer("a webhook that is not a JSON object");
  Webhook w;
  const auto id = value.find("id");
  if (id == value.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    return unexpected_answer("a webhook without an \"id\"");
  }
  w.id = id->get<std::string>();
  const auto url = value.find("url");
  if (url == value.end() || !url->is_string()) {
    return unexpected_answer(fmt::format("webhook {} without a \"url\"", w.id));
  }
  w.url = url->get<std::string>();
  if (const auto events = value.find("events"); events != value.end() && !events->is_null()) {
    if (!events->is_array()) return unexpected_answer(fmt::format("webhook {} has \"events\" that is not a list", w.id));
    for (const auto& e : *events) {
      if (!e.is_string()) return unexpected_answer(fmt::format("webhook {} has an event that is not a string", w.id));
      w.events.push_back(e.get<std::string>());
    }
  }
  if (const auto d = value.find("description"); d != value.end() && d->is_string()) w.description = d->get<std::string>();
  if (const auto c = value.find("created_at"); c != value.end() && c->is_number_integer()) {
    w.created_at_ms = c->get<std::int64_t>();
  }
  if (const auto s = value.find("secret"); s != value.end() && s->is_string() && !s->get_ref<const std::string&>().empty()) {
    w.secret = s->get<std::string>();
  }
  return w;
}

Result<std::vector<Webhook>> parse_webhook_list(const json& data) {
  const json* list = &data;
  if (data.is_object()) {
    const auto it = data.find("webhooks");
    if (it == data.end()) return unexpected_answer("no \"webhooks\" list in the answer to GET /webhooks");
    list = &*it;
  }
  if (!list->is_array()) return unexpected_answer("\"webhooks\" is not a list");
  std::vector<Webhook> out;
  for (const auto& item : *list) {
    auto w = parse_webhook(item);
    if (!w) return std::unexpected(w.error());
    out.push_back(std::move(*w));
  }
  return out;
}

nlohmann::ordered_json to_json(const Webhook& w) {
  nlohmann::ordered_json out{{"id", w.id}, {"url", w.url}, {"events", w.events}, {"description", w.description}};
  out["created_at"] = w.created_at_ms ? nlohmann::ordered_json(*w.created_at_ms) : nlohmann::ordered_json(nullptr);
  return out;
}

std::string events_text(const std::vector<std::string>& events) {
  return events.empty() ? "all" : fmt::format("{}", fmt::join(events, ","));
}

Result<std::vector<std::string>> resolve_events(const std::vector<std::string>& specs) {
  std::vector<std::string> out;
  bool all = false;
  for (const auto& spec : specs) {
    for (auto part : text::split(spec, ',')) {
      const auto pattern = text::trim(part);
      if (pattern.empty()) continue;
      if (pattern == "all" || pattern == "*") {
        all = true;
        continue;
      }
      const auto matched = events::match_types(pattern);
      if (matched.empty()) {
        if (pattern.find_first_of("*?[") != std::string_view::npos) {
          return fail(ErrorKind::usage, fmt::format("--events pattern \"{}\" matches no event type", pattern),
                      "run 'ctg fixtures list' for the event types");
        }
        const auto names = events::type_names();
        const auto suggestions = text::nearest(pattern, names);
        return fail(ErrorKind::usage, fmt::format("unknown event type \"{}\"", pattern),
                    suggestions.empty() ? "run 'ctg fixtures list' for the event types"
                                        : fmt::format("did you mean {}?", suggestions.front()));
      }
      for (const auto* type : matched) out.emplace_back(type->name);
    }
  }
  if (all) return std::vector<std::string>{};
  return sorted_unique(std::move(out));
}

bool same_endpoint(std::string_view a, std::string_view b) {
  const auto ua = net::parse_url(a);
  const auto ub = net::parse_url(b);
  if (!ua || !ub) return a == b;
  return ua->scheme == ub->scheme && ua->host == ub->host && ua->port == ub->port && ua->target == ub->target;
}

const Webhook* find_by_url(const std::vector<Webhook>& existing, std::string_view url) {
  for (const auto& w : existing)
    if (same_endpoint(w.url, url)) return &w;
  return nullptr;
}

const Webhook* find_by_id(const std::vector<Webhook>& existing, std::string_view id) {
  for (const auto& w : existing)
    if (w.id == id) return &w;
  return nullptr;
}

std::string_view to_string(Action action) {
  switch (action) {
    case Action::create:
      return "create";
    case Action::update:
      return "update";
    case Action::none:
      return "none";
  }
  return "none";
}

json Plan::body() const {
  if (action == Action::create) {
    json out{{"url", desired.url}, {"events", desired.events}};
    if (desired.description) out["description"] = *desired.description;
    return out;
  }
  json out = json::object();
  for (const auto& change : changes) {
    if (change.field == "events") out["events"] = desired.events;
    if (change.field == "description" && desired.description) out["description"] = *desired.description;
  }
  return out;
}

Plan plan_registration(const std::vector<Webhook>& existing, const Desired& desired) {
  Plan plan;
  plan.desired = desired;
  plan.desired.events = sorted_unique(desired.events);
  const Webhook* found = find_by_url(existing, desired.url);
  if (found == nullptr) {
    plan.action = Action::create;
    return plan;
  }
  plan.existing = *found;
  const auto current = sorted_unique(found->events);
  if (current != plan.desired.events) {
    plan.changes.push_back({"events", events_text(current), events_text(plan.desired.events)});
  }
  if (desired.description && *desired.description != found->description) {
    plan.changes.push_back({"description", json_quoted(found->description), json_quoted(*desired.description)});
  }
  plan.action = plan.changes.empty() ? Action::none : Action::update;
  return plan;
}

}  // namespace ctg::api
