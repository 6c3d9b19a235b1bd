// detail::parse_plain_json(): plain JSON text to a document in one pass, several times cheaper
// than nlohmann's lexer. Like read_event_head()'s scan it is sound, not complete: it builds only
// what nlohmann::ordered_json::parse() would build from the same bytes (the same values, members
// in the same order), and gives up (nullopt) on whatever it is not sure of: surrogate escapes,
// exponents, long numbers, repeated keys, nesting beyond k_max_depth, a byte order mark, and
// every error, which parse_json() then leaves to nlohmann for its exact message. Its time is
// linear in the bytes, n log n in the members of an object (repeated keys are looked for once the
// object is complete, by has_repeated_keys()).
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "ctg/events/event.hpp"
#include "ctg/events/json_cursor.hpp"
#include "ctg/events/json_text.hpp"

namespace ctg::events::detail {

namespace {

class Builder : JsonCursor {
  static constexpr std::size_t k_members_reserved = 8;

 public:
  using JsonCursor::JsonCursor;

  std::optional<Json> document() {
    skip_space();
    Json out;
    if (!value(out)) return std::nullopt;
    skip_space();
    if (!at_end()) return std::nullopt;
    return out;
  }

 private:
  bool value(Json& out) {
    if (at_end()) return false;
    switch (peek()) {
      case '{':
        return object(out);
      case '[':
        return array(out);
      case '"': {
        std::string text;
        if (!string(nullptr, nullptr, &text)) return false;
        out = std::move(text);
        return true;
      }
      case 't':
        out = true;
        return literal("true");
      case 'f':
        out = false;
        return literal("false");
      case 'n':
        out = nullptr;
        return literal("null");
      default:
        return number(out);
    }
  }

  bool object(Json& out) {
    skip();
    if (++m_depth > k_max_depth) return false;
    out = Json::object();
    auto& members = out.get_ref<Json::object_t&>();
    members.reserve(k_members_reserved);  // events' objects are small: no growth for most
    skip_space();
    if (!at('}')) {
      while (true) {
        skip_space();
        std::string key;
        if (!at('"') || !string(nullptr, nullptr, &key)) return false;
        skip_space();
        if (!at(':')) return false;
        skip();
        skip_space();
        Json member;
        if (!value(member)) return false;
        members.emplace_back(std::move(key), std::move(member));  // a repeat too: found below
        skip_space();
        if (!at(',')) break;
        skip();
      }
      if (!at('}')) return false;
      if (has_repeated_keys(members)) return false;  // the parser's rule decides
    }
    skip();
    --m_depth;
    return true;
  }

  bool array(Json& out) {
    skip();
    if (++m_depth > k_max_depth) return false;
    out = Json::array();
    auto& elements = out.get_ref<Json::array_t&>();
    skip_space();
    if (!at(']')) {
      while (true) {
        skip_space();
        if (!value(elements.emplace_back())) return false;
        skip_space();
        if (!at(',')) break;
        skip();
      }
      if (!at(']')) return false;
    }
    skip();
    --m_depth;
    return true;
  }

  // Integers as the parser keeps them (unsigned when not negative), fractions as the nearest double.
  bool number(Json& out) {
    Number number;
    if (!JsonCursor::number(number)) return false;
    const char* first = number.token.data();
    const char* last = first + number.token.size();
    if (number.integer && !number.negative) {
      std::uint64_t value = 0;
      if (std::from_chars(first, last, value).ptr != last) return false;
      out = value;
    } else if (number.integer) {
      std::int64_t value = 0;
      if (std::from_chars(first, last, value).ptr != last) return false;
      out = value;
    } else {
      double value = 0;
      if (std::from_chars(first, last, value).ptr != last) return false;
      out = value;
    }
    return true;
  }
};

// Checks plain JSON text without building it.
class Checker : JsonCursor {
 public:
  using JsonCursor::JsonCursor;

  bool document() {
    skip_space();
    if (!skip_value()) return false;
    skip_space();
    return at_end();
  }
};

}  // namespace

std::optional<Json> parse_plain_json(std::string_view bytes) {
  return Builder(bytes).document();
}

std::optional<std::string_view> plain_json_type(std::string_view bytes) {
  if (!Checker(bytes).document()) return std::nullopt;
  const auto first = bytes.find_first_not_of(" \t\r\n");
  switch (bytes[first]) {  // a value was found: `first` is its first byte
    case '{': return "object";
    case '[': return "array";
    case '"': return "string";
    case 't':
    case 'f': return "boolean";
    case 'n': return "null";
    default: return "number";
  }
}

}  // namespace ctg::events::detail
