// read_event_head(): the envelope of an event in one scan of its bytes, for the receiver's hot
// path. The scan is sound, not complete: it accepts only bodies that parse_event() accepts, and
// reads from them the envelope parse_event() would; whatever it is not sure of (an error, an
// escape in an envelope string or a top-level key, a surrogate escape, an exponent, a long
// number, legacy v1, a repeated envelope field) goes to parse_event(), whose outcome is final.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "ctg/events/event.hpp"
#include "ctg/events/json_text.hpp"

namespace ctg::events {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, at
// most U+10FFFF) starting with a byte >= 0x80 at `p`; 0 when it is not one.
std::size_t utf8_sequence(const unsigned char* p, const unsigned char* end) {
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

class Scanner {
 public:
  explicit Scanner(std::string_view bytes)
      : m_p(reinterpret_cast<const unsigned char*>(bytes.data())), m_end(m_p + bytes.size()) {}

  // The envelope of a plain body; nullopt when parse_event() must decide.
  std::optional<EventHead> scan() {
    skip_space();
    if (!at('{')) return std::nullopt;
    ++m_p;
    m_depth = 1;
    EventHead head;
    bool has_id = false, has_type = false, has_timestamp = false, has_api_version = false, has_data = false;
    bool has_message = false, has_crumbs = false;
    skip_space();
    if (at('}')) return std::nullopt;  // no id: an error
    while (true) {
      skip_space();
      std::string_view key;
      bool escaped = false;
      if (!at('"') || !string(&key, &escaped) || escaped) return std::nullopt;
      skip_space();
      if (!at(':')) return std::nullopt;
      ++m_p;
      skip_space();
      auto once = [](bool& seen) { return !std::exchange(seen, true); };
      if (key == "id" || key == "type") {
        auto& seen = key == "id" ? has_id : has_type;
        std::string_view value;
        if (!once(seen) || !at('"') || !string(&value, &escaped) || escaped) return std::nullopt;
        (key == "id" ? head.id : head.type) = std::string(value);
      } else if (key == "timestamp") {
        bool integer = false;
        std::string_view token;
        if (!once(has_timestamp) || !number(&integer, &token) || !integer || token[0] == '-') return std::nullopt;
        std::int64_t seconds = 0;
        for (const char c : token) seconds = seconds * 10 + (c - '0');  // at most 18 digits: no overflow
        head.timestamp = seconds;
      } else if (key == "api_version") {
        if (!once(has_api_version)) return std::nullopt;
        if (at('"')) {
          std::string_view value;
          if (!string(&value, &escaped) || escaped) return std::nullopt;
          head.api_version = std::string(value);
        } else if (!value()) {  // not a string: no api_version, and no error either
          return std::nullopt;
        }
      } else if (key == "data") {
        if (!once(has_data) || !at('{') || !value()) return std::nullopt;
      } else {
        if ((key == "message" && !once(has_message)) || (key == "crumbs" && !once(has_crumbs))) return std::nullopt;
        if (!value()) return std::nullopt;
      }
      skip_space();
      if (at(',')) {
        ++m_p;
        continue;
      }
      if (!at('}')) return std::nullopt;
      ++m_p;
      break;
    }
    skip_space();
    if (m_p != m_end) return std::nullopt;
    if (!has_id || !has_type || !has_timestamp || head.type.empty()) return std::nullopt;
    return head;
  }

 private:
  // Deeper than this is refused by parse_event() (events::k_max_depth).
  static constexpr std::size_t k_depth_limit = k_max_depth;
  // Longer number tokens might not fit the parser's integers or doubles.
  static constexpr std::size_t k_longest_integer = 18;
  static constexpr std::size_t k_longest_number = 300;

  bool at(char c) const { return m_p < m_end && *m_p == static_cast<unsigned char>(c); }

  void skip_space() {
    while (m_p < m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t')) ++m_p;
  }

  bool value() {
    if (m_p == m_end) return false;
    switch (*m_p) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string(nullptr, nullptr);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default: {
        bool integer = false;
        std::string_view token;
        return number(&integer, &token);
      }
    }
  }

  bool object() {
    ++m_p;
    if (++m_depth > k_depth_limit) return false;
    skip_space();
    if (at('}')) {
      ++m_p;
      --m_depth;
      return true;
    }
    while (true) {
      skip_space();
      if (!at('"') || !string(nullptr, nullptr)) return false;
      skip_space();
      if (!at(':')) return false;
      ++m_p;
      skip_space();
      if (!value()) return false;
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

  bool array() {
    ++m_p;
    if (++m_depth > k_depth_limit) return false;
    skip_space();
    if (at(']')) {
      ++m_p;
      --m_depth;
      return true;
    }
    while (true) {
      skip_space();
      if (!value()) return false;
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

  // At '"'. `content`: the bytes between the quotes, escapes undecoded; `escaped`: it has any.
  bool string(std::string_view* content, bool* escaped) {
    const unsigned char* start = ++m_p;
    bool any_escape = false;
    while (m_p < m_end) {
      const unsigned char c = *m_p;
      if (c == '"') {
        if (content != nullptr) {
          *content = std::string_view(reinterpret_cast<const char*>(start), static_cast<std::size_t>(m_p - start));
        }
        if (escaped != nullptr) *escaped = any_escape;
        ++m_p;
        return true;
      }
      if (c == '\\') {
        any_escape = true;
        if (!escape()) return false;
        continue;
      }
      if (c < 0x20) return false;  // control characters must be escaped
      if (c < 0x80) {
        ++m_p;
        continue;
      }
      const std::size_t length = utf8_sequence(m_p, m_end);
      if (length == 0) return false;
      m_p += length;
    }
    return false;  // unterminated
  }

  // At '\\'.
  bool escape() {
    ++m_p;
    if (m_p == m_end) return false;
    switch (*m_p) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        ++m_p;
        return true;
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
        if (code >= 0xD800 && code <= 0xDFFF) return false;  // surrogates: pairing rules are the parser's
        m_p += 5;
        return true;
      }
      default:
        return false;
    }
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)? ; exponents are left to the parser (range).
  bool number(bool* integer, std::string_view* token) {
    const unsigned char* start = m_p;
    if (at('-')) ++m_p;
    if (m_p == m_end) return false;
    if (*m_p == '0') {
      ++m_p;
    } else if (*m_p >= '1' && *m_p <= '9') {
      while (m_p < m_end && is_digit(static_cast<char>(*m_p))) ++m_p;
    } else {
      return false;
    }
    *integer = true;
    if (at('.')) {
      *integer = false;
      ++m_p;
      if (m_p == m_end || !is_digit(static_cast<char>(*m_p))) return false;
      while (m_p < m_end && is_digit(static_cast<char>(*m_p))) ++m_p;
    }
    if (at('e') || at('E')) return false;
    const auto length = static_cast<std::size_t>(m_p - start);
    if (length > (*integer ? k_longest_integer : k_longest_number)) return false;
    *token = std::string_view(reinterpret_cast<const char*>(start), length);
    return true;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(m_end - m_p) < word.size()) return false;
    if (std::string_view(reinterpret_cast<const char*>(m_p), word.size()) != word) return false;
    m_p += word.size();
    return true;
  }

  const unsigned char* m_p;
  const unsigned char* m_end;
  std::size_t m_depth = 0;
};

}  // namespace

std::optional<EventHead> detail::scan_event_head(std::string_view raw) {
  return Scanner(raw).scan();
}

Result<EventHead> read_event_head(std::string_view raw) {
  if (auto head = detail::scan_event_head(raw)) return std::move(*head);
  auto event = parse_event(std::string(raw));
  if (!event) return std::unexpected(std::move(event.error()));
  return EventHead{event->format(), event->id(), event->type(), event->timestamp(), event->api_version()};
}

}  // namespace ctg::events
