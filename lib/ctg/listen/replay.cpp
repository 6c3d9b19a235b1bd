#include "ctg/listen/replay.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/events/event.hpp"
#include "ctg/net/request_capture.hpp"
#include "ctg/signing/signature.hpp"

namespace ctg::listen {

std::string header_value(const store::Delivery& delivery, std::string_view name) {
  for (const auto& [key, value] : delivery.headers)
    if (net::header_name_equals(key, name)) return value;
  return {};
}

ReplayResult replay(const store::Delivery& delivery, net::Client& client, const std::string& target,
                    const ReplayOptions& options) {
  ReplayResult result{delivery.id, {}, std::unexpected(net::Failure{})};
  net::HeaderList headers;
  result.signature = options.resign_secret
                         ? signing::sign(*options.resign_secret, options.now, delivery.body)
                         : header_value(delivery, signing::k_header_name);
  if (!result.signature.empty()) headers.emplace_back(std::string(signing::k_header_name), result.signature);
  headers.emplace_back("X-Ctg-Replay", std::to_string(delivery.id));
  for (const auto& h : options.extra_headers) headers.push_back(h);
  std::string content_type = header_value(delivery, "Content-Type");
  if (content_type.empty()) content_type = "application/json";
  result.outcome = client.send("POST", target, headers, delivery.body, content_type);
  return result;
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
  return event->json().dump(2) + "\n";
}

}  // namespace ctg::listen
