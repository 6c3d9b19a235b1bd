#include "ctg/listen/config.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/core/text.hpp"
#include "ctg/net/url.hpp"

namespace ctg::listen {

Result<ForwardTarget> parse_forward_spec(std::string_view spec) {
  ForwardTarget target;
  std::string_view url = text::trim(spec);
  const auto scheme = url.find("://");
  const auto eq = url.find('=');
  if (eq != std::string_view::npos && (scheme == std::string_view::npos || eq < scheme)) {
    target.events = parse_event_list(url.substr(0, eq));
    url = text::trim(url.substr(eq + 1));
    if (target.events.empty()) {
      return fail(ErrorKind::usage, fmt::format("forward route \"{}\" has no event types before '='", spec),
                  "write it as 'text.*=http://localhost:8080/sms'");
    }
  }
  auto parsed = net::parse_url(url);
  if (!parsed) {
    return fail(ErrorKind::usage, fmt::format("--forward-to: {}", parsed.error().message),
                "write it as http://localhost:8080/hook or 'text.*=http://localhost:8080/sms'");
  }
  target.url = parsed->str();
  return target;
}

namespace {

// tchar of RFC 9110, 5.6.2.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A header for forwarded requests, checked so that it cannot split the request it goes into: the
// name a token, the value without CR, LF or other control characters (RFC 9110, 5.5).
Result<void> check_header(std::string_view name, std::string_view value, std::string_view where) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), is_tchar)) {
    return fail(ErrorKind::usage, fmt::format("{}header name \"{}\" is empty or not a token (letters, digits, "
                                              "!#$%&'*+-.^_`|~)", where, text::excerpt(name, 60)));
  }
  if (std::any_of(value.begin(), value.end(),
                  [](char c) { return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f; })) {
    return fail(ErrorKind::usage,
                fmt::format("{}header {} holds a control character (CR, LF, ...); it would split the request",
                            where, name));
  }
  return {};
}

}  // namespace

Result<std::pair<std::string, std::string>> parse_header_spec(std::string_view spec) {
  const auto colon = spec.find(':');
  if (colon == std::string_view::npos) {
    return fail(ErrorKind::usage, fmt::format("header \"{}\" has no ':'", text::excerpt(spec, 60)),
                "write it as -H 'X-Env: dev'");
  }
  const auto name = text::trim(spec.substr(0, colon));
  const auto value = text::trim(spec.substr(colon + 1));
  if (auto checked = check_header(name, value, ""); !checked) return std::unexpected(checked.error());
  return std::pair<std::string, std::string>{std::string(name), std::string(value)};
}

std::vector<std::string> parse_event_list(std::string_view list) {
  std::vector<std::string> out;
  for (auto part : text::split(list, ',')) {
    const auto glob = text::trim(part);
    if (!glob.empty()) out.emplace_back(glob);
  }
  return out;
}

