// Fuzz target: request framing, net::RequestParser against a second parser, Debian's http_parser
// (libhttp-parser-dev 2.9.4, built non-strict; a test-only dependency).
//
// The input is one connection's bytes, pipelined requests. ctg's parser reads them as the server
// does (reset() after each complete request, a failure ends the connection); http_parser reads
// the same bytes, paused at each on_message_complete to learn where the message ended. The
// requests are compared in order, each pair:
//
//   - ctg completes a request: http_parser must complete one at the same byte offset, with the same
//     method, target and body length (body_bytes_seen: a body over max_body is read and dropped),
//     and must not close a connection ctg keeps (keep-alive);
//   - ctg refuses (any status): allowed; nothing after it is compared (the connection closes);
//   - ctg waits for more bytes: http_parser must not have completed a request by the end of the
//     input (ctg would take the next request's bytes for this one's body).
//
// A mismatch is a finding, except where the two differ by design, each rule below. A rule ends
// the comparison at that request: what follows is not the same conversation for both.
//   R1 method: ctg takes any token (RFC 9110, 9.1; an unknown method is answered, not a framing
//      error), http_parser only the 34 it knows (HPE_INVALID_METHOD).
//   R2 Content-Length: ctg reads it as RFC 9110 (8.6, 5.5) allows, a list of one same number
//      ("5, 5", or the field twice with the same value) with optional whitespace of spaces or tabs;
//      http_parser takes one number with spaces only (HPE_UNEXPECTED_CONTENT_LENGTH,
//      HPE_INVALID_CONTENT_LENGTH). (request_parser checks that the number ctg read is the
//      length of the body it framed.)
//   R3 request-target: ctg takes RFC 9112 3.2's forms with any visible byte in them; http_parser's
//      URL state machine has its own character tables and forms (HPE_INVALID_URL). The target
//      never moves a message boundary.
//   R4 tunnels: CONNECT, or Upgrade with "Connection: upgrade": http_parser stops at the head (the
//      rest is another protocol); ctg reads it as HTTP, frames any body, and never switches.
//   R5 connection close: after a request ctg does not keep alive (Connection: close, HTTP/1.0
//      without keep-alive) the server answers and closes; what follows is never read (http_parser,
//      built non-strict, reads on).
//   R6 Proxy-Connection: http_parser takes it for Connection; ctg, as RFC 9110 does, ignores it.
//   R7 bare CR: Debian builds http_parser non-strict (HTTP_PARSER_STRICT=0), so a CR followed by
//      any byte ends a line of its head, chunk-size lines and trailers, and any two bytes end chunk
//      data. ctg refuses a CR not followed by LF everywhere but in body bytes: at once in chunked
//      framing, and once the head is complete in the head. So where http_parser completed a
//      request whose head ctg is still reading, and that head holds a bare CR, ctg will refuse it.
//   R8 header names that begin with "Transfer-Encoding" ("Transfer-Encodingx: y"): http_parser
//      matches the name by its prefix and takes the request for one with a transfer coding
//      (HPE_INVALID_TRANSFER_ENCODING, or HPE_UNEXPECTED_CONTENT_LENGTH beside a Content-Length);
//      ctg takes them for the unknown fields they are.
//   R9 lists: ctg reads Transfer-Encoding and Connection as RFC 9110 (5.6.1) says, ignoring empty
//      elements and optional whitespace ("chunked,", ", chunked", "chunked<TAB>", "te,,close");
//      http_parser matches their tokens its own way: it refuses a Transfer-Encoding where ctg
//      reads chunked (HPE_INVALID_TRANSFER_ENCODING), and loses its way in a Connection list of
//      several elements (an empty one or a byte that is not a token's ends its reading; an element
//      that begins like keep-alive or close swallows the comma after it), missing a keep-alive or
//      close that follows. (request_parser checks ctg's reading of Connection against RFC 9112.)
//   R10 trailer fields: http_parser applies header rules to the trailers of a chunked request (a
//      "Connection: close" there closes, a Content-Length there is refused as a second one or as
//      one beside chunked); ctg checks trailer fields' syntax and drops them (RFC 9110, 6.5.1:
//      what frames the message or controls the connection cannot come after the content).
//   R11 whitespace around chunk extensions: ctg takes spaces and tabs (BWS, RFC 9112 7.1.1);
//      http_parser takes a space but refuses a tab after the chunk size (HPE_INVALID_CHUNK_SIZE).
//      (Where a chunk-size line also ends in a lone LF, the refusal stays a finding.)
// A lone LF ending a line is taken by both in the head (start line and fields, RFC 9112 2.2) and in
// trailer fields. In the lines of chunked framing (a chunk size, the end of chunk data) RFC 9112
// (7.1) has only CRLF: ctg taking a lone LF there while http_parser refuses it, or reads it as
// part of a chunk extension, is a finding, not a rule.
// ctg refusing what http_parser takes is always allowed (obs-fold, a missing Host, spaces or
// controls in chunk extensions, HTTP/0.9 request lines, other HTTP versions, ...).
#include <http_parser.h>

