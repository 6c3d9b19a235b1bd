// Fuzz target: listen's configuration text (lib/ctg/listen/config.hpp): the config file
// (parse_listen_config) and, for each line of the input, the flag values it shares its rules with
// (parse_forward_spec for --forward-to, parse_header_spec for -H, parse_event_list for --events).
//
// Checks:
//   - parse_listen_config() never throws; text nlohmann does not accept as JSON is refused as
//     "<name> is not valid JSON"; every refusal is kind usage and names the file first;
//   - an accepted config holds only values in the documented ranges (port 0-65535, tolerance up to
//     a year, max_body 1 to 4 GiB, max_buffered 1 to 1 TiB, read_timeout 1-3600 s, max_attempts
//     1-1000), and forward targets whose URL parses back to itself;
//   - parse_forward_spec(): an accepted route's URL parses back to itself and its event globs
//     (when it has an '=') are non-empty and trimmed;
//   - parse_header_spec(): an accepted header has a non-empty name without spaces, and both the
//     name and the value are trimmed;
//   - parse_event_list(): no element is empty or has surrounding whitespace.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ctg/core/text.hpp"
#include "ctg/listen/config.hpp"
#include "ctg/net/url.hpp"
#include "fuzz_support.hpp"

namespace {

using ctg::fuzz::check;
namespace listen = ctg::listen;

constexpr std::string_view k_name = "fuzz.json";

bool trimmed(std::string_view s) { return ctg::text::trim(s).size() == s.size(); }

void check_url(const std::string& url) {
  const auto parsed = ctg::net::parse_url(url);
  check(parsed.has_value() && parsed->str() == url, "a forward target's URL parses back to itself");
}

void check_config(std::string_view text) {
  const auto config = listen::parse_listen_config(text, k_name);
  if (!nlohmann::json::accept(text)) {
    check(!config && config.error().message == std::string(k_name) + " is not valid JSON",
          "text that is not JSON is refused as such");
  }
  if (!config) {
    check(config.error().kind == ctg::ErrorKind::usage, "a config error is a usage error");
    check(config.error().message.starts_with(k_name), "a config error names the file first");
    return;
  }
  if (config->port) check(*config->port >= 0 && *config->port <= 65535, "port 0-65535");
  if (config->tolerance) check(*config->tolerance >= 0 && *config->tolerance <= 86400 * 365, "tolerance up to a year");
  if (config->max_body) check(*config->max_body >= 1 && *config->max_body <= (std::size_t{1} << 32), "max_body 1 to 4 GiB");
  if (config->max_buffered) {
    check(*config->max_buffered >= 1 && *config->max_buffered <= (std::size_t{1} << 40), "max_buffered 1 to 1 TiB");
  }
  if (config->read_timeout) check(*config->read_timeout >= 1 && *config->read_timeout <= 3600, "read_timeout 1-3600");
  if (config->max_attempts) check(*config->max_attempts >= 1 && *config->max_attempts <= 1000, "max_attempts 1-1000");
  for (const auto& target : config->forward) check_url(target.url);
}

void check_line(std::string_view line) {
  if (const auto route = listen::parse_forward_spec(line)) {
    check_url(route->url);
    for (const auto& glob : route->events) check(!glob.empty() && trimmed(glob), "a route's globs are trimmed");
  } else {
    check(route.error().kind == ctg::ErrorKind::usage && !route.error().message.empty(), "a refused route says why");
  }
  if (const auto header = listen::parse_header_spec(line)) {
    check(!header->first.empty() && header->first.find_first_of(" \t") == std::string::npos,
          "a header name is non-empty, without spaces");
    check(trimmed(header->first) && trimmed(header->second), "a header's name and value are trimmed");
  } else {
    check(header.error().kind == ctg::ErrorKind::usage, "a refused header is a usage error");
  }
  for (const auto& glob : listen::parse_event_list(line)) check(!glob.empty() && trimmed(glob), "event globs are trimmed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = ctg::fuzz::as_text(data, size);
  check_config(text);
  std::string_view rest = text;
  for (int lines = 0; !rest.empty() && lines < 16; ++lines) {
    const auto newline = rest.find('\n');
    check_line(rest.substr(0, newline));
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
  }
  return 0;
}
