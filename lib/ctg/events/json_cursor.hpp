// ctg::events (internal) — the lexical steps shared by the one-pass readers of plain JSON
// (event_head.cpp, plain_json.cpp). Each step accepts only what nlohmann's parser accepts and
// returns false on anything else, including what it leaves to the parser by choice: the readers
// then give up, and the parser decides. Steps that decode (string() with `decoded`, number())
// leave it surrogate escapes, exponents and long numbers; steps that only check (string()
// without `decoded`, skip_number()) accept them when the parser would.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "ctg/core/text.hpp"
#include "ctg/events/event.hpp"

namespace ctg::events::detail {

class JsonCursor {
 public:
  explicit JsonCursor(std::string_view bytes)
      : m_p(reinterpret_cast<const unsigned char*>(bytes.data())), m_end(m_p + bytes.size()) {}

 protected:
  struct Number {
    std::string_view token;
    bool integer = true;   // no fraction
    bool negative = false;
  };

  bool at(char c) const { return m_p < m_end && *m_p == static_cast<unsigned char>(c); }
  bool at_end() const { return m_p == m_end; }
  unsigned char peek() const { return *m_p; }
  void skip() { ++m_p; }

  void skip_space() {
    while (m_p < m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t')) ++m_p;
  }

  // At '"'. `raw`: the bytes between the quotes, escapes undecoded; `escaped`: it has any;
  // `decoded` (may be null): the text.
  bool string(std::string_view* raw, bool* escaped, std::string* decoded) {
    const unsigned char* start = ++m_p;
    const unsigned char* run = start;  // bytes not yet copied to `decoded`
    bool any_escape = false;
    while (true) {
      m_p += text::plain_json_run(m_p, m_end);  // the usual text, eight bytes at a time
      if (m_p == m_end) return false;            // unterminated
      const unsigned char c = *m_p;
      if (c == '"') {
        if (decoded != nullptr) decoded->append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(m_p - run));
        if (raw != nullptr) *raw = std::string_view(reinterpret_cast<const char*>(start), static_cast<std::size_t>(m_p - start));
        if (escaped != nullptr) *escaped = any_escape;
        ++m_p;
        return true;
      }
      if (c == '\\') {
        any_escape = true;
        if (decoded != nullptr) decoded->append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(m_p - run));
        if (!escape(decoded)) return false;
        run = m_p;
        continue;
      }
      if (c < 0x20) return false;  // control characters must be escaped
      const std::size_t length = text::utf8_sequence_length(m_p, m_end);  // c >= 0x80
      if (length == 0) return false;
      m_p += length;
    }
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)? ; exponents and long tokens (which might not fit the parser's
  // integers or doubles) are left to the parser.
  bool number(Number& out) {
    const unsigned char* start = m_p;
    out.negative = at('-');
    if (out.negative) ++m_p;
    if (m_p == m_end) return false;
    if (*m_p == '0') {
      ++m_p;
    } else if (*m_p >= '1' && *m_p <= '9') {
      skip_digits();
    } else {
      return false;
    }
    out.integer = true;
    if (at('.')) {
      out.integer = false;
      ++m_p;
      if (m_p == m_end || !is_digit(*m_p)) return false;
      skip_digits();
    }
    if (at('e') || at('E')) return false;
    const auto length = static_cast<std::size_t>(m_p - start);
    if (length > (out.integer ? k_longest_integer : k_longest_number)) return false;
    out.token = std::string_view(reinterpret_cast<const char*>(start), length);
    return true;
  }

  // Any number the parser accepts: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? whose value is
  // finite (the parser refuses 1e400). A value that underflows (1e-400) is left to the parser.
  bool skip_number() {
    const unsigned char* start = m_p;
    if (at('-')) ++m_p;
    if (at('0')) {
      ++m_p;
    } else if (m_p < m_end && *m_p >= '1' && *m_p <= '9') {
      skip_digits();
    } else {
      return false;
    }
    bool plain = true;  // no exponent
    if (at('.')) {
      ++m_p;
      if (m_p == m_end || !is_digit(*m_p)) return false;
      skip_digits();
    }
    if (at('e') || at('E')) {
      plain = false;
      ++m_p;
      if (at('+') || at('-')) ++m_p;
      if (m_p == m_end || !is_digit(*m_p)) return false;
      skip_digits();
    }
    const auto length = static_cast<std::size_t>(m_p - start);
    if (plain && length <= k_longest_number) return true;  // at most 10^300: finite
    double value = 0;
    const char* first = reinterpret_cast<const char*>(start);
    const char* last = reinterpret_cast<const char*>(m_p);
    const auto [end, error] = std::from_chars(first, last, value);
    return error == std::errc() && end == last;  // out of range: infinite, or underflowing
  }

  // Skips one value (nesting counted in m_depth, at most k_max_depth).
  bool skip_value() {
    if (at_end()) return false;
    switch (peek()) {
      case '{':
      case '[':
        return skip_container();
      case '"':
        return string(nullptr, nullptr, nullptr);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return skip_number();
    }
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(m_end - m_p) < word.size()) return false;
    if (std::string_view(reinterpret_cast<const char*>(m_p), word.size()) != word) return false;
    m_p += word.size();
    return true;
  }