#include <algorithm>
#include <array>
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
using ctg::net::RequestParser;

// ---- ctg's parser over the stream --------------------------------------------------------------

struct CtgMessage {
  ParsedRequest request;
  std::size_t begin = 0;  // its first byte (or a CR or LF before it)
  std::size_t end = 0;    // one past its last byte
};

struct CtgRun {
  std::vector<CtgMessage> messages;
  bool failed = false;         // the request after the last one was refused
  bool in_head = false;        // ...or its head is not complete yet
  std::size_t pending_at = 0;  // where that request's bytes begin
};

CtgRun run_ctg(std::string_view stream) {
  CtgRun out;
  RequestParser parser;
  std::size_t at = 0;
  while (true) {
    at += parser.feed(stream.substr(at));
    if (parser.state() == RequestParser::State::complete) {
      out.messages.push_back({parser.request(), out.messages.empty() ? 0 : out.messages.back().end, at});
      parser.reset();
      continue;
    }
    out.failed = parser.state() == RequestParser::State::failed;
    out.in_head = parser.state() == RequestParser::State::head;
    out.pending_at = out.messages.empty() ? 0 : out.messages.back().end;
    return out;
  }
}

// ---- http_parser over the stream ---------------------------------------------------------------

struct HpMessage {
  std::string method;
  std::string url;
  std::uint64_t body = 0;
  std::size_t end = 0;
  bool keep_alive = true;
  bool upgrade = false;
};

struct HpRun {
  std::vector<HpMessage> messages;
  http_errno error = HPE_OK;
  bool in_message = false;  // bytes of a message that neither completed nor failed
};

struct HpState {
  HpMessage current;
  bool begun = false;
  bool completed = false;
};

HpState& state_of(http_parser* parser) { return *static_cast<HpState*>(parser->data); }

int on_message_begin(http_parser* parser) {
  state_of(parser) = HpState{};
  state_of(parser).begun = true;
  return 0;
}

int on_url(http_parser* parser, const char* at, std::size_t length) {
  state_of(parser).current.url.append(at, length);
  return 0;
}

int on_body(http_parser* parser, const char* /*at*/, std::size_t length) {
  state_of(parser).current.body += length;
  return 0;
}

int on_message_complete(http_parser* parser) {
  auto& state = state_of(parser);
  state.current.method = http_method_str(static_cast<http_method>(parser->method));
  state.current.keep_alive = http_should_keep_alive(parser) != 0;
  state.completed = true;
  http_parser_pause(parser, 1);  // execute() returns here: where the message ended
  return 0;
}

HpRun run_http_parser(std::string_view stream) {
  HpRun out;
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_message_begin = on_message_begin;
  settings.on_url = on_url;
  settings.on_body = on_body;
  settings.on_message_complete = on_message_complete;
  http_parser parser;
  http_parser_init(&parser, HTTP_REQUEST);
  HpState state;
  parser.data = &state;
  std::size_t at = 0;
  while (at < stream.size()) {
    at += http_parser_execute(&parser, &settings, stream.data() + at, stream.size() - at);
    const auto error = static_cast<http_errno>(parser.http_errno);
    if (state.completed) {
      state.current.end = at;
      state.current.upgrade = parser.upgrade != 0;
      out.messages.push_back(state.current);
      state = HpState{};
      if (parser.upgrade != 0) return out;  // the rest is another protocol
      if (error == HPE_PAUSED) http_parser_pause(&parser, 0);
      continue;
    }
    if (error != HPE_OK) {
      out.error = error;
      return out;
    }
  }
  out.in_message = state.begun;
  return out;
}

// ---- the rules ---------------------------------------------------------------------------------

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

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

