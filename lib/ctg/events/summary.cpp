// summarize(): one line per event for humans. Every value comes from untrusted JSON, so each
// lookup tolerates any shape, each quoted value goes through text::excerpt (line breaks become
// spaces) and the finished line through text::terminal_safe: it holds no control character, no
// bidirectional formatting character and no byte that is not UTF-8.
#include <string>

#include <fmt/format.h>

#include "ctg/core/text.hpp"
#include "ctg/events/event.hpp"
#include "ctg/events/json_text.hpp"

namespace ctg::events {

namespace {

using detail::Json;
using detail::string_member;

constexpr std::size_t k_max_line = 120;
constexpr std::string_view k_unknown = "?";
constexpr std::string_view k_arrow = "\xE2\x86\x92";  // U+2192 RIGHTWARDS ARROW

std::string_view or_unknown(std::string_view s) {
  return s.empty() ? k_unknown : s;
}

// A short single-line rendering of an untrusted string.
std::string clip(std::string_view s, std::size_t max_chars = 40) {
  return text::excerpt(or_unknown(s), max_chars);
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// How many code points of free text fit next to `used` fixed ones, keeping one for the ellipsis
// that marks a cut (at least 10).
std::size_t room_left(std::size_t used) {
  return used + 11 < k_max_line ? k_max_line - used - 1 : 10;
}

// `prefix "quoted"suffix`, with the quoted text shortened so that the line fits.
std::string with_quote(const std::string& prefix, std::string_view quoted, const std::string& suffix) {
  const std::size_t room = room_left(code_points(prefix) + code_points(suffix) + 3);
  return fmt::format("{} \"{}\"{}", prefix, text::excerpt(quoted, room), suffix);
}

std::string count_suffix(const Json& data, std::string_view key, std::string_view noun) {
  if (!data.is_object()) return {};
  const auto it = data.find(key);
  if (it == data.end() || !it->is_array() || it->empty()) return {};
  return fmt::format(" ({} {}{})", it->size(), noun, it->size() == 1 ? "" : "s");
}

// ---- per family ----------------------------------------------------------------------------------

std::string message_line(const Json& data, std::string_view text_key) {
  const std::string route =
      fmt::format("{} {} {}", clip(string_member(data, "from")), k_arrow, clip(string_member(data, "to")));
  const std::string suffix = count_suffix(data, "attachments", "attachment");
  const std::string_view body = string_member(data, text_key);
  if (body.empty()) return route + suffix;
  return with_quote(route, body, suffix);
}

std::string contact(const Json& value) {
  if (value.is_string()) return clip(value.get_ref<const std::string&>(), 60);
  const std::string_view name = string_member(value, "name");
  const std::string_view address = string_member(value, "address");
  if (!name.empty() && !address.empty()) return fmt::format("{} <{}>", clip(name, 30), clip(address, 50));
  if (!address.empty()) return clip(address, 60);
  return clip(string_member(value, "complete"), 60);
}

std::string email_line(const Json& data) {
  static const Json k_none;
  const Json* from = &k_none;
  if (data.is_object()) {
    if (const auto it = data.find("from"); it != data.end()) from = &*it;
  }
  const std::string prefix = fmt::format("email from {}:", contact(*from));
  const std::string suffix = count_suffix(data, "attachments", "attachment");
  const std::string_view subject = string_member(data, "subject");
  if (subject.empty()) return prefix + " (no subject)" + suffix;
  return with_quote(prefix, subject, suffix);
}

// The error code of an identity session, wherever the (undocumented) payload puts it.
std::string_view identity_error(const Json& data) {
  if (!data.is_object()) return {};
  for (std::string_view key : {"last_error", "error"}) {
    const auto it = data.find(key);
    if (it == data.end()) continue;
    if (it->is_string()) return it->get_ref<const std::string&>();
    if (auto code = string_member(*it, "code"); !code.empty()) return code;
  }
  for (std::string_view key : {"error_code", "code", "reason"}) {
    if (auto code = string_member(data, key); !code.empty()) return code;
  }
  return {};
}

std::string_view first_string(const Json& data, std::initializer_list<std::string_view> keys) {
  for (auto key : keys) {
    if (auto value = string_member(data, key); !value.empty()) return value;
  }
  return {};
}

std::string identity_line(const Json& data, std::string_view type) {
  if (type == "identity.verification_report.generated") {
    std::string line = "identity report";
    if (auto report = first_string(data, {"id", "verification_report", "report_id"}); !report.empty()) {
      line += " " + clip(report);
    }
    line += " generated";
    if (auto session = first_string(data, {"verification_session", "session_id"}); !session.empty()) {
      line += " for session " + clip(session);
    }
    return line;
  }
  std::string line = "identity session";
  if (auto session = first_string(data, {"id", "session_id", "verification_session"}); !session.empty()) {
    line += " " + clip(session);
  }
  std::string outcome(type.substr(type.rfind('.') + 1));
  for (auto& c : outcome) {
    if (c == '_') c = ' ';
  }
  line += " " + outcome;
  const std::string_view report = string_member(data, "verification_report");
  const std::string_view error = identity_error(data);
  if (type.ends_with(".verified") && !report.empty()) {
    line += fmt::format(" (report {})", clip(report));
  } else if (!error.empty() && !type.ends_with(".verified") && !type.ends_with(".manually_approved")) {
    line += fmt::format(": {}", clip(error, 60));
  }
  return line;
}

std::string line_for(const Event& event) {
  const Json& data = event.data();
  const std::string& type = event.type();
  if (event.known_type() == nullptr) {
    std::string line = fmt::format("unknown type \"{}\"", text::excerpt(type, 60));
    if (!event.id().empty()) line += fmt::format(" ({})", clip(event.id()));
    return line;
  }
  if (event.format() == Format::legacy_v1) return message_line(data, "message");
  if (type == "email.incoming" || type == "communications.incoming.email") return email_line(data);
  if (type == "text.delivery.confirmed") {
    return fmt::format("delivered to {} ({})", clip(string_member(data, "to")),
                       clip(string_member(data, "message_id")));
  }
  if (type == "text.delivery.failed") {
    const std::string prefix = fmt::format("delivery failed to {}: ", clip(string_member(data, "to")));
    const std::string suffix = fmt::format(" ({})", clip(string_member(data, "message_id")));
    const std::size_t room = room_left(code_points(prefix) + code_points(suffix));
    return prefix + clip(string_member(data, "error"), room) + suffix;
  }
  if (type == "numbers.substitution") {
    return fmt::format("sent from {} instead of {}: {} ({})", clip(string_member(data, "used_number")),
                       clip(string_member(data, "original_number")), clip(string_member(data, "reason"), 40),
                       clip(string_member(data, "message_id")));
  }
  if (type == "otp.reverse.verified") {
    return fmt::format("OTP {} {} for {}", clip(string_member(data, "otp_id")), clip(string_member(data, "status")),
                       clip(string_member(data, "number")));
  }
  if (type.starts_with("identity.")) return identity_line(data, type);
  return message_line(data, "body");  // texts, iMessage, WhatsApp
}

}  // namespace

std::string summarize(const Event& event) {
  std::string line = text::terminal_safe(line_for(event));
  if (code_points(line) > k_max_line) line = text::excerpt(line, k_max_line - 1);
  return line;
}

}  // namespace ctg::events
