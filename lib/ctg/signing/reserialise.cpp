// reserialise_json(): nlohmann's parse-then-dump, as one pass over the text. The reading accepts
// exactly what nlohmann's lexer and parser accept (RFC 8259 with RFC 3629 UTF-8, a byte order mark
// skipped); the writing follows its serializer (serializer.hpp: dump, dump_escaped, and to_chars
// for doubles, called here so that every double prints as dump() prints it).
#include "ctg/signing/reserialise.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctg/core/text.hpp"

namespace ctg::signing::detail {

namespace {

constexpr std::size_t k_max_depth = 64;           // as verify()'s other diagnoses
constexpr std::size_t k_piece_bytes = 16 * 1024;  // what the sink gets at a time
constexpr std::size_t k_indent_step = 2;
const std::string k_spaces(k_max_depth* k_indent_step, ' ');

// The output: pieces of about k_piece_bytes to the sink, never more than `max` bytes in all.
class Writer {
 public:
  Writer(std::size_t max, const std::function<void(std::string_view)>& sink)
      : m_max(max), m_sink(sink), m_buffer(k_piece_bytes) {}

  // False once the output would exceed the cap (nothing more is written).
  bool put(std::string_view bytes) {
    if (bytes.size() > m_max - m_total) {
      m_too_large = true;
      return false;
    }
    m_total += bytes.size();
    if (bytes.size() > k_piece_bytes - m_used) {
      flush();
      if (bytes.size() >= k_piece_bytes) {
        m_sink(bytes);  // long: passed on as it is
        return true;
      }
    }
    std::memcpy(m_buffer.data() + m_used, bytes.data(), bytes.size());
    m_used += bytes.size();
    return true;
  }

  void flush() {
    if (m_used == 0) return;
    m_sink(std::string_view(m_buffer.data(), m_used));
    m_used = 0;
  }

  bool too_large() const { return m_too_large; }

 private:
  std::size_t m_max;
  const std::function<void(std::string_view)>& m_sink;
  std::vector<char> m_buffer;
  std::size_t m_used = 0;  // bytes of m_buffer not yet passed on
  std::size_t m_total = 0;
  bool m_too_large = false;
};

// The decoded keys of one object, to find a repeated one when the object ends.
class Keys {
 public:
  void clear() {
    m_text.clear();
    m_ends.clear();
  }
  std::string& text() { return m_text; }  // the keys so far, one after the other
  void end_key() { m_ends.push_back(m_text.size()); }

  // True when two keys are equal: through a hash table at most half full, in linear time; keys
  // chosen to collide in it (beyond a linear budget of probes) are sorted instead, in O(n log n)
  // comparisons whatever they are.
  bool any_repeated() const {
    const std::size_t count = m_ends.size();
    if (count < 2) return false;
    if (count >= UINT32_MAX / 4) return sorted_keys_repeat();
    constexpr std::uint32_t k_empty = UINT32_MAX;
    const std::size_t slots = std::bit_ceil(2 * count);
    std::vector<std::uint32_t> table(slots, k_empty);
    std::size_t probes_left = 4 * count;
    for (std::size_t i = 0; i < count; ++i) {
      const std::string_view key = this->key(i);
      std::size_t slot = std::hash<std::string_view>{}(key) & (slots - 1);
      while (table[slot] != k_empty) {
        if (this->key(table[slot]) == key) return true;
        if (probes_left-- == 0) return sorted_keys_repeat();
        slot = (slot + 1) & (slots - 1);
      }
      table[slot] = static_cast<std::uint32_t>(i);
    }
    return false;
  }

 private:
  std::string_view key(std::size_t i) const {
    const std::size_t start = i == 0 ? 0 : m_ends[i - 1];
    return std::string_view(m_text).substr(start, m_ends[i] - start);
  }

  bool sorted_keys_repeat() const {
    std::vector<std::string_view> keys;
    keys.reserve(m_ends.size());
    for (std::size_t i = 0; i < m_ends.size(); ++i) keys.push_back(key(i));
    std::sort(keys.begin(), keys.end());
    return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
  }

