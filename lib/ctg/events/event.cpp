#include "ctg/events/event.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "ctg/core/text.hpp"
#include "ctg/events/json_text.hpp"

namespace ctg::events {

namespace {

using detail::describe;
using detail::Json;

// Timestamps above this many seconds (the year 5138) are almost certainly milliseconds.
constexpr std::int64_t k_millisecond_threshold = 100'000'000'000;
constexpr std::string_view k_id_prefix = "evt_";

// ---- envelope fields -----------------------------------------------------------------------------

// `label` names the field in messages: "id", "crumbs.type".
Result<std::string> required_string(const Json& object, std::string_view key, std::string_view label) {
  const auto it = object.find(key);
  if (it == object.end()) return fail(ErrorKind::invalid_input, fmt::format("missing field \"{}\"", label));
  if (!it->is_string()) {
    return fail(ErrorKind::invalid_input, fmt::format("{} must be a string, got {}", label, describe(*it)));
  }
  return it->get<std::string>();
}

Result<std::int64_t> required_seconds(const Json& object, std::string_view key, std::string_view label) {
  const auto it = object.find(key);
  if (it == object.end()) return fail(ErrorKind::invalid_input, fmt::format("missing field \"{}\"", label));
  if (!it->is_number_integer()) {
    return fail(ErrorKind::invalid_input,
                fmt::format("{} must be an integer number of seconds, got {}", label, describe(*it)));
  }
  if (it->is_number_unsigned()) {
    const auto value = it->get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return fail(ErrorKind::invalid_input, fmt::format("{} is out of range, got {}", label, value));
    }
    return static_cast<std::int64_t>(value);
  }
  const auto value = it->get<std::int64_t>();
  if (value < 0) return fail(ErrorKind::invalid_input, fmt::format("{} must not be negative, got {}", label, value));
  return value;
}

using Envelope = EventHead;

Result<Envelope> read_legacy_v1(const Json& body) {
  const Json& crumbs = *body.find("crumbs");  // present: looks_like_legacy_v1()
  if (!crumbs.is_object()) {
    return fail(ErrorKind::invalid_input, fmt::format("crumbs must be an object, got {}", describe(crumbs)));
  }
  Envelope out;
  out.format = Format::legacy_v1;
  auto kind = required_string(crumbs, "type", "crumbs.type");
  if (!kind) return std::unexpected(kind.error());
  if (kind->empty()) return fail(ErrorKind::invalid_input, "crumbs.type must not be empty");
  out.type = "v1." + *kind;
  auto timestamp = required_seconds(crumbs, "timestamp", "crumbs.timestamp");
  if (!timestamp) return std::unexpected(timestamp.error());
  out.timestamp = *timestamp;
  return out;
}

Result<Envelope> read_envelope(const Json& body) {
  Envelope out;
  auto id = required_string(body, "id", "id");
  if (!id) return std::unexpected(id.error());
  out.id = std::move(*id);
  auto type = required_string(body, "type", "type");
  if (!type) return std::unexpected(type.error());
  if (type->empty()) return fail(ErrorKind::invalid_input, "type must not be empty");
  out.type = std::move(*type);
  auto timestamp = required_seconds(body, "timestamp", "timestamp");
  if (!timestamp) return std::unexpected(timestamp.error());
  out.timestamp = *timestamp;
  out.api_version = std::string(detail::string_member(body, "api_version"));
  if (const auto data = body.find("data"); data != body.end() && !data->is_object()) {
    return fail(ErrorKind::invalid_input, fmt::format("data must be an object, got {}", describe(*data)));
  }
  return out;
}

// ---- strict validation ---------------------------------------------------------------------------

class Issues {
 public:
  // Keeps the first finding per path, so that a bad array element is reported once, not once per
  // field the catalog expects in it.
  void add(std::string path, std::string message) {
    if (!m_seen.insert(path).second) return;
    m_issues.push_back({std::move(path), std::move(message)});
  }
  std::vector<SchemaIssue> take() { return std::move(m_issues); }

 private:
  std::set<std::string> m_seen;
  std::vector<SchemaIssue> m_issues;
};

// One step of a catalog path: "from", or "attachments[]" (every element of the array).
struct Segment {
  std::string_view key;
  bool each = false;
};

// Splits the first segment off `rest`, which keeps what follows it.
Segment next_segment(std::string_view& rest) {
  const auto dot = rest.find('.');
  std::string_view part = rest.substr(0, dot);
  rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  if (part.ends_with("[]")) return {part.substr(0, part.size() - 2), true};
  return {part, false};
}

// Appends to a path for the span of a scope, then takes it back off.
class PathScope {
 public:
  PathScope(std::string& path, std::string_view separator, std::string_view part) : m_path(path), m_size(path.size()) {
    m_path += separator;
    m_path += part;
  }
  ~PathScope() { m_path.resize(m_size); }
  PathScope(const PathScope&) = delete;
  PathScope& operator=(const PathScope&) = delete;

