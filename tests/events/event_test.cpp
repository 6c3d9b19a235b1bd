#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctg/events/event.hpp"

using namespace ctg::events;

TEST_SUITE_BEGIN("events");

namespace {

const std::string k_sms =
    R"({"id":"evt_d61aCHRo18","type":"text.incoming.sms","timestamp":1707321600,"api_version":"v2025.9.7",)"
    R"("data":{"from":"+15551234567","to":"+15559876543","body":"Hello world","timestamp":1707321600}})";

std::string error_of(std::string body) {
  auto event = parse_event(std::move(body));
  REQUIRE_FALSE(event.has_value());
  CHECK(event.error().kind == ctg::ErrorKind::invalid_input);
  return event.error().message;
}

// An envelope with the given members after "id".
std::string envelope(std::string_view members) {
  return "{\"id\":\"evt_abcdefghij\"," + std::string(members) + "}";
}

std::vector<std::string> issue_lines(std::string body) {
  auto event = parse_event(std::move(body));
  REQUIRE_MESSAGE(event.has_value(), event.error().message);
  std::vector<std::string> out;
  for (const auto& issue : strict_issues(*event)) out.push_back(issue.path + ": " + issue.message);
  return out;
}

bool contains(const std::vector<std::string>& lines, std::string_view line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

}  // namespace

TEST_CASE("events::parse_event reads the envelope") {
  auto event = parse_event(k_sms);
  REQUIRE(event.has_value());
  CHECK(event->format() == Format::envelope);
  CHECK(event->id() == "evt_d61aCHRo18");
  CHECK(event->type() == "text.incoming.sms");
  CHECK(event->timestamp() == 1707321600);
  CHECK(event->api_version() == "v2025.9.7");
  REQUIRE(event->known_type() != nullptr);
  CHECK(event->known_type()->name == "text.incoming.sms");
  CHECK(event->data()["body"] == "Hello world");
  CHECK(strict_issues(*event).empty());
}

TEST_CASE("events::parse_event keeps the raw bytes") {
  const std::string body =
      "  {\n\t\"id\" : \"evt_abcdefghij\",\"type\":\"text.incoming.sms\",\r\n"
      "\"timestamp\":1707321600 , \"data\":{\"body\":\"caf\\u00e9 \xF0\x9F\x91\x8D\"}}\n\n";
  auto event = parse_event(body);
  REQUIRE(event.has_value());
  CHECK(event->raw() == body);
  CHECK(event->raw().size() == body.size());
  CHECK(event->api_version().empty());
}

TEST_CASE("events::parse_event envelope errors") {
  CHECK(error_of("") == "body is empty");
  CHECK(error_of(" \n\t") == "body is empty (only whitespace)");
  CHECK(error_of("[1,2]") == "body must be a JSON object, got array");
  CHECK(error_of("\"text\"") == "body must be a JSON object, got string");
  CHECK(error_of("{}") == "missing field \"id\"");
  CHECK(error_of(R"({"id":12})") == "id must be a string, got number 12");
  CHECK(error_of(R"({"id":"evt_1"})") == "missing field \"type\"");
  CHECK(error_of(R"({"id":"evt_1","type":null})") == "type must be a string, got null");
  CHECK(error_of(R"({"id":"evt_1","type":""})") == "type must not be empty");
  CHECK(error_of(envelope(R"("type":"text.incoming.sms")")) == "missing field \"timestamp\"");
  CHECK(error_of(envelope(R"("type":"text.incoming.sms","timestamp":"1707321600")")) ==
        "timestamp must be an integer number of seconds, got string \"1707321600\"");
  CHECK(error_of(envelope(R"("type":"text.incoming.sms","timestamp":1707321600.5)")) ==
        "timestamp must be an integer number of seconds, got number 1707321600.5");
  CHECK(error_of(envelope(R"("type":"text.incoming.sms","timestamp":1e20)")) ==
        "timestamp must be an integer number of seconds, got number 1e+20");
  CHECK(error_of(envelope(R"("type":"text.incoming.sms","timestamp":true)")) ==
        "timestamp must be an integer number of seconds, got boolean true");
  CHECK(error_of(envelope(R"("type":"text.incoming.sms","timestamp":-5)")) == "timestamp must not be negative, got -5");
  CHECK(error_of(envelope(R"("type":"text.incoming.sms","timestamp":18446744073709551615)")) ==
        "timestamp is out of range, got 18446744073709551615");
  CHECK(error_of(envelope(R"("type":"text.incoming.sms","timestamp":123456789012345678901234567890)")) ==
        "timestamp must be an integer number of seconds, got number 1.2345678901234568e+29");
  CHECK(error_of(envelope(R"("type":"x","timestamp":1,"data":null)")) == "data must be an object, got null");
  CHECK(error_of(envelope(R"("type":"x","timestamp":1,"data":[])")) == "data must be an object, got array");
}

TEST_CASE("events::parse_event data is optional in the envelope") {
  auto event = parse_event(envelope(R"("type":"text.incoming.sms","timestamp":1707321600)"));
  REQUIRE(event.has_value());
  CHECK(event->data().is_null());
  CHECK(contains(issue_lines(event->raw()), "data: missing"));
}

TEST_CASE("events::parse_event unknown types pass") {
  auto event = parse_event(envelope(R"("type":"brand.new.thing","timestamp":1707321600,"data":{"x":[1]})"));
  REQUIRE(event.has_value());
  CHECK(event->known_type() == nullptr);
  CHECK(event->type() == "brand.new.thing");
  CHECK(strict_issues(*event).empty());
}

TEST_CASE("events::parse_event legacy v1") {
  const std::string body = R"({"message":"Incoming message received","crumbs":{"from":"+1234567890","to":"1234567890",)"
                           R"("message":"Hello, world!","timestamp":1715878400,"type":"sms"}})";
  auto event = parse_event(body);
  REQUIRE(event.has_value());
  CHECK(event->format() == Format::legacy_v1);
  CHECK(event->type() == "v1.sms");
  CHECK(event->id().empty());
  CHECK(event->timestamp() == 1715878400);
  REQUIRE(event->known_type() != nullptr);
  CHECK(event->known_type()->generation == Generation::legacy_v1);
  CHECK(event->data()["message"] == "Hello, world!");
  CHECK(strict_issues(*event).empty());  // "to" without '+' is what v1 sends

  SUBCASE("other crumbs types") {
    auto whatsapp = parse_event(R"({"message":"m","crumbs":{"type":"whatsapp","timestamp":1}})");
    REQUIRE(whatsapp.has_value());
    CHECK(whatsapp->type() == "v1.whatsapp");
    auto future = parse_event(R"({"message":"m","crumbs":{"type":"rcs","timestamp":1}})");
    REQUIRE(future.has_value());
    CHECK(future->known_type() == nullptr);
  }
  SUBCASE("errors") {
    CHECK(error_of(R"({"message":"m","crumbs":"x"})") == "crumbs must be an object, got string \"x\"");
    CHECK(error_of(R"({"message":"m","crumbs":{"timestamp":1}})") == "missing field \"crumbs.type\"");
    CHECK(error_of(R"({"message":"m","crumbs":{"type":3,"timestamp":1}})") ==
          "crumbs.type must be a string, got number 3");
    CHECK(error_of(R"({"message":"m","crumbs":{"type":"sms","timestamp":"1"}})") ==
          "crumbs.timestamp must be an integer number of seconds, got string \"1\"");
  }
  SUBCASE("a body with a type is an envelope even with crumbs") {
    CHECK(error_of(R"({"message":"m","crumbs":{},"type":"x"})") == "missing field \"id\"");
  }
  SUBCASE("strict checks on crumbs") {
    const auto lines = issue_lines(R"({"message":5,"crumbs":{"type":"sms","timestamp":1,"from":7}})");
    CHECK(contains(lines, "message: must be a string, got number 5"));
    CHECK(contains(lines, "crumbs.from: must be a string, got number 7"));
    CHECK(contains(lines, "crumbs.to: missing"));
    CHECK(contains(lines, "crumbs.message: missing"));
    CHECK(lines.size() == 4);
  }
}

TEST_CASE("events::parse_event hostile input") {
  SUBCASE("invalid UTF-8 names the byte") {
    CHECK(error_of("{\"id\":\"evt_\xC3\x28\"}") == "invalid UTF-8 at byte 11");
    CHECK(error_of("\xFF") == "invalid UTF-8 at byte 0");
    // Every kind of ill-formed sequence, inside a string of an otherwise valid event.
    const std::string head = R"({"id":"evt_1","type":"text.incoming.sms","timestamp":1,"data":{"body":")";
    for (const std::string bad : {"\xC0\x80", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80",
                                  "\xE2\x82", "\x80", "\xC3"}) {
      CAPTURE(bad);
      CHECK(error_of(head + bad + "\"}}") == "invalid UTF-8 at byte " + std::to_string(head.size()));
    }
  }
  SUBCASE("deep arrays") {
    const std::string deep(100000, '[');
    CHECK(error_of(deep) == "JSON nested deeper than 64 levels");
    CHECK(error_of(deep + std::string(100000, ']')) == "JSON nested deeper than 64 levels");
  }
  SUBCASE("deep objects") {
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += "{\"a\":";
    deep += "1";
    deep += std::string(100000, '}');
    CHECK(error_of(deep) == "JSON nested deeper than 64 levels");
  }
  SUBCASE("64 levels are fine, 65 are not") {
    const std::string ok = std::string(63, '[') + std::string(63, ']');
    CHECK(error_of("{\"a\":" + ok + "}") == "missing field \"id\"");
    const std::string too_deep = std::string(64, '[') + std::string(64, ']');
    CHECK(error_of("{\"a\":" + too_deep + "}") == "JSON nested deeper than 64 levels");
  }
  SUBCASE("brackets inside strings do not count") {
    const std::string brackets(1000, '[');
    auto event = parse_event(envelope(R"("type":"x","timestamp":1,"data":{"body":")" + brackets + R"(\"{{{{\\"})"));
    REQUIRE_MESSAGE(event.has_value(), event.error().message);
    CHECK(event->data()["body"].get<std::string>().size() == 1006);
  }
  SUBCASE("large bodies that are not objects") {
    std::string zeros = "[0";
    while (zeros.size() < (std::size_t{1} << 20)) zeros += ",0";
    CHECK(error_of(zeros + "]") == "body must be a JSON object, got array");
    CHECK(error_of(std::string(64, '[') + zeros + "]" + std::string(64, ']')) == "JSON nested deeper than 64 levels");
    CHECK(error_of(std::string(63, '[') + zeros + "]" + std::string(63, ']')) == "body must be a JSON object, got array");
    CHECK(error_of(zeros + ",1e1]") == "body must be a JSON object, got array");
    CHECK(error_of(zeros + ",1e400]").ends_with("number 1e400 is out of range"));
    CHECK(error_of(zeros + ",]").starts_with("invalid JSON at line 1, column "));
    CHECK(error_of(" \"\\ud83d\\ude00\" ") == "body must be a JSON object, got string");
    CHECK(error_of("-1.5e3") == "body must be a JSON object, got number");
  }
  SUBCASE("numbers out of range") {
    CHECK(error_of(R"({"id":"evt_1","n":1e400})") == "invalid JSON at line 1, column 19: number 1e400 is out of range");
    CHECK(error_of("{\n\"t\": -1e999}") == "invalid JSON at line 2, column 6: number -1e999 is out of range");
  }
  SUBCASE("syntax errors give line and column, no library text") {
    const std::string truncated = error_of(R"({"id":"evt_1","type":"x)");
    CHECK(truncated.starts_with("invalid JSON at line 1, column "));
    CHECK(truncated ==
          "invalid JSON at line 1, column 24: invalid string: missing closing quote (is the body truncated?)");
    CHECK(truncated.find("json.exception") == std::string::npos);
    CHECK(error_of(R"({"a":tru})") == "invalid JSON at line 1, column 9: invalid literal");
    CHECK(error_of("{\n  \"a\": 1\n  \"b\": 2}") ==
          "invalid JSON at line 3, column 5: unexpected string literal; expected '}'");
    CHECK(error_of("{} x") == "invalid JSON at line 1, column 4: unexpected data after the end of the JSON value");
    CHECK(error_of("{\"a\":\"x\ny\"}")
              .starts_with("invalid JSON at line 1, column 8: invalid string: control character"));
    CHECK(error_of("{\"a\":\"\\ud800\"}").find("surrogate") != std::string::npos);
    CHECK(
        error_of("{\"a\":1,") ==
        "invalid JSON at line 1, column 8: unexpected end of input; expected string literal (is the body truncated?)");
  }
}

