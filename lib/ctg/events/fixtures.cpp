#include "ctg/events/fixtures.hpp"

#include <charconv>

#include <fmt/format.h>

#include "ctg/core/embedded.hpp"
#include "ctg/core/text.hpp"
#include "ctg/events/event.hpp"
#include "ctg/events/json_text.hpp"

namespace ctg::events {

namespace {

using detail::Json;

constexpr const char* k_override_hint = "write it as path=value, e.g. data.body=Hello";

std::string suggestion_hint(std::string_view name) {
  const auto names = type_names();
  const auto near = text::nearest(name, names);
  if (near.empty())
    return fmt::format("ctg knows {} event types, named like text.incoming.sms or email.incoming", names.size());
  std::string hint = "did you mean ";
  for (std::size_t i = 0; i < near.size(); ++i) {
    if (i > 0) hint += i + 1 == near.size() ? " or " : ", ";
    hint += near[i];
  }
  return hint + "?";
}

// `--set` values: JSON when they parse as JSON, otherwise the text as a string.
Result<Json> override_value(const Override& change) {
  if (const auto bad = text::find_invalid_utf8(change.value)) {
    return fail(ErrorKind::usage, fmt::format("the value for {} is not valid UTF-8 (byte {})", change.path, *bad));
  }
  if (detail::nesting_depth(change.value, k_max_depth) > k_max_depth) {
    return fail(ErrorKind::usage,
                fmt::format("the value for {} is nested deeper than {} levels", change.path, k_max_depth));
  }
  try {
    Json parsed = Json::parse(change.value, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) return parsed;
  } catch (const Json::exception&) {
    // Not JSON: taken as a string below.
  }
  return Json(change.value);
}

std::optional<std::size_t> array_index(std::string_view segment) {
  std::size_t index = 0;
  if (segment.empty() || segment.size() > 9) return std::nullopt;
  const auto [end, error] = std::from_chars(segment.data(), segment.data() + segment.size(), index);
  if (error != std::errc() || end != segment.data() + segment.size()) return std::nullopt;
  return index;
}

// Sets `change.path` in `root` to `value`: objects on the way are created (a null becomes an
// object), numeric segments index arrays (one past the end appends).
Result<void> apply_override(Json& root, const Override& change, Json value) {
  const auto segments = text::split(change.path, '.');
  for (auto segment : segments) {
    if (segment.empty()) {
      return fail(ErrorKind::usage, fmt::format("override path \"{}\" has an empty segment", change.path),
                  k_override_hint);
    }
  }
  Json* node = &root;
  std::string walked;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string key(segments[i]);
    const bool last = i + 1 == segments.size();
    const std::string where = walked.empty() ? std::string("the body") : fmt::format("\"{}\"", walked);
    if (node->is_null()) *node = Json::object();
    if (node->is_object()) {
      if (last) {
        (*node)[key] = std::move(value);
        return {};
      }
      node = &(*node)[key];
    } else if (node->is_array()) {
      const auto index = array_index(key);
      if (!index) {
        return fail(ErrorKind::usage, fmt::format("override path \"{}\": {} is an array, so \"{}\" must be an index",
                                                  change.path, where, key));
      }
      const bool appends = last && *index == node->size();
      if (*index >= node->size() && !appends) {
        return fail(ErrorKind::usage,
                    fmt::format("override path \"{}\": index {} is out of range, {} has {} element{}", change.path,
                                *index, where, node->size(), node->size() == 1 ? "" : "s"));
      }
      if (appends) {
        node->push_back(std::move(value));
        return {};
      }
      if (last) {
        (*node)[*index] = std::move(value);
        return {};
      }
      node = &(*node)[*index];
    } else {
      return fail(ErrorKind::usage,
                  fmt::format("override path \"{}\" crosses a {} at {}", change.path, json_type_name(*node), where),
                  "only objects and arrays hold fields; override the whole value instead");
    }
    walked += walked.empty() ? key : "." + key;
  }
  return {};
}

void set_timestamps(Json& body, UnixSeconds timestamp) {
  if (detail::looks_like_legacy_v1(body)) {
    if (auto crumbs = body.find("crumbs"); crumbs != body.end() && crumbs->is_object()) {
      (*crumbs)["timestamp"] = timestamp;
    }
    return;
  }
  body["timestamp"] = timestamp;
  if (auto data = body.find("data"); data != body.end() && data->is_object()) {
    if (auto inner = data->find("timestamp"); inner != data->end() && inner->is_number()) *inner = timestamp;
  }
}

}  // namespace

