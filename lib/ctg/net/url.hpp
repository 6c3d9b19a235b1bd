// ctg::net — URLs as ctg's commands take them (forward targets, send-test and check endpoints).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ctg/core/error.hpp"

namespace ctg::net {

struct Url {
  std::string scheme;      // "http" or "https"
  std::string host;        // "localhost", "127.0.0.1", "::1" (no brackets), "api.example.com"
  std::uint16_t port = 0;  // explicit or the scheme's default
  std::string target;      // path and query, at least "/"

  // "https://host:port" with brackets around IPv6 hosts and the port only when not the default.
  std::string origin() const;
  // origin() + target
  std::string str() const;
};

// Parses an absolute http(s) URL. Surrounding whitespace is ignored; scheme and host are lowercased;
// the query is kept in `target`, a "#fragment" is dropped (it is never sent); "http://h:/" means the
// default port. Errors (usage): "URL must start with http:// or https://: \"x\"",
// "URL has no host: \"http:///x\"", "URL port is not a number from 1 to 65535: \"http://h:99999\"",
// "URL contains a space or control character: \"...\"", "URL has an invalid IPv6 address: \"...\"",
// "URL host is not valid: \"...\"". User-info ("user:pass@") is refused since credentials do not
// belong on a command line: "URL contains a user name or password, which ctg does not accept" (that
// message does not repeat the URL).
Result<Url> parse_url(std::string_view text);

// Whether `host` is an IPv4 or IPv6 address (no brackets) rather than a name.
bool is_ip_address(const std::string& host);

}  // namespace ctg::net
