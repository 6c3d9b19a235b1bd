#include "ctg/events/json_text.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>
#include <numeric>
#include <utility>
#include <vector>

#include "ctg/core/text.hpp"
#include "ctg/events/event.hpp"

namespace ctg::events::detail {

namespace {

struct Position {
  std::size_t line;
  std::size_t column;
};

// 1-based line and column of the byte at `offset` (clamped to the end of `bytes`).
Position position_of(std::string_view bytes, std::size_t offset) {
  offset = std::min(offset, bytes.size());
  const std::string_view before = bytes.substr(0, offset);
  const auto lines = static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const auto last_newline = before.rfind('\n');
  const std::size_t column = last_newline == std::string_view::npos ? offset + 1 : offset - last_newline;
  return {lines + 1, column};
}

// The reason part of nlohmann's parse_error text, without its "[json.exception...] parse error at
// line L, column C: syntax error while parsing X - " prefix and its "; last read: '...'" echo of
// the input (which may hold raw bytes). `at_end`: the parser ran out of input.
std::string parse_reason(std::string_view what, bool at_end) {
  std::string_view reason = what;
  if (const auto dash = reason.find(" - "); dash != std::string_view::npos) reason.remove_prefix(dash + 3);
  std::string out;
  const auto last_read = reason.find("; last read: '");
  if (last_read == std::string_view::npos) {
    out = std::string(reason);
  } else {
    out = std::string(reason.substr(0, last_read));
    const auto expected = reason.rfind("'; expected ");
    if (expected != std::string_view::npos && expected > last_read) out += reason.substr(expected + 1);
  }
  if (out.ends_with("; expected end of input")) return "unexpected data after the end of the JSON value";
  if (out.empty()) out = "syntax error";
  out = text::excerpt(out, 120);
  if (at_end) out += " (is the body truncated?)";
  return out;
}

// The token quoted in "number overflow parsing '1e400'".
std::string_view overflow_token(std::string_view what) {
  const auto open = what.find('\'');
  const auto close = what.rfind('\'');
  if (open == std::string_view::npos || close <= open) return {};
  return what.substr(open + 1, close - open - 1);
}

// The SAX handler behind parse_json_with_nlohmann(): builds what nlohmann's own DOM handler
// (json_sax_dom_parser) builds, without its key search per member. Errors are thrown as that
// handler throws them (the exception of the type the parser made), so callers see Json::parse().
class DocumentBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  explicit DocumentBuilder(Json& root) : m_root(root) {}

  bool null() { return put(nullptr); }
  bool boolean(bool value) { return put(value); }
  bool number_integer(number_integer_t value) { return put(value); }
  bool number_unsigned(number_unsigned_t value) { return put(value); }
  bool number_float(number_float_t value, const string_t& /*token*/) { return put(value); }
  bool string(string_t& value) { return put(std::move(value)); }  // the lexer clears it before reuse
  bool binary(binary_t& value) { return put(std::move(value)); }

  bool start_object(std::size_t /*unknown for JSON text*/) {
    m_open.push_back(place(Json::value_t::object));
    return true;
  }
  bool key(string_t& name) {
    auto& members = m_open.back()->get_ref<Json::object_t&>();
    members.emplace_back(std::move(name), nullptr);  // a repeat too: merged when the object ends
    m_slot = &members.back().second;  // stays valid: no member is added before its value is done
    return true;
  }
  bool end_object() {
    merge_repeated_keys(m_open.back()->get_ref<Json::object_t&>());
    m_open.pop_back();
    return true;
  }
  bool start_array(std::size_t /*unknown for JSON text*/) {
    m_open.push_back(place(Json::value_t::array));
    return true;
  }
  bool end_array() {
    m_open.pop_back();
    return true;
  }

  template <class Exception>
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/, const Exception& error) {
    throw error;  // the concrete type (parse_error, out_of_range), as Json::parse() throws it
  }

 private:
  template <class Value>
  bool put(Value&& value) {
    place(std::forward<Value>(value));
    return true;
  }

  // Puts a value where the parser is: the root, the next element of the open array, or the value
  // of the open object's last key. Returns where it is.
  template <class Value>
  Json* place(Value&& value) {
    if (m_open.empty()) {
      m_root = Json(std::forward<Value>(value));
      return &m_root;
    }
    Json& container = *m_open.back();
    if (container.is_array()) {
      auto& elements = container.get_ref<Json::array_t&>();
      elements.emplace_back(std::forward<Value>(value));
      return &elements.back();
    }
    *m_slot = Json(std::forward<Value>(value));
    return m_slot;
  }

  Json& m_root;
  std::vector<Json*> m_open;  // the containers being filled, innermost last
  Json* m_slot = nullptr;     // the value of the innermost object's last key
};

constexpr std::size_t k_members_compared_pairwise = 16;

}  // namespace

Json parse_json_with_nlohmann(std::string_view bytes) {
  Json root;
  DocumentBuilder builder(root);
  // Json::parse()'s defaults: strict (nothing after the value), no comments.
  Json::sax_parse(bytes.begin(), bytes.end(), &builder, Json::input_format_t::json, true, false);
  return root;
}

namespace {

// Sorts the keys: O(n log n) comparisons whatever they are.
bool sorted_keys_repeat(const Json::object_t::Container& members) {
  std::vector<std::string_view> keys;
  keys.reserve(members.size());
  for (const auto& member : members) keys.emplace_back(member.first);
  std::sort(keys.begin(), keys.end());
  return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
}

}  // namespace

