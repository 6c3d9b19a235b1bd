#include "ctg/net/request_capture.hpp"

#include "ctg/net/http_client.hpp"

#include <charconv>

#include <fmt/format.h>

#include "ctg/core/text.hpp"

namespace ctg::net {

bool header_name_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (std::tolower(x) != std::tolower(y)) return false;
  }
  return true;
}

std::optional<std::string> CapturedRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (header_name_equals(key, name)) return value;
  return std::nullopt;
}

Result<CapturedRequest> parse_captured_request(std::string_view text) {
  CapturedRequest request;
  std::size_t pos = 0;
  std::size_t line_no = 0;
  bool ended = false;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    if (eol == std::string_view::npos) break;
    std::string_view line = text.substr(pos, eol - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    pos = eol + 1;
    ++line_no;
    if (line.empty()) {
      ended = true;
      break;
    }
    if (line_no == 1 && line.find(':') > line.find(' ')) {
      // A request line: METHOD SP target SP HTTP/x.y
      const auto parts = text::split(line, ' ');
      if (parts.size() >= 2 && !parts[0].empty() && parts.back().starts_with("HTTP/")) {
        request.method = std::string(parts[0]);
        request.target = std::string(parts[1]);
        continue;
      }
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fail(ErrorKind::invalid_input, fmt::format("line {} of the captured request is not a header: \"{}\"",
                                                        line_no, text::excerpt(line, 60)));
    }
    request.headers.emplace_back(std::string(text::trim(line.substr(0, colon))),
                                 std::string(text::trim(line.substr(colon + 1))));
  }
  if (!ended) {
    return fail(ErrorKind::invalid_input, "the captured request has no blank line between headers and body");
  }
  if (auto te = request.header("Transfer-Encoding"); te && te->find("chunked") != std::string::npos) {
    return fail(ErrorKind::invalid_input, "the captured request has a chunked body, which cannot be verified as saved",
                "save the decoded body to a file and pass it with --signature");
  }
  request.body = std::string(text.substr(pos));
  if (auto length = request.header("Content-Length")) {
    std::size_t n = 0;
    const auto* end = length->data() + length->size();
    auto [ptr, ec] = std::from_chars(length->data(), end, n);
    if (ec != std::errc() || ptr != end) {
      return fail(ErrorKind::invalid_input, fmt::format("Content-Length is not a number: \"{}\"", *length));
    }
    if (request.body.size() < n) {
      return fail(ErrorKind::invalid_input, fmt::format("the captured body has {} bytes but Content-Length says {}",
                                                        request.body.size(), n));
    }
    request.body.resize(n);
  }
  return request;
}

// Here, beside header_name_equals, rather than in http_client.cpp: code that only reads a
// Response (the journal view) then does not link the HTTP client.
std::optional<std::string> Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (header_name_equals(key, name)) return value;
  return std::nullopt;
}

}  // namespace ctg::net