 private:
  std::string& m_path;
  std::size_t m_size;
};

bool has_kind(const Json& value, FieldKind kind) {
  switch (kind) {
    case FieldKind::string:
      return value.is_string();
    case FieldKind::string_or_null:
      return value.is_string() || value.is_null();
    case FieldKind::integer:
      return value.is_number_integer();
    case FieldKind::number:
      return value.is_number();
    case FieldKind::boolean:
      return value.is_boolean();
    case FieldKind::object:
      return value.is_object();
    case FieldKind::array:
      return value.is_array();
    case FieldKind::any:
      return true;
  }
  return true;
}

std::string_view kind_phrase(FieldKind kind) {
  switch (kind) {
    case FieldKind::string:
      return "a string";
    case FieldKind::string_or_null:
      return "a string or null";
    case FieldKind::integer:
      return "an integer";
    case FieldKind::number:
      return "a number";
    case FieldKind::boolean:
      return "a boolean";
    case FieldKind::object:
      return "an object";
    case FieldKind::array:
      return "an array";
    case FieldKind::any:
      return "present";
  }
  return "present";
}

void check_value(const Json& value, FieldKind kind, const std::string& path, Issues& issues) {
  if (!has_kind(value, kind)) issues.add(path, fmt::format("must be {}, got {}", kind_phrase(kind), describe(value)));
}

// Checks `spec` from `node` (an object) along the segments of `rest`; `path` names `node` and is
// the same on return. A missing or mistyped intermediate is left to the spec that names it, so each
// mismatch is reported once. Nothing is allocated unless something is reported.
void check_path(const Json& node, std::string_view rest, std::string& path, const FieldSpec& spec, Issues& issues) {
  const Segment segment = next_segment(rest);
  const bool last = rest.empty();
  const auto it = node.find(segment.key);
  if (it == node.end()) {
    if (last && !segment.each && spec.required) issues.add(path + "." + std::string(segment.key), "missing");
    return;
  }
  const PathScope here(path, ".", segment.key);
  if (!segment.each) {
    if (last) {
      check_value(*it, spec.kind, path, issues);
    } else if (it->is_object()) {
      check_path(*it, rest, path, spec, issues);
    }
    return;
  }
  if (!it->is_array()) return;
  std::array<char, 24> index;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const Json& element = (*it)[i];
    const auto end = fmt::format_to_n(index.data(), index.size(), "[{}]", i).out;
    const PathScope element_path(path, "", std::string_view(index.data(), static_cast<std::size_t>(end - index.data())));
    if (last) {
      check_value(element, spec.kind, path, issues);
    } else if (!element.is_object()) {
      issues.add(path, fmt::format("must be an object, got {}", describe(element)));
    } else {
      check_path(element, rest, path, spec, issues);
    }
  }
}

// Phone-number fields the platform documents as E.164, per type.
struct PhoneFields {
  std::string_view type;
  std::array<std::string_view, 2> fields;
};

constexpr std::array k_phone_fields{
    PhoneFields{"text.incoming.sms", {"from", "to"}},
    PhoneFields{"text.incoming.mms", {"from", "to"}},
    PhoneFields{"text.delivery.confirmed", {"from", "to"}},
    PhoneFields{"text.delivery.failed", {"from", "to"}},
    PhoneFields{"numbers.substitution", {"original_number", "used_number"}},
    PhoneFields{"otp.reverse.verified", {"number", ""}},
    PhoneFields{"communications.incoming.sms", {"from", "to"}},
    PhoneFields{"communications.incoming.mms", {"from", "to"}},
    PhoneFields{"text.incoming", {"from", "to"}},
};

