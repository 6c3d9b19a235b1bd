// Fuzz target: net::RequestParser (lib/ctg/net/http_parser.hpp) over a stream of pipelined
// requests, as a server reads them.
//
// The input is the bytes a client sent on one connection. They are parsed three times: given
// whole, one byte at a time, and in pieces whose sizes are drawn from the input (a hash of it
// seeds the draw). After each complete request the parser is reset() and given the rest, as the
// server does for pipelined requests; a failure ends the connection. Each way is run with the
// default limits and with small ones (so that 413, 414 and 431 are reachable in a few KiB).
//
// Checks:
//   - feed() consumes no more than it is given, all of it unless the request is complete or
//     failed, and nothing once it is (until reset());
//   - the state is one of the four, head_complete() agrees with it;
//   - a complete request: keep_alive as RFC 9112 (9.3, 9.6) says (a "close" option always closes,
//     HTTP/1.0 closes unless it asks for keep-alive, HTTP/1.1 stays open unless it asks to close),
//     a token method, a target without controls or spaces, HTTP/1.0 or 1.1,
//     at most max_headers headers, exactly one Host for HTTP/1.1, a body no larger than max_body
//     (empty when body_too_large), as long as Content-Length says when not chunked and kept,
//     body_bytes_seen no smaller than the body, a path set as documented;
//   - a failure: a status of the documented set (400, 413, 414, 431, 501, 505) and a message;
//   - buffered_bytes() stays within what the limits allow, and is 0 after reset();
//   - the three ways give the same requests (every field), ending at the same offsets, and end in
//     the same state (a refusal, or waiting for more): how bytes arrive never changes what is
//     accepted. (Which check refuses first may: a trailer line too long (400) or trailers too
//     large (431), a line too long or its first wrong byte.)
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctg/net/http_parser.hpp"
#include "fuzz_support.hpp"

namespace {

using ctg::fuzz::check;
using ctg::net::ParsedRequest;
using ctg::net::ParserLimits;
using ctg::net::RequestParser;

// What one connection's bytes came to: the requests, then how the stream ended.
struct Outcome {
  std::vector<ParsedRequest> requests;
  std::vector<std::size_t> ends;  // offset in the stream where each request ended
  RequestParser::State last_state = RequestParser::State::head;
};

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

// The first element of a comma-separated list of numbers ("5, 5"), or nullopt.
std::optional<std::uint64_t> first_number(std::string_view list) {
  while (!list.empty()) {
    auto element = list.substr(0, list.find(','));
    list.remove_prefix(std::min(list.size(), element.size() + 1));
    while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) element.remove_prefix(1);
    while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) element.remove_suffix(1);
    if (element.empty()) continue;
    std::uint64_t n = 0;
    const auto [ptr, ec] = std::from_chars(element.data(), element.data() + element.size(), n);
    if (ec != std::errc() || ptr != element.data() + element.size()) return std::nullopt;
    return n;
  }
  return std::nullopt;
}

// Whether the comma-separated `list` holds `token` (case-insensitive).
bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    auto element = list.substr(0, list.find(','));
    list.remove_prefix(std::min(list.size(), element.size() + 1));
    while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) element.remove_prefix(1);
    while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) element.remove_suffix(1);
    if (iequals(element, token)) return true;
  }
  return false;
}

void check_state(const RequestParser& parser) {
  const auto state = parser.state();
  check(state == RequestParser::State::head || state == RequestParser::State::body ||
            state == RequestParser::State::complete || state == RequestParser::State::failed,
        "state is one of head, body, complete, failed");
  check(parser.head_complete() == (state == RequestParser::State::body || state == RequestParser::State::complete),
        "head_complete() is true exactly in states body and complete");
}

