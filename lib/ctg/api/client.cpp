#include "ctg/api/client.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <thread>

#include <fmt/format.h>

#include "ctg/core/clock.hpp"
#include "ctg/core/text.hpp"
#include "ctg/net/http_client.hpp"
#include "ctg/net/http_server.hpp"
#include "ctg/net/url.hpp"

namespace ctg::api {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;

std::string status_text(int status) {
  return fmt::format("{} {}", status, net::reason_phrase(status));
}

std::string seconds_text(milliseconds wait) {
  return fmt::format("{:.1f} s", static_cast<double>(wait.count()) / 1000.0);
}

bool is_webhooks_collection(std::string_view path) {
  return path == "/webhooks";
}

// The id in "/webhooks/wh_1", or "" for other paths.
std::string_view webhook_id(std::string_view path) {
  constexpr std::string_view prefix = "/webhooks/";
  return path.starts_with(prefix) ? path.substr(prefix.size()) : std::string_view();
}

// Failures of the connection itself that leave no doubt the request was never acted on.
bool surely_not_sent(const net::Failure& failure) {
  if (failure.kind == net::FailureKind::connect) return true;
  return failure.kind == net::FailureKind::timeout && failure.message.find("connecting") != std::string::npos;
}

bool worth_retrying(const net::Failure& failure) {
  return failure.kind == net::FailureKind::connect || failure.kind == net::FailureKind::timeout ||
         failure.kind == net::FailureKind::protocol;
}

ApiFailure failure(ErrorKind kind, std::string message, std::string hint = {}, int status = 0) {
  return ApiFailure{Error{kind, std::move(message), std::move(hint)}, status, false};
}

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::int64_t now) {
  const auto v = text::trim(value);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    if (v.size() > 9) return std::chrono::seconds(999'999'999);
    return std::chrono::seconds(std::stoll(std::string(v)));
  }
  // An HTTP date (IMF-fixdate): "Wed, 21 Oct 2026 07:28:00 GMT".
  std::tm tm{};
  const std::string copy(v);
  const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const std::int64_t at = timegm(&tm);
  return std::chrono::seconds(std::max<std::int64_t>(0, at - now));
}

