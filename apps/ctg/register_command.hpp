// apps/ctg — `ctg register` and `ctg webhooks list|delete`: their flags (register_command.cpp) and
// their Runs, in ctg-net (register_run.cpp, webhooks_run.cpp), hand-overs in the front-end
// (handoff.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api_flags.hpp"
#include "command.hpp"
#include "secrets.hpp"

namespace ctg::app {

struct RegisterFlags {
  std::string url;
  std::vector<std::string> events;         // --events, comma-separated, repeatable; none: all
  std::optional<std::string> description;  // --description
  bool dry_run = false;
  bool force = false;
  std::string secret_out;  // --secret-out FILE (0600)
  bool show_secret = false;
  SecretFlags secrets;     // the webhook secret the preflight signs its sample with
  std::int64_t max_latency_ms = 2000;
  ApiFlags api;
};

struct WebhooksFlags {
  std::string target;  // delete: an id (wh_...) or a URL
  bool yes = false;
  ApiFlags api;
};

Run register_run(std::shared_ptr<RegisterFlags> flags);
Run webhooks_list_run(std::shared_ptr<WebhooksFlags> flags);
Run webhooks_delete_run(std::shared_ptr<WebhooksFlags> flags);

}  // namespace ctg::app
