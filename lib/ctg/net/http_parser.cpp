#include "ctg/net/http_parser.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "ctg/core/text.hpp"
#include "ctg/net/request_capture.hpp"

namespace ctg::net {

namespace {

// tchar of RFC 9110, 5.6.2: the characters of methods and header names.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return header_name_equals(a, b);
}

// Splits a comma-separated header value into its trimmed, non-empty elements.
std::vector<std::string_view> list_elements(std::string_view value) {
  std::vector<std::string_view> out;
  while (!value.empty()) {
    const auto comma = value.find(',');
    const auto element = trim_ows(value.substr(0, comma));
    if (!element.empty()) out.push_back(element);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

// Client-sent text, shortened for an error message (JSON answers replace invalid UTF-8).
std::string shown(std::string_view s) {
  return text::excerpt(s, 60);
}

}  // namespace

std::optional<std::string_view> ParsedRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return std::string_view(value);
  return std::nullopt;
}

RequestParser::RequestParser(ParserLimits limits) : m_limits(limits) {}

void RequestParser::reset() {
  m_state = State::head;
  m_request = {};
  m_buffer.clear();
  m_line.clear();
  m_body_mode = BodyMode::none;
  m_remaining = 0;
  m_dropped = 0;
  m_trailer_bytes = 0;
  m_error_status = 0;
  m_error_message.clear();
}

void RequestParser::fail(int status, std::string message) {
  m_state = State::failed;
  m_error_status = status;
  m_error_message = std::move(message);
}

std::size_t RequestParser::feed(std::string_view input) {
  std::size_t used = 0;
  if (m_state == State::head) {
    // Empty lines before the request line are ignored (RFC 9112, 2.2).
    if (m_buffer.empty()) {
      while (used < input.size() && (input[used] == '\r' || input[used] == '\n')) ++used;
    }
    if (used == input.size()) return used;
    const std::size_t searched_from = m_buffer.size() >= 3 ? m_buffer.size() - 3 : 0;
    const std::size_t room = m_limits.max_head - std::min(m_limits.max_head, m_buffer.size());
    const std::size_t taken = std::min(input.size() - used, room + 4);  // the blank line may end past the limit
    m_buffer.append(input.substr(used, taken));
    // The end of the head: an empty line, ended by CRLF or by a bare LF (RFC 9112, 2.2).
    std::size_t end = std::string::npos;
    for (std::size_t i = m_buffer.find('\n', searched_from); i != std::string::npos; i = m_buffer.find('\n', i + 1)) {
      if (i + 1 < m_buffer.size() && m_buffer[i + 1] == '\n') {
        end = i + 2;
        break;
      }
      if (i + 2 < m_buffer.size() && m_buffer[i + 1] == '\r' && m_buffer[i + 2] == '\n') {
        end = i + 3;
        break;
      }
    }
    if (end == std::string::npos) {
      used += taken;
      if (m_buffer.size() > m_limits.max_head) {
        if (m_buffer.find('\n') == std::string::npos) {
          fail(414, fmt::format("the request line is longer than {} bytes", m_limits.max_head));
        } else {
          fail(431, fmt::format("the request head is larger than {} bytes", m_limits.max_head));
        }
      }
      return used;
    }
    if (end > m_limits.max_head + 4) {
      fail(431, fmt::format("the request head is larger than {} bytes", m_limits.max_head));
      return used + taken;
    }
    // Give back what was appended beyond the head: it belongs to the body or the next request.
    const std::size_t beyond = m_buffer.size() - end;
    used += taken - beyond;
    m_buffer.resize(end);
    parse_head(m_buffer);
    if (m_state == State::failed) return used;
  }
  if (m_state == State::body) used += feed_body(input.substr(used));
  return used;
}

void RequestParser::parse_head(std::string_view head) {
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    const auto lf = head.find('\n');
    auto line = head.substr(0, lf);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    head.remove_prefix(lf == std::string_view::npos ? head.size() : lf + 1);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return fail(400, "the request is empty");

  // Request line: method SP request-target SP HTTP-version.
  const std::string_view line = lines.front();
  const auto first = line.find(' ');
  const auto last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) {
    return fail(400, fmt::format("malformed request line \"{}\"", shown(line)));
  }
  const auto method = line.substr(0, first);
  const auto target = line.substr(first + 1, last - first - 1);
  const auto version = line.substr(last + 1);
  if (!is_token(method)) return fail(400, fmt::format("malformed method \"{}\"", shown(method)));
  if (target.empty() || std::any_of(target.begin(), target.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
      })) {
    return fail(400, fmt::format("malformed request target \"{}\"", shown(target)));
  }
  if (version == "HTTP/1.1") {
    m_request.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    m_request.minor_version = 0;
  } else if (version.size() == 8 && version.starts_with("HTTP/") && version[6] == '.') {
    return fail(505, fmt::format("HTTP version {} is not supported (1.0 and 1.1 are)", shown(version)));
  } else {
    return fail(400, fmt::format("malformed HTTP version \"{}\"", shown(version)));
  }
  m_request.method = method;
  m_request.target = target;

  // Header fields: name ":" OWS value OWS.
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto field = lines[i];
    if (field.empty()) return fail(400, "an empty line inside the request head");
    if (field.front() == ' ' || field.front() == '\t') {
      return fail(400, "a header folded over several lines (obsolete line folding is not accepted)");
    }
    const auto colon = field.find(':');
    if (colon == std::string_view::npos) return fail(400, fmt::format("header line without ':': \"{}\"", shown(field)));
    const auto name = field.substr(0, colon);
    if (!is_token(name)) return fail(400, fmt::format("malformed header name \"{}\"", shown(name)));
    const auto value = trim_ows(field.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) {
          return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
        })) {
      return fail(400, fmt::format("header {} holds a control character", shown(name)));
    }
    if (m_request.headers.size() == m_limits.max_headers) {
      return fail(431, fmt::format("more than {} headers", m_limits.max_headers));
    }
    m_request.headers.emplace_back(std::string(name), std::string(value));
  }

  // Framing (RFC 9112, 6): Transfer-Encoding, else Content-Length, else no body.
  std::vector<std::string_view> codings;
  std::optional<std::uint64_t> length;
  bool keep_alive = m_request.minor_version == 1;
  for (const auto& [name, value] : m_request.headers) {
    if (iequals(name, "Transfer-Encoding")) {
      for (auto coding : list_elements(value)) codings.push_back(coding);
    } else if (iequals(name, "Content-Length")) {
      for (auto element : list_elements(value)) {
        std::uint64_t n = 0;
        const auto [ptr, ec] = std::from_chars(element.data(), element.data() + element.size(), n);
        if (ec != std::errc() || ptr != element.data() + element.size()) {
          return fail(400, fmt::format("Content-Length \"{}\" is not a number of bytes", shown(value)));
        }
        if (length && *length != n) return fail(400, "Content-Length is given twice, with different values");
        length = n;
      }
      if (!length) return fail(400, "Content-Length is empty");
    } else if (iequals(name, "Connection")) {
      for (auto option : list_elements(value)) {
        if (iequals(option, "close")) keep_alive = false;
        if (iequals(option, "keep-alive") && m_request.minor_version == 0) keep_alive = true;
      }
    } else if (iequals(name, "Expect")) {
      m_request.expects_continue = m_request.minor_version == 1 && iequals(trim_ows(value), "100-continue");
    }
  }
  m_request.keep_alive = keep_alive;
  if (!codings.empty()) {
    // Both headers: a request smuggling attempt or a broken client; RFC 9112, 6.3 allows refusing it.
    if (length) return fail(400, "both Transfer-Encoding and Content-Length are given");
    for (std::size_t i = 0; i < codings.size(); ++i) {
      if (!iequals(codings[i], "chunked")) {
        return fail(501, fmt::format("transfer coding \"{}\" is not supported (only chunked is)", shown(codings[i])));
      }
      if (i + 1 < codings.size()) return fail(400, "chunked is applied more than once");
    }
    m_request.chunked = true;
    m_body_mode = BodyMode::chunk_size;
    m_state = State::body;
    return;
  }
  if (length && *length > 0) {
    if (*length > m_limits.max_body) {
      if (*length - m_limits.max_body > m_limits.max_drain) {
        return fail(413, fmt::format("body of {} bytes exceeds the limit of {} bytes", *length, m_limits.max_body));
      }
      m_request.body_too_large = true;
    } else {
      m_request.body.reserve(*length);
    }
    m_body_mode = BodyMode::length;
    m_remaining = *length;
    m_state = State::body;
    return;
  }
  m_state = State::complete;
}

