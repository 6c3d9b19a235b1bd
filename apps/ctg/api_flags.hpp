// apps/ctg — the flags every command that calls the Contiguity API shares (register, webhooks):
// where the API is, which token, how patient to be. add_api_flags() is network-free (front-end
// and ctg-net); open_api() builds the client and lives in api_session.cpp (ctg-net only).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "command.hpp"
#include "ctg/api/client.hpp"
#include "ctg/api/webhooks.hpp"

namespace ctg::app {

struct ApiFlags {
  std::string api_base = api::k_default_base;  // --api-base, CONTIGUITY_API_BASE
  std::string token_file;                      // --token-file
  std::string ca_file;                         // --ca-file (the API's and, for register, the endpoint's)
  double timeout_seconds = 10;
  int retries = 3;
  std::string user_agent;  // "ctg/<version>"
};

void add_api_flags(CLI::App& command, ApiFlags& flags);

// The token (in the order of api/credentials.hpp), registered with the console for redaction, and
// a client for the API. Errors: no token anywhere (usage: how to give one), an unusable base URL or
// CA file.
Result<std::unique_ptr<api::ApiClient>> open_api(const ApiFlags& flags, Context& context);

// GET /webhooks: the registered endpoints.
Result<std::vector<api::Webhook>> list_webhooks(api::ApiClient& api);

}  // namespace ctg::app