constexpr std::array<std::string_view, 34> k_http_parser_methods = {
    "DELETE",   "GET",        "HEAD",     "POST",   "PUT",       "CONNECT",     "OPTIONS", "TRACE",    "COPY",
    "LOCK",     "MKCOL",      "MOVE",     "PROPFIND", "PROPPATCH", "SEARCH",    "UNLOCK",  "BIND",     "REBIND",
    "UNBIND",   "ACL",        "REPORT",   "MKACTIVITY", "CHECKOUT", "MERGE",    "M-SEARCH", "NOTIFY",  "SUBSCRIBE",
    "UNSUBSCRIBE", "PATCH",   "PURGE",    "MKCALENDAR", "LINK",     "UNLINK",   "SOURCE"};

// R1
bool method_unknown_to_http_parser(const ParsedRequest& request) {
  return std::find(k_http_parser_methods.begin(), k_http_parser_methods.end(), request.method) ==
         k_http_parser_methods.end();
}

// R4
bool opens_a_tunnel(const ParsedRequest& request) {
  if (request.method == "CONNECT") return true;
  bool upgrade_option = false;
  for (const auto& [name, value] : request.headers) {
    if (iequals(name, "Connection") && has_token(value, "upgrade")) upgrade_option = true;
  }
  return upgrade_option && request.header("Upgrade").has_value();
}

// R7: a CR followed by something else than LF in `bytes`, past the CR and LF that may come
// before a request.
bool has_bare_cr(std::string_view bytes) {
  const auto start = bytes.find_first_not_of("\r\n");
  if (start == std::string_view::npos) return false;
  for (std::size_t i = start; i + 1 < bytes.size(); ++i) {
    if (bytes[i] == '\r' && bytes[i + 1] != '\n') return true;
  }
  return false;
}

// R9: a Connection value of more than one element, or with an empty one.
bool connection_is_a_list(const ParsedRequest& request) {
  return std::any_of(request.headers.begin(), request.headers.end(), [](const auto& header) {
    return iequals(header.first, "Connection") && header.second.find(',') != std::string::npos;
  });
}

// R8
bool has_longer_transfer_encoding_name(const ParsedRequest& request) {
  constexpr std::string_view k_name = "Transfer-Encoding";
  return std::any_of(request.headers.begin(), request.headers.end(), [&](const auto& header) {
    return header.first.size() > k_name.size() && iequals(std::string_view(header.first).substr(0, k_name.size()), k_name);
  });
}

// R11: how the chunk-size lines of a chunked request ctg completed are written, read as ctg reads
// them (the bytes are known to be well formed): whether one has a tab in the whitespace around its
// extensions, and whether one of them, or the end of chunk data, ends with a lone LF.
struct ChunkLines {
  bool tab = false;
  bool bare_lf = false;
};

ChunkLines chunk_lines(const CtgMessage& message, std::string_view stream) {
  ChunkLines out;
  auto bytes = stream.substr(message.begin, message.end - message.begin);
  bytes.remove_prefix(std::min(bytes.size(), bytes.find_first_not_of("\r\n")));
  std::size_t head_end = bytes.size();
  for (std::size_t i = bytes.find('\n'); i != std::string_view::npos; i = bytes.find('\n', i + 1)) {
    if (i + 1 < bytes.size() && bytes[i + 1] == '\n') {
      head_end = i + 2;
      break;
    }
    if (i + 2 < bytes.size() && bytes[i + 1] == '\r' && bytes[i + 2] == '\n') {
      head_end = i + 3;
      break;
    }
  }
  std::size_t at = head_end;
  while (at < bytes.size()) {
    const auto lf = bytes.find('\n', at);
    if (lf == std::string_view::npos) break;
    auto line = bytes.substr(at, lf - at);
    if (line.empty() || line.back() != '\r') out.bare_lf = true;
    if (line.find('\t') != std::string_view::npos) out.tab = true;
    std::uint64_t size = 0;
    for (const char c : line) {
      const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (digit < 0 || size > (UINT64_MAX >> 4)) break;
      size = size * 16 + static_cast<std::uint64_t>(digit);
    }
    if (size == 0 || size > bytes.size()) break;  // the trailers follow (or a body that was dropped)
    at = lf + 1 + size;
    if (at < bytes.size() && bytes[at] != '\r') out.bare_lf = true;
    const auto data_end = bytes.find('\n', at);
    if (data_end == std::string_view::npos) break;
    at = data_end + 1;
  }
  return out;
}

// R6
bool has_proxy_connection(const ParsedRequest& request) { return request.header("Proxy-Connection").has_value(); }