// "+" then 2 to 15 digits, the first not 0.
bool is_e164(std::string_view number) {
  if (number.size() < 3 || number.size() > 16 || number[0] != '+' || number[1] == '0') return false;
  for (char c : number.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

void check_phone_numbers(const Event& event, Issues& issues) {
  for (const auto& entry : k_phone_fields) {
    if (entry.type != event.type()) continue;
    for (auto field : entry.fields) {
      if (field.empty()) continue;
      const auto it = event.data().find(field);
      if (it == event.data().end() || !it->is_string()) continue;  // reported by the catalog check
      const auto& number = it->get_ref<const std::string&>();
      if (!is_e164(number)) {
        issues.add(fmt::format("data.{}", field), fmt::format("must be E.164, got \"{}\"", text::excerpt(number, 40)));
      }
    }
  }
}

bool looks_like_milliseconds(const Json& value) {
  if (value.is_number_unsigned())
    return value.get<std::uint64_t>() > static_cast<std::uint64_t>(k_millisecond_threshold);
  return value.is_number_integer() && value.get<std::int64_t>() > k_millisecond_threshold;
}

void check_envelope(const Event& event, Issues& issues) {
  const Json& body = event.json();
  if (const auto it = body.find("api_version"); it == body.end()) {
    issues.add("api_version", "missing");
  } else if (!it->is_string()) {
    issues.add("api_version", fmt::format("must be a string, got {}", describe(*it)));
  } else if (it->get_ref<const std::string&>().empty()) {
    issues.add("api_version", "must not be empty");
  }
  if (event.timestamp() > k_millisecond_threshold) {
    issues.add("timestamp", "looks like milliseconds; events carry seconds");
  }
  if (!event.id().starts_with(k_id_prefix)) {
    issues.add("id", fmt::format("must start with \"{}\", got \"{}\"", k_id_prefix, text::excerpt(event.id(), 40)));
  }
  if (!body.contains("data")) issues.add("data", "missing");
}

void check_legacy_v1(const Event& event, Issues& issues) {
  const Json& body = event.json();
  const auto it = body.find("message");
  if (!it->is_string()) issues.add("message", fmt::format("must be a string, got {}", describe(*it)));
}

}  // namespace

const nlohmann::ordered_json& Event::data() const {
  static const Json k_null;
  return m_data != nullptr ? *m_data : k_null;
}

Result<Event> parse_event(std::string raw) {
  Event event;
  event.m_raw = std::move(raw);
  if (event.m_raw.empty()) return fail(ErrorKind::invalid_input, "body is empty");
  if (text::trim(event.m_raw).empty()) return fail(ErrorKind::invalid_input, "body is empty (only whitespace)");
  // A body that is plain JSON but no object is refused without building its document (an array
  // of 1 MiB would take some 24 MiB); anything less plain gets parse_json()'s exact error.
  if (text::trim(event.m_raw).front() != '{') {
    if (const auto type = detail::plain_json_type(event.m_raw)) {
      return fail(ErrorKind::invalid_input, fmt::format("body must be a JSON object, got {}", *type));
    }
  }
  auto parsed = detail::parse_json(event.m_raw, ErrorKind::invalid_input);
  if (!parsed) return std::unexpected(parsed.error());
  if (!parsed->is_object()) {
    return fail(ErrorKind::invalid_input, fmt::format("body must be a JSON object, got {}", json_type_name(*parsed)));
  }
  auto envelope = detail::looks_like_legacy_v1(*parsed) ? read_legacy_v1(*parsed) : read_envelope(*parsed);
  if (!envelope) return std::unexpected(envelope.error());
  event.m_format = envelope->format;
  event.m_id = std::move(envelope->id);
  event.m_type = std::move(envelope->type);
  event.m_timestamp = envelope->timestamp;
  event.m_api_version = std::move(envelope->api_version);
  event.m_known = find_type(event.m_type);
  event.m_json = std::make_shared<const Json>(std::move(*parsed));
  const auto data = event.m_json->find(event.m_format == Format::legacy_v1 ? "crumbs" : "data");
  if (data != event.m_json->end()) event.m_data = &*data;
  return event;
}

std::vector<SchemaIssue> strict_issues(const Event& event) {
  const EventType* type = event.known_type();
  if (type == nullptr) return {};
  Issues issues;
  const bool legacy = event.format() == Format::legacy_v1;
  if (legacy) {
    check_legacy_v1(event, issues);
  } else {
    check_envelope(event, issues);
  }
  const Json& data = event.data();
  if (data.is_object()) {
    const std::string base = legacy ? "crumbs" : "data";
    std::string path = base;
    for (const auto& spec : type->fields) check_path(data, spec.path, path, spec, issues);
    // Data timestamps in milliseconds are as wrong as envelope ones.
    if (const auto it = data.find("timestamp"); it != data.end() && looks_like_milliseconds(*it)) {
      issues.add(base + ".timestamp", "looks like milliseconds; events carry seconds");
    }
    if (!legacy) check_phone_numbers(event, issues);
  }
  return issues.take();
}

std::string_view json_type_name(const nlohmann::ordered_json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "number";
    case Json::value_t::binary:
      return "binary";
    case Json::value_t::discarded:
      return "discarded";
  }
  return "value";
}

}  // namespace ctg::events
