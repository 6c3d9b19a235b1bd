#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctg/signing/reserialise.hpp"

using namespace ctg::signing::detail;

namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t k_unlimited = SIZE_MAX;

struct Output {
  Reserialised result = Reserialised::refused;
  std::string text;
  std::size_t pieces = 0;
  std::size_t largest_piece = 0;
};

Output run(std::string_view body, JsonLayout layout, std::size_t max_output = k_unlimited) {
  Output out;
  out.result = reserialise_json(body, layout, max_output, [&](std::string_view piece) {
    out.text += piece;
    ++out.pieces;
    out.largest_piece = std::max(out.largest_piece, piece.size());
  });
  return out;
}

// What nlohmann makes of `body`: dump() or dump(2), or nullopt when it refuses the body.
std::optional<std::string> nlohmann_dump(std::string_view body, JsonLayout layout) {
  try {
    const Json doc = Json::parse(body);
    return layout == JsonLayout::compact ? doc.dump() : doc.dump(2);
  } catch (const Json::exception&) {
    return std::nullopt;
  }
}

// Both layouts equal nlohmann's, byte for byte.
void check_same_as_nlohmann(std::string_view body) {
  for (const auto layout : {JsonLayout::compact, JsonLayout::indented}) {
    const auto expected = nlohmann_dump(body, layout);
    REQUIRE_MESSAGE(expected.has_value(), body);
    const Output got = run(body, layout);
    REQUIRE_MESSAGE(got.result == Reserialised::done, body);
    CHECK_MESSAGE(got.text == *expected, body);
  }
}

void check_refused(std::string_view body) {
  CHECK_MESSAGE(run(body, JsonLayout::compact).result == Reserialised::refused, body);
  CHECK_MESSAGE(run(body, JsonLayout::indented).result == Reserialised::refused, body);
}

// Random JSON text: every kind of value, number spelling, escape and spacing nlohmann accepts.
class Generator {
 public:
  explicit Generator(std::uint32_t seed) : m_random(seed) {}

  // A document; `repeated` tells whether some object repeats a (decoded) key.
  std::string document(bool& repeated) {
    m_repeated = false;
    std::string out = space() + value(0) + space();
    repeated = m_repeated;
    return out;
  }

