#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctg/events/json_text.hpp"

using namespace ctg::events;
using detail::Json;

TEST_SUITE_BEGIN("events");

namespace {

// Random JSON text with what sends parse_json() to its second path: exponents, surrogate escapes,
// long numbers, repeated keys (drawn from a small set), nesting, odd spacing.
class Generator {
 public:
  explicit Generator(std::uint32_t seed) : m_random(seed) {}

  std::string document() { return value(0); }

 private:
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(m_random); }

  std::string space() {
    static const std::vector<std::string> k_spaces{"", "", " ", "\n", "\t", "\r\n "};
    return k_spaces[pick(k_spaces.size())];
  }

  std::string value(std::size_t depth) {
    static const std::vector<std::string> k_scalars{"true",
                                                    "false",
                                                    "null",
                                                    "0",
                                                    "-0",
                                                    "12",
                                                    "-7",
                                                    "1.5",
                                                    "-0.0",
                                                    "1e1",
                                                    "1E2",
                                                    "2.5e-3",
                                                    "-1e+300",
                                                    "18446744073709551615",
                                                    "18446744073709551616",
                                                    "-9223372036854775809",
                                                    "123456789012345678901234567890",
                                                    "\"\"",
                                                    "\"x\"",
                                                    "\"caf\xC3\xA9\"",
                                                    "\"\\ud83d\\udc4d\"",
                                                    "\"\\u00e9\\n\\t\\/\"",
                                                    "\"\\u0000\""};
    const std::size_t kind = pick(depth < 8 ? 4 : 2);
    if (kind < 2) return space() + k_scalars[pick(k_scalars.size())] + space();
    const bool object = kind == 2;
    const std::size_t count = pick(7);
    std::string out = object ? "{" : "[";
    for (std::size_t i = 0; i < count; ++i) {
      if (i > 0) out += ",";
      if (object) out += space() + key() + space() + ":";
      out += value(depth + 1);
    }
    if (count == 0) out += space();
    return out + (object ? "}" : "]");
  }

  // Few distinct keys, some spelled with escapes: objects often repeat one.
  std::string key() {
    static const std::vector<std::string> k_keys{
        "\"a\"", "\"b\"", "\"\\u0061\"", "\"id\"", "\"data\"", "\"\\ud83d\\udc4d\"", "\"\xF0\x9F\x91\x8D\"",
        "\"c\"", "\"d\""};
    return k_keys[pick(k_keys.size())];
  }

  std::mt19937 m_random;
};

// parse_json_with_nlohmann() builds the document Json::parse() builds, or throws what it throws.
void check_same_as_nlohmann(const std::string& body) {
  std::optional<Json> expected;
  std::string expected_error;
  try {
    expected = Json::parse(body);
  } catch (const Json::exception& e) {
    expected_error = e.what();
  }
  try {
    const Json got = detail::parse_json_with_nlohmann(body);
    REQUIRE_MESSAGE(expected.has_value(), body);
    CHECK_MESSAGE(got == *expected, body);
    CHECK_MESSAGE(got.dump() == expected->dump(), body);
  } catch (const Json::parse_error& e) {
    CHECK_MESSAGE(e.what() == expected_error, body);
  } catch (const Json::out_of_range& e) {
    CHECK_MESSAGE(e.what() == expected_error, body);
  }
  // And parse_json(), whichever path it takes, reads the same document.
  if (expected && detail::nesting_depth(body, k_max_depth) <= k_max_depth) {
    const auto parsed = detail::parse_json(body, ctg::ErrorKind::invalid_input);
    REQUIRE_MESSAGE(parsed.has_value(), body);
    CHECK_MESSAGE(parsed->dump() == expected->dump(), body);
  }
}

// The keys of `object`, in order.
std::vector<std::string> keys_of(const Json& object) {
  std::vector<std::string> out;
  for (const auto& [key, _] : object.items()) out.push_back(key);
  return out;
}

}  // namespace