std::size_t RequestParser::take_line(std::string_view input, std::size_t max, bool& done) {
  const auto lf = input.find('\n');
  const std::size_t used = lf == std::string_view::npos ? input.size() : lf + 1;
  m_line.append(input.substr(0, lf == std::string_view::npos ? input.size() : lf));
  done = lf != std::string_view::npos;
  if (done && !m_line.empty() && m_line.back() == '\r') m_line.pop_back();
  if (m_line.size() > max) fail(400, "a line of the chunked body is too long");
  return used;
}

std::size_t RequestParser::feed_body(std::string_view input) {
  std::size_t used = 0;
  while (m_state == State::body && used < input.size()) {
    const auto rest = input.substr(used);
    switch (m_body_mode) {
      case BodyMode::length:
      case BodyMode::chunk_data: {
        const std::size_t n = std::min<std::uint64_t>(m_remaining, rest.size());
        if (m_request.body_too_large) {
          m_dropped += n;
        } else {
          m_request.body.append(rest.substr(0, n));
        }
        m_remaining -= n;
        used += n;
        if (m_remaining == 0) {
          if (m_body_mode == BodyMode::length) {
            m_state = State::complete;
          } else {
            m_body_mode = BodyMode::chunk_data_end;
          }
        }
        break;
      }
      case BodyMode::chunk_size: {
        bool done = false;
        used += take_line(rest, 1024, done);
        if (!done || m_state == State::failed) break;
        // chunk-size [ ";" chunk-ext ]: hex digits, extensions ignored.
        std::string_view line = m_line;
        const auto size_part = trim_ows(line.substr(0, line.find(';')));
        std::uint64_t size = 0;
        const auto [ptr, ec] = std::from_chars(size_part.data(), size_part.data() + size_part.size(), size, 16);
        if (size_part.empty() || ec != std::errc() || ptr != size_part.data() + size_part.size()) {
          fail(400, fmt::format("malformed chunk size \"{}\"", shown(line)));
          break;
        }
        m_line.clear();
        if (!m_request.body_too_large &&
            size > m_limits.max_body - std::min<std::uint64_t>(m_limits.max_body, m_request.body.size())) {
          m_request.body_too_large = true;  // read on and drop, to stay in step
          m_dropped = m_request.body.size();
          m_request.body.clear();
        }
        if (m_request.body_too_large && (m_dropped + size < m_dropped || m_dropped + size > m_limits.max_drain)) {
          fail(413, fmt::format("chunked body exceeds the limit of {} bytes", m_limits.max_body));
          break;
        }
        if (size == 0) {
          m_body_mode = BodyMode::trailers;
        } else {
          m_remaining = size;
          m_body_mode = BodyMode::chunk_data;
        }
        break;
      }
      case BodyMode::chunk_data_end: {
        bool done = false;
        used += take_line(rest, 2, done);
        if (!done || m_state == State::failed) break;
        if (!m_line.empty()) {
          fail(400, "chunk data is longer than its size says");
          break;
        }
        m_body_mode = BodyMode::chunk_size;
        break;
      }
      case BodyMode::trailers: {
        bool done = false;
        const std::size_t n = take_line(rest, m_limits.max_head, done);
        used += n;
        m_trailer_bytes += n;
        if (m_state == State::failed) break;
        if (m_trailer_bytes > m_limits.max_head) {
          fail(431, fmt::format("trailer fields larger than {} bytes", m_limits.max_head));
          break;
        }
        if (!done) break;
        const bool last = m_line.empty();
        m_line.clear();  // trailer fields are read and dropped
        if (last) m_state = State::complete;
        break;
      }
      case BodyMode::none:
        m_state = State::complete;
        break;
    }
  }
  return used;
}

}  // namespace ctg::net
