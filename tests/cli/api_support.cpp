#include "api_support.hpp"

#include <httplib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <expected>
#include <mutex>
#include <optional>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/core/clock.hpp"
#include "ctg/tls/certificate.hpp"

namespace ctg::test {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using ExtraHeaders = std::vector<std::pair<std::string, std::string>>;

constexpr const char* k_api_version = "v2026.8.2";
constexpr const char* k_collection = "/webhooks";
constexpr const char* k_item_prefix = "/webhooks/";

// Names httplib's server adds to a request's headers itself; no client sent them.
constexpr std::array<const char*, 4> k_pseudo_headers{"REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT"};

std::string lower(std::string text) {
  std::ranges::transform(text, text.begin(),
                         [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  return text;
}

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The n of "req_<n>" and "err_<n>", unique in the process (the static helpers have no FakeApi).
std::atomic<std::uint64_t> g_envelope_count{0};

std::string envelope(const char* id_prefix, const char* object, ordered_json data) {
  ordered_json out;
  out["id"] = fmt::format("{}{}", id_prefix, ++g_envelope_count);
  out["timestamp"] = unix_now_ms();
  out["api_version"] = k_api_version;
  out["object"] = object;
  out["data"] = std::move(data);
  return out.dump();
}

ordered_json webhook_json(const FakeWebhook& webhook) {
  ordered_json out;
  out["id"] = webhook.id;
  out["url"] = webhook.url;
  out["events"] = webhook.events;
  out["description"] = webhook.description;
  out["created_at"] = webhook.created_at_ms;
  return out;
}

// One answer, by the contract or by fail_next.
struct Reply {
  int status = 200;
  std::string body;
  ExtraHeaders headers;
};

Reply success(ordered_json data) {
  return {200, envelope("req_", "response", std::move(data)), {}};
}
Reply failure(int status, const std::string& error, ExtraHeaders headers = {}) {
  return {status, FakeApi::error_envelope(status, error), std::move(headers)};
}
Reply not_found() {
  return failure(404, "Not Found");
}
Reply method_not_allowed(const char* allow) {
  return failure(405, "Method Not Allowed", {{"Allow", allow}});
}

// The fields of a POST or PATCH body, each absent when not given (or null).
struct WebhookFields {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> events;
  std::optional<std::string> description;
};

enum class UrlRequired { yes, no };

// The fields of `body`, or the 400's error text.
std::expected<WebhookFields, std::string> parse_fields(const std::string& body, UrlRequired url_required) {
  const auto doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::unexpected("body must be a JSON object");
  const auto given = [&doc](const char* name) { return doc.contains(name) && !doc[name].is_null(); };
  WebhookFields fields;
  if (given("url")) {
    const auto& url = doc["url"];
    if (!url.is_string() || !url.get_ref<const std::string&>().starts_with("https://"))
      return std::unexpected("url must be an https URL");
    fields.url = url.get<std::string>();
  } else if (url_required == UrlRequired::yes) {
    return std::unexpected("url must be an https URL");
  }
  if (given("events")) {
    const auto& events = doc["events"];
    if (!events.is_array() || !std::ranges::all_of(events, [](const json& e) { return e.is_string(); }))
      return std::unexpected("events must be an array of strings");
    fields.events = events.get<std::vector<std::string>>();
  }
  if (given("description")) {
    if (!doc["description"].is_string()) return std::unexpected("description must be a string");
    fields.description = doc["description"].get<std::string>();
  }
  return fields;
}

ApiRequest recorded(const httplib::Request& req) {
  ApiRequest out{.method = req.method, .path = req.path, .body = req.body};
  for (const auto& [name, value] : req.headers) {
    if (std::ranges::find(k_pseudo_headers, name) != k_pseudo_headers.end()) continue;
    auto [it, inserted] = out.headers.try_emplace(lower(name), value);
    if (!inserted) it->second += ", " + value;
  }
  return out;
}

struct PlannedFailure {
  int remaining = 0;
  Reply reply;
};

struct PlannedDelay {
  int remaining = 0;
  std::chrono::milliseconds delay{0};
};

// The front of `plans` for one more request, dropped once used up.
template <typename Plan>
std::optional<Plan> take(std::deque<Plan>& plans) {
  if (plans.empty()) return std::nullopt;
  Plan plan = plans.front();
  if (--plans.front().remaining <= 0) plans.pop_front();
  return plan;
}

}  // namespace

std::string ApiRequest::header(const std::string& name) const {
  const auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

struct FakeApi::Impl {
  FakeApiOptions options;
  bool tls = false;
  int port = 0;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;

  mutable std::mutex mutex;
  std::condition_variable stop_requested;  // wakes delayed requests when the server goes
  bool stopping = false;
  std::vector<ApiRequest> requests;
  std::vector<FakeWebhook> webhooks;
  std::uint64_t webhook_count = 0;  // the n of the last "wh_<n>" handed out
  std::deque<PlannedFailure> failures;
  std::deque<PlannedDelay> delays;
  std::vector<std::pair<std::string, int>> lost_answers;  // method, status

  void handle(const httplib::Request& req, httplib::Response& res);
  // The contract's answer. REQUIRES: mutex held.
  Reply answer(const ApiRequest& request);
  Reply create(const ApiRequest& request);
  Reply update(const std::string& id, const ApiRequest& request);
  Reply remove(const std::string& id);
  std::vector<FakeWebhook>::iterator find(const std::string& id) {
    return std::ranges::find(webhooks, id, &FakeWebhook::id);
  }
};

void FakeApi::Impl::handle(const httplib::Request& req, httplib::Response& res) {
  auto request = recorded(req);
  std::optional<PlannedDelay> delay;
  std::optional<PlannedFailure> planned;
  Reply reply;
  {
    std::unique_lock lock(mutex);
    requests.push_back(request);
    delay = take(delays);
    planned = take(failures);
    // The wait lets go of the mutex, and ends early when the destructor runs.
    if (delay) stop_requested.wait_for(lock, delay->delay, [this] { return stopping; });
    reply = planned ? planned->reply : answer(request);
    const auto lost = std::ranges::find(lost_answers, request.method, &std::pair<std::string, int>::first);
    if (!planned && lost != lost_answers.end()) {
      reply = {lost->second, FakeApi::error_envelope(lost->second, "Bad Gateway"), {}};
      lost_answers.erase(lost);
    }
  }
  res.status = reply.status;
  std::string content_type = "application/json";
  for (const auto& [name, value] : reply.headers) {
    if (lower(name) == "content-type") {
      content_type = value;
      if (!reply.body.empty()) continue;  // set_content sets it
    }
    res.set_header(name, value);
  }
  if (!reply.body.empty()) res.set_content(reply.body, content_type);
}

Reply FakeApi::Impl::answer(const ApiRequest& request) {
  if (request.header("authorization") != "Token " + options.token) return failure(401, "Unauthorized");
  const auto& path = request.path;
  const bool collection = path == k_collection;
  std::string id;
  if (path.starts_with(k_item_prefix)) id = path.substr(std::string_view(k_item_prefix).size());
  if (!collection && (id.empty() || id.find('/') != std::string::npos)) return not_found();
  if (!options.offers_registration) return not_found();

  const auto& method = request.method;
  if (collection) {
    if (method == "GET") {
      ordered_json list = ordered_json::array();
      for (const auto& webhook : webhooks) list.push_back(webhook_json(webhook));
      return success({{"webhooks", std::move(list)}});
    }
    if (method == "POST") return create(request);
    return method_not_allowed("GET, POST");
  }
  if (method == "PATCH") return update(id, request);
  if (method == "DELETE") return remove(id);
  return method_not_allowed("PATCH, DELETE");
}

Reply FakeApi::Impl::create(const ApiRequest& request) {
  auto fields = parse_fields(request.body, UrlRequired::yes);
  if (!fields) return failure(400, fields.error());
  FakeWebhook webhook{.url = *fields->url,
                      .events = fields->events.value_or(std::vector<std::string>{}),
                      .description = fields->description.value_or(""),
                      .created_at_ms = unix_now_ms()};
  do {
    webhook.id = fmt::format("wh_{}", ++webhook_count);
  } while (find(webhook.id) != webhooks.end());
  webhooks.push_back(webhook);
  auto data = webhook_json(webhook);
  if (!options.secret_on_create.empty()) data["secret"] = options.secret_on_create;
  return success(std::move(data));
}

Reply FakeApi::Impl::update(const std::string& id, const ApiRequest& request) {
  const auto it = find(id);
  if (it == webhooks.end()) return not_found();
  auto fields = parse_fields(request.body, UrlRequired::no);
  if (!fields) return failure(400, fields.error());
  if (fields->url) it->url = *fields->url;
  if (fields->events) it->events = *fields->events;
  if (fields->description) it->description = *fields->description;
  return success(webhook_json(*it));
}

Reply FakeApi::Impl::remove(const std::string& id) {
  const auto it = find(id);
  if (it == webhooks.end()) return not_found();
  webhooks.erase(it);
  ordered_json data;
  data["id"] = id;
  data["deleted"] = true;
  return success(std::move(data));
}

FakeApi::FakeApi(FakeApiOptions options) : m_impl(std::make_unique<Impl>()) {
  auto& impl = *m_impl;
  impl.options = std::move(options);
  impl.tls = !impl.options.cert_file.empty() && !impl.options.key_file.empty();
  if (impl.tls) {
    impl.server = std::make_unique<httplib::SSLServer>(impl.options.cert_file.c_str(), impl.options.key_file.c_str());
  } else {
    impl.server = std::make_unique<httplib::Server>();
  }
  REQUIRE(impl.server->is_valid());
  // Every method httplib routes comes here; the contract decides (HEAD arrives as itself via Get).
  const auto handler = [&impl](const httplib::Request& req, httplib::Response& res) { impl.handle(req, res); };
  impl.server->Get(".*", handler);
  impl.server->Post(".*", handler);
  impl.server->Put(".*", handler);
  impl.server->Patch(".*", handler);
  impl.server->Delete(".*", handler);
  impl.server->Options(".*", handler);
  impl.port = impl.server->bind_to_any_port("127.0.0.1");
  REQUIRE(impl.port > 0);
  impl.thread = std::thread([&impl] { impl.server->listen_after_bind(); });
  while (!impl.server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeApi::~FakeApi() {
  {
    std::lock_guard lock(m_impl->mutex);
    m_impl->stopping = true;
  }
  m_impl->stop_requested.notify_all();
  m_impl->server->stop();
  m_impl->thread.join();
}

std::string FakeApi::base_url() const {
  return m_impl->tls ? fmt::format("https://localhost:{}", m_impl->port)
                     : fmt::format("http://127.0.0.1:{}", m_impl->port);
}

int FakeApi::port() const {
  return m_impl->port;
}

std::vector<ApiRequest> FakeApi::requests() const {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->requests;
}

std::vector<ApiRequest> FakeApi::writes() const {
  std::vector<ApiRequest> out;
  for (auto& request : requests()) {
    if (request.method == "POST" || request.method == "PATCH" || request.method == "DELETE")
      out.push_back(std::move(request));
  }
  return out;
}

std::vector<FakeWebhook> FakeApi::webhooks() const {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->webhooks;
}

void FakeApi::add_webhook(FakeWebhook webhook) {
  if (webhook.created_at_ms == 0) webhook.created_at_ms = unix_now_ms();
  std::lock_guard lock(m_impl->mutex);
  m_impl->webhooks.push_back(std::move(webhook));
}

void FakeApi::fail_next(int times, int status, std::string body, ExtraHeaders headers) {
  if (times <= 0) return;
  std::lock_guard lock(m_impl->mutex);
  m_impl->failures.push_back({times, {status, std::move(body), std::move(headers)}});
}

void FakeApi::lose_next_answer(std::string method, int status) {
  std::lock_guard lock(m_impl->mutex);
  m_impl->lost_answers.emplace_back(std::move(method), status);
}

void FakeApi::delay_next(int times, std::chrono::milliseconds delay) {
  if (times <= 0) return;
  std::lock_guard lock(m_impl->mutex);
  m_impl->delays.push_back({times, delay});
}

std::string FakeApi::error_envelope(int status, const std::string& error) {
  ordered_json data;
  data["error"] = error;
  data["status"] = status;
  return envelope("err_", "error", std::move(data));
}

std::string FakeApi::top_level_error(int status, const std::string& message) {
  ordered_json out;
  out["message"] = message;
  out["status"] = status;
  return out.dump();
}

ApiTlsFiles make_api_tls_files(const TempDir& dir) {
  constexpr std::int64_t k_day = std::int64_t{24} * 60 * 60;
  const auto now = unix_now();
  const auto new_key = [] {
    auto key = tls::generate_key(tls::KeyType::ec_p256);
    REQUIRE(key.has_value());
    return *key;
  };
  const auto ca = tls::self_signed(
      {.common_name = "ctg fake API CA", .not_before = now - k_day, .not_after = now + k_day, .is_ca = true},
      new_key());
  REQUIRE(ca.has_value());
  const auto leaf = tls::issue(
      {.dns_names = {"localhost"}, .ip_addresses = {"127.0.0.1"}, .not_before = now - k_day, .not_after = now + k_day},
      new_key(), *ca);
  REQUIRE(leaf.has_value());
  return {.ca_file = dir.write("api-ca.pem", ca->certificate_pem),
          .cert_file = dir.write("api-cert.pem", leaf->certificate_pem),
          .key_file = dir.write("api-key.pem", leaf->private_key_pem)};
}

}  // namespace ctg::test
