// Test support for `ctg register` and `ctg webhooks`: a fake Contiguity API on loopback that
// implements the webhook registration contract (platform.md §5 envelopes; the endpoints are those
// of register's issue) and records every request, plus the means to make it misbehave: canned
// failures (429 with Retry-After, 5xx, bodies that are not envelopes) and slow answers.
//
// The contract, every answer JSON with Content-Type application/json:
//   any request without `Authorization: Token <options.token>`  -> 401 {"error":"Unauthorized"}
//   /webhooks... while !options.offers_registration             -> 404 {"error":"Not Found"}
//   GET    /webhooks        -> {"webhooks":[webhook, ...]} in creation order
//   POST   /webhooks        -> webhook + "secret" (when options.secret_on_create is not empty)
//   PATCH  /webhooks/{id}   -> webhook with the given url, events and/or description replaced
//   DELETE /webhooks/{id}   -> {"id":..., "deleted":true}
//   other methods there     -> 405 {"error":"Method Not Allowed"} (and an Allow header)
//   unknown id, other paths -> 404 {"error":"Not Found"}
// where webhook is {"id","url","events","description","created_at"} (created_at in Unix ms; events
// [] means all). Successes are wrapped in {"id":"req_<n>","timestamp":<ms>,"api_version":
// "v2026.8.2","object":"response","data":...}, errors in the same with "err_<n>", "object":"error"
// and data {"error":...,"status":...}. POST and PATCH answer 400 with one of "body must be a JSON
// object", "url must be an https URL" (not a string starting with "https://"), "events must be an
// array of strings", "description must be a string"; a JSON null counts as an absent field.
//
// Threading: the server answers on its own threads; every member function may be called from any
// thread while it runs. The destructor cuts pending delays short and joins the server's threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "process.hpp"

namespace ctg::test {

struct ApiRequest {
  std::string method;
  std::string path;  // without the query
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased; repeated headers joined by ", "

  std::string header(const std::string& name) const;  // "" when absent; `name` case-insensitive
};

struct FakeWebhook {
  std::string id;
  std::string url;
  std::vector<std::string> events;  // empty: all events
  std::string description;
  std::int64_t created_at_ms = 0;  // Unix ms; add_webhook takes the current time for 0
};

struct FakeApiOptions {
  std::string token = "contiguity_sk_test_fake_token_0123456789";         // what `Authorization: Token` must carry
  std::string secret_on_create = "whsec_created_by_fake_api_0123456789";  // "" leaves "secret" out of POST's answer
  bool offers_registration = true;  // false: every /webhooks... request is answered 404
  std::string cert_file, key_file;  // both set: serve HTTPS with this leaf (PEM files); else plain HTTP
};

// A fake Contiguity API on 127.0.0.1 and a free port (see the top of this file).
class FakeApi {
 public:
  explicit FakeApi(FakeApiOptions options = {});  // REQUIREs that the server starts
  ~FakeApi();
  FakeApi(const FakeApi&) = delete;
  FakeApi& operator=(const FakeApi&) = delete;

  // "http://127.0.0.1:PORT", or "https://localhost:PORT" over TLS; no trailing slash.
  std::string base_url() const;
  int port() const;

  std::vector<ApiRequest> requests() const;   // every request in arrival order, fail_next's too
  std::vector<ApiRequest> writes() const;     // the POST, PATCH and DELETE requests among them
  std::vector<FakeWebhook> webhooks() const;  // the current registrations, in creation order
  // Preloads a registration; its id is kept as given (and never handed out by POST).
  void add_webhook(FakeWebhook webhook);

  // The next `times` requests (any method and path) are answered `status` with `body` (raw, may be
  // ""; sent as application/json unless `headers` name a Content-Type) and `headers` (such as
  // {"Retry-After", "1"}) instead of the contract; they are recorded all the same. Calls queue up:
  // fail_next(1, 503) then fail_next(1, 429) fails the next request with 503, the one after with 429.
  void fail_next(int times, int status, std::string body = {},
                 std::vector<std::pair<std::string, std::string>> headers = {});
  // The next request with `method` is carried out by the contract, but answered `status` with the
  // error envelope: an answer lost after the write was done (a 5xx from a proxy, say).
  void lose_next_answer(std::string method, int status);
  // The next `times` requests wait `delay` after being recorded and before being answered (by the
  // contract or by fail_next). Calls queue up as fail_next's do. Keep delays short: a delay runs
  // on one of the server's threads, and the client may well have given up.
  void delay_next(int times, std::chrono::milliseconds delay);

  // The platform's envelopes, for fail_next:
  // {"id":"err_<n>","timestamp":<ms>,"api_version":"v2026.8.2","object":"error","data":{"error":..,"status":..}}
  static std::string error_envelope(int status, const std::string& error);
  // {"message":..,"status":..}, the platform's occasional top-level form.
  static std::string top_level_error(int status, const std::string& message);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// A CA, and a leaf for localhost and 127.0.0.1 it signed (EC P-256, valid from a day ago for two
// days), written into `dir` as api-ca.pem, api-cert.pem and api-key.pem: options for FakeApi over
// TLS, and the CA file its clients trust. REQUIREs that they could be made.
struct ApiTlsFiles {
  std::string ca_file, cert_file, key_file;
};
ApiTlsFiles make_api_tls_files(const TempDir& dir);

}  // namespace ctg::test