  std::string m_text;
  std::vector<std::size_t> m_ends;  // where each key ends in m_text
};

// Writes the UTF-8 encoding of `code` (at most U+10FFFF, not a surrogate) to `out`; returns its length.
std::size_t encode_utf8(std::uint32_t code, std::array<char, 4>& out) {
  if (code < 0x80) {
    out[0] = static_cast<char>(code);
    return 1;
  }
  if (code < 0x800) {
    out[0] = static_cast<char>(0xC0 | (code >> 6));
    out[1] = static_cast<char>(0x80 | (code & 0x3F));
    return 2;
  }
  if (code < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (code >> 12));
    out[1] = static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (code & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (code >> 18));
  out[1] = static_cast<char>(0x80 | ((code >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((code >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (code & 0x3F));
  return 4;
}

class Reserialiser {
 public:
  Reserialiser(std::string_view body, JsonLayout layout, std::size_t max_output,
               const std::function<void(std::string_view)>& sink)
      : m_p(reinterpret_cast<const unsigned char*>(body.data())),
        m_end(m_p + body.size()),
        m_indented(layout == JsonLayout::indented),
        m_out(max_output, sink),
        m_keys(k_max_depth) {}

  Reserialised run() {
    if (at(0xEF)) {  // the parser skips a byte order mark, and refuses anything else starting so
      if (m_end - m_p < 3 || m_p[1] != 0xBB || m_p[2] != 0xBF) return Reserialised::refused;
      m_p += 3;
    }
    skip_space();
    const bool whole = value(0) && (skip_space(), m_p == m_end);
    if (!whole) return m_out.too_large() ? Reserialised::too_large : Reserialised::refused;
    m_out.flush();
    return Reserialised::done;
  }

 private:
  bool at(unsigned char c) const { return m_p < m_end && *m_p == c; }
  bool put(std::string_view bytes) { return m_out.put(bytes); }

  void skip_space() {
    while (m_p < m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t')) ++m_p;
  }

  // Before a member or element at `depth` (and before the closing bracket, one level up).
  bool line_break(std::size_t depth) {
    if (!m_indented) return true;
    return put("\n") && put(std::string_view(k_spaces).substr(0, depth * k_indent_step));
  }

  // A value whose enclosing containers number `depth`.
  bool value(std::size_t depth) {
    if (m_p == m_end) return false;
    switch (*m_p) {
      case '{':
        return container(depth, '}');
      case '[':
        return container(depth, ']');
      case '"':
        return string(nullptr);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }

  bool container(std::size_t depth, char close) {
    if (depth + 1 > k_max_depth) return false;
    const bool object = close == '}';
    const char open = object ? '{' : '[';
    ++m_p;
    skip_space();
    if (at(static_cast<unsigned char>(close))) {  // empty: "{}" and "[]" in both layouts
      ++m_p;
      const char empty[2] = {open, close};
      return put(std::string_view(empty, 2));
    }
    if (!put(std::string_view(&open, 1))) return false;
    Keys* keys = object ? &m_keys[depth] : nullptr;
    if (keys != nullptr) keys->clear();
    while (true) {
      if (!line_break(depth + 1)) return false;
      if (object) {
        if (!at('"') || !string(keys)) return false;
        skip_space();
        if (!at(':')) return false;
        ++m_p;
        skip_space();
        if (!put(m_indented ? ": " : ":")) return false;
      }
      if (!value(depth + 1)) return false;
      skip_space();
      if (!at(',')) break;
      ++m_p;
      skip_space();
      if (!put(",")) return false;
    }
    if (!at(static_cast<unsigned char>(close))) return false;
    ++m_p;
    if (keys != nullptr && keys->any_repeated()) return false;  // the parser would merge them: not mimicked
    return line_break(depth) && put(std::string_view(&close, 1));
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(m_end - m_p) < word.size()) return false;
    if (std::string_view(reinterpret_cast<const char*>(m_p), word.size()) != word) return false;
    m_p += word.size();
    return put(word);
  }

  // At '"'. `keys`: where the decoded text goes when the string is a key.
  bool string(Keys* keys) {
    ++m_p;
    if (!put("\"")) return false;
    const unsigned char* run = m_p;  // bytes copied as they are, not yet written
    auto write_run = [&] {
      const std::string_view bytes(reinterpret_cast<const char*>(run), static_cast<std::size_t>(m_p - run));
      if (keys != nullptr) keys->text() += bytes;
      return put(bytes);
    };
    while (m_p < m_end) {
      const unsigned char c = *m_p;
      if (c == '"') {
        if (!write_run()) return false;
        ++m_p;
        if (keys != nullptr) keys->end_key();
        return put("\"");
      }
      if (c == '\\') {
        if (!write_run() || !escape(keys)) return false;
        run = m_p;
        continue;
      }
      if (c < 0x20) return false;  // control characters must be escaped
      if (c < 0x80) {
        ++m_p;
        continue;
      }
      const std::size_t length = text::utf8_sequence_length(m_p, m_end);
      if (length == 0) return false;
      m_p += length;
    }
    return false;  // unterminated
  }

  // At '\\': the character it stands for, written as dump() writes it.
  bool escape(Keys* keys) {
    ++m_p;
    if (m_p == m_end) return false;
    std::uint32_t code = 0;
    if (*m_p == 'u') {
      if (!unicode_escape(code)) return false;
    } else {
      switch (*m_p) {
        case '"':
          code = '"';
          break;
        case '\\':
          code = '\\';
          break;
        case '/':
          code = '/';
          break;
        case 'b':
          code = '\b';
          break;
        case 'f':
          code = '\f';
          break;
        case 'n':
          code = '\n';
          break;
        case 'r':
          code = '\r';
          break;
        case 't':
          code = '\t';
          break;
        default:
          return false;
      }
      ++m_p;
    }
    std::array<char, 4> utf8{};
    const std::string_view decoded(utf8.data(), encode_utf8(code, utf8));
    if (keys != nullptr) keys->text() += decoded;
    return write_character(code, decoded);
  }

  // At the 'u' of "\uXXXX" (and of a low surrogate's escape after a high one); moves past them.
  bool unicode_escape(std::uint32_t& code) {
    const auto four_hex = [&](const unsigned char* p) -> std::optional<std::uint32_t> {
      if (m_end - p < 4) return std::nullopt;
      std::uint32_t value = 0;
      for (int i = 0; i < 4; ++i) {
        const unsigned char h = p[i];
        const std::uint32_t digit = h >= '0' && h <= '9'   ? h - '0'
                                    : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                    : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                           : 16;
        if (digit == 16) return std::nullopt;
        value = value * 16 + digit;
      }
      return value;
    };
    const auto high = four_hex(m_p + 1);
    if (!high) return false;
    m_p += 5;
    if (*high >= 0xDC00 && *high <= 0xDFFF) return false;  // a low surrogate alone
    if (*high < 0xD800 || *high > 0xDBFF) {
      code = *high;
      return true;
    }
    if (m_end - m_p < 2 || m_p[0] != '\\' || m_p[1] != 'u') return false;
    const auto low = four_hex(m_p + 2);
    if (!low || *low < 0xDC00 || *low > 0xDFFF) return false;
    m_p += 6;
    code = 0x10000 + ((*high - 0xD800) << 10) + (*low - 0xDC00);
    return true;
  }

  // One decoded character of a string (`code`, `utf8`), as dump_escaped() writes it with
  // ensure_ascii false.
  bool write_character(std::uint32_t code, std::string_view utf8) {
    switch (code) {
      case '\b':
        return put("\\b");
      case '\t':
        return put("\\t");
      case '\n':
        return put("\\n");
      case '\f':
        return put("\\f");
      case '\r':
        return put("\\r");
      case '"':
        return put("\\\"");
      case '\\':
        return put("\\\\");
      default:
        break;
    }
    if (code <= 0x1F) {
      static constexpr std::string_view k_hex = "0123456789abcdef";
      const std::array<char, 6> escaped{'\\', 'u', '0', '0', k_hex[code >> 4], k_hex[code & 0xF]};
      return put(std::string_view(escaped.data(), escaped.size()));
    }
    return put(utf8);
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? as the parser keeps it: an integer that fits 64
  // bits (unsigned when not negative) printed as such, anything else as the nearest double.
  bool number() {
    const unsigned char* start = m_p;
    const bool negative = at('-');
    if (negative) ++m_p;
    if (at('0')) {
      ++m_p;
    } else if (m_p < m_end && *m_p >= '1' && *m_p <= '9') {
      skip_digits();
    } else {
      return false;
    }
    bool integer = true;
    if (at('.')) {
      integer = false;
      ++m_p;
      if (!at_digit()) return false;
      skip_digits();
    }
    if (at('e') || at('E')) {
      integer = false;
      ++m_p;
      if (at('+') || at('-')) ++m_p;
      if (!at_digit()) return false;
      skip_digits();
    }
    const char* first = reinterpret_cast<const char*>(start);
    const char* last = reinterpret_cast<const char*>(m_p);
    const std::string_view token(first, static_cast<std::size_t>(last - first));
    if (integer && !negative) {
      std::uint64_t value = 0;
      const auto [end, error] = std::from_chars(first, last, value);
      if (error == std::errc() && end == last) return put(token);  // no leading zeros: canonical
    } else if (integer) {
      std::int64_t value = 0;
      const auto [end, error] = std::from_chars(first, last, value);
      if (error == std::errc() && end == last) return put(value == 0 ? std::string_view("0") : token);  // "-0"
    }
    // Correctly rounded as the parser's strtod; out of range is the parser's error when the value
    // overflows, and a value this does not reproduce with certainty when it underflows.
    double value = 0;
    const auto [end, error] = std::from_chars(first, last, value);
    if (error != std::errc() || end != last || !std::isfinite(value)) return false;
    std::array<char, 64> text{};
    const char* text_end = nlohmann::detail::to_chars(text.data(), text.data() + text.size(), value);
    return put(std::string_view(text.data(), static_cast<std::size_t>(text_end - text.data())));
  }

  bool at_digit() const { return m_p < m_end && *m_p >= '0' && *m_p <= '9'; }
  void skip_digits() {
    while (at_digit()) ++m_p;
  }

  const unsigned char* m_p;
  const unsigned char* m_end;
  bool m_indented;
  Writer m_out;
  std::vector<Keys> m_keys;  // per depth, reused by the objects met there one after the other
};

}  // namespace

Reserialised reserialise_json(std::string_view body, JsonLayout layout, std::size_t max_output,
                              const std::function<void(std::string_view)>& sink) {
  return Reserialiser(body, layout, max_output, sink).run();
}

}  // namespace ctg::signing::detail
