#include "ctg/net/http_parser.hpp"

#include <arpa/inet.h>

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

// What a body may reserve before it arrives: a declared Content-Length is a promise, not bytes.
constexpr std::size_t k_body_reserve = 64 * 1024;

constexpr const char* k_bare_cr = "a bare CR (not followed by LF) in the chunked body's framing";
// RFC 9112 allows a bare LF to end the request line and header fields (2.2), not the lines of the
// chunked framing (7.1): refused there, as other parsers refuse it, so that no two parsers can
// disagree on where a request ends.
constexpr const char* k_bare_lf = "a line of the chunked body's framing ends with a bare LF (CRLF is required)";

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// unreserved and sub-delims of RFC 3986, 2.2-2.3.
bool is_unreserved(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
bool is_sub_delim(char c) {
  return std::string_view("!$&'()*+,;=").find(c) != std::string_view::npos;
}

// A control character of a field value: C0 but HTAB, and DEL.
bool is_control(char c) {
  return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
}

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), is_digit);
}

// reg-name of RFC 3986, 3.2.2: unreserved, sub-delims and percent-encoded octets (IPv4 addresses
// are reg-names too).
bool is_reg_name(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (is_unreserved(s[i]) || is_sub_delim(s[i])) continue;
    if (s[i] == '%' && i + 2 < s.size() && is_hex(s[i + 1]) && is_hex(s[i + 2])) {
      i += 2;
      continue;
    }
    return false;
  }
  return true;
}

// The inside of an IP-literal's brackets: an IPv6 address or IPvFuture (RFC 3986, 3.2.2).
bool is_ip_literal(std::string_view s) {
  if (!s.empty() && (s.front() == 'v' || s.front() == 'V')) {
    const auto dot = s.find('.');
    if (dot == std::string_view::npos || dot < 2 || dot + 1 == s.size()) return false;
    const auto version = s.substr(1, dot - 1);
    const auto rest = s.substr(dot + 1);
    return std::all_of(version.begin(), version.end(), is_hex) && std::all_of(rest.begin(), rest.end(), [](char c) {
             return is_unreserved(c) || is_sub_delim(c) || c == ':';
           });
  }
  if (s.empty() || s.size() > 45) return false;
  in6_addr address{};
  return ::inet_pton(AF_INET6, std::string(s).c_str(), &address) == 1;
}

struct HostPort {
  std::string_view host;                 // "" when empty
  std::optional<std::string_view> port;  // digits, maybe none ("host:"); nullopt without ':'
};

// `uri-host [ ":" port ]` (RFC 9110, 7.2 and 4.2.1; RFC 3986, 3.2.2-3.2.3) split, or nullopt when
// `s` is not one.
std::optional<HostPort> split_host_port(std::string_view s) {
  HostPort out;
  std::string_view rest;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos || !is_ip_literal(s.substr(1, close - 1))) return std::nullopt;
    out.host = s.substr(0, close + 1);
    rest = s.substr(close + 1);
  } else {
    const auto colon = s.find(':');
    out.host = s.substr(0, colon);
    if (!is_reg_name(out.host)) return std::nullopt;
    rest = colon == std::string_view::npos ? std::string_view() : s.substr(colon);
  }
  if (!rest.empty()) {
    if (rest.front() != ':' || !all_digits(rest.substr(1))) return std::nullopt;
    out.port = rest.substr(1);
  }
  return out;
}

// The origin-form (path and query) of a request target, or why it is not a target this server
// takes (RFC 9112, 3.2): origin-form, absolute-form with http or https, asterisk-form, and
// authority-form for CONNECT.
Result<std::string> origin_form(std::string_view method, std::string_view target) {
  const auto refuse = [](std::string message) { return fail(ErrorKind::invalid_input, std::move(message)); };
  if (method == "CONNECT") {
    const auto authority = split_host_port(target);
    if (!authority || authority->host.empty() || !authority->port || authority->port->empty()) {
      return refuse(fmt::format("CONNECT needs a host:port target, not \"{}\"", shown(target)));
    }
    return std::string();
  }
  if (target.front() == '/') return std::string(target);
  if (target == "*") return std::string(target);
  // absolute-form: scheme "://" authority path-abempty [ "?" query ]
  const auto colon = target.find(':');
  const auto scheme = target.substr(0, colon == std::string_view::npos ? 0 : colon);
  if (!iequals(scheme, "http") && !iequals(scheme, "https")) {
    return refuse(fmt::format("malformed request target \"{}\" (neither a path nor an http(s) URL)", shown(target)));
  }
  auto rest = target.substr(colon + 1);
  if (!rest.starts_with("//")) {
    return refuse(fmt::format("request target \"{}\" has no authority (//host)", shown(target)));
  }
  rest.remove_prefix(2);
  const auto end = std::min(rest.find_first_of("/?#"), rest.size());
  const auto authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos) {
    return refuse(
        fmt::format("request target \"{}\" carries userinfo (user@host), which http(s) URLs must not", shown(target)));
  }
  const auto host = split_host_port(authority);
  if (!host) return refuse(fmt::format("request target \"{}\" has an invalid host[:port]", shown(target)));
  if (host->host.empty()) return refuse(fmt::format("request target \"{}\" has no host", shown(target)));
  const auto path = rest.substr(end);
  if (path.empty() || path.front() != '/') return "/" + std::string(path);
  return std::string(path);
}

