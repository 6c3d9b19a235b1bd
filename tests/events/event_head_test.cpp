#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "ctg/events/event.hpp"
#include "ctg/events/fixtures.hpp"
#include "ctg/events/json_text.hpp"

using namespace ctg::events;

TEST_SUITE_BEGIN("events");

namespace {

// read_event_head() must say what parse_event() says: the same envelope, or the same error.
void check_agrees(const std::string& body) {
  auto event = parse_event(body);
  auto head = read_event_head(body);
  REQUIRE_MESSAGE(event.has_value() == head.has_value(), body);
  if (!event) {
    CHECK_MESSAGE(event.error().message == head.error().message, body);
    return;
  }
  CHECK_MESSAGE(head->format == event->format(), body);
  CHECK_MESSAGE(head->id == event->id(), body);
  CHECK_MESSAGE(head->type == event->type(), body);
  CHECK_MESSAGE(head->timestamp == event->timestamp(), body);
  CHECK_MESSAGE(head->api_version == event->api_version(), body);
}

// The single scan must never accept what parse_event() refuses, nor read another envelope.
void check_scan_sound(const std::string& body) {
  const auto scanned = detail::scan_event_head(body);
  if (!scanned) return;
  auto event = parse_event(body);
  REQUIRE_MESSAGE(event.has_value(), body);
  CHECK_MESSAGE(scanned->id == event->id(), body);
  CHECK_MESSAGE(scanned->type == event->type(), body);
  CHECK_MESSAGE(scanned->timestamp == event->timestamp(), body);
  CHECK_MESSAGE(scanned->api_version == event->api_version(), body);
  CHECK_MESSAGE(scanned->format == event->format(), body);
}

const std::string k_plain =
    R"({"id":"evt_d61aCHRo18","type":"text.incoming.sms","timestamp":1707321600,"api_version":"v2025.9.7",)"
    R"("data":{"from":"+15551234567","to":"+15559876543","body":"Hello 👋 world","n":-1.25,"ok":true,"x":null,"l":[1,[],{}]}})";

}  // namespace

TEST_CASE("events::read_event_head reads plain envelopes in its single scan, as parse_event() does") {
  const auto scanned = detail::scan_event_head(k_plain);
  REQUIRE(scanned.has_value());
  CHECK(scanned->id == "evt_d61aCHRo18");
  CHECK(scanned->type == "text.incoming.sms");
  CHECK(scanned->timestamp == 1707321600);
  CHECK(scanned->api_version == "v2025.9.7");
  check_agrees(k_plain);
  // Every shipped sample of a current type is plain.
  int scanned_fixtures = 0;
  for (const auto& fixture : fixtures()) {
    const std::string body(fixture.content);
    check_agrees(body);
    if (fixture.type->generation != Generation::legacy_v1) {
      CHECK_MESSAGE(detail::scan_event_head(body).has_value(), fixture.file);
      ++scanned_fixtures;
    }
  }
  CHECK(scanned_fixtures > 10);
}

