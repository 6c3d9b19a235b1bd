#include "ctg/events/json_text.hpp"

#include <fmt/format.h>
#include <algorithm>

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

}  // namespace

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
    return Json::parse(bytes);
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
