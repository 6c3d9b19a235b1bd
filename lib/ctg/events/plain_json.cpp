// detail::parse_plain_json(): plain JSON text to a document in one pass, several times cheaper
// than nlohmann's lexer. Like read_event_head()'s scan it is sound, not complete: it builds only
// what nlohmann::ordered_json::parse() would build from the same bytes (the same values, members
// in the same order), and gives up (nullopt) on whatever it is not sure of: surrogate escapes,
// exponents, long numbers, repeated keys, nesting beyond k_max_depth, a byte order mark, and
// every error, which parse_json() then leaves to nlohmann for its exact message.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "ctg/events/event.hpp"
#include "ctg/events/json_text.hpp"

namespace ctg::events::detail {

namespace {

bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

// See utf8_sequence() in event_head.cpp: the same rules (RFC 3629).
std::size_t utf8_length(const unsigned char* p, const unsigned char* end) {
  const unsigned char lead = p[0];
  auto continuation = [&](std::size_t i, unsigned char low = 0x80, unsigned char high = 0xBF) {
    return p + i < end && p[i] >= low && p[i] <= high;
  };
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead == 0xE0) return continuation(1, 0xA0) && continuation(2) ? 3 : 0;
  if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) return continuation(1) && continuation(2) ? 3 : 0;
  if (lead == 0xED) return continuation(1, 0x80, 0x9F) && continuation(2) ? 3 : 0;
  if (lead == 0xF0) return continuation(1, 0x90) && continuation(2) && continuation(3) ? 4 : 0;
  if (lead >= 0xF1 && lead <= 0xF3) return continuation(1) && continuation(2) && continuation(3) ? 4 : 0;
  if (lead == 0xF4) return continuation(1, 0x80, 0x8F) && continuation(2) && continuation(3) ? 4 : 0;
  return 0;
}

class Builder {
 public:
  explicit Builder(std::string_view bytes)
      : m_p(reinterpret_cast<const unsigned char*>(bytes.data())), m_end(m_p + bytes.size()) {}

  std::optional<Json> document() {
    skip_space();
    Json out;
    if (!value(out)) return std::nullopt;
    skip_space();
    if (m_p != m_end) return std::nullopt;
    return out;
  }

 private:
  static constexpr std::size_t k_longest_integer = 18;
  static constexpr std::size_t k_longest_number = 300;

  bool at(char c) const { return m_p < m_end && *m_p == static_cast<unsigned char>(c); }

  void skip_space() {
    while (m_p < m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t')) ++m_p;
  }

  bool value(Json& out) {
    if (m_p == m_end) return false;
    switch (*m_p) {
      case '{':
        return object(out);
      case '[':
        return array(out);
      case '"': {
        std::string text;
        if (!string(text)) return false;
        out = std::move(text);
        return true;
      }
      case 't':
        return literal("true", out, Json(true));
      case 'f':
        return literal("false", out, Json(false));
      case 'n':
        return literal("null", out, Json(nullptr));
      default:
        return number(out);
    }
  }

  bool object(Json& out) {
    ++m_p;
    if (++m_depth > k_max_depth) return false;
    out = Json::object();
    auto& members = out.get_ref<Json::object_t&>();
    skip_space();
    if (at('}')) {
      ++m_p;
      --m_depth;
      return true;
    }
    while (true) {
      skip_space();
      std::string key;
      if (!at('"') || !string(key)) return false;
      skip_space();
      if (!at(':')) return false;
      ++m_p;
      skip_space();
      Json member;
      if (!value(member)) return false;
      if (members.find(key) != members.end()) return false;  // repeated: the parser's rule decides
      members.emplace(std::move(key), std::move(member));
      skip_space();
      if (at(',')) {
        ++m_p;
        continue;
      }
      if (!at('}')) return false;
      ++m_p;
      --m_depth;
      return true;
    }
  }

  bool array(Json& out) {
    ++m_p;
    if (++m_depth > k_max_depth) return false;
    out = Json::array();
    auto& elements = out.get_ref<Json::array_t&>();
    skip_space();
    if (at(']')) {
      ++m_p;
      --m_depth;
      return true;
    }
    while (true) {
      skip_space();
      elements.emplace_back();
      if (!value(elements.back())) return false;
      skip_space();
      if (at(',')) {
        ++m_p;
        continue;
      }
      if (!at(']')) return false;
      ++m_p;
      --m_depth;
      return true;
    }
  }

  // At '"': the decoded text.
  bool string(std::string& out) {
    const unsigned char* run = ++m_p;  // start of bytes copied as they are
    auto flush = [&] { out.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(m_p - run)); };
    while (m_p < m_end) {
      const unsigned char c = *m_p;
      if (c == '"') {
        flush();
        ++m_p;
        return true;
      }
      if (c == '\\') {
        flush();
        if (!escape(out)) return false;
        run = m_p;
        continue;
      }
      if (c < 0x20) return false;
      if (c < 0x80) {
        ++m_p;
        continue;
      }
      const std::size_t length = utf8_length(m_p, m_end);
      if (length == 0) return false;
      m_p += length;
    }
    return false;
  }

