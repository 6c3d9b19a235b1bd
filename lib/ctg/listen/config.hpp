// ctg::listen — the parts of `ctg listen`'s configuration that come as text: --forward-to
// routes, -H headers, --events lists, and the config file.
//
// Config file (JSON; --config FILE, else $XDG_CONFIG_HOME/ctg/config.json when it exists):
//   {"listen": {"host": "127.0.0.1", "port": 3000, "path": "/contiguity/webhook",
//               "events": ["text.*"], "tolerance": 300, "max_body": 1048576, "max_attempts": 8,
//               "max_buffered": 67108864, "read_timeout": 5,
//               "forward": [{"to": "http://localhost:8080/sms", "events": ["text.*"],
//                            "headers": {"X-Env": "dev"}}]}}
// Flags beat environment, which beats the file: the caller applies a file value only where
// neither said anything.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctg/core/error.hpp"
#include "ctg/listen/forwarder.hpp"

namespace ctg::listen {

// "http://localhost:8080/hook" (every event) or "text.*,otp.*=http://localhost:8080/sms".
// Errors (usage): a URL that does not parse; a route with no globs.
Result<ForwardTarget> parse_forward_spec(std::string_view spec);

// "Name: value". Errors (usage): no colon, empty name, a name with spaces.
Result<std::pair<std::string, std::string>> parse_header_spec(std::string_view spec);

// "text.*,otp.*" -> {"text.*", "otp.*"}; blanks dropped.
std::vector<std::string> parse_event_list(std::string_view list);

struct ListenConfig {
  std::optional<std::string> host;
  std::optional<int> port;
  std::optional<std::string> path;
  std::vector<std::string> events;
  std::optional<std::int64_t> tolerance;
  std::optional<std::size_t> max_body;
  std::optional<std::size_t> max_buffered;
  std::optional<int> read_timeout;  // seconds
  std::optional<int> max_attempts;
  std::vector<ForwardTarget> forward;
};

// Parses the config file's text; `name` is used in messages. Errors (usage) name the file and the
// key: "config.json: listen.port must be a number from 0 to 65535". Unknown keys are errors too
// (a typo must not be silently ignored).
Result<ListenConfig> parse_listen_config(std::string_view text, std::string_view name);

}  // namespace ctg::listen