void check_buffered(const RequestParser& parser, const ParserLimits& limits) {
  // The head (up to max_head + 4 bytes: the blank line may end past the limit), the body kept
  // (max_body), a chunk-size or trailer line (at most max_head, or 1024, and its CR).
  const std::size_t bound = limits.max_head + 4 + limits.max_body + std::max<std::size_t>(limits.max_head, 1024) + 2;
  check(parser.buffered_bytes() <= bound, "buffered_bytes() within what the limits allow");
}

void check_complete(const ParsedRequest& request, const ParserLimits& limits) {
  check(!request.method.empty() && std::all_of(request.method.begin(), request.method.end(), is_tchar),
        "the method is a token");
  check(!request.target.empty() && std::none_of(request.target.begin(), request.target.end(), [](char c) {
          return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
        }),
        "the target has no space or control character");
  check(request.minor_version == 0 || request.minor_version == 1, "HTTP/1.0 or HTTP/1.1");
  check(request.headers.size() <= limits.max_headers, "no more than max_headers headers");
  std::size_t hosts = 0;
  for (const auto& [name, value] : request.headers) {
    check(!name.empty() && std::all_of(name.begin(), name.end(), is_tchar), "a header name is a token");
    check(value.empty() || (value.front() != ' ' && value.front() != '\t' && value.back() != ' ' && value.back() != '\t'),
          "a header value is trimmed");
    check(std::none_of(value.begin(), value.end(),
                       [](char c) { return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f; }),
          "a header value has no control character");
    if (iequals(name, "Host")) ++hosts;
  }
  if (request.minor_version == 1) check(hosts == 1, "an HTTP/1.1 request has exactly one Host");
  check(hosts <= 1, "at most one Host");

  check(request.body.size() <= limits.max_body, "the body is within max_body");
  if (request.body_too_large) check(request.body.empty(), "a body too large is dropped");
  check(request.body_bytes_seen >= request.body.size(), "body_bytes_seen counts the body kept");
  if (!request.body_too_large) check(request.body_bytes_seen == request.body.size(), "body_bytes_seen is the body kept");
  if (request.chunked) {
    check(request.minor_version == 1, "chunked framing only in HTTP/1.1");
    check(!request.header("Content-Length"), "never Transfer-Encoding and Content-Length together");
  } else if (const auto length = request.header("Content-Length")) {
    const auto declared = first_number(*length);
    check(declared.has_value(), "Content-Length of a complete request is a number");
    check(request.body_bytes_seen == *declared, "the body is as long as Content-Length says");
  } else {
    check(request.body_bytes_seen == 0, "no framing header, no body");
  }

  // path: the target in origin-form, the path of an absolute-form target, "*", or "" for CONNECT.
  if (request.target.front() == '/' || request.target == "*") {
    check(request.path == request.target, "an origin-form or asterisk-form target is its own path");
  } else if (request.method == "CONNECT") {
    check(request.path.empty(), "a CONNECT target has no path");
  } else {
    // "http://h/p?q" gives "/p?q", "http://h?q" gives "/?q", "http://h" gives "/".
    const std::string_view path = request.path;
    check(!path.empty() && path.front() == '/' &&
              (request.target.ends_with(path) || request.target.ends_with(path.substr(1))),
          "the path of an absolute-form target is its end");
  }
  if (request.expects_continue) check(request.minor_version == 1, "100-continue only in HTTP/1.1");

  // Connection (RFC 9112, 9.3 and 9.6): "close" always closes; HTTP/1.0 closes unless asked to keep alive.
  bool close_option = false;
  bool keep_alive_option = false;
  for (const auto& [name, value] : request.headers) {
    if (!iequals(name, "Connection")) continue;
    close_option = close_option || has_token(value, "close");
    keep_alive_option = keep_alive_option || has_token(value, "keep-alive");
  }
  if (close_option) check(!request.keep_alive, "a \"close\" connection option closes the connection");
  if (request.minor_version == 0 && !keep_alive_option) check(!request.keep_alive, "HTTP/1.0 closes unless kept alive");
  if (request.minor_version == 1 && !close_option) check(request.keep_alive, "HTTP/1.1 stays open unless closed");
}