 private:
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(m_random); }

  std::string space() {
    static const std::vector<std::string> k_spaces{"", "", "", " ", "\n", "\r\n  ", "\t", "  "};
    return k_spaces[pick(k_spaces.size())];
  }

  std::string value(std::size_t depth) {
    const std::size_t kind = pick(depth < 6 ? 9 : 6);
    switch (kind) {
      case 0:
        return "true";
      case 1:
        return "false";
      case 2:
        return "null";
      case 3:
      case 4:
        return number();
      case 5:
        return string(nullptr);
      case 6:
      case 7:
        return object(depth);
      default:
        return array(depth);
    }
  }

  std::string number() {
    static const std::vector<std::string> k_special{"0",
                                                    "-0",
                                                    "1",
                                                    "-1",
                                                    "0.0",
                                                    "-0.0",
                                                    "1.0",
                                                    "1e1",
                                                    "1E2",
                                                    "1e+2",
                                                    "1e-2",
                                                    "0.1",
                                                    "2.5E-3",
                                                    "-1.5e300",
                                                    "18446744073709551615",
                                                    "18446744073709551616",
                                                    "-9223372036854775808",
                                                    "-9223372036854775809",
                                                    "123456789012345678901234567890",
                                                    "9007199254740993",
                                                    "0e0",
                                                    "-0e-0",
                                                    "4.9e-324",
                                                    "1.7976931348623157e308",
                                                    "3.141592653589793238462643383279",
                                                    "100000000000000000000.5",
                                                    "0.000001",
                                                    "1e-7",
                                                    "1e15",
                                                    "1e16",
                                                    "1e17"};
    switch (pick(4)) {
      case 0:
        return k_special[pick(k_special.size())];
      case 1:
        return std::to_string(static_cast<std::int64_t>(m_random()) - (std::int64_t{1} << 31));
      case 2: {
        std::string out = pick(2) == 0 ? "-" : "";
        out += std::to_string(pick(1000)) + "." + std::to_string(pick(100000));
        if (pick(2) == 0)
          out += std::string(pick(2) == 0 ? "e" : "E") + (pick(2) == 0 ? "-" : "") + std::to_string(pick(40));
        return out;
      }
      default: {
        std::uniform_real_distribution<double> any(-1e6, 1e6);
        return Json(any(m_random)).dump();
      }
    }
  }

  // A string token; `decoded` (when given) gets its text.
  std::string string(std::string* decoded) {
    static const std::vector<std::pair<std::string, std::string>> k_pieces{{"a", "a"},
                                                                           {"b", "b"},
                                                                           {"key", "key"},
                                                                           {" ", " "},
                                                                           {"caf\xC3\xA9", "caf\xC3\xA9"},
                                                                           {"\xF0\x9F\x91\x8D", "\xF0\x9F\x91\x8D"},
                                                                           {"\xE2\x82\xAC", "\xE2\x82\xAC"},
                                                                           {"\x7F", "\x7F"},
                                                                           {"\\\"", "\""},
                                                                           {"\\\\", "\\"},
                                                                           {"\\/", "/"},
                                                                           {"/", "/"},
                                                                           {"\\b", "\b"},
                                                                           {"\\f", "\f"},
                                                                           {"\\n", "\n"},
                                                                           {"\\r", "\r"},
                                                                           {"\\t", "\t"},
                                                                           {"\\u0000", std::string(1, '\0')},
                                                                           {"\\u001f", "\x1F"},
                                                                           {"\\u001F", "\x1F"},
                                                                           {"\\u0061", "a"},
                                                                           {"\\u00e9", "\xC3\xA9"},
                                                                           {"\\u20AC", "\xE2\x82\xAC"},
                                                                           {"\\u007f", "\x7F"},
                                                                           {"\\ud83d\\udc4d", "\xF0\x9F\x91\x8D"},
                                                                           {"\\uD834\\uDD1E", "\xF0\x9D\x84\x9E"},
                                                                           {"\\u0022", "\""},
                                                                           {"\\u005c", "\\"},
                                                                           {"\\u0008", "\b"},
                                                                           {"\\uffff", "\xEF\xBF\xBF"},
                                                                           {"<>&'", "<>&'"}};
    std::string out = "\"";
    const std::size_t length = pick(5);
    for (std::size_t i = 0; i < length; ++i) {
      const auto& [text, meaning] = k_pieces[pick(k_pieces.size())];
      out += text;
      if (decoded != nullptr) *decoded += meaning;
    }
    return out + "\"";
  }

  std::string object(std::size_t depth) {
    const std::size_t count = pick(6);
    if (count == 0) return "{" + space() + "}";
    std::set<std::string> keys;
    std::string out = "{";
    for (std::size_t i = 0; i < count; ++i) {
      if (i > 0) out += ",";
      std::string key;
      out += space() + string(&key) + space() + ":" + space() + value(depth + 1) + space();
      if (!keys.insert(key).second) m_repeated = true;
    }
    return out + "}";
  }

  std::string array(std::size_t depth) {
    const std::size_t count = pick(6);
    if (count == 0) return "[" + space() + "]";
    std::string out = "[";
    for (std::size_t i = 0; i < count; ++i) {
      if (i > 0) out += ",";
      out += space() + value(depth + 1) + space();
    }
    return out + "]";
  }

  std::mt19937 m_random;
  bool m_repeated = false;
};

std::string nested(std::size_t depth) {
  return std::string(depth, '[') + "1" + std::string(depth, ']');
}

}  // namespace

TEST_SUITE_BEGIN("signing");

