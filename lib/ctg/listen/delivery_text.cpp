#include "ctg/listen/delivery_text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/core/text.hpp"
#include "ctg/events/event.hpp"
#include "ctg/net/request_capture.hpp"

namespace ctg::listen {

std::string header_value(const store::Delivery& delivery, std::string_view name) {
  for (const auto& [key, value] : delivery.headers)
    if (net::header_name_equals(key, name)) return value;
  return {};
}

std::string to_http_request(const store::Delivery& delivery) {
  std::string out = fmt::format("{} {} HTTP/1.1\r\n", delivery.method.empty() ? "POST" : delivery.method,
                                delivery.path.empty() ? "/" : delivery.path);
  bool has_length = false;
  for (const auto& [name, value] : delivery.headers) {
    if (net::header_name_equals(name, "Transfer-Encoding")) continue;  // the body is stored decoded
    if (net::header_name_equals(name, "Content-Length")) {
      has_length = true;
      out += fmt::format("Content-Length: {}\r\n", delivery.body.size());
      continue;
    }
    out += fmt::format("{}: {}\r\n", name, value);
  }
  if (!has_length) out += fmt::format("Content-Length: {}\r\n", delivery.body.size());
  out += "\r\n";
  out += delivery.body;
  return out;
}

Result<std::string> to_fixture(const store::Delivery& delivery) {
  auto event = events::parse_event(delivery.body);
  if (!event) {
    return fail(ErrorKind::invalid_input,
                fmt::format("delivery {} is not an event: {}", delivery.id, event.error().message));
  }
  return text::json_terminal_safe(event->json().dump(2)) + "\n";
}

}  // namespace ctg::listen