namespace {

using json = nlohmann::json;

Result<std::vector<std::string>> string_list(const json& value, std::string_view where, std::string_view name) {
  std::vector<std::string> out;
  if (value.is_string()) return parse_event_list(value.get<std::string>());
  if (!value.is_array()) return fail(ErrorKind::usage, fmt::format("{}: {} must be a list of strings", name, where));
  for (const auto& item : value) {
    if (!item.is_string()) return fail(ErrorKind::usage, fmt::format("{}: {} must be a list of strings", name, where));
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::int64_t> integer(const json& value, std::string_view where, std::string_view name, std::int64_t lo,
                             std::int64_t hi) {
  if (!value.is_number_integer() || value.get<std::int64_t>() < lo || value.get<std::int64_t>() > hi) {
    return fail(ErrorKind::usage, fmt::format("{}: {} must be a number from {} to {}", name, where, lo, hi));
  }
  return value.get<std::int64_t>();
}

Result<ForwardTarget> forward_entry(const json& entry, std::size_t index, std::string_view name) {
  const auto where = fmt::format("listen.forward[{}]", index);
  if (!entry.is_object() || !entry.contains("to") || !entry["to"].is_string()) {
    return fail(ErrorKind::usage, fmt::format("{}: {} must be an object with a \"to\" URL", name, where));
  }
  auto target = parse_forward_spec(entry["to"].get<std::string>());
  if (!target) return fail(ErrorKind::usage, fmt::format("{}: {}.to: {}", name, where, target.error().message));
  for (const auto& [key, value] : entry.items()) {
    if (key == "to") continue;
    if (key == "events") {
      auto list = string_list(value, where + ".events", name);
      if (!list) return std::unexpected(list.error());
      target->events = std::move(*list);
    } else if (key == "headers") {
      if (!value.is_object()) return fail(ErrorKind::usage, fmt::format("{}: {}.headers must be an object", name, where));
      for (const auto& [header, header_value] : value.items()) {
        if (!header_value.is_string()) {
          return fail(ErrorKind::usage, fmt::format("{}: {}.headers.{} must be a string", name, where, header));
        }
        const auto& text_value = header_value.get_ref<const std::string&>();
        if (auto checked = check_header(header, text_value, fmt::format("{}: {}.headers: ", name, where)); !checked) {
          return std::unexpected(checked.error());
        }
        target->headers.emplace_back(header, text_value);
      }
    } else {
      return fail(ErrorKind::usage, fmt::format("{}: unknown key {}.{}", name, where, key),
                  "known keys: to, events, headers");
    }
  }
  return target;
}

}  // namespace

Result<ListenConfig> parse_listen_config(std::string_view text, std::string_view name) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception&) {
    return fail(ErrorKind::usage, fmt::format("{} is not valid JSON", name));
  }
  ListenConfig config;
  if (!doc.is_object()) return fail(ErrorKind::usage, fmt::format("{} must hold a JSON object", name));
  for (const auto& [key, value] : doc.items()) {
    if (key != "listen") return fail(ErrorKind::usage, fmt::format("{}: unknown section \"{}\"", name, key));
  }
  if (!doc.contains("listen")) return config;
  const auto& listen = doc["listen"];
  if (!listen.is_object()) return fail(ErrorKind::usage, fmt::format("{}: listen must be an object", name));
  for (const auto& [key, value] : listen.items()) {
    const auto where = "listen." + key;
    if (key == "host" || key == "path") {
      if (!value.is_string()) return fail(ErrorKind::usage, fmt::format("{}: {} must be a string", name, where));
      (key == "host" ? config.host : config.path) = value.get<std::string>();
    } else if (key == "port") {
      auto n = integer(value, where, name, 0, 65535);
      if (!n) return std::unexpected(n.error());
      config.port = static_cast<int>(*n);
    } else if (key == "tolerance") {
      auto n = integer(value, where, name, 0, 86400 * 365);
      if (!n) return std::unexpected(n.error());
      config.tolerance = *n;
    } else if (key == "max_body") {
      auto n = integer(value, where, name, 1, std::int64_t{1} << 32);
      if (!n) return std::unexpected(n.error());
      config.max_body = static_cast<std::size_t>(*n);
    } else if (key == "max_buffered") {
      auto n = integer(value, where, name, 1, std::int64_t{1} << 40);
      if (!n) return std::unexpected(n.error());
      config.max_buffered = static_cast<std::size_t>(*n);
    } else if (key == "read_timeout") {
      auto n = integer(value, where, name, 1, 3600);
      if (!n) return std::unexpected(n.error());
      config.read_timeout = static_cast<int>(*n);
    } else if (key == "max_attempts") {
      auto n = integer(value, where, name, 1, 1000);
      if (!n) return std::unexpected(n.error());
      config.max_attempts = static_cast<int>(*n);
    } else if (key == "events") {
      auto list = string_list(value, where, name);
      if (!list) return std::unexpected(list.error());
      config.events = std::move(*list);
    } else if (key == "forward") {
      if (!value.is_array()) return fail(ErrorKind::usage, fmt::format("{}: {} must be a list", name, where));
      for (std::size_t i = 0; i < value.size(); ++i) {
        auto target = forward_entry(value[i], i, name);
        if (!target) return std::unexpected(target.error());
        config.forward.push_back(std::move(*target));
      }
    } else {
      return fail(ErrorKind::usage, fmt::format("{}: unknown key {}", name, where),
                  "known keys: host, port, path, events, tolerance, max_body, max_buffered, read_timeout, "
                  "max_attempts, forward");
    }
  }
  return config;
}

}  // namespace ctg::listen