TEST_CASE("signing::detail::reserialise_json prints what nlohmann's dump() and dump(2) print") {
  SUBCASE("values and layouts") {
    for (const std::string_view body :
         {R"({"a":1,"b":[true,null],"c":"x"})", R"({ "a" : 1, "b" : [ true, null ], "c" : "x" })", "[]", "{}", " [ ] ",
          R"({"a":{},"b":[],"c":[{}],"d":[[]]})", "1", "\"x\"", "null", "  true\n", R"([1,[2,[3,{"x":[]}]]])",
          "{\"\":\"\"}"}) {
      check_same_as_nlohmann(body);
    }
  }
  SUBCASE("numbers as the parser keeps them") {
    const std::vector<std::pair<std::string_view, std::string_view>> cases{
        {"-0", "0"},
        {"1E2", "100.0"},
        {"1.0", "1.0"},
        {"1e1", "10.0"},
        {"0.1", "0.1"},
        {"-0.0", "-0.0"},
        {"18446744073709551615", "18446744073709551615"},
        {"18446744073709551616", "1.8446744073709552e+19"},
        {"-9223372036854775808", "-9223372036854775808"},
        {"-9223372036854775809", "-9.223372036854776e+18"},
        {"1e308", "1e+308"},
        {"5e-324", "5e-324"},
    };
    for (const auto& [token, printed] : cases) {
      CHECK_MESSAGE(run(token, JsonLayout::compact).text == printed, token);
      CHECK_MESSAGE(nlohmann_dump(token, JsonLayout::compact) == std::optional<std::string>(printed), token);
    }
  }
  SUBCASE("strings re-escaped as dump() escapes them") {
    check_same_as_nlohmann(R"(["\u0000\u0001\u001f\u007f\b\f\n\r\t\"\\\/","\u00e9\u20ac\ud83d\udc4d","caf)"
                           "\xC3\xA9\"]");
    CHECK(run(R"("\u0001\/\u0041")", JsonLayout::compact).text == R"("\u0001/A")");
    CHECK(run("\"\\uD834\\uDD1E\"", JsonLayout::compact).text == "\"\xF0\x9D\x84\x9E\"");
  }
  SUBCASE("a byte order mark is skipped, as the parser skips it") {
    check_same_as_nlohmann("\xEF\xBB\xBF{\"a\":1}");
  }
  SUBCASE("nesting up to 64 levels") {
    check_same_as_nlohmann(nested(64));
  }
  SUBCASE("20,000 random documents") {
    Generator generator(20240601);
    std::size_t compared = 0;
    for (int i = 0; i < 20000; ++i) {
      bool repeated = false;
      const std::string body = generator.document(repeated);
      if (repeated) {
        check_refused(body);
        continue;
      }
      check_same_as_nlohmann(body);
      ++compared;
    }
    CHECK(compared > 15000);
  }
  SUBCASE("every fixture") {
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(CTG_SOURCE_DIR) / "fixtures")) {
      if (entry.path().extension() != ".json") continue;
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      INFO(entry.path().filename().string());
      check_same_as_nlohmann(body);
      ++files;
    }
    CHECK(files > 10);
  }
}