TEST_CASE("events::read_event_head leaves the unusual to parse_event(), with its exact errors") {
  const std::vector<std::string> cases = {
      "",
      "   ",
      "[]",
      "{}",
      "\xEF\xBB\xBF" + k_plain,                                      // byte order mark
      k_plain + " x",                                                 // trailing data
      k_plain.substr(0, k_plain.size() - 1),                          // truncated
      R"({"\u0069d":"evt_1","type":"a.b","timestamp":1})",             // escaped key
      R"({"id":"evt_1","id":"evt_2","type":"a.b","timestamp":1})",     // repeated field
      R"({"id":"evt_\u00e9","type":"a.b","timestamp":1})",             // escape in the id
      R"({"id":"evt_1","type":"a.b","timestamp":1,"data":{"s":"\ud83d\ude00"}})",  // surrogate pair
      R"({"id":"evt_1","type":"a.b","timestamp":1,"data":{"s":"\ud800"}})",        // lone surrogate
      R"({"id":"evt_1","type":"a.b","timestamp":1e3})",
      R"({"id":"evt_1","type":"a.b","timestamp":1.0})",
      R"({"id":"evt_1","type":"a.b","timestamp":-5})",
      R"({"id":"evt_1","type":"a.b","timestamp":-0})",
      R"({"id":"evt_1","type":"a.b","timestamp":99999999999999999999999})",
      R"({"id":"evt_1","type":"a.b","timestamp":"1"})",
      R"({"id":"evt_1","type":"a.b","timestamp":1,"data":{"n":1e400}})",
      R"({"id":"evt_1","type":"a.b","timestamp":1,"data":{"n":01}})",
      R"({"id":"evt_1","type":"a.b","timestamp":1,"data":{"n":-}})",
      R"({"id":"evt_1","type":"a.b","timestamp":1,"data":{"n":1.}})",
      R"({"id":"evt_1","type":"","timestamp":1})",
      R"({"id":7,"type":"a.b","timestamp":1})",
      R"({"type":"a.b","timestamp":1})",
      R"({"id":"evt_1","type":"a.b","timestamp":1,"data":[]})",
      R"({"id":"evt_1","type":"a.b","timestamp":1,"data":null})",
      R"({"id":"evt_1","type":"a.b","timestamp":1,"api_version":5})",
      R"({"id":"evt_1","type":"a.b","timestamp":1,"api_version":"v\n"})",
      R"({"message":"hi","crumbs":{"type":"sms","timestamp":1}})",    // legacy v1
      R"({"id":"evt_1","type":"a.b","timestamp":1,"data":{"s":"tab	in"}})",  // raw control byte
      "{\"id\":\"evt_1\",\"type\":\"a.b\",\"timestamp\":1,\"data\":{\"s\":\"\xC0\xAF\"}}",      // overlong
      "{\"id\":\"evt_1\",\"type\":\"a.b\",\"timestamp\":1,\"data\":{\"s\":\"\xED\xA0\x80\"}}",  // UTF-8 surrogate
      "{\"id\":\"evt_1\",\"type\":\"a.b\",\"timestamp\":1,\"data\":{\"s\":\"\xF4\x90\x80\x80\"}}",  // > U+10FFFF
      "{\"id\":\"evt_1\",\"type\":\"a.b\",\"timestamp\":1,\"data\":{\"s\":\"\xE2\x82\"}}",      // cut short
      "{\"id\":\"evt_1\",\"type\":\"a.b\",\"timestamp\":1}\f",
      R"({"id":"evt_1","type":"a.b","timestamp":1,"data":{"b":tru}})",
      R"({"id":"evt_1","type":"a.b","timestamp":1,"data":{"a":1,}})",
      R"({"id":"evt_1","type":"a.b","timestamp":1,"data":{"a":[1,]}})",
      R"({"id":"evt_1","type":"a.b","timestamp":1,"data":{"a":"\x"}})",
      R"({"id":"evt_1","type":"a.b","timestamp":1,"data":{"a":"\u12G4"}})",
  };
  for (const auto& body : cases) {
    check_scan_sound(body);
    check_agrees(body);
  }
  // Nesting at the limit is plain; one level deeper is parse_event()'s error.
  auto nested = [](std::size_t levels) {
    std::string inner;
    for (std::size_t i = 0; i < levels; ++i) inner += "[";
    for (std::size_t i = 0; i < levels; ++i) inner += "]";
    return R"({"id":"evt_1","type":"a.b","timestamp":1,"data":{"d":)" + inner + "}}";
  };
  CHECK(detail::scan_event_head(nested(k_max_depth - 2)).has_value());
  CHECK_FALSE(detail::scan_event_head(nested(k_max_depth - 1)).has_value());
  check_agrees(nested(k_max_depth - 2));
  check_agrees(nested(k_max_depth - 1));
  check_agrees(nested(100'000));
}

TEST_CASE("events::read_event_head checks exponents, long numbers and surrogate pairs in its scan") {
  const auto with_data = [](std::string_view data) {
    return R"({"id":"evt_1","type":"a.b","timestamp":1,"data":)" + std::string(data) + "}";
  };
  const std::vector<std::string> scanned = {
      with_data(R"({"n":1e1,"m":-2.5E-3,"p":1e+308,"z":0e0})"),
      with_data(R"({"big":123456789012345678901234567890,"neg":-9223372036854775809})"),
      with_data("{\"long\":0." + std::string(500, '1') + "}"),
      with_data(R"({"s":"\ud83d\ude00","t":"\uDBFF\uDFFF x"})"),
      R"({"id":"evt_1","x":[1E5,{"y":"\ud834\udd1e"}],"type":"a.b","timestamp":1})",
  };
  for (const auto& body : scanned) {
    CHECK_MESSAGE(detail::scan_event_head(body).has_value(), body);
    check_scan_sound(body);
    check_agrees(body);
  }
  const std::vector<std::string> left = {
      with_data(R"({"n":1e400})"),                      // out of range: parse_event() refuses it
      with_data(R"({"n":-1e309})"),
      with_data("{\"n\":1" + std::string(400, '0') + "}"),  // an integer beyond any double
      with_data(R"({"n":1e-400})"),                     // underflows: left to the parser
      with_data(R"({"n":1e})"),
      with_data(R"({"n":1e+})"),
      with_data(R"({"n":1.5e})"),
      with_data(R"({"s":"\ud83d"})"),                   // high surrogate alone
      with_data(R"({"s":"\ud83dx"})"),
      with_data(R"({"s":"\ud83d\u0041"})"),             // followed by no low one
      with_data(R"({"s":"\ud83d\ud83d"})"),
      with_data(R"({"s":"\ude00"})"),                   // low surrogate alone
      with_data(R"({"s":"\ud83d\ude0"})"),              // cut short
      R"({"id":"evt_1","type":"a.b","timestamp":1e0})",  // the timestamp must be an integer
  };
  for (const auto& body : left) {
    CHECK_FALSE_MESSAGE(detail::scan_event_head(body).has_value(), body);
    check_agrees(body);
  }
}

// parse_plain_json() must build exactly the document nlohmann builds, or leave it to nlohmann.
void check_plain_sound(const std::string& text) {
  const auto plain = detail::parse_plain_json(text);
  if (!plain) return;
  detail::Json parsed;
  try {
    parsed = detail::Json::parse(text);
  } catch (const std::exception& e) {
    FAIL_CHECK("plain parse accepted what nlohmann refuses: " << text << " (" << e.what() << ")");
    return;
  }
  CHECK_MESSAGE(*plain == parsed, text);
  CHECK_MESSAGE(plain->dump() == parsed.dump(), text);  // same types: 1 stays unsigned, 1.5 a double
}

TEST_CASE("events::parse_plain_json builds nlohmann's document for plain text, and leaves it the rest") {
  const auto built = detail::parse_plain_json(k_plain);
  REQUIRE(built.has_value());
  CHECK(*built == detail::Json::parse(k_plain));
  for (const auto& fixture : fixtures()) {
    const std::string body(fixture.content);
    CHECK_MESSAGE(detail::parse_plain_json(body).has_value(), fixture.file);
    check_plain_sound(body);
  }
  const std::vector<std::string> plain = {
      "0", "-0", "-7", "18446744", "123456789012345678", "-12345678901234567", "0.5", "-0.25",
      "3.14159265358979323846264338327950288", "\"\\u00e9\\u20ac \\n\\t\\\"\\\\\\/\\b\\f\\r\"", " [ 1 , { } , [ ] ] ",
      R"({"b":1,"a":2,"c":{"z":null,"y":true,"x":false}})", "\"\xF0\x9F\x91\x8B\xC3\xA9\"", "\"\\u0000\""};
  for (const auto& text : plain) {
    CHECK_MESSAGE(detail::parse_plain_json(text).has_value(), text);
    check_plain_sound(text);
  }
  const std::vector<std::string> left = {
      "", " ", "1e5", "1E5", "1234567890123456789", "01", "1.", ".5", "+1", "\"\\ud83d\\ude00\"", R"({"a":1,"a":2})",
      "\xEF\xBB\xBF{}", "[1,]", "{\"a\"}", "tru", "nul", "\"\x01\"", "\"\xC0\xAF\"", "[] []", "NaN", "\"abc"};
  for (const auto& text : left) CHECK_FALSE_MESSAGE(detail::parse_plain_json(text).has_value(), text);
}

TEST_CASE("events::read_event_head agrees with parse_event() on 20,000 damaged bodies") {
  // Each body is a sample with a few bytes replaced, inserted or removed, biased towards the bytes
  // that matter to JSON, so that most are refused and some still parse.
  std::vector<std::string> samples = {k_plain};
  for (const auto& fixture : fixtures()) samples.emplace_back(fixture.content);
  const std::string alphabet = "{}[]\":,\\/-+.0123456789eEtrufalsn u\t\n\x01\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f";
  std::mt19937 random(20261130);
  int accepted = 0;
  for (int round = 0; round < 20'000; ++round) {
    std::string body = samples[random() % samples.size()];
    const int edits = 1 + static_cast<int>(random() % 3);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const std::size_t at = random() % body.size();
      const char c = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0: body[at] = c; break;
        case 1: body.insert(body.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: body.erase(at, 1 + random() % 3); break;
      }
    }
    check_scan_sound(body);
    check_plain_sound(body);
    if (round % 10 == 0) check_agrees(body);
    if (detail::scan_event_head(body)) ++accepted;
  }
  CHECK(accepted > 100);  // the damage often falls inside strings, which stay valid
}

TEST_SUITE_END();