  // At '\\': appends the character it stands for.
  bool escape(std::string& out) {
    ++m_p;
    if (m_p == m_end) return false;
    const unsigned char c = *m_p;
    switch (c) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        if (m_end - m_p < 5) return false;
        unsigned code = 0;
        for (int i = 1; i <= 4; ++i) {
          const unsigned char h = m_p[i];
          const unsigned digit = h >= '0' && h <= '9'   ? h - '0'
                                 : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                 : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                        : 16;
          if (digit == 16) return false;
          code = code * 16 + digit;
        }
        if (code >= 0xD800 && code <= 0xDFFF) return false;  // surrogates: the parser's pairing rules
        if (code < 0x80) {
          out += static_cast<char>(code);
        } else if (code < 0x800) {
          out += static_cast<char>(0xC0 | (code >> 6));
          out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
          out += static_cast<char>(0xE0 | (code >> 12));
          out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
          out += static_cast<char>(0x80 | (code & 0x3F));
        }
        m_p += 4;
        break;
      }
      default:
        return false;
    }
    ++m_p;
    return true;
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)? : integers as the parser keeps them (unsigned when not negative),
  // fractions as the nearest double. Exponents and long numbers are the parser's to judge.
  bool number(Json& out) {
    const unsigned char* start = m_p;
    const bool negative = at('-');
    if (negative) ++m_p;
    if (m_p == m_end) return false;
    if (*m_p == '0') {
      ++m_p;
    } else if (*m_p >= '1' && *m_p <= '9') {
      while (m_p < m_end && is_digit(*m_p)) ++m_p;
    } else {
      return false;
    }
    bool integer = true;
    if (at('.')) {
      integer = false;
      ++m_p;
      if (m_p == m_end || !is_digit(*m_p)) return false;
      while (m_p < m_end && is_digit(*m_p)) ++m_p;
    }
    if (at('e') || at('E')) return false;
    const auto length = static_cast<std::size_t>(m_p - start);
    if (length > (integer ? k_longest_integer : k_longest_number)) return false;
    const char* first = reinterpret_cast<const char*>(start);
    const char* last = first + length;
    if (integer && !negative) {
      std::uint64_t value = 0;
      if (std::from_chars(first, last, value).ptr != last) return false;
      out = value;
    } else if (integer) {
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

  bool literal(std::string_view word, Json& out, Json value) {
    if (static_cast<std::size_t>(m_end - m_p) < word.size()) return false;
    if (std::string_view(reinterpret_cast<const char*>(m_p), word.size()) != word) return false;
    m_p += word.size();
    out = std::move(value);
    return true;
  }

  const unsigned char* m_p;
  const unsigned char* m_end;
  std::size_t m_depth = 0;
};

}  // namespace

std::optional<Json> parse_plain_json(std::string_view bytes) {
  return Builder(bytes).document();
}

}  // namespace ctg::events::detail