  std::size_t m_depth = 0;  // nesting, for the readers' limit (k_max_depth)

 private:
  bool skip_container() {
    const bool object = at('{');
    const char close = object ? '}' : ']';
    skip();
    if (++m_depth > k_max_depth) return false;
    skip_space();
    if (!at(close)) {
      while (true) {
        skip_space();
        if (object) {
          if (!at('"') || !string(nullptr, nullptr, nullptr)) return false;
          skip_space();
          if (!at(':')) return false;
          skip();
          skip_space();
        }
        if (!skip_value()) return false;
        skip_space();
        if (!at(',')) break;
        skip();
      }
      if (!at(close)) return false;
    }
    skip();
    --m_depth;
    return true;
  }

  static constexpr std::size_t k_longest_integer = 18;  // with its sign: always fits 64 bits
  static constexpr std::size_t k_longest_number = 300;  // a number this long without exponent is finite

  static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
  void skip_digits() {
    while (m_p < m_end && is_digit(*m_p)) ++m_p;
  }

  // At '\\': appends the character it stands for to `out` (when given).
  bool escape(std::string* out) {
    ++m_p;
    if (m_p == m_end) return false;
    char plain = 0;
    switch (*m_p) {
      case '"': plain = '"'; break;
      case '\\': plain = '\\'; break;
      case '/': plain = '/'; break;
      case 'b': plain = '\b'; break;
      case 'f': plain = '\f'; break;
      case 'n': plain = '\n'; break;
      case 'r': plain = '\r'; break;
      case 't': plain = '\t'; break;
      case 'u': return unicode_escape(out);
      default: return false;
    }
    if (out != nullptr) *out += plain;
    ++m_p;
    return true;
  }

  // The value of the four hex digits at `p`, or 0x10000 when they are not four hex digits.
  unsigned hex4(const unsigned char* p) const {
    if (m_end - p < 4) return 0x10000;
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      const unsigned char h = p[i];
      const unsigned digit = h >= '0' && h <= '9'   ? h - '0'
                             : h >= 'a' && h <= 'f' ? h - 'a' + 10
                             : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                    : 16;
      if (digit == 16) return 0x10000;
      code = code * 16 + digit;
    }
    return code;
  }

  // At the 'u' of "\uXXXX".
  bool unicode_escape(std::string* out) {
    const unsigned code = hex4(m_p + 1);
    if (code > 0xFFFF) return false;
    if (code >= 0xD800 && code <= 0xDFFF) {
      // Surrogates: decoding leaves them to the parser; checking applies its rule, a high one
      // followed at once by the escape of a low one.
      if (out != nullptr || code >= 0xDC00) return false;
      if (m_end - m_p < 11 || m_p[5] != '\\' || m_p[6] != 'u') return false;
      const unsigned low = hex4(m_p + 7);
      if (low < 0xDC00 || low > 0xDFFF) return false;
      m_p += 11;
      return true;
    }
    if (out != nullptr) {
      if (code < 0x80) {
        *out += static_cast<char>(code);
      } else if (code < 0x800) {
        *out += static_cast<char>(0xC0 | (code >> 6));
        *out += static_cast<char>(0x80 | (code & 0x3F));
      } else {
        *out += static_cast<char>(0xE0 | (code >> 12));
        *out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        *out += static_cast<char>(0x80 | (code & 0x3F));
      }
    }
    m_p += 5;
    return true;
  }

  const unsigned char* m_p;
  const unsigned char* m_end;
};

}  // namespace ctg::events::detail