void check_failed(const RequestParser& parser) {
  const int status = parser.error_status();
  check(status == 400 || status == 413 || status == 414 || status == 431 || status == 501 || status == 505,
        "a failure's status is 400, 413, 414, 431, 501 or 505");
  check(!parser.error_message().empty(), "a failure says why");
}

// Parses `stream` as one connection, handing the parser pieces of the sizes `piece` returns.
template <class Piece>
Outcome parse_stream(std::string_view stream, const ParserLimits& limits, Piece piece) {
  Outcome out;
  RequestParser parser(limits);
  std::size_t at = 0;
  while (true) {
    check_state(parser);
    const auto state = parser.state();
    if (state == RequestParser::State::complete) {
      check_complete(parser.request(), limits);
      check(parser.feed(stream.substr(at)) == 0, "nothing is consumed once complete");
      out.requests.push_back(parser.request());
      out.ends.push_back(at);
      parser.reset();
      check(parser.state() == RequestParser::State::head && parser.buffered_bytes() == 0 &&
                parser.body_bytes_seen() == 0 && parser.error_status() == 0,
            "reset() starts afresh");
      continue;
    }
    if (state == RequestParser::State::failed) {
      check_failed(parser);
      check(parser.feed(stream.substr(at)) == 0, "nothing is consumed once failed");
      check(parser.state() == RequestParser::State::failed, "failed stays failed");
      break;
    }
    if (at == stream.size()) break;
    const auto given = stream.substr(at, std::min(piece(), stream.size() - at));
    const std::size_t used = parser.feed(given);
    check(used <= given.size(), "feed() consumes no more than it is given");
    const auto after = parser.state();
    if (after == RequestParser::State::head || after == RequestParser::State::body) {
      check(used == given.size(), "feed() consumes everything unless the request is complete or failed");
    }
    if (after != RequestParser::State::failed) {
      check_buffered(parser, limits);
      check(parser.body_bytes_seen() == parser.request().body_bytes_seen, "body_bytes_seen() agrees with the request");
    }
    at += used;
  }
  out.last_state = parser.state();
  return out;
}

bool same_request(const ParsedRequest& a, const ParsedRequest& b) {
  return a.method == b.method && a.target == b.target && a.path == b.path && a.minor_version == b.minor_version &&
         a.headers == b.headers && a.body == b.body && a.chunked == b.chunked && a.keep_alive == b.keep_alive &&
         a.expects_continue == b.expects_continue && a.body_too_large == b.body_too_large &&
         a.body_bytes_seen == b.body_bytes_seen;
}

void check_same(const Outcome& a, const Outcome& b) {
  check(a.requests.size() == b.requests.size(), "the same number of requests however the bytes arrive");
  for (std::size_t i = 0; i < a.requests.size(); ++i) {
    check(same_request(a.requests[i], b.requests[i]), "the same requests however the bytes arrive");
    check(a.ends[i] == b.ends[i], "requests end at the same offsets however the bytes arrive");
  }
  check(a.last_state == b.last_state, "the same final state however the bytes arrive");
  // Which limit refuses first may depend on the pieces (a trailer line too long, or trailers too
  // large: 400 or 431), so only the refusal itself is compared.

}

void run(std::string_view stream, const ParserLimits& limits) {
  const Outcome whole = parse_stream(stream, limits, [&] { return stream.size(); });
  const Outcome bytes = parse_stream(stream, limits, [] { return std::size_t{1}; });
  ctg::fuzz::Draw draw(ctg::fuzz::fnv1a(stream));
  const Outcome pieces = parse_stream(stream, limits, [&] { return draw.size(draw.next() % 4 == 0 ? 512 : 16); });
  check_same(whole, bytes);
  check_same(whole, pieces);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto stream = ctg::fuzz::as_text(data, size);
  run(stream, ParserLimits{});
  run(stream, ParserLimits{.max_head = 200, .max_headers = 6, .max_body = 64, .max_drain = 256});
  return 0;
}
