#include "ctg/net/url.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "ctg/core/text.hpp"

namespace ctg::net {

namespace {

constexpr std::uint16_t k_http_port = 80;
constexpr std::uint16_t k_https_port = 443;

std::uint16_t default_port(std::string_view scheme) {
  return scheme == "https" ? k_https_port : k_http_port;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has_space_or_control(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

bool is_ipv6(std::string_view host) {
  in6_addr addr{};
  return ::inet_pton(AF_INET6, std::string(host).c_str(), &addr) == 1;
}

}  // namespace

std::string Url::origin() const {
  const bool bracket = host.find(':') != std::string::npos;
  std::string out = scheme + "://" + (bracket ? "[" + host + "]" : host);
  if (port != default_port(scheme)) out += ":" + std::to_string(port);
  return out;
}

std::string Url::str() const {
  return origin() + target;
}

Result<Url> parse_url(std::string_view input) {
  const std::string_view text = text::trim(input);
  const auto quoted = [&] { return fmt::format("\"{}\"", text); };

  const auto separator = text.find("://");
  const std::string scheme = separator == std::string_view::npos ? std::string() : lower(text.substr(0, separator));
  if (scheme != "http" && scheme != "https") {
    std::string hint;
    if (separator == std::string_view::npos && !text.empty()) hint = fmt::format("did you mean http://{}?", text);
    return fail(ErrorKind::usage, fmt::format("URL must start with http:// or https://: {}", quoted()), hint);
  }
  if (has_space_or_control(text)) {
    return fail(ErrorKind::usage, fmt::format("URL contains a space or control character: {}", quoted()),
                "percent-encode it (a space is %20)");
  }

  std::string_view rest = text.substr(separator + 3);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);  // never sent
  const auto authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  const std::string_view target =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);

  if (authority.find('@') != std::string_view::npos) {
    // The URL is not repeated: it holds a password.
    return fail(ErrorKind::usage, "URL contains a user name or password, which ctg does not accept",
                "credentials do not belong on a command line: pass a token through the environment or a file");
  }

  Url url;
  url.scheme = scheme;
  std::string_view port_text;
  bool has_port = false;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos || !is_ipv6(authority.substr(1, close - 1))) {
      return fail(ErrorKind::usage, fmt::format("URL has an invalid IPv6 address: {}", quoted()));
    }
    url.host = lower(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return fail(ErrorKind::usage, fmt::format("URL has an invalid IPv6 address: {}", quoted()));
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    url.host = lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    if (url.host.empty()) return fail(ErrorKind::usage, fmt::format("URL has no host: {}", quoted()));
    for (const char c : url.host) {
      if (!is_host_char(c)) return fail(ErrorKind::usage, fmt::format("URL host is not valid: {}", quoted()));
    }
  }

  url.port = default_port(scheme);
  if (has_port && !port_text.empty()) {  // "http://h:/" means the default port (RFC 3986)
    unsigned value = 0;
    const auto* end = port_text.data() + port_text.size();
    const auto [ptr, ec] = std::from_chars(port_text.data(), end, value);
    if (ec != std::errc() || ptr != end || value < 1 || value > 65535) {
      return fail(ErrorKind::usage, fmt::format("URL port is not a number from 1 to 65535: {}", quoted()));
    }
    url.port = static_cast<std::uint16_t>(value);
  }

  url.target = target.starts_with('?') ? "/" + std::string(target) : std::string(target);
  if (url.target.empty()) url.target = "/";
  return url;
}

bool is_ip_address(const std::string& host) {
  std::array<unsigned char, sizeof(in6_addr)> buffer{};
  return ::inet_pton(AF_INET, host.c_str(), buffer.data()) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buffer.data()) == 1;
}

}  // namespace ctg::net
