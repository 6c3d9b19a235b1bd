// read_event_head(): the envelope of an event in one scan of its bytes, for the receiver's hot
// path. The scan is sound, not complete: it accepts only bodies that parse_event() accepts, and
// reads from them the envelope parse_event() would; whatever it is not sure of (an error, an
// escape in an envelope string or a top-level key, a timestamp that is not a short integer, a
// number that underflows, legacy v1, a repeated envelope field) goes to parse_event(), whose
// outcome is final. Exponents, long numbers and surrogate pairs in the values it skips are checked
// as the parser checks them, so that one of them in a large body costs no second pass. Linear in
// the bytes: each is looked at once, and each top-level key compared with the five envelope names.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "ctg/events/event.hpp"
#include "ctg/events/json_cursor.hpp"
#include "ctg/events/json_text.hpp"

namespace ctg::events {

namespace {

class Scanner : detail::JsonCursor {
 public:
  using JsonCursor::JsonCursor;

  // The envelope of a plain body; nullopt when parse_event() must decide.
  std::optional<EventHead> scan() {
    skip_space();
    if (!at('{')) return std::nullopt;
    skip();
    m_depth = 1;
    EventHead head;
    bool has_id = false, has_type = false, has_timestamp = false, has_api_version = false, has_data = false;
    bool has_message = false, has_crumbs = false;
    auto once = [](bool& seen) { return !std::exchange(seen, true); };
    // A string without escapes, as the parser would decode it.
    auto plain_string = [&](std::string& out) {
      std::string_view raw;
      bool escaped = false;
      if (!at('"') || !string(&raw, &escaped, nullptr) || escaped) return false;
      out = std::string(raw);
      return true;
    };
    skip_space();
    if (at('}')) return std::nullopt;  // no id: an error
    while (true) {
      skip_space();
      std::string key;
      if (!plain_string(key)) return std::nullopt;
      skip_space();
      if (!at(':')) return std::nullopt;
      skip();
      skip_space();
      if (key == "id") {
        if (!once(has_id) || !plain_string(head.id)) return std::nullopt;
      } else if (key == "type") {
        if (!once(has_type) || !plain_string(head.type)) return std::nullopt;
      } else if (key == "timestamp") {
        Number number;
        if (!once(has_timestamp) || !JsonCursor::number(number) || !number.integer || number.negative) return std::nullopt;
        std::int64_t seconds = 0;
        for (const char c : number.token) seconds = seconds * 10 + (c - '0');  // at most 18 digits
        head.timestamp = seconds;
      } else if (key == "api_version") {
        if (!once(has_api_version)) return std::nullopt;
        if (at('"') ? !plain_string(head.api_version) : !skip_value()) return std::nullopt;  // not a string: no api_version
      } else if (key == "data") {
        if (!once(has_data) || !at('{') || !skip_value()) return std::nullopt;
      } else {
        if ((key == "message" && !once(has_message)) || (key == "crumbs" && !once(has_crumbs))) return std::nullopt;
        if (!skip_value()) return std::nullopt;
      }
      skip_space();
      if (at(',')) {
        skip();
        continue;
      }
      if (!at('}')) return std::nullopt;
      skip();
      break;
    }
    skip_space();
    if (!at_end()) return std::nullopt;
    if (!has_id || !has_type || !has_timestamp || head.type.empty()) return std::nullopt;
    return head;
  }
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