// `chunk-size [ chunk-ext ]` (RFC 9112, 7.1.1): the size, or why the line is not one. Extensions
// are checked and dropped.
Result<std::uint64_t> chunk_size_of(std::string_view line) {
  const auto refuse = [&](std::string_view why) {
    return fail(ErrorKind::invalid_input, fmt::format("malformed chunk size \"{}\" ({})", shown(line), why));
  };
  std::size_t digits = 0;
  while (digits < line.size() && is_hex(line[digits])) ++digits;
  if (digits == 0 && !line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    return refuse("whitespace before the size");
  }
  const bool ext_follows = digits == line.size() || line[digits] == ';' || line[digits] == ' ' || line[digits] == '\t';
  if (digits == 0 || !ext_follows) return refuse("not hexadecimal digits");
  std::uint64_t size = 0;
  const auto [ptr, ec] = std::from_chars(line.data(), line.data() + digits, size, 16);
  if (ec != std::errc() || ptr != line.data() + digits) return refuse("too large");
  // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
  const auto ext = line.substr(digits);
  if (std::any_of(ext.begin(), ext.end(), is_control)) {
    return fail(ErrorKind::invalid_input, fmt::format("chunk extension \"{}\" holds a control character", shown(ext)));
  }
  const auto malformed = [&](std::string_view why) {
    return fail(ErrorKind::invalid_input, fmt::format("malformed chunk extension \"{}\" ({})", shown(ext), why));
  };
  std::size_t i = 0;
  const auto skip_bws = [&] {
    while (i < ext.size() && (ext[i] == ' ' || ext[i] == '\t')) ++i;
  };
  const auto token = [&] {
    const std::size_t start = i;
    while (i < ext.size() && is_tchar(ext[i])) ++i;
    return i > start;
  };
  while (i < ext.size()) {
    skip_bws();
    if (i == ext.size() || ext[i] != ';') return malformed("only ';' extensions may follow the size");
    ++i;
    skip_bws();
    if (!token()) return malformed("an extension name must be a token");
    const std::size_t after_name = i;
    skip_bws();
    if (i == ext.size() || ext[i] != '=') {
      i = after_name;  // that whitespace comes before the next ';'
      continue;
    }
    ++i;
    skip_bws();
    if (i < ext.size() && ext[i] == '"') {
      // quoted-string: qdtext and quoted-pairs up to the closing quote (controls are refused above)
      ++i;
      bool closed = false;
      while (i < ext.size() && !closed) {
        if (ext[i] == '\\') {
          if (i + 1 == ext.size()) break;
          i += 2;
        } else {
          closed = ext[i++] == '"';
        }
      }
      if (!closed) return malformed("an unterminated quoted value");
    } else if (!token()) {
      return malformed("an extension value must be a token or a quoted string");
    }
  }
  return size;
}