TEST_CASE("events::strict_issues reports every mismatch") {
  SUBCASE("mms with two bad attachments") {
    const auto lines = issue_lines(
        envelope(R"("type":"text.incoming.mms","timestamp":1707321600,"api_version":"v2025.9.7","data":{)"
                 R"("from":"+15551234567","to":"+15559876543","body":"x","timestamp":1707321600,"attachments":[)"
                 R"({"url":3,"mime":"image/png","filename":"a.png"},{"mime":"image/png"},"oops"]})"));
    CHECK(contains(lines, "data.attachments[0].url: must be a string, got number 3"));
    CHECK(contains(lines, "data.attachments[1].url: missing"));
    CHECK(contains(lines, "data.attachments[1].filename: missing"));
    CHECK(contains(lines, "data.attachments[2]: must be an object, got string \"oops\""));
    CHECK(lines.size() == 4);
  }
  SUBCASE("missing and mistyped fields") {
    const auto lines =
        issue_lines(envelope(R"("type":"text.delivery.failed","timestamp":1707321600,"api_version":"v2025.9.7",)"
                             R"("data":{"from":"+15559876543","to":"5551234","timestamp":"now","error":null})"));
    CHECK(contains(lines, "data.message_id: missing"));
    CHECK(contains(lines, "data.timestamp: must be an integer, got string \"now\""));
    CHECK(contains(lines, "data.error: must be a string, got null"));
    CHECK(contains(lines, "data.to: must be E.164, got \"5551234\""));
    CHECK(lines.size() == 4);
  }
  SUBCASE("envelope details") {
    const auto lines =
        issue_lines(R"({"id":"abc","type":"text.incoming.sms","timestamp":1707321600000,"api_version":7,"data":{)"
                    R"("from":"+15551234567","to":"+15559876543","body":"x","timestamp":1707321600000}})");
    CHECK(contains(lines, "api_version: must be a string, got number 7"));
    CHECK(contains(lines, "timestamp: looks like milliseconds; events carry seconds"));
    CHECK(contains(lines, "data.timestamp: looks like milliseconds; events carry seconds"));
    CHECK(contains(lines, "id: must start with \"evt_\", got \"abc\""));
    CHECK(lines.size() == 4);
    const auto missing =
        issue_lines(envelope(R"("type":"identity.verification_session.started","timestamp":1,"data":{})"));
    CHECK(missing == std::vector<std::string>{"api_version: missing"});
  }
  SUBCASE("email nested objects and arrays") {
    const auto lines = issue_lines(envelope(
        R"("type":"email.incoming","timestamp":1707321600,"api_version":"v2025.12.7","data":{)"
        R"("email_id":"e1","from":{"name":null,"address":"a@example.com"},"to":"b@example.com",)"
        R"("cc":[{"name":1,"address":"c@example.com","complete":"c@example.com"}],"bcc":[],"reply_to":null,)"
        R"("subject":"s","body":{"text":"t","html":null},"timestamp":1707321600,"headers":{"return-path":[{}]},)"
        R"("attachments":[{"id":"a","filename":"f","content_type":"text/plain","size":"12","url":"u"}]})"));
    CHECK(contains(lines, "data.from.complete: missing"));
    CHECK(contains(lines, "data.to: must be an object, got string \"b@example.com\""));
    CHECK(contains(lines, "data.cc[0].name: must be a string or null, got number 1"));
    CHECK(contains(lines, "data.body.raw: missing"));
    CHECK(contains(lines, "data.headers.return-path[0].name: missing"));
    CHECK(contains(lines, "data.headers.return-path[0].address: missing"));
    CHECK(contains(lines, "data.attachments[0].size: must be an integer, got string \"12\""));
    CHECK(lines.size() == 7);
  }
  SUBCASE("identity verified needs its report") {
    const auto lines = issue_lines(envelope(
        R"("type":"identity.verification_session.verified","timestamp":1,"api_version":"v2025.12.10","data":{"id":"vs_1"})"));
    CHECK(lines == std::vector<std::string>{"data.verification_report: missing"});
  }
}

TEST_CASE("events::json_type_name") {
  CHECK(json_type_name(nlohmann::ordered_json(nullptr)) == "null");
  CHECK(json_type_name(nlohmann::ordered_json(1.5)) == "number");
  CHECK(json_type_name(nlohmann::ordered_json(2u)) == "number");
  CHECK(json_type_name(nlohmann::ordered_json("x")) == "string");
  CHECK(json_type_name(nlohmann::ordered_json::array()) == "array");
  CHECK(json_type_name(nlohmann::ordered_json::object()) == "object");
  CHECK(json_type_name(nlohmann::ordered_json(false)) == "boolean");
}

TEST_SUITE_END();
