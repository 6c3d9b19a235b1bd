// ctg::net — an incremental HTTP/1.1 request parser (RFC 9112), for servers that read sockets
// themselves: bytes go in as they arrive, in pieces of any size, and the parser says when a whole
// request (head and body, chunked or not) is there, or which status to answer when it cannot be.
//
// It parses one request at a time: feed() stops at the end of a request, so the bytes of the next
// (pipelined) request are left for the caller to feed again after reset(). Limits are checked as
// bytes arrive, so that a client cannot make it buffer more than the limits allow; the body grows
// as it arrives (a declared Content-Length reserves nothing beyond 64 KiB).
//
// What RFC 9112 asks of a server, and this parser does (every refusal is state failed, after which
// the connection must be closed):
//   - request-target: origin-form ("/path?query"), absolute-form ("http://host:port/path", http or
//     https in any case; no userinfo, a host required), asterisk-form ("*"), and authority-form
//     ("host:port") for CONNECT only; anything else is 400. ParsedRequest::path is the origin-form.
//   - Host: an HTTP/1.1 request must carry exactly one, and any request's Host must be a valid
//     `uri-host [ ":" port ]` (3.2); otherwise 400. Its value is not compared with an absolute
//     target's authority (3.2.2: the target wins).
//   - framing (6): Transfer-Encoding, else Content-Length, else no body; both at once is 400.
//     chunked must be the final coding (400 otherwise) and appear once (400); any other coding is
//     501; an empty Transfer-Encoding is 400. Transfer-Encoding in an HTTP/1.0 request is faulty
//     framing (6.1): refused with 400, which closes the connection, rather than read.
//   - chunked (7.1): `chunk-size [ chunk-ext ] CRLF` to the letter: hex digits first (no
//     whitespace before), then only `BWS ";" BWS name [ BWS "=" BWS value ]` extensions (names
//     tokens, values tokens or quoted strings); no control character, no CR that is not followed
//     by LF, in chunk lines, after chunk data or in trailers; trailer lines are field lines.
//     Extensions and trailer fields are checked and dropped.
//   - `Expect: 100-continue` with a declared body over max_body: 413 right after the head, so that
//     the server answers without inviting the body.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ctg::net {

struct ParsedRequest {
  std::string method;
  std::string target;             // as sent: "/contiguity/webhook?x=1", "http://h:3000/w?x=1"
  // The target's origin-form, path and query: the target itself when it is in origin-form, the
  // path and query of an absolute-form target ("/" when its path is empty: "http://h?x=1" gives
  // "/?x=1"), "*" for asterisk-form, "" for authority-form (CONNECT). Set with method and target.
  std::string path;
  int minor_version = 1;          // HTTP/1.<minor_version>
  std::vector<std::pair<std::string, std::string>> headers;  // in order, values trimmed
  std::string body;               // decoded when chunked
  bool chunked = false;
  bool keep_alive = true;         // what the client asked for (HTTP/1.0 needs "Connection: keep-alive")
  bool expects_continue = false;  // "Expect: 100-continue"
  // The body was larger than ParserLimits::max_body: it was read and dropped (body is empty), so
  // that the connection stays in step for the next request.
  bool body_too_large = false;
  // Bytes of body that arrived so far (decoded when chunked), those dropped when body_too_large
  // included: the full length of a body that was cut, cut short or refused.
  std::uint64_t body_bytes_seen = 0;

  // The first header of that name (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
};

struct ParserLimits {
  std::size_t max_head = 16 * 1024;  // request line and headers together: 431 beyond (414 for a long target)
  std::size_t max_headers = 100;     // 431 beyond
  std::size_t max_body = 1024 * 1024;  // a larger body is read and dropped (body_too_large)...
  std::uint64_t max_drain = 64ULL * 1024 * 1024;  // ...up to this much; beyond, 413 and failed
  // (413 and failed at once, too, when "Expect: 100-continue" comes with a Content-Length over
  // max_body: the client waits to be invited before it sends the body.)
};

class RequestParser {
 public:
  enum class State {
    head,      // reading the request line and headers
    body,      // the head is complete; reading the body
    complete,  // request() holds a whole request
    failed,    // error_status() and error_message() say why; the connection cannot be kept
  };

  explicit RequestParser(ParserLimits limits = {});

  // Consumes bytes of `input` and returns how many. Stops early at the end of a request (state
  // complete) or at an error (state failed); otherwise consumes everything.
  std::size_t feed(std::string_view input);

  State state() const { return m_state; }
  // True once the head is parsed (state body or complete): request() has method, target, headers.
  // A request that failed has what was read before the failure: method, target and path once the
  // request line was accepted (empty when it was refused, a malformed target included), and the
  // headers as far as they were read.
  bool head_complete() const { return m_state == State::body || m_state == State::complete; }
  const ParsedRequest& request() const { return m_request; }
  ParsedRequest& request() { return m_request; }

  // When failed: the status to answer (400, 413, 414, 431, 501, 505) and why, in words.
  int error_status() const { return m_error_status; }
  const std::string& error_message() const { return m_error_message; }

  // The bytes this parser holds for the current request: the head read so far (or the whole head,
  // once parsed), the body kept so far and a partial chunk or trailer line. A server can add these
  // up across connections to bound what all of them buffer. Sizes, not capacities; the parsed
  // headers in request() repeat the head and are not counted again. 0 after reset().
  std::size_t buffered_bytes() const { return m_buffer.size() + m_request.body.size() + m_line.size(); }
  // Bytes of body that arrived for the current request, dropped ones included (the same as
  // request().body_bytes_seen, which a caller that moved the request out still has).
  std::uint64_t body_bytes_seen() const { return m_request.body_bytes_seen; }

  // Ready for the next request on the same connection.
  void reset();

 private:
  enum class BodyMode { none, length, chunk_size, chunk_data, chunk_data_end, trailers };

  void fail(int status, std::string message);
  // Parses the head in m_buffer (complete up to and including the blank line).
  void parse_head(std::string_view head);
  // Takes a line (without its line ending) from the front of `input` into m_line; returns the
  // number of bytes consumed, and sets `done` when a whole line was read. Fails (400) on a line
  // longer than `max` or on a CR that is not followed by LF.
  std::size_t take_line(std::string_view input, std::size_t max, bool& done);
  std::size_t feed_body(std::string_view input);

  ParserLimits m_limits;
  State m_state = State::head;
  ParsedRequest m_request;
  std::string m_buffer;      // the head so far
  std::string m_line;        // a chunk-size or trailer line so far
  BodyMode m_body_mode = BodyMode::none;
  std::uint64_t m_remaining = 0;  // bytes left of the body (length) or of the chunk
  std::uint64_t m_dropped = 0;    // body bytes read and dropped (body_too_large)
  std::size_t m_trailer_bytes = 0;
  int m_error_status = 0;
  std::string m_error_message;
};

}  // namespace ctg::net