TEST_CASE("signing::detail::reserialise_json refuses what nlohmann refuses, and what it is not sure of") {
  SUBCASE("not JSON") {
    for (const std::string_view body :
         {"",         "   ",       "{x}",         "{\"a\":1,}", "[1,]",    "[1 2]",    "{\"a\" 1}",
          "{\"a\":1", "[",         "tru",         "truex",      "nul",     "01",       "1.",
          ".5",       "-",         "+1",          "1e",         "1e+",     "0x10",     "\"abc",
          "[1]]",     "{} {}",     "[1] x",       "'a'",        "NaN",     "Infinity", "[1,\n//c\n2]",
          "\"\\x\"",  "\"\\u12\"", "\"\\u12G4\"", "\"a\tb\"",   "\"a\nb\""}) {
      REQUIRE_MESSAGE(!nlohmann_dump(body, JsonLayout::compact).has_value(), body);
      check_refused(body);
    }
  }
  SUBCASE("invalid UTF-8, a lone or unpaired surrogate, a broken byte order mark") {
    for (const std::string_view body :
         {"\"\xFF\"", "\"\xC3\"", "\"\xC0\xAF\"", "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "[\"a\"]\xFF",
          "\"\\ud83d\"", "\"\\udc4d\"", "\"\\ud83d\\u0041\"", "\"\\ud83dx\"", "\xEF\xBB{}", "\xEF{}"}) {
      REQUIRE_MESSAGE(!nlohmann_dump(body, JsonLayout::compact).has_value(), body);
      check_refused(body);
    }
  }
  SUBCASE("numbers out of range") {
    REQUIRE_FALSE(nlohmann_dump("1e400", JsonLayout::compact).has_value());
    check_refused("1e400");
    check_refused("[-1e400]");
    check_refused("1e-400");  // the parser reads 0.0; not mimicked
  }
  SUBCASE("nesting deeper than 64") {
    check_refused(nested(65));
    check_refused(nested(100000));
  }
  SUBCASE("a repeated key, also spelled differently") {
    check_refused(R"({"a":1,"a":2})");
    check_refused(R"({"a":1,"\u0061":2})");
    check_refused(R"([{"x":{"a":1,"b":2,"a":3}}])");
    check_same_as_nlohmann(R"({"a":{"a":1},"b":{"a":2}})");  // the same key in different objects
    // Keys whose hashes agree in their low 12 bits (a table for 200 keys uses fewer): found by
    // sorting once the probes run past their budget.
    std::string colliding = "{";
    std::string first;
    for (std::size_t i = 0, found = 0; found < 200; ++i) {
      const std::string key = "c" + std::to_string(i);
      if ((std::hash<std::string_view>{}(key) & 0xFFF) != 0) continue;
      colliding += (found++ == 0 ? "\"" : ",\"") + key + "\":0";
      if (first.empty()) first = key;
    }
    check_same_as_nlohmann(colliding + "}");
    check_refused(colliding + ",\"" + first + "\":1}");
  }
  SUBCASE("a damaged document is refused whenever nlohmann refuses it") {
    Generator generator(7);
    std::mt19937 random(11);
    static constexpr std::string_view k_bytes = "{}[]\",:\\ 0-.eEtfnu\x80\xFF";
    std::size_t refused = 0;
    for (int i = 0; i < 5000; ++i) {
      bool repeated = false;
      std::string body = generator.document(repeated);
      if (body.empty()) continue;
      body[random() % body.size()] = k_bytes[random() % k_bytes.size()];
      for (const auto layout : {JsonLayout::compact, JsonLayout::indented}) {
        const auto expected = nlohmann_dump(body, layout);
        const Output got = run(body, layout);
        if (!expected) {
          CHECK_MESSAGE(got.result == Reserialised::refused, body);
          ++refused;
        } else if (got.result == Reserialised::done) {
          CHECK_MESSAGE(got.text == *expected, body);
        }
      }
    }
    CHECK(refused > 1000);
  }
}

TEST_CASE("signing::detail::reserialise_json streams in pieces and stops at its cap") {
  // An array nested 64 deep holding many zeros: dump(2) is about 65 times the body.
  std::string deep = std::string(63, '[') + "[";
  for (int i = 0; i < 20000; ++i) deep += i == 0 ? "0" : ",0";
  deep += std::string(64, ']');
  const auto expected = nlohmann_dump(deep, JsonLayout::indented);
  REQUIRE(expected.has_value());
  REQUIRE(expected->size() > 60 * deep.size());

  SUBCASE("the whole output, in bounded pieces") {
    const Output got = run(deep, JsonLayout::indented);
    REQUIRE(got.result == Reserialised::done);
    CHECK(got.text == *expected);
    CHECK(got.pieces > 100);
    CHECK(got.largest_piece <= 16 * 1024);
  }
  SUBCASE("exactly at the cap, and one byte under it") {
    CHECK(run(deep, JsonLayout::indented, expected->size()).result == Reserialised::done);
    const Output over = run(deep, JsonLayout::indented, expected->size() - 1);
    CHECK(over.result == Reserialised::too_large);
    CHECK(over.text.size() < expected->size());
  }
  SUBCASE("a cap of 8 times the body stops early") {
    const Output capped = run(deep, JsonLayout::indented, 8 * deep.size());
    CHECK(capped.result == Reserialised::too_large);
    CHECK(capped.text.size() <= 8 * deep.size());
    CHECK(run(deep, JsonLayout::compact, 8 * deep.size()).result == Reserialised::done);
  }
  SUBCASE("a long string passes in a piece of its own") {
    const std::string body = "[\"" + std::string(100000, 'x') + "\"]";
    const Output got = run(body, JsonLayout::compact);
    REQUIRE(got.result == Reserialised::done);
    CHECK(got.text == body);
    CHECK(got.largest_piece == 100000);
  }
  SUBCASE("an object of 100,000 keys") {
    // Written out here: nlohmann's own parse of it takes quadratic time.
    std::string body = "{";
    std::string indented = "{";
    for (int i = 0; i < 100000; ++i) {
      const std::string member = "\"k" + std::to_string(i) + "\":";
      body += (i == 0 ? "" : ",") + member + std::to_string(i);
      indented += (i == 0 ? "\n  " : ",\n  ") + member + " " + std::to_string(i);
    }
    body += "}";
    indented += "\n}";
    CHECK(run(body, JsonLayout::compact).text == body);
    CHECK(run(body, JsonLayout::indented).text == indented);
    check_refused(body.substr(0, body.size() - 1) + ",\"k99\":0}");
  }
}

TEST_SUITE_END();