TEST_CASE("events::detail::parse_json_with_nlohmann builds what Json::parse() builds") {
  SUBCASE("a repeated key keeps its first place and takes its last value, as in nlohmann's parser") {
    const std::string body = R"({"a":1,"b":2,"a":{"x":3},"c":4,"b":[5]})";
    CHECK(Json::parse(body).dump() == R"({"a":{"x":3},"b":[5],"c":4})");
    check_same_as_nlohmann(body);
    check_same_as_nlohmann(R"({"a":1,"\u0061":2})");
    check_same_as_nlohmann(R"([{"k":{"k":1,"k":2},"k":[{"k":3,"k":4}]}])");
  }
  SUBCASE("exponents, surrogates, long numbers, a byte order mark") {
    for (const std::string body :
         {R"({"n":1e1,"m":-2.5E-3,"big":18446744073709551616,"neg":-9223372036854775809})",
          R"({"s":"\ud83d\udc4d","t":"\uD834\uDD1E x"})", "\xEF\xBB\xBF{\"a\":1}", "[1e308, 5e-324, 1e-400]"}) {
      check_same_as_nlohmann(body);
    }
  }
  SUBCASE("errors: the same exception, message and position") {
    for (const std::string body : {"", "{", "{\"a\":1,}", "[1 2]", "{\"a\":1}x", "\"\\ud83d\"", "\"\\udc4d\"",
                                   "[1e400]", "{\"a\":-1e999}", "\"\xFF\"", "[\"a\",\n  tru]", "\xEF\xBB"}) {
      check_same_as_nlohmann(body);
    }
  }
  SUBCASE("nesting 64 deep") {
    check_same_as_nlohmann(std::string(64, '[') + "1e1" + std::string(64, ']'));
    std::string objects;
    for (int i = 0; i < 64; ++i) objects += "{\"a\":1,\"a\":";
    objects += "2" + std::string(64, '}');
    check_same_as_nlohmann(objects);
  }
  SUBCASE("5,000 random documents, and as many damaged ones") {
    Generator generator(15);
    std::mt19937 random(16);
    static constexpr std::string_view k_bytes = "{}[]\",:\\ 0-.eEu\xED\xFF";
    for (int i = 0; i < 5000; ++i) {
      std::string body = generator.document();
      check_same_as_nlohmann(body);
      body[random() % body.size()] = k_bytes[random() % k_bytes.size()];
      check_same_as_nlohmann(body);
    }
  }
}

TEST_CASE("events::detail::parse_json reads objects of 100,000 keys") {
  // Json::parse() itself takes quadratic time on these, so the document nlohmann would build is
  // checked in two parts: the values against nlohmann::json (a std::map: the last value of a key
  // wins there too), the order of the keys against the order of their first occurrence.
  std::string body = "{";
  std::vector<std::string> first_order;
  for (int i = 0; i < 100000; ++i) {
    const std::string key = "key" + std::to_string(i);
    body += (i == 0 ? "\"" : ",\"") + key + "\":" + std::to_string(i);
    first_order.push_back(key);
  }
  SUBCASE("with a value only nlohmann's path takes, and repeated keys") {
    body += ",\"x\":1e1";
    first_order.push_back("x");
    for (int i = 0; i < 100000; i += 7) body += ",\"key" + std::to_string(i) + "\":\"again\"";
  }
  SUBCASE("plain, with repeated keys") {
    for (int i = 0; i < 100000; i += 3) body += ",\"key" + std::to_string(i) + "\":[" + std::to_string(i) + "]";
  }
  SUBCASE("plain") {}
  body += "}";
  const auto parsed = detail::parse_json(body, ctg::ErrorKind::invalid_input);
  REQUIRE(parsed.has_value());
  CHECK(keys_of(*parsed) == first_order);
  const auto by_map = nlohmann::json::parse(body);
  CHECK(nlohmann::json::parse(parsed->dump()) == by_map);
  CHECK(detail::parse_json_with_nlohmann(body) == *parsed);
}

TEST_CASE("events::detail::merge_repeated_keys") {
  const auto merged = [](std::vector<std::pair<std::string, int>> members) {
    Json object = Json::object();
    auto& list = static_cast<Json::object_t::Container&>(object.get_ref<Json::object_t&>());
    for (auto& [key, value] : members) list.emplace_back(std::move(key), value);
    detail::merge_repeated_keys(object.get_ref<Json::object_t&>());
    return object.dump();
  };
  CHECK(merged({}) == "{}");
  CHECK(merged({{"a", 1}}) == R"({"a":1})");
  CHECK(merged({{"a", 1}, {"b", 2}}) == R"({"a":1,"b":2})");
  CHECK(merged({{"a", 1}, {"b", 2}, {"a", 3}, {"c", 4}, {"b", 5}, {"a", 6}}) == R"({"a":6,"b":5,"c":4})");
  // Beyond the pairwise comparison: sorted, and the same rule.
  std::vector<std::pair<std::string, int>> many;
  std::string expected = "{";
  for (int i = 0; i < 40; ++i) {
    many.emplace_back("k" + std::to_string(39 - i), i);
    expected += (i == 0 ? "\"k" : ",\"k") + std::to_string(39 - i) + "\":" + std::to_string(i % 10 == 0 ? 100 + i : i);
  }
  for (int i = 0; i < 40; i += 10) many.emplace_back("k" + std::to_string(39 - i), 100 + i);
  CHECK(merged(many) == expected + "}");
}