std::vector<Fixture> fixtures() {
  const auto files = embedded::fixture_files();
  std::vector<Fixture> out;
  for (const auto& type : catalog()) {
    const std::string file = fmt::format("{}.json", type.name);
    for (const auto& embedded : files) {
      if (embedded.name == file) out.push_back({&type, embedded.name, embedded.content});
    }
  }
  return out;
}

Result<Fixture> find_fixture(std::string_view type_name) {
  const EventType* type = find_type(type_name);
  if (type == nullptr) {
    return fail(ErrorKind::usage, fmt::format("unknown event type \"{}\"", text::excerpt(type_name, 60)),
                suggestion_hint(type_name));
  }
  for (const auto& fixture : fixtures()) {
    if (fixture.type == type) return fixture;
  }
  return fail(ErrorKind::internal, fmt::format("no fixture is built into ctg for \"{}\"", type->name),
              fmt::format("fixtures/{}.json is missing from the build", type->name));
}

Result<Override> parse_override(std::string_view text) {
  const auto equals = text.find('=');
  if (equals == std::string_view::npos) {
    return fail(ErrorKind::usage, fmt::format("override \"{}\" has no '='", text::excerpt(text, 60)), k_override_hint);
  }
  const std::string_view path = text::trim(text.substr(0, equals));
  if (path.empty()) {
    return fail(ErrorKind::usage, fmt::format("override \"{}\" has an empty path", text::excerpt(text, 60)),
                k_override_hint);
  }
  return Override{std::string(path), std::string(text.substr(equals + 1))};
}

Result<std::string> instantiate_body(std::string_view body, const InstantiateOptions& options) {
  auto parsed = detail::parse_json(body, ErrorKind::usage);
  if (!parsed) return std::unexpected(parsed.error());
  Json& json = *parsed;
  if (!json.is_object()) {
    return fail(ErrorKind::usage, fmt::format("body must be a JSON object, got {}", json_type_name(json)));
  }
  if (!options.id.empty() && !detail::looks_like_legacy_v1(json)) json["id"] = options.id;
  if (options.timestamp != 0) set_timestamps(json, options.timestamp);
  for (const auto& change : options.overrides) {
    auto value = override_value(change);
    if (!value) return std::unexpected(value.error());
    if (auto applied = apply_override(json, change, std::move(*value)); !applied) {
      return std::unexpected(applied.error());
    }
  }
  try {
    return options.pretty ? json.dump(2) : json.dump();
  } catch (const Json::exception&) {
    return fail(ErrorKind::internal, "cannot serialise the event body");
  }
}

Result<std::string> instantiate(const Fixture& fixture, const InstantiateOptions& options) {
  auto body = instantiate_body(fixture.content, options);
  if (!body) return body;
  if (auto event = parse_event(*body); !event) {
    if (options.overrides.empty()) {
      return fail(ErrorKind::internal,
                  fmt::format("fixture {} is not a valid event: {}", fixture.file, event.error().message));
    }
    return fail(ErrorKind::usage, fmt::format("the overrides leave an invalid event: {}", event.error().message),
                "check the --set values against the event's fields");
  }
  return body;
}

std::string new_event_id() {
  return "evt_" + random_alnum(16);
}

}  // namespace ctg::events
