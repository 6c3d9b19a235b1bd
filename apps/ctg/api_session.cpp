// The Contiguity API client of register and webhooks, with the token found and kept out of every
// message (network: linked into ctg-net only).
#include <cstdlib>
#include <random>

#include <fmt/format.h>

#include "api_flags.hpp"
#include "ctg/api/credentials.hpp"
#include "ctg/net/http_client.hpp"
#include "ctg/net/url.hpp"

namespace ctg::app {

namespace {

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

}  // namespace

Result<std::unique_ptr<api::ApiClient>> open_api(const ApiFlags& flags, Context& context) {
  auto& console = context.console;
  const auto credentials = api::credentials_path(std::getenv("XDG_CONFIG_HOME"), std::getenv("HOME"));
  auto token = api::find_token(flags.token_file, [](const char* name) { return std::getenv(name); }, credentials);
  if (!token) return std::unexpected(token.error());
  if (!*token) {
    return fail(ErrorKind::usage, "no Contiguity API token",
                "set CONTIGUITY_API_KEY, pass --token-file FILE, or run 'ctg login'");
  }
  console.add_secret((*token)->value);
  if (!flags.ca_file.empty()) {
    if (auto usable = net::check_ca_file(flags.ca_file); !usable) return std::unexpected(usable.error());
  }
  if (auto base = net::parse_url(flags.api_base); base && base->scheme == "http" && !is_loopback(base->host)) {
    console.warn(fmt::format("the API token would travel over plain http to {}: anyone on the way can read it (use https)",
                             base->host));
  }
  api::ApiOptions options;
  options.base = flags.api_base;
  options.token = (*token)->value;
  options.token_source = (*token)->source;
  options.ca_file = flags.ca_file;
  options.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(flags.timeout_seconds * 1000));
  options.connect_timeout = std::min(options.timeout, std::chrono::milliseconds(5000));
  options.retries = flags.retries;
  options.user_agent = flags.user_agent;
  console.note(fmt::format("API {} with the token from {}", options.base, options.token_source));

  api::ApiHooks hooks;
  hooks.note = [&console](std::string_view message) { console.note(message); };
  hooks.retrying = [&console](std::string_view message) { console.warn(message); };
  hooks.jitter = [engine = std::minstd_rand(std::random_device{}())]() mutable {
    return std::uniform_real_distribution<double>(0.5, 1.0)(engine);
  };
  return api::ApiClient::create(std::move(options), std::move(hooks));
}

Result<std::vector<api::Webhook>> list_webhooks(api::ApiClient& api) {
  auto listed = api.call({.method = "GET", .path = "/webhooks"});
  if (!listed) return std::unexpected(listed.error().error);
  return api::parse_webhook_list(*listed);
}

}  // namespace ctg::app