// Whether http_parser's refusal of `message` (with `error`) is one of the rules.
bool refusal_by_design(const CtgMessage& message, std::string_view stream, http_errno error) {
  const ParsedRequest& request = message.request;
  if (error == HPE_INVALID_CHUNK_SIZE && request.chunked) {
    const auto lines = chunk_lines(message, stream);
    if (lines.tab && !lines.bare_lf) return true;  // R11
  }
  if (error == HPE_INVALID_METHOD && method_unknown_to_http_parser(request)) return true;  // R1
  if ((error == HPE_UNEXPECTED_CONTENT_LENGTH || error == HPE_INVALID_CONTENT_LENGTH) &&
      request.header("Content-Length")) {
    return true;  // R2
  }
  if ((error == HPE_INVALID_TRANSFER_ENCODING || error == HPE_UNEXPECTED_CONTENT_LENGTH) &&
      has_longer_transfer_encoding_name(request)) {
    return true;  // R8
  }
  if (error == HPE_INVALID_TRANSFER_ENCODING && request.chunked) return true;                         // R9
  // R10: ctg refuses Content-Length beside chunked in the head, so one http_parser objects to in a
  // chunked request ctg completed is among its trailers.
  if ((error == HPE_UNEXPECTED_CONTENT_LENGTH || error == HPE_INVALID_CONTENT_LENGTH) && request.chunked) return true;
  return error == HPE_INVALID_URL;  // R3
}

std::string shown(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 80)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      constexpr std::string_view k_hex = "0123456789abcdef";
      out += "\\x";
      out += k_hex[u >> 4];
      out += k_hex[u & 15];
    }
  }
  return out;
}

std::string describe(const CtgMessage& mine) {
  return "ctg: " + shown(mine.request.method) + " " + shown(mine.request.target) + " ending at " +
         std::to_string(mine.end) + ", body " + std::to_string(mine.request.body_bytes_seen) +
         (mine.request.keep_alive ? ", keep-alive" : ", close");
}

std::string describe(const HpMessage& theirs) {
  return "http_parser: " + theirs.method + " " + shown(theirs.url) + " ending at " + std::to_string(theirs.end) +
         ", body " + std::to_string(theirs.body) + (theirs.keep_alive ? ", keep-alive" : ", close");
}

void mismatch(std::size_t index, std::string_view what, const std::string& detail) {
  check(false, "request " + std::to_string(index) + ": " + std::string(what) + " (" + detail + ")");
}

void compare(std::string_view stream) {
  const CtgRun ctg = run_ctg(stream);
  const HpRun hp = run_http_parser(stream);
  for (std::size_t i = 0;; ++i) {
    if (i < hp.messages.size() && hp.messages[i].upgrade) return;  // R4, as http_parser sees it
    if (i == ctg.messages.size()) {
      // ctg refused the next request, or waits for more of it.
      if (!ctg.failed && i < hp.messages.size()) {
        const auto& theirs = hp.messages[i];
        if (ctg.in_head && has_bare_cr(stream.substr(ctg.pending_at, theirs.end - ctg.pending_at))) return;  // R7
        mismatch(i, "http_parser completed a request where ctg waits for more bytes", describe(theirs));
      }
      return;
    }
    const CtgMessage& mine = ctg.messages[i];
    if (opens_a_tunnel(mine.request)) return;  // R4
    if (i >= hp.messages.size()) {
      if (hp.error == HPE_OK) mismatch(i, "ctg completed a request that http_parser still reads", describe(mine));
      if (!refusal_by_design(mine, stream, hp.error)) {
        mismatch(i, "http_parser refused a request that ctg completed, and no rule allows it",
                 describe(mine) + "; http_parser: " + http_errno_name(hp.error));
      }
      return;
    }
    const HpMessage& theirs = hp.messages[i];
    if (theirs.end != mine.end || theirs.method != mine.request.method || theirs.url != mine.request.target ||
        theirs.body != mine.request.body_bytes_seen) {
      mismatch(i, "ctg and http_parser read different requests", describe(mine) + "; " + describe(theirs));
    }
    if (mine.request.keep_alive && !theirs.keep_alive) {
      if (has_proxy_connection(mine.request)) return;  // R6
      if (mine.request.chunked) return;                 // R10
      if (connection_is_a_list(mine.request)) return;  // R9
      mismatch(i, "ctg keeps a connection alive that http_parser closes", describe(mine) + "; " + describe(theirs));
    }
    if (!mine.request.keep_alive) return;  // R5
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  compare(ctg::fuzz::as_text(data, size));
  return 0;
}
