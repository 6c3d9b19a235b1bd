#include <doctest/doctest.h>

#include <cctype>
#include <string>

#include <nlohmann/json.hpp>

#include "ctg/events/event.hpp"
#include "ctg/events/fixtures.hpp"

using namespace ctg::events;
using Json = nlohmann::ordered_json;

TEST_SUITE_BEGIN("events");

namespace {

Override must_parse(std::string_view text) {
  auto parsed = parse_override(text);
  REQUIRE_MESSAGE(parsed.has_value(), parsed.error().message);
  return *parsed;
}

Json instantiate_json(std::string_view type, InstantiateOptions options) {
  auto fixture = find_fixture(type);
  REQUIRE(fixture.has_value());
  auto body = instantiate(*fixture, options);
  REQUIRE_MESSAGE(body.has_value(), body.error().message);
  return Json::parse(*body);
}

ctg::Error instantiate_error(std::string_view type, std::vector<std::string_view> sets) {
  auto fixture = find_fixture(type);
  REQUIRE(fixture.has_value());
  InstantiateOptions options;
  for (auto set : sets) options.overrides.push_back(must_parse(set));
  auto body = instantiate(*fixture, options);
  REQUIRE_FALSE(body.has_value());
  return body.error();
}

std::vector<std::string> keys_of(const Json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) keys.push_back(item.key());
  return keys;
}

}  // namespace

TEST_CASE("events::find_fixture") {
  auto sms = find_fixture("text.incoming.sms");
  REQUIRE(sms.has_value());
  CHECK(sms->file == "text.incoming.sms.json");
  CHECK(sms->type->name == "text.incoming.sms");
  CHECK(sms->content.starts_with("{\n  \"id\": "));

  auto legacy = find_fixture("v1.imessage");
  REQUIRE(legacy.has_value());
  CHECK(legacy->type->generation == Generation::legacy_v1);

  auto typo = find_fixture("text.incomming.sms");
  REQUIRE_FALSE(typo.has_value());
  CHECK(typo.error().kind == ctg::ErrorKind::usage);
  CHECK(typo.error().message == "unknown event type \"text.incomming.sms\"");
  CHECK(typo.error().hint.starts_with("did you mean text.incoming.sms"));
  CHECK(typo.error().hint.ends_with("?"));

  auto nothing = find_fixture("zzzzzzzzzzzzzzzzzzzzzzzz");
  REQUIRE_FALSE(nothing.has_value());
  CHECK_FALSE(nothing.error().hint.empty());
}

TEST_CASE("events::parse_override") {
  const auto simple = must_parse("data.body=Hi there");
  CHECK(simple.path == "data.body");
  CHECK(simple.value == "Hi there");
  const auto equals = must_parse("data.body=a=b");
  CHECK(equals.value == "a=b");
  CHECK(must_parse("data.body=").value.empty());

  auto no_equals = parse_override("data.body");
  REQUIRE_FALSE(no_equals.has_value());
  CHECK(no_equals.error().kind == ctg::ErrorKind::usage);
  CHECK(no_equals.error().message == "override \"data.body\" has no '='");
  auto empty_path = parse_override("=x");
  REQUIRE_FALSE(empty_path.has_value());
  CHECK(empty_path.error().message == "override \"=x\" has an empty path");
}

TEST_CASE("events::instantiate replaces id and timestamps") {
  InstantiateOptions options;
  options.id = "evt_0123456789abcdef";
  options.timestamp = 1800000000;
  const Json sms = instantiate_json("text.incoming.sms", options);
  CHECK(sms["id"] == "evt_0123456789abcdef");
  CHECK(sms["timestamp"] == 1800000000);
  CHECK(sms["data"]["timestamp"] == 1800000000);
  CHECK(keys_of(sms) == std::vector<std::string>{"id", "type", "timestamp", "api_version", "data"});
  CHECK(keys_of(sms["data"]) == std::vector<std::string>{"from", "to", "body", "timestamp"});

  SUBCASE("no data.timestamp is added where the fixture has none") {
    const Json otp = instantiate_json("otp.reverse.verified", options);
    CHECK(otp["timestamp"] == 1800000000);
    CHECK_FALSE(otp["data"].contains("timestamp"));
  }
  SUBCASE("legacy v1: crumbs.timestamp, no id") {
    const Json v1 = instantiate_json("v1.sms", options);
    CHECK(v1["crumbs"]["timestamp"] == 1800000000);
    CHECK_FALSE(v1.contains("id"));
    CHECK_FALSE(v1.contains("timestamp"));
  }
  SUBCASE("empty options keep the fixture") {
    auto fixture = find_fixture("email.incoming");
    REQUIRE(fixture.has_value());
    auto body = instantiate(*fixture, InstantiateOptions{});
    REQUIRE(body.has_value());
    CHECK(*body + "\n" == fixture->content);
  }
  SUBCASE("compact output") {
    options.pretty = false;
    auto fixture = find_fixture("text.incoming.sms");
    REQUIRE(fixture.has_value());
    auto body = instantiate(*fixture, options);
    REQUIRE(body.has_value());
    CHECK(body->find('\n') == std::string::npos);
    CHECK(body->starts_with(R"({"id":"evt_0123456789abcdef","type":"text.incoming.sms","timestamp":1800000000,)"));
    CHECK(parse_event(*body).has_value());
  }
}

