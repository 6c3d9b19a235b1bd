// ctg::net — an HTTP/1.x request saved as text (what `nc -l`, a proxy log or `ctg events show
// --raw` gives): request line, headers, blank line, body. Used to verify a captured delivery.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctg/core/error.hpp"

namespace ctg::net {

struct CapturedRequest {
  std::string method;  // "POST"; empty when the capture starts with headers
  std::string target;  // "/contiguity/webhook"
  std::vector<std::pair<std::string, std::string>> headers;  // in order, values trimmed
  std::string body;    // the exact bytes after the blank line (cut to Content-Length if shorter)

  // The first header named `name`, compared case-insensitively.
  std::optional<std::string> header(std::string_view name) const;
};

// Accepts CRLF or LF line endings; the request line is optional. Errors (invalid_input): no blank
// line after the headers, a header line without ':', a chunked body (not supported: save the body
// on its own), a body shorter than its Content-Length.
Result<CapturedRequest> parse_captured_request(std::string_view text);

// Case-insensitive ASCII comparison of header names.
bool header_name_equals(std::string_view a, std::string_view b);

}  // namespace ctg::net