TEST_CASE("events::detail::has_repeated_keys") {
  const auto repeats = [](const std::string& body) {
    return detail::has_repeated_keys(detail::parse_json_with_nlohmann(body).get_ref<const Json::object_t&>());
  };
  CHECK_FALSE(repeats("{}"));
  CHECK_FALSE(repeats(R"({"a":1,"b":{"a":2}})"));
  std::string many = "{";
  for (int i = 0; i < 40; ++i) many += (i == 0 ? "\"" : ",\"") + std::to_string(i) + "\":0";
  CHECK_FALSE(repeats(many + "}"));
  // Repeats are merged by the parser: built by hand here.
  for (const std::size_t count : std::initializer_list<std::size_t>{2, 16, 17, 40}) {
    Json object = Json::object();
    auto& list = static_cast<Json::object_t::Container&>(object.get_ref<Json::object_t&>());
    for (std::size_t i = 0; i < count; ++i) list.emplace_back("k" + std::to_string(i), 0);
    CHECK_FALSE(detail::has_repeated_keys(object.get_ref<const Json::object_t&>()));
    list.emplace_back("k" + std::to_string(count / 2), 1);
    CHECK_MESSAGE(detail::has_repeated_keys(object.get_ref<const Json::object_t&>()), count);
  }
  SUBCASE("keys whose hashes collide") {
    // 200 keys whose hashes agree in their low 12 bits, the most a table for 200 keys uses: the
    // probes run past their budget and the keys are sorted instead.
    Json object = Json::object();
    auto& list = static_cast<Json::object_t::Container&>(object.get_ref<Json::object_t&>());
    for (std::size_t i = 0; list.size() < 200; ++i) {
      const std::string key = "c" + std::to_string(i);
      if ((std::hash<std::string_view>{}(key) & 0xFFF) == 0) list.emplace_back(key, 0);
    }
    CHECK_FALSE(detail::has_repeated_keys(object.get_ref<const Json::object_t&>()));
    const std::string again = list[100].first;
    list.emplace_back(again, 1);
    CHECK(detail::has_repeated_keys(object.get_ref<const Json::object_t&>()));
    std::string body = object.dump();  // the same keys through the reader, with the repeat
    CHECK_FALSE(detail::parse_plain_json(body).has_value());
    const auto parsed = detail::parse_json(body, ctg::ErrorKind::invalid_input);
    REQUIRE(parsed.has_value());
    CHECK(parsed->size() == 200);
    CHECK((*parsed)[again] == 1);
  }
}

TEST_CASE("events::detail::parse_plain_json leaves repeated keys to the parser, in n log n time") {
  std::string body = "{";
  for (int i = 0; i < 100000; ++i) body += (i == 0 ? "\"k" : ",\"k") + std::to_string(i) + "\":0";
  CHECK(detail::parse_plain_json(body + "}").has_value());
  CHECK_FALSE(detail::parse_plain_json(body + ",\"k5\":1}").has_value());
  CHECK_FALSE(detail::parse_plain_json(R"({"x":{"a":1,"b":2,"a":3}})").has_value());
}

TEST_CASE("events::detail::plain_json_type names the type parse_json() reads, or leaves it to decide") {
  const auto agrees = [](const std::string& text) {
    const auto type = detail::plain_json_type(text);
    if (!type) return;
    const auto parsed = detail::parse_json(text, ctg::ErrorKind::invalid_input);
    REQUIRE_MESSAGE(parsed.has_value(), text);
    CHECK_MESSAGE(*type == json_type_name(*parsed), text);
  };
  const std::vector<std::pair<std::string, std::string_view>> named{
      {"[]", "array"},
      {" [1e1, -0.5E-3, \"\\ud83d\\ude00\"] ", "array"},
      {"{\"a\":[{}]}", "object"},
      {"\"x\"", "string"},
      {"true", "boolean"},
      {"false", "boolean"},
      {"null", "null"},
      {"-12", "number"},
      {"123456789012345678901234567890", "number"},
      {std::string(64, '[') + std::string(64, ']'), "array"}};
  for (const auto& [text, type] : named) {
    CHECK_MESSAGE(detail::plain_json_type(text) == std::optional<std::string_view>(type), text);
    agrees(text);
  }
  for (const std::string& text :
       std::vector<std::string>{"", " ", "[1,]", "[1] x", "[1e400]", "[1e-400]", "\xEF\xBB\xBF[]", "\"\\ud83d\"",
                                std::string(65, '[') + std::string(65, ']'), "[\"\xFF\"]"}) {
    CHECK_FALSE_MESSAGE(detail::plain_json_type(text).has_value(), text);
  }
  Generator generator(17);
  std::mt19937 random(18);
  static constexpr std::string_view k_bytes = "{}[]\",:\\ 0-.eEu\xED\xFF";
  for (int i = 0; i < 5000; ++i) {
    std::string text = generator.document();
    agrees(text);
    text[random() % text.size()] = k_bytes[random() % k_bytes.size()];
    agrees(text);
  }
}

TEST_SUITE_END();
