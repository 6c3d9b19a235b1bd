// The fake Contiguity API that the tests of `ctg register` and `ctg webhooks` run against, checked
// with httplib's client: the contract's envelopes and status codes, the failures and delays tests
// plan, what it records, and TLS with a CA made for the test.
#include <doctest/doctest.h>
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "api_support.hpp"
#include "ctg/core/clock.hpp"

using namespace ctg;
using namespace ctg::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string k_token = FakeApiOptions{}.token;

httplib::Headers with_token(const std::string& token = k_token) {
  return {{"Authorization", "Token " + token}};
}

// The answer's body parsed, REQUIREd to be JSON sent as application/json.
json json_of(const httplib::Result& r) {
  REQUIRE(r);
  CHECK(r->get_header_value("Content-Type") == "application/json");
  auto body = json::parse(r->body, nullptr, false);
  INFO(r->body);
  REQUIRE_FALSE(body.is_discarded());
  return body;
}

// The platform's envelope around `data`: REQUIREs its shape, returns data.
json data_of(const httplib::Result& r, const std::string& object = "response") {
  const auto body = json_of(r);
  INFO(body.dump());
  std::set<std::string> keys;
  for (const auto& [key, value] : body.items()) keys.insert(key);
  REQUIRE(keys == std::set<std::string>{"id", "timestamp", "api_version", "object", "data"});
  CHECK(body["id"].get<std::string>().starts_with(object == "error" ? "err_" : "req_"));
  CHECK(body["api_version"] == "v2026.8.2");
  CHECK(body["object"] == object);
  REQUIRE(body["timestamp"].is_number_integer());
  CHECK(std::abs(body["timestamp"].get<std::int64_t>() / 1000 - unix_now()) <= 5);
  return body["data"];
}

json error_of(const httplib::Result& r) {
  return data_of(r, "error");
}
json error_data(int status, const std::string& text) {
  return {{"error", text}, {"status", status}};
}

}  // namespace

TEST_CASE("cli::fake api answers 401 without the right token, in the error envelope") {
  FakeApi api;
  httplib::Client client(api.base_url());
  const std::vector<httplib::Headers> wrong{
      {}, with_token("contiguity_sk_wrong"), {{"Authorization", "Bearer " + k_token}}};
  for (const auto& headers : wrong) {
    const auto r = client.Get("/webhooks", headers);
    REQUIRE(r);
    CHECK(r->status == 401);
    CHECK(error_of(r) == error_data(401, "Unauthorized"));
  }
  CHECK(client.Get("/elsewhere")->status == 401);  // the token is checked first
  CHECK(api.requests().size() == 4);
  CHECK(client.Get("/webhooks", with_token())->status == 200);
}

