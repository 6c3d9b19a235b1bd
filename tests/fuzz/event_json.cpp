// Fuzz target: an event body, read every way ctg reads one (lib/ctg/events/event.hpp and
// json_text.hpp), each against the other and against nlohmann::ordered_json::parse, the reference.
//
// The input is a request body. Checks:
//   - read_event_head(x) agrees with parse_event(x): both accept with the same format, id, type,
//     timestamp and api_version, or both refuse with the same kind and message;
//   - detail::parse_plain_json(x), when it returns a document (it may give up), returns what
//     ordered_json::parse(x) returns: == and the same dump();
//   - detail::parse_json_with_nlohmann(x) returns what ordered_json::parse(x) returns (== and
//     dump()), or throws when it throws, an exception of the same type with the same what();
//   - detail::parse_json(x) accepts exactly when ordered_json::parse(x) does, with the same
//     document, except that nesting deeper than k_max_depth (detail::nesting_depth) is refused
//     with "JSON nested deeper than 64 levels" whatever nlohmann says;
//   - an accepted event's summarize() line and text::terminal_safe() of the body hold nothing a
//     terminal acts on (C0 and C1 controls, DEL, bidirectional formatting characters, line and
//     paragraph separators, bytes that are not UTF-8), and json_terminal_safe() of the parsed
//     document's dump() parses back to the same document.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ctg/core/text.hpp"
#include "ctg/events/event.hpp"
#include "ctg/events/json_text.hpp"
#include "fuzz_support.hpp"

namespace {

using ctg::fuzz::check;
using Json = nlohmann::ordered_json;
namespace events = ctg::events;
namespace detail = ctg::events::detail;

// What ordered_json::parse(x) gives: the document, or the exception's type and what().
struct Reference {
  std::optional<Json> document;
  std::string error_type;
  std::string error_what;
};

template <class Parse>
Reference run_parser(Parse parse) {
  Reference out;
  try {
    out.document = parse();
  } catch (const Json::parse_error& e) {
    out.error_type = "parse_error";
    out.error_what = e.what();
  } catch (const Json::out_of_range& e) {
    out.error_type = "out_of_range";
    out.error_what = e.what();
  } catch (const Json::exception& e) {
    out.error_type = "exception";
    out.error_what = e.what();
  }
  return out;
}

void check_same_document(const Json& a, const Json& b, std::string_view what) {
  check(a == b, what);
  check(a.dump() == b.dump(), what);
}

// The code point of the UTF-8 sequence at `s[i]` and its length, or nullopt when not valid UTF-8.
std::optional<std::pair<std::uint32_t, std::size_t>> code_point_at(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  std::uint32_t cp = 0;
  if (lead < 0x80) return std::pair{std::uint32_t{lead}, std::size_t{1}};
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    cp = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    cp = lead & 0x0Fu;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    cp = lead & 0x07u;
  } else {
    return std::nullopt;
  }
  if (i + length > s.size()) return std::nullopt;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  const bool overlong = (length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000);
  if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  return std::pair{cp, length};
}

// Whether a terminal would act on `cp` (text::terminal_safe's rule).
bool acts_on_terminal(std::uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

void check_terminal_safe(std::string_view s, std::string_view what) {
  for (std::size_t i = 0; i < s.size();) {
    const auto cp = code_point_at(s, i);
    check(cp.has_value(), what);
    check(!acts_on_terminal(cp->first), what);
    i += cp->second;
  }
}

void check_event(std::string_view body) {
  const auto head = events::read_event_head(body);
  const auto event = events::parse_event(std::string(body));
  check(head.has_value() == event.has_value(), "read_event_head() and parse_event() accept the same bodies");
  if (!event) {
    check(head.error().kind == event.error().kind && head.error().message == event.error().message,
          "read_event_head() and parse_event() refuse with the same message");
    check_terminal_safe(event.error().message, "parse_event()'s message is safe for a terminal");
    return;
  }
  check(head->format == event->format() && head->id == event->id() && head->type == event->type() &&
            head->timestamp == event->timestamp() && head->api_version == event->api_version(),
        "read_event_head() and parse_event() read the same envelope");
  check(event->raw() == body, "parse_event() keeps the raw bytes");
  check_terminal_safe(events::summarize(*event), "summarize() is safe for a terminal");
  (void)events::strict_issues(*event);
  const std::string dumped = event->json().dump(-1, ' ', false, Json::error_handler_t::replace);
  const auto shown = ctg::text::json_terminal_safe(dumped);
  check_terminal_safe(shown, "json_terminal_safe() is safe for a terminal");
  check(Json::parse(shown) == event->json(), "json_terminal_safe() keeps the document");
}

void check_json(std::string_view bytes) {
  const std::size_t depth = detail::nesting_depth(bytes, events::k_max_depth);
  const auto parsed = detail::parse_json(bytes, ctg::ErrorKind::invalid_input);
  if (const auto plain = detail::parse_plain_json(bytes)) {
    check(depth <= events::k_max_depth, "parse_plain_json() gives up beyond k_max_depth");
    const Reference reference = run_parser([&] { return Json::parse(bytes); });
    check(reference.document.has_value(), "parse_plain_json() accepts only what nlohmann accepts");
    check_same_document(*plain, *reference.document, "parse_plain_json() builds what nlohmann builds");
  }
  if (depth > events::k_max_depth) {
    check(!parsed && parsed.error().message == "JSON nested deeper than 64 levels",
          "parse_json() refuses nesting beyond k_max_depth");
    return;
  }
  const Reference reference = run_parser([&] { return Json::parse(bytes); });
  const Reference mine = run_parser([&] { return detail::parse_json_with_nlohmann(bytes); });
  check(mine.document.has_value() == reference.document.has_value(),
        "parse_json_with_nlohmann() accepts what Json::parse() accepts");
  if (reference.document) {
    check_same_document(*mine.document, *reference.document, "parse_json_with_nlohmann() builds what Json::parse() builds");
  } else {
    check(mine.error_type == reference.error_type && mine.error_what == reference.error_what,
          "parse_json_with_nlohmann() throws what Json::parse() throws");
  }
  check(parsed.has_value() == reference.document.has_value(), "parse_json() accepts what nlohmann accepts");
  if (parsed) {
    check_same_document(*parsed, *reference.document, "parse_json() builds what nlohmann builds");
  } else {
    check(!parsed.error().message.empty() && parsed.error().kind == ctg::ErrorKind::invalid_input,
          "parse_json() says why, with the kind it was given");
    check_terminal_safe(parsed.error().message, "parse_json()'s message is safe for a terminal");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto body = ctg::fuzz::as_text(data, size);
  check_json(body);
  check_event(body);
  check_terminal_safe(ctg::text::terminal_safe(body), "terminal_safe() is safe for a terminal");
  return 0;
}
