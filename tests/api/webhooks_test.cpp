#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "ctg/api/client.hpp"
#include "ctg/api/webhooks.hpp"

using namespace ctg;
using namespace ctg::api;
using nlohmann::json;

namespace {

Webhook hook(std::string id, std::string url, std::vector<std::string> events = {}, std::string description = {}) {
  Webhook w;
  w.id = std::move(id);
  w.url = std::move(url);
  w.events = std::move(events);
  w.description = std::move(description);
  return w;
}

}  // namespace

TEST_CASE("api::webhooks parse the list the API answers, and refuse what is not a webhook") {
  const auto data = json::parse(R"({"webhooks":[
    {"id":"wh_1","url":"https://a.example/hook","events":["text.incoming.sms"],"description":"prod","created_at":1764460800000},
    {"id":"wh_2","url":"https://b.example/hook","events":[]}]})");
  const auto list = parse_webhook_list(data);
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].id == "wh_1");
  CHECK((*list)[0].events == std::vector<std::string>{"text.incoming.sms"});
  CHECK((*list)[0].description == "prod");
  CHECK((*list)[0].created_at_ms == 1764460800000);
  CHECK((*list)[1].events.empty());
  CHECK_FALSE((*list)[1].created_at_ms);

  const auto no_id = parse_webhook_list(json::parse(R"({"webhooks":[{"url":"https://a.example"}]})"));
  REQUIRE_FALSE(no_id);
  CHECK(no_id.error().kind == ErrorKind::network);
  CHECK(no_id.error().message.find("without an \"id\"") != std::string::npos);
  CHECK_FALSE(parse_webhook_list(json::parse(R"({"hooks":[]})")));
  CHECK_FALSE(parse_webhook_list(json::parse(R"({"webhooks":{"id":"wh_1"}})")));

  const auto created = parse_webhook(json::parse(R"({"id":"wh_9","url":"https://c.example","secret":"whsec_abc"})"));
  REQUIRE(created);
  CHECK(created->secret == "whsec_abc");
}

TEST_CASE("api::webhooks --events resolve globs and exact names to sorted catalog types") {
  const auto text = resolve_events({"text.incoming.*"});
  REQUIRE(text);
  CHECK(text->size() >= 2);
  CHECK(std::is_sorted(text->begin(), text->end()));
  for (const auto& type : *text) CHECK(type.starts_with("text.incoming."));

  const auto mixed = resolve_events({"otp.reverse.verified,text.incoming.sms", "text.incoming.sms"});
  REQUIRE(mixed);
  CHECK(*mixed == std::vector<std::string>{"otp.reverse.verified", "text.incoming.sms"});

  const auto all = resolve_events({"all"});
  REQUIRE(all);
  CHECK(all->empty());
  const auto none = resolve_events({});
  REQUIRE(none);
  CHECK(none->empty());

  const auto typo = resolve_events({"text.incomming.sms"});
  REQUIRE_FALSE(typo);
  CHECK(typo.error().kind == ErrorKind::usage);
  CHECK(typo.error().message == "unknown event type \"text.incomming.sms\"");
  CHECK(typo.error().hint == "did you mean text.incoming.sms?");
  const auto nothing = resolve_events({"fax.*"});
  REQUIRE_FALSE(nothing);
  CHECK(nothing.error().message == "--events pattern \"fax.*\" matches no event type");
}

TEST_CASE("api::webhooks the same endpoint whatever the case of the host or a written default port") {
  CHECK(same_endpoint("https://API.Example.com/hook", "https://api.example.com:443/hook"));
  CHECK_FALSE(same_endpoint("https://api.example.com/hook", "https://api.example.com/Hook"));
  CHECK_FALSE(same_endpoint("https://api.example.com/hook", "http://api.example.com/hook"));
  CHECK_FALSE(same_endpoint("https://api.example.com:8443/hook", "https://api.example.com/hook"));
  CHECK_FALSE(same_endpoint("https://api.example.com/hook?a=1", "https://api.example.com/hook"));
}

TEST_CASE("api::webhooks plan an upsert: create, update with a field diff, or nothing") {
  const std::vector<Webhook> existing{hook("wh_1", "https://a.example/hook", {"text.incoming.sms", "otp.reverse.verified"}, "prod"),
                                      hook("wh_2", "https://b.example/hook")};

  const auto create = plan_registration(existing, {.url = "https://c.example/hook", .events = {"otp.reverse.verified"}});
  CHECK(create.action == Action::create);
  CHECK_FALSE(create.existing);
  CHECK(create.body() == json::parse(R"({"url":"https://c.example/hook","events":["otp.reverse.verified"]})"));
  const auto create_described =
      plan_registration(existing, {.url = "https://c.example/hook", .events = {}, .description = "staging"});
  CHECK(create_described.body() == json::parse(R"({"url":"https://c.example/hook","events":[],"description":"staging"})"));

  // The same events in another order, and no --description: nothing to do.
  const auto same = plan_registration(existing, {.url = "https://A.example/hook", .events = {"otp.reverse.verified", "text.incoming.sms"}});
  CHECK(same.action == Action::none);
  REQUIRE(same.existing);
  CHECK(same.existing->id == "wh_1");
  CHECK(same.changes.empty());

  const auto events = plan_registration(existing, {.url = "https://a.example/hook", .events = {}});
  CHECK(events.action == Action::update);
  REQUIRE(events.changes.size() == 1);
  CHECK(events.changes[0].field == "events");
  CHECK(events.changes[0].from == "otp.reverse.verified,text.incoming.sms");
  CHECK(events.changes[0].to == "all");
  CHECK(events.body() == json::parse(R"({"events":[]})"));

  const auto description = plan_registration(
      existing, {.url = "https://a.example/hook", .events = {"otp.reverse.verified", "text.incoming.sms"}, .description = "blue"});
  CHECK(description.action == Action::update);
  REQUIRE(description.changes.size() == 1);
  CHECK(description.changes[0].from == "\"prod\"");
  CHECK(description.changes[0].to == "\"blue\"");
  CHECK(description.body() == json::parse(R"({"description":"blue"})"));
}

TEST_CASE("api::client Retry-After in seconds or as an HTTP date") {
  CHECK(parse_retry_after("2", 0) == std::chrono::seconds(2));
  CHECK(parse_retry_after(" 0 ", 0) == std::chrono::seconds(0));
  // 1764460800 is Sun, 30 Nov 2025 00:00:00 GMT.
  CHECK(parse_retry_after("Sun, 30 Nov 2025 00:00:30 GMT", 1764460800) == std::chrono::seconds(30));
  CHECK(parse_retry_after("Sun, 30 Nov 2025 00:00:30 GMT", 1764460900) == std::chrono::seconds(0));
  CHECK_FALSE(parse_retry_after("soon", 0));
  CHECK_FALSE(parse_retry_after("", 0));
  CHECK_FALSE(parse_retry_after("-5", 0));
}

TEST_CASE("api::client the API's own words from either error envelope") {
  CHECK(api_error_text(R"({"id":"err_1","object":"error","data":{"error":"Unauthorized","status":401}})") ==
        "Unauthorized");
  CHECK(api_error_text(R"({"object":"error","data":{"error":"Bad Request","message":"url must be https"}})") ==
        "url must be https");
  CHECK(api_error_text(R"({"message":"Too many requests","status":429})") == "Too many requests");
  CHECK(api_error_text("<html>502 Bad Gateway</html>").empty());
  CHECK(api_error_text("").empty());
}