TEST_CASE("cli::fake api creates, lists, updates and deletes webhooks") {
  FakeApi api;
  httplib::Client client(api.base_url());

  auto r = client.Post("/webhooks", with_token(),
                       R"({"url":"https://example.com/hook","events":["text.incoming.sms"],"description":"mine"})",
                       "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  const auto created = data_of(r);
  CHECK(created["id"] == "wh_1");
  CHECK(created["url"] == "https://example.com/hook");
  CHECK(created["events"] == json{"text.incoming.sms"});
  CHECK(created["description"] == "mine");
  CHECK(std::abs(created["created_at"].get<std::int64_t>() / 1000 - unix_now()) <= 5);
  CHECK(created["secret"] == FakeApiOptions{}.secret_on_create);

  r = client.Post("/webhooks", with_token(), R"({"url":"https://example.com/all"})", "application/json");
  const auto all = data_of(r);
  CHECK(all["id"] == "wh_2");
  CHECK(all["events"] == json::array());
  CHECK(all["description"] == "");

  auto listed = data_of(client.Get("/webhooks", with_token()));
  REQUIRE(listed["webhooks"].size() == 2);
  auto first = created;
  first.erase("secret");
  CHECK(listed["webhooks"][0] == first);
  CHECK(listed["webhooks"][1]["id"] == "wh_2");

  r = client.Patch("/webhooks/wh_1", with_token(), R"({"url":"https://example.com/moved"})", "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  const auto patched = data_of(r);
  CHECK(patched["url"] == "https://example.com/moved");
  CHECK(patched["events"] == json{"text.incoming.sms"});  // untouched
  CHECK(patched["description"] == "mine");
  CHECK_FALSE(patched.contains("secret"));
  r = client.Patch("/webhooks/wh_1", with_token(), R"({"events":[],"description":"all now"})", "application/json");
  CHECK(data_of(r)["events"] == json::array());
  CHECK(api.webhooks().front().description == "all now");

  r = client.Delete("/webhooks/wh_1", with_token());
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(data_of(r) == json{{"id", "wh_1"}, {"deleted", true}});
  listed = data_of(client.Get("/webhooks", with_token()));
  REQUIRE(listed["webhooks"].size() == 1);
  CHECK(listed["webhooks"][0]["id"] == "wh_2");

  // Ids are not reused, preloaded ones are skipped, and an empty secret_on_create sends none.
  api.add_webhook({.id = "wh_3", .url = "https://example.com/preloaded"});
  CHECK(api.webhooks().back().created_at_ms > 0);
  r = client.Post("/webhooks", with_token(), R"({"url":"https://example.com/next"})", "application/json");
  CHECK(data_of(r)["id"] == "wh_4");
  FakeApi quiet({.secret_on_create = ""});
  httplib::Client quiet_client(quiet.base_url());
  r = quiet_client.Post("/webhooks", with_token(), R"({"url":"https://example.com/hook"})", "application/json");
  CHECK_FALSE(data_of(r).contains("secret"));
}

TEST_CASE("cli::fake api answers 400, 404 and 405 as the contract says") {
  FakeApi api;
  api.add_webhook({.id = "wh_existing", .url = "https://example.com/hook", .created_at_ms = 1764400000000});
  httplib::Client client(api.base_url());
  const auto post = [&](const std::string& body) {
    return client.Post("/webhooks", with_token(), body, "application/json");
  };

  SUBCASE("bad POST bodies") {
    const std::vector<std::pair<std::string, std::string>> cases{
        {R"({"url":"http://example.com/hook"})", "url must be an https URL"},
        {R"({"url":42})", "url must be an https URL"},
        {R"({"events":["text.incoming.sms"]})", "url must be an https URL"},
        {"not json", "body must be a JSON object"},
        {"", "body must be a JSON object"},
        {R"(["https://example.com/hook"])", "body must be a JSON object"},
        {R"({"url":"https://example.com/hook","events":"text.incoming.sms"})", "events must be an array of strings"},
        {R"({"url":"https://example.com/hook","events":[1]})", "events must be an array of strings"},
        {R"({"url":"https://example.com/hook","description":7})", "description must be a string"},
    };
    for (const auto& [body, message] : cases) {
      INFO(body);
      const auto r = post(body);
      REQUIRE(r);
      CHECK(r->status == 400);
      CHECK(error_of(r) == error_data(400, message));
    }
    CHECK(api.webhooks().size() == 1);
  }
  SUBCASE("bad PATCH bodies leave the webhook as it was") {
    const auto r = client.Patch("/webhooks/wh_existing", with_token(), R"({"url":"ftp://x"})", "application/json");
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(error_of(r) == error_data(400, "url must be an https URL"));
    CHECK(api.webhooks().front().url == "https://example.com/hook");
  }
  SUBCASE("unknown ids and paths") {
    const auto expect_404 = [](const httplib::Result& r) {
      REQUIRE(r);
      CHECK(r->status == 404);
      CHECK(error_of(r) == error_data(404, "Not Found"));
    };
    expect_404(client.Patch("/webhooks/wh_nope", with_token(), R"({"description":"x"})", "application/json"));
    expect_404(client.Delete("/webhooks/wh_nope", with_token()));
    expect_404(client.Get("/", with_token()));
    expect_404(client.Get("/webhooks/", with_token()));
    expect_404(client.Delete("/webhooks/wh_existing/more", with_token()));
    expect_404(client.Post("/send/text", with_token(), "{}", "application/json"));
    CHECK(api.webhooks().size() == 1);
  }
  SUBCASE("other methods") {
    const auto expect_405 = [](const httplib::Result& r, const std::string& allow) {
      REQUIRE(r);
      CHECK(r->status == 405);
      CHECK(r->get_header_value("Allow") == allow);
      CHECK(error_of(r) == error_data(405, "Method Not Allowed"));
    };
    expect_405(client.Put("/webhooks", with_token(), "{}", "application/json"), "GET, POST");
    expect_405(client.Delete("/webhooks", with_token()), "GET, POST");
    expect_405(client.Patch("/webhooks", with_token(), "{}", "application/json"), "GET, POST");
    expect_405(client.Get("/webhooks/wh_existing", with_token()), "PATCH, DELETE");
    expect_405(client.Post("/webhooks/wh_existing", with_token(), "{}", "application/json"), "PATCH, DELETE");
    expect_405(client.Options("/webhooks/wh_existing", with_token()), "PATCH, DELETE");
    const auto head = client.Head("/webhooks", with_token());
    REQUIRE(head);
    CHECK(head->status == 405);
  }
}

TEST_CASE("cli::fake api without registration answers 404 on /webhooks, after the token check") {
  FakeApi api({.offers_registration = false});
  httplib::Client client(api.base_url());
  auto r = client.Get("/webhooks", with_token());
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(error_of(r) == error_data(404, "Not Found"));
  r = client.Post("/webhooks", with_token(), R"({"url":"https://example.com/hook"})", "application/json");
  CHECK(r->status == 404);
  CHECK(client.Delete("/webhooks/wh_1", with_token())->status == 404);
  CHECK(client.Get("/webhooks")->status == 401);
  CHECK(api.webhooks().empty());
}

TEST_CASE("cli::fake api fail_next answers as planned, then the contract resumes") {
  FakeApi api;
  httplib::Client client(api.base_url());
  api.fail_next(2, 429, FakeApi::error_envelope(429, "Too Many Requests"), {{"Retry-After", "1"}});
  api.fail_next(1, 503);
  api.fail_next(1, 500, FakeApi::top_level_error(500, "Internal error"));
  api.fail_next(1, 502, "<html>bad gateway</html>", {{"Content-Type", "text/html"}});

  for (int i = 0; i < 2; ++i) {
    const auto r = client.Get("/webhooks", with_token());
    REQUIRE(r);
    CHECK(r->status == 429);
    CHECK(r->get_header_value("Retry-After") == "1");
    CHECK(error_of(r) == error_data(429, "Too Many Requests"));
  }
  auto r = client.Post("/webhooks", with_token(), R"({"url":"https://example.com/hook"})", "application/json");
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->body.empty());
  CHECK(api.webhooks().empty());  // not created
  r = client.Get("/webhooks");    // planned failures come before the token check
  REQUIRE(r);
  CHECK(r->status == 500);
  CHECK(json_of(r) == json{{"message", "Internal error"}, {"status", 500}});
  r = client.Get("/webhooks", with_token());
  REQUIRE(r);
  CHECK(r->status == 502);
  CHECK(r->get_header_value("Content-Type") == "text/html");
  CHECK(r->body == "<html>bad gateway</html>");

  r = client.Get("/webhooks", with_token());
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(data_of(r) == json{{"webhooks", json::array()}});
  CHECK(api.requests().size() == 6);
}

TEST_CASE("cli::fake api records every request; writes() keeps POST, PATCH and DELETE") {
  FakeApi api;
  httplib::Client client(api.base_url());
  auto headers = with_token();
  headers.emplace("X-Custom-Thing", "Yes");
  const std::string body = R"({"url":"https://example.com/hook"})";
  client.Post("/webhooks", headers, body, "application/json");
  client.Get("/webhooks?limit=1", with_token());
  client.Patch("/webhooks/wh_1", with_token(), R"({"description":"d"})", "application/json");
  client.Delete("/webhooks/wh_1", with_token());
  client.Put("/webhooks", with_token(), "{}", "application/json");

  const auto requests = api.requests();
  REQUIRE(requests.size() == 5);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].path == "/webhooks");
  CHECK(requests[0].body == body);
  CHECK(requests[0].headers.at("authorization") == "Token " + k_token);
  CHECK(requests[0].headers.at("x-custom-thing") == "Yes");
  CHECK(requests[0].header("X-CUSTOM-THING") == "Yes");
  CHECK(requests[0].header("Content-Type") == "application/json");
  CHECK(requests[0].header("X-Absent").empty());
  for (const auto& [name, value] : requests[0].headers) {
    CHECK(std::ranges::none_of(name, [](char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; }));
    CHECK(name != "remote_addr");  // httplib's own additions are not the client's headers
  }
  CHECK(requests[1].method == "GET");
  CHECK(requests[1].path == "/webhooks");  // without the query
  CHECK(requests[1].body.empty());

  const auto writes = api.writes();
  REQUIRE(writes.size() == 3);
  CHECK(writes[0].method == "POST");
  CHECK(writes[1].method == "PATCH");
  CHECK(writes[1].path == "/webhooks/wh_1");
  CHECK(writes[1].body == R"({"description":"d"})");
  CHECK(writes[2].method == "DELETE");
}

TEST_CASE("cli::fake api delay_next slows answers; the destructor cuts a delay short") {
  auto api = std::make_optional<FakeApi>();
  {
    httplib::Client client(api->base_url());
    api->delay_next(1, 50ms);
    auto start = std::chrono::steady_clock::now();
    auto r = client.Get("/webhooks", with_token());
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(std::chrono::steady_clock::now() - start >= 50ms);

    api->delay_next(1, 10s);
    client.set_read_timeout(100ms);
    r = client.Get("/webhooks", with_token());
    CHECK_FALSE(r);
    CHECK(r.error() == httplib::Error::Read);
    CHECK(api->requests().size() == 2);  // recorded on arrival
  }
  const auto start = std::chrono::steady_clock::now();
  api.reset();
  CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("cli::fake api over TLS, with a CA made for the test") {
  TempDir dir;
  const auto files = make_api_tls_files(dir);
  FakeApi api({.cert_file = files.cert_file, .key_file = files.key_file});
  CHECK(api.base_url() == "https://localhost:" + std::to_string(api.port()));
  {
    httplib::Client client(api.base_url());
    client.set_ca_cert_path(files.ca_file);
    client.enable_server_certificate_verification(true);
    const auto r = client.Post("/webhooks", with_token(), R"({"url":"https://example.com/hook"})", "application/json");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(data_of(r)["id"] == "wh_1");
  }
  {
    httplib::Client untrusting(api.base_url());
    untrusting.enable_server_certificate_verification(true);
    const auto r = untrusting.Get("/webhooks", with_token());
    CHECK_FALSE(r);
  }
  CHECK(api.requests().size() == 1);
}
