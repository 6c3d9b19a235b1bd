// ctg::api — calls to the Contiguity REST API (platform.md §5): `Authorization: Token`, JSON in and
// out, the response envelope {"object":"response","data":{...}} and the error envelope
// {"object":"error","data":{"error":...,"status":...}} (or, now and then, {"message","status"}).
//
// What an answer means, and what the client does about it:
//   2xx           the envelope's `data`
//   401, 403      the token is wrong or lacks rights: no retry (ErrorKind::refused)
//   404, 405 on /webhooks
//                 this API does not offer registration yet: no retry (refused), pointing to the Console
//   404 on /webhooks/{id}   no such webhook (refused)
//   429           waits as Retry-After says (seconds or an HTTP date; at most max_wait), then retries
//   5xx, timeouts, lost connections
//                 retries with exponential backoff and jitter, at most `retries` times, then the last
//                 error (ErrorKind::network)
//   other 4xx     the API's own message (refused)
// A call that is not repeatable (POST create) is retried only when the server surely did not act on
// it (connection refused, 429); after an answer that may hide a completed write (5xx, a timeout
// waiting for the answer) the failure says `maybe_applied` and the caller looks before trying again.
// The token never appears in any message.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ctg/core/error.hpp"

namespace ctg::api {

inline constexpr const char* k_default_base = "https://api.contiguity.com";
inline constexpr const char* k_base_env = "CONTIGUITY_API_BASE";
inline constexpr const char* k_console_url = "https://console.contiguity.com";

struct ApiOptions {
  std::string base = k_default_base;
  std::string token;
  std::string token_source;  // for the hint of a 401: "CONTIGUITY_API_KEY", "--token-file t.txt", ...
  std::string ca_file;       // trust this CA bundle instead of the system's
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{10000};  // each attempt's read/write timeout
  int retries = 3;                           // further attempts after the first
  std::chrono::milliseconds backoff{500};    // before the first retry; doubles each time (jittered)
  std::chrono::milliseconds max_wait{60000}; // the longest Retry-After honoured
  std::string user_agent;
};

// How the client reports and waits; defaults: no notes, std::this_thread::sleep_for, no jitter.
struct ApiHooks {
  std::function<void(std::string_view)> note;     // each call's outcome ("GET .../webhooks: 200 in 12 ms")
  std::function<void(std::string_view)> retrying; // "the Contiguity API answered 503; retrying in 1.0 s (2 of 4)"
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<double()> jitter;  // a factor in [0.5, 1], applied to each backoff
};

struct Call {
  std::string method;  // GET, POST, PATCH, DELETE
  std::string path;    // "/webhooks", "/webhooks/wh_1" (appended to the base URL's path)
  std::optional<nlohmann::json> body;
  bool repeatable = true;  // false for POST create
};

struct ApiFailure {
  Error error;
  int status = 0;              // the HTTP status, 0 when no answer came
  bool maybe_applied = false;  // a non-repeatable call that the server may have carried out
};

class ApiClient {
 public:
  // Errors: a base that is not an http(s) URL (usage: "--api-base ..."), an unreadable CA file.
  static Result<std::unique_ptr<ApiClient>> create(ApiOptions options, ApiHooks hooks = {});
  ~ApiClient();

  std::expected<nlohmann::json, ApiFailure> call(const Call& call);

  // Waits the backoff before retry number `retry` (0 for the first), for callers that retry a
  // call themselves (a create, after looking whether it went through).
  void pause(int retry) const;

  // The full URL of `path` ("https://api.contiguity.com/webhooks"), for messages.
  std::string url_of(std::string_view path) const;

 private:
  struct Impl;
  explicit ApiClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

// Retry-After as seconds to wait: delay-seconds ("120") or an HTTP date ("Wed, 21 Oct 2026
// 07:28:00 GMT", counted from `now`, at least 0). nullopt when it is neither.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::int64_t now);

// The API's own words in an error answer: data.message, data.error, message or error (first found);
// "" when the body is not one of the platform's envelopes.
std::string api_error_text(std::string_view body);

}  // namespace ctg::api