// A trailer line is a field line (RFC 9112, 7.1.2 and 5): name ":" OWS value OWS, without
// controls. Returns why not, or "".
std::string trailer_error(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') return "a trailer field folded over several lines";
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    return fmt::format("malformed trailer field \"{}\"", shown(line));
  }
  const auto value = line.substr(colon + 1);
  if (std::any_of(value.begin(), value.end(), is_control)) {
    return fmt::format("trailer field {} holds a control character", shown(line.substr(0, colon)));
  }
  return {};
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
      // The head may take max_head bytes and its final blank line: it can still end in time until
      // max_head + 4 bytes have come without it (however the bytes were split).
      if (m_buffer.size() >= m_limits.max_head + 4) {
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
  auto path = origin_form(method, target);
  if (!path) return fail(400, std::move(path.error().message));
  m_request.method = method;
  m_request.target = target;
  m_request.path = std::move(*path);

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
    if (std::any_of(value.begin(), value.end(), is_control)) {
      return fail(400, fmt::format("header {} holds a control character", shown(name)));
    }
    if (m_request.headers.size() == m_limits.max_headers) {
      return fail(431, fmt::format("more than {} headers", m_limits.max_headers));
    }
    m_request.headers.emplace_back(std::string(name), std::string(value));
  }

  // Framing (RFC 9112, 6): Transfer-Encoding, else Content-Length, else no body.
  std::vector<std::string_view> codings;
  bool has_transfer_encoding = false;
  std::optional<std::uint64_t> length;
  bool keep_alive = m_request.minor_version == 1;
  bool close = false;  // "close" wins over "keep-alive", wherever each stands
  std::size_t hosts = 0;
  for (const auto& [name, value] : m_request.headers) {
    if (iequals(name, "Host")) {
      // RFC 9112, 3.2: one Host, a valid one; HTTP/1.1 must send it.
      if (++hosts > 1) return fail(400, "Host is given more than once");
      if (!split_host_port(value))
        return fail(400, fmt::format("Host \"{}\" is not a valid host[:port]", shown(value)));
    } else if (iequals(name, "Transfer-Encoding")) {
      has_transfer_encoding = true;
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
        if (iequals(option, "close")) close = true;
        if (iequals(option, "keep-alive") && m_request.minor_version == 0) keep_alive = true;
      }
    } else if (iequals(name, "Expect")) {
      m_request.expects_continue = m_request.minor_version == 1 && iequals(trim_ows(value), "100-continue");
    }
  }
  m_request.keep_alive = keep_alive && !close;
  if (hosts == 0 && m_request.minor_version == 1) return fail(400, "an HTTP/1.1 request without a Host header");
  if (has_transfer_encoding) {
    // RFC 9112, 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing; the connection cannot be
    // kept, and refusing is safer than guessing where the body ends.
    if (m_request.minor_version == 0) {
      m_request.keep_alive = false;
      return fail(400, "Transfer-Encoding in an HTTP/1.0 request (RFC 9112, 6.1: its framing cannot be trusted)");
    }
    // Both headers: a request smuggling attempt or a broken client; RFC 9112, 6.3 allows refusing it.
    if (length) return fail(400, "both Transfer-Encoding and Content-Length are given");
    if (codings.empty()) return fail(400, "Transfer-Encoding is empty");
    // RFC 9112, 6.3: chunked must be the final coding, else the body's end cannot be known.
    const auto chunked = std::count_if(codings.begin(), codings.end(), [](auto c) { return iequals(c, "chunked"); });
    if (chunked > 1) return fail(400, "chunked is applied more than once");
    if (chunked == 1 && !iequals(codings.back(), "chunked")) {
      return fail(400,
                  fmt::format("chunked is not the final transfer coding (\"{}\" follows it)", shown(codings.back())));
    }
    for (const auto coding : codings) {
      if (!iequals(coding, "chunked")) {
        return fail(501, fmt::format("transfer coding \"{}\" is not supported (only chunked is)", shown(coding)));
      }
    }
    m_request.chunked = true;
    m_body_mode = BodyMode::chunk_size;
    m_state = State::body;
    return;
  }
  if (length && *length > 0) {
    if (*length > m_limits.max_body) {
      // Too large to drain, or the client waits for "100 Continue" before sending it: answer now.
      if (*length - m_limits.max_body > m_limits.max_drain || m_request.expects_continue) {
        return fail(413, fmt::format("body of {} bytes exceeds the limit of {} bytes", *length, m_limits.max_body));
      }
      m_request.body_too_large = true;
    } else {
      m_request.body.reserve(std::min<std::size_t>(*length, k_body_reserve));
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
  const std::size_t end = lf == std::string_view::npos ? input.size() : lf;
  // Holds at most `max` bytes and a CR, and one byte more to know the line is too long.
  const std::size_t taken = std::min(end, max + 2 - std::min(max + 2, m_line.size()));
  done = taken == end && lf != std::string_view::npos;
  // A CR that ended the previous piece is looked at again: what follows it has now come.
  const std::size_t from = m_line.empty() ? 0 : m_line.size() - 1;
  m_line.append(input.substr(0, taken));
  const std::size_t used = done ? taken + 1 : taken;
  // A CR is allowed only right before the LF (RFC 9112, 2.2: a bare CR is invalid).
  const auto cr = m_line.find('\r', from);
  if (cr != std::string::npos && cr + 1 < m_line.size()) {
    fail(400, k_bare_cr);
    return used;
  }
  if (done) {
    if (m_line.empty() || m_line.back() != '\r') {
      fail(400, k_bare_lf);
      return used;
    }
    m_line.pop_back();
  }
  const bool cr_pending = !done && m_line.size() == max + 1 && m_line.back() == '\r';
  if (m_line.size() > max && !cr_pending) fail(400, "a line of the chunked body is too long");
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
        m_request.body_bytes_seen += n;
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
        const auto parsed = chunk_size_of(m_line);
        if (!parsed) {
          fail(400, parsed.error().message);
          break;
        }
        const std::uint64_t size = *parsed;
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
        // Only CRLF may follow chunk data; m_line holds the CR once it came.
        const char c = rest.front();
        if (c == '\n' && m_line.empty()) {
          fail(400, k_bare_lf);
          break;
        }
        if (c == '\n') {
          m_line.clear();
          m_body_mode = BodyMode::chunk_size;
        } else if (c == '\r' && m_line.empty()) {
          m_line.push_back(c);
        } else {
          fail(400, m_line.empty() ? "chunk data is longer than its size says" : k_bare_cr);
          break;
        }
        ++used;
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
        if (m_line.empty()) {
          m_state = State::complete;
          break;
        }
        if (auto error = trailer_error(m_line); !error.empty()) {
          fail(400, std::move(error));
          break;
        }
        m_line.clear();  // trailer fields are checked and dropped
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