std::string api_error_text(std::string_view body) {
  const auto parsed = json::parse(body.begin(), body.end(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return "";
  const auto text_of = [](const json& object, const char* key) -> std::string {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (const auto data = parsed.find("data"); data != parsed.end() && data->is_object()) {
    for (const char* key : {"message", "error"})
      if (auto t = text_of(*data, key); !t.empty()) return t;
  }
  for (const char* key : {"message", "error"})
    if (auto t = text_of(parsed, key); !t.empty()) return t;
  return "";
}

struct ApiClient::Impl {
  ApiOptions options;
  ApiHooks hooks;
  net::Url base;
  std::string prefix;  // the base URL's path without a trailing slash ("" for "/")
  std::unique_ptr<net::Client> client;

  void note(std::string_view message) const {
    if (hooks.note) hooks.note(message);
  }

  void wait(milliseconds how_long) const {
    if (hooks.sleep) {
      hooks.sleep(how_long);
    } else {
      std::this_thread::sleep_for(how_long);
    }
  }

  milliseconds backoff(int retry) const {
    const double factor = hooks.jitter ? std::clamp(hooks.jitter(), 0.5, 1.0) : 1.0;
    const auto full = options.backoff * (1LL << std::min(retry, 10));
    return milliseconds(static_cast<std::int64_t>(static_cast<double>(full.count()) * factor));
  }

  std::string url_of(std::string_view path) const { return base.origin() + prefix + std::string(path); }

  // What an answer that is not 2xx means, worded for the user.
  ApiFailure from_status(const Call& call, const net::Response& response) const {
    const int status = response.status;
    const auto said = api_error_text(response.body);
    const auto their_words = said.empty() ? std::string() : fmt::format(": {}", said);
    const auto where = fmt::format("{} {}", call.method, url_of(call.path));
    if (status == 401) {
      return failure(ErrorKind::refused,
                     fmt::format("the Contiguity API did not accept the API token ({}{})", status_text(status), their_words),
                     fmt::format("check the token from {}: set CONTIGUITY_API_KEY, pass --token-file, or run 'ctg login'",
                                 options.token_source.empty() ? "your configuration" : options.token_source),
                     status);
    }
    if (status == 403) {
      return failure(ErrorKind::refused,
                     fmt::format("the API token is not allowed to manage webhooks ({}{})", status_text(status), their_words),
                     "use a key with webhook rights from https://console.contiguity.com", status);
    }
    const auto id = webhook_id(call.path);
    if ((status == 404 || status == 405) && (is_webhooks_collection(call.path) || (status == 405 && !id.empty()))) {
      return failure(ErrorKind::refused,
                     fmt::format("this Contiguity API does not offer webhook registration yet ({} answered {})", where,
                                 status_text(status)),
                     fmt::format("register the endpoint in the Console: {}", k_console_url), status);
    }
    if (status == 404 && !id.empty()) {
      return failure(ErrorKind::refused, fmt::format("the Contiguity API has no webhook {} ({})", id, status_text(status)),
                     "run 'ctg webhooks list' for the registered endpoints", status);
    }
    if (status >= 500) {
      return failure(ErrorKind::network,
                     fmt::format("the Contiguity API answered {} to {}{}", status_text(status), where, their_words), {},
                     status);
    }
    return failure(ErrorKind::refused,
                   fmt::format("the Contiguity API refused {} ({}{})", where, status_text(status), their_words), {},
                   status);
  }

  std::expected<json, ApiFailure> parse_success(const Call& call, const net::Response& response) const {
    const auto parsed = json::parse(response.body, nullptr, false);
    const auto where = fmt::format("{} {}", call.method, url_of(call.path));
    if (parsed.is_discarded() || !parsed.is_object()) {
      return std::unexpected(failure(ErrorKind::network,
                                     fmt::format("unexpected answer from the Contiguity API to {}: not a JSON object ({})",
                                                 where, text::excerpt(response.body, 80)),
                                     {}, response.status));
    }
    const auto data = parsed.find("data");
    if (data == parsed.end()) {
      return std::unexpected(failure(
          ErrorKind::network, fmt::format("unexpected answer from the Contiguity API to {}: no \"data\"", where), {},
          response.status));
    }
    return *data;
  }

  std::expected<json, ApiFailure> call(const Call& call) {
    const std::string target = prefix + call.path;
    const std::string body = call.body ? call.body->dump() : std::string();
    net::HeaderList headers{{"Authorization", "Token " + options.token}, {"Accept", "application/json"}};
    if (!options.user_agent.empty()) headers.emplace_back("User-Agent", options.user_agent);
    const int attempts = 1 + std::max(options.retries, 0);
    ApiFailure last;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      const auto answer = client->send(call.method, target, headers, body);
      std::optional<milliseconds> pause;
      if (!answer) {
        const auto& f = answer.error();
        note(fmt::format("{} {}: {}", call.method, url_of(call.path), f.message));
        const ErrorKind kind = f.kind == net::FailureKind::tls ? ErrorKind::tls : ErrorKind::network;
        last = failure(kind, fmt::format("cannot reach the Contiguity API at {}: {}", base.origin(), f.message),
                       kind == ErrorKind::tls ? "for a private CA pass --ca-file" : "");
        if (!worth_retrying(f)) return std::unexpected(last);
        if (!call.repeatable && !surely_not_sent(f)) {
          last.maybe_applied = true;
          return std::unexpected(last);
        }
        pause = backoff(attempt - 1);
      } else {
        const auto& response = *answer;
        note(fmt::format("{} {}: {} in {} ms", call.method, url_of(call.path), status_text(response.status),
                         std::chrono::duration_cast<milliseconds>(response.latency).count()));
        if (response.status >= 200 && response.status <= 299) return parse_success(call, response);
        last = from_status(call, response);
        if (response.status == 429) {
          const auto asked = response.header("Retry-After");
          const auto seconds = asked ? parse_retry_after(*asked, unix_now()) : std::nullopt;
          if (seconds && *seconds > options.max_wait) {
            last.error.message = fmt::format(
                "the Contiguity API is rate limiting (429 Too Many Requests) and asks to wait {} s, longer than ctg "
                "waits ({} s)",
                seconds->count(), std::chrono::duration_cast<std::chrono::seconds>(options.max_wait).count());
            last.error.hint = "try again later";
            return std::unexpected(last);
          }
          last.error.message = "the Contiguity API is rate limiting (429 Too Many Requests)";
          pause = seconds ? std::chrono::duration_cast<milliseconds>(*seconds) : backoff(attempt - 1);
        } else if (response.status >= 500) {
          if (!call.repeatable) {
            last.maybe_applied = true;
            return std::unexpected(last);
          }
          pause = backoff(attempt - 1);
        } else {
          return std::unexpected(last);
        }
      }
      if (attempt == attempts) break;
      if (hooks.retrying) {
        hooks.retrying(fmt::format("{}; retrying in {} (attempt {} of {})", last.error.message, seconds_text(*pause),
                                   attempt + 1, attempts));
      }
      wait(*pause);
    }
    if (attempts > 1) last.error.message += fmt::format(" (after {} attempts)", attempts);
    return std::unexpected(last);
  }
};

Result<std::unique_ptr<ApiClient>> ApiClient::create(ApiOptions options, ApiHooks hooks) {
  auto base = net::parse_url(options.base);
  if (!base) {
    return fail(ErrorKind::usage, fmt::format("the API base URL is not usable: {}", base.error().message),
                fmt::format("check --api-base or {}", k_base_env));
  }
  if (base->target.find('?') != std::string::npos) {
    return fail(ErrorKind::usage, "the API base URL must not have a query", fmt::format("check --api-base or {}", k_base_env));
  }
  auto impl = std::make_unique<Impl>();
  impl->prefix = base->target;
  while (!impl->prefix.empty() && impl->prefix.back() == '/') impl->prefix.pop_back();
  net::ClientOptions client_options;
  client_options.connect_timeout = options.connect_timeout;
  client_options.timeout = options.timeout;
  client_options.ca_file = options.ca_file;
  client_options.max_body_kept = 8 * 1024 * 1024;
  auto client = net::Client::create(*base, client_options);
  if (!client) return std::unexpected(client.error());
  impl->client = std::move(*client);
  impl->base = std::move(*base);
  impl->options = std::move(options);
  impl->hooks = std::move(hooks);
  return std::unique_ptr<ApiClient>(new ApiClient(std::move(impl)));
}

ApiClient::ApiClient(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
ApiClient::~ApiClient() = default;

std::expected<json, ApiFailure> ApiClient::call(const Call& call) {
  return m_impl->call(call);
}

void ApiClient::pause(int retry) const {
  m_impl->wait(m_impl->backoff(retry));
}

std::string ApiClient::url_of(std::string_view path) const {
  return m_impl->url_of(path);
}

}  // namespace ctg::api