bool has_repeated_keys(const Json::object_t& object) {
  const auto& members = static_cast<const Json::object_t::Container&>(object);
  const std::size_t count = members.size();
  if (count < 2) return false;
  if (count <= k_members_compared_pairwise) {
    for (std::size_t i = 0; i < count; ++i) {
      for (std::size_t j = i + 1; j < count; ++j) {
        if (members[i].first == members[j].first) return true;
      }
    }
    return false;
  }
  if (count >= UINT32_MAX / 4) return sorted_keys_repeat(members);
  // The members' positions in a table at most half full, by the hash of their key (linear
  // probing): a few probes per key. Keys chosen to collide could make that quadratic, so past a
  // linear budget of probes the keys are sorted instead.
  constexpr std::uint32_t k_empty = UINT32_MAX;
  const std::size_t slots = std::bit_ceil(2 * count);
  std::vector<std::uint32_t> table(slots, k_empty);
  std::size_t probes_left = 4 * count;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string& key = members[i].first;
    std::size_t slot = std::hash<std::string_view>{}(key) & (slots - 1);
    while (table[slot] != k_empty) {
      if (members[table[slot]].first == key) return true;
      if (probes_left-- == 0) return sorted_keys_repeat(members);
      slot = (slot + 1) & (slots - 1);
    }
    table[slot] = static_cast<std::uint32_t>(i);
  }
  return false;
}

void merge_repeated_keys(Json::object_t& object) {
  if (!has_repeated_keys(object)) return;
  // The members as the vector they are (ordered_map's operator[] takes keys).
  auto& members = static_cast<Json::object_t::Container&>(object);
  const std::size_t count = members.size();
  // Positions sorted by key, then by position: each run of equal keys, first occurrence first.
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const int by_key = members[a].first.compare(members[b].first);
    return by_key != 0 ? by_key < 0 : a < b;
  });
  constexpr std::size_t k_dropped = SIZE_MAX;
  std::vector<std::size_t> value_from(count);  // where each kept member takes its value from
  std::iota(value_from.begin(), value_from.end(), std::size_t{0});
  for (std::size_t run = 0; run < count;) {
    std::size_t end = run + 1;
    while (end < count && members[order[end]].first == members[order[run]].first) ++end;
    if (end - run > 1) {
      value_from[order[run]] = order[end - 1];
      for (std::size_t k = run + 1; k < end; ++k) value_from[order[k]] = k_dropped;
    }
    run = end;
  }
  Json::object_t::Container merged;
  merged.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (value_from[i] == k_dropped) continue;
    merged.emplace_back(members[i].first, std::move(members[value_from[i]].second));
  }
  members = std::move(merged);
}

std::size_t nesting_depth(std::string_view bytes, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
      deepest = std::max(deepest, depth);
      if (deepest > limit) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

Result<Json> parse_json(std::string_view bytes, ErrorKind kind) {
  if (auto plain = parse_plain_json(bytes)) return std::move(*plain);
  if (nesting_depth(bytes, k_max_depth) > k_max_depth) {
    return fail(kind, fmt::format("JSON nested deeper than {} levels", k_max_depth));
  }
  // The parser refuses every byte that is not UTF-8 (outside strings as a syntax error, inside as
  // an ill-formed string), so the bytes are looked at for the message only once it has failed.
  auto invalid_utf8 = [&]() -> std::optional<Error> {
    if (const auto bad = text::find_invalid_utf8(bytes)) return Error{kind, fmt::format("invalid UTF-8 at byte {}", *bad), {}};
    return std::nullopt;
  };
  try {
    return parse_json_with_nlohmann(bytes);
  } catch (const Json::parse_error& e) {
    if (auto bad = invalid_utf8()) return std::unexpected(std::move(*bad));
    // `byte` is the 1-based position of the last character read.
    const auto at = position_of(bytes, e.byte > 0 ? e.byte - 1 : 0);
    return fail(kind, fmt::format("invalid JSON at line {}, column {}: {}", at.line, at.column,
                                  parse_reason(e.what(), e.byte > bytes.size())));
  } catch (const Json::out_of_range& e) {
    if (auto bad = invalid_utf8()) return std::unexpected(std::move(*bad));
    const std::string_view token = overflow_token(e.what());
    const auto offset = token.empty() ? std::string_view::npos : bytes.find(token);
    if (offset == std::string_view::npos) return fail(kind, "invalid JSON: a number is out of range");
    const auto at = position_of(bytes, offset);
    return fail(kind, fmt::format("invalid JSON at line {}, column {}: number {} is out of range", at.line, at.column,
                                  text::excerpt(token, 40)));
  } catch (const Json::exception&) {
    if (auto bad = invalid_utf8()) return std::unexpected(std::move(*bad));
    return fail(kind, "invalid JSON: the parser refused the body");
  }
}

std::string describe(const Json& value) {
  if (value.is_string()) return fmt::format("string \"{}\"", text::excerpt(value.get_ref<const std::string&>(), 40));
  if (value.is_number() || value.is_boolean()) {
    return fmt::format("{} {}", json_type_name(value), text::excerpt(value.dump(), 40));
  }
  return std::string(json_type_name(value));
}

bool looks_like_legacy_v1(const Json& body) {
  return body.is_object() && !body.contains("type") && body.contains("message") && body.contains("crumbs");
}

std::string_view string_member(const Json& object, std::string_view key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get_ref<const std::string&>();
}

}  // namespace ctg::events::detail