TEST_CASE("events::instantiate overrides") {
  InstantiateOptions options;
  SUBCASE("strings and JSON values") {
    options.overrides = {must_parse("data.body=Hi there"),    must_parse("data.count=42"),
                         must_parse("data.flag=true"),        must_parse("data.quoted=\"42\""),
                         must_parse("data.list=[1,\"two\"]"), must_parse("data.nothing=null"),
                         must_parse("data.broken={not json")};
    const Json sms = instantiate_json("text.incoming.sms", options);
    CHECK(sms["data"]["body"] == "Hi there");
    CHECK(sms["data"]["count"] == 42);
    CHECK(sms["data"]["flag"] == true);
    CHECK(sms["data"]["quoted"] == "42");
    CHECK(sms["data"]["list"] == Json::parse(R"([1,"two"])"));
    CHECK(sms["data"]["nothing"].is_null());
    CHECK(sms["data"]["broken"] == "{not json");
    // Existing keys keep their place, new ones come last.
    CHECK(keys_of(sms["data"]) == std::vector<std::string>{"from", "to", "body", "timestamp", "count", "flag", "quoted",
                                                           "list", "nothing", "broken"});
  }
  SUBCASE("nested creation") {
    options.overrides = {must_parse("data.meta.source.name=test")};
    const Json sms = instantiate_json("text.incoming.sms", options);
    CHECK(sms["data"]["meta"]["source"]["name"] == "test");
  }
  SUBCASE("null becomes an object") {
    options.overrides = {must_parse("data.in_reply_to.address=x@example.com")};
    const Json email = instantiate_json("email.incoming", options);
    CHECK(email["data"]["in_reply_to"]["address"] == "x@example.com");
  }
  SUBCASE("array indexes") {
    options.overrides = {
        must_parse("data.attachments.0.url=https://example.com/a.png"),
        must_parse("data.attachments.1={\"url\":\"u\",\"mime\":\"image/gif\",\"filename\":\"b.gif\"}")};
    const Json mms = instantiate_json("text.incoming.mms", options);
    CHECK(mms["data"]["attachments"][0]["url"] == "https://example.com/a.png");
    CHECK(mms["data"]["attachments"][0]["mime"] == "image/jpeg");
    CHECK(mms["data"]["attachments"].size() == 2);
    CHECK(mms["data"]["attachments"][1]["filename"] == "b.gif");
  }
  SUBCASE("the top-level type can change") {
    options.overrides = {must_parse("type=text.incoming.mms")};
    const Json sms = instantiate_json("text.incoming.sms", options);
    CHECK(sms["type"] == "text.incoming.mms");
  }
}

TEST_CASE("events::instantiate override errors") {
  auto crosses = instantiate_error("text.incoming.sms", {"data.body.x=1"});
  CHECK(crosses.kind == ctg::ErrorKind::usage);
  CHECK(crosses.message == "override path \"data.body.x\" crosses a string at \"data.body\"");

  auto out_of_range = instantiate_error("text.incoming.mms", {"data.attachments.5.url=x"});
  CHECK(out_of_range.message ==
        "override path \"data.attachments.5.url\": index 5 is out of range, \"data.attachments\" has 1 element");

  auto not_index = instantiate_error("text.incoming.mms", {"data.attachments.first.url=x"});
  CHECK(
      not_index.message ==
      "override path \"data.attachments.first.url\": \"data.attachments\" is an array, so \"first\" must be an index");

  auto empty_segment = instantiate_error("text.incoming.sms", {"data..body=x"});
  CHECK(empty_segment.message == "override path \"data..body\" has an empty segment");

  auto invalid = instantiate_error("text.incoming.sms", {"timestamp=soon"});
  CHECK(invalid.kind == ctg::ErrorKind::usage);
  CHECK(invalid.message ==
        "the overrides leave an invalid event: timestamp must be an integer number of seconds, got string \"soon\"");

  auto bad_utf8 = instantiate_error("text.incoming.sms", {"data.body=\xC3("});
  CHECK(bad_utf8.message == "the value for data.body is not valid UTF-8 (byte 0)");

  auto deep = instantiate_error("text.incoming.sms", {"data.x=" + std::string(1000, '[')});
  CHECK(deep.message == "the value for data.x is nested deeper than 64 levels");
}

TEST_CASE("events::instantiate_body") {
  InstantiateOptions options;
  options.id = "evt_new0000000000000";
  options.timestamp = 1800000000;
  options.overrides = {must_parse("data.body=changed")};
  auto body = instantiate_body(
      R"({"type":"custom.thing","id":"evt_old","timestamp":1,"data":{"timestamp":"keep","body":"x"}})", options);
  REQUIRE_MESSAGE(body.has_value(), body.error().message);
  const Json json = Json::parse(*body);
  CHECK(keys_of(json) == std::vector<std::string>{"type", "id", "timestamp", "data"});
  CHECK(json["id"] == "evt_new0000000000000");
  CHECK(json["timestamp"] == 1800000000);
  CHECK(json["data"]["timestamp"] == "keep");  // not a number: left alone
  CHECK(json["data"]["body"] == "changed");

  auto not_object = instantiate_body("[1]", options);
  REQUIRE_FALSE(not_object.has_value());
  CHECK(not_object.error().kind == ctg::ErrorKind::usage);
  CHECK(not_object.error().message == "body must be a JSON object, got array");

  auto broken = instantiate_body("{\n  \"id\": \"x\",\n  oops\n}", options);
  REQUIRE_FALSE(broken.has_value());
  CHECK(broken.error().kind == ctg::ErrorKind::usage);
  CHECK(broken.error().message.starts_with("invalid JSON at line 3, column 3: "));
}

TEST_CASE("events::new_event_id") {
  const auto a = new_event_id();
  const auto b = new_event_id();
  CHECK(a.size() == 20);
  CHECK(a.starts_with("evt_"));
  CHECK(a != b);
  for (char c : a.substr(4)) CHECK(std::isalnum(static_cast<unsigned char>(c)));
}

TEST_SUITE_END();
