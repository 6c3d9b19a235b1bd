// ctg::net — an HTTP/1.1 server on epoll event loops, for receivers that must answer many small
// requests quickly and may answer later (after a journal commit).
//
// Each loop runs on its own thread; loop 0 accepts and deals the connections to the loops in
// turn. A loop reads, parses (RequestParser), hands each whole request to the handler, and writes
// answers, each in a single send. The handler runs on the loop's thread (with several loops, on
// several threads at once) and must not block; it answers through the Responder, now or later,
// from any thread, exactly once. After each round of network events the loop calls on_round_end,
// where a handler can finish the round's requests together (one journal commit), and then writes
// the answers owed. A connection reads its next (keep-alive or pipelined) request only after the
// previous one is answered, so answers go out in order. Slow clients cost a buffer, not a thread:
// a client trickling its headers cannot delay anyone else. TLS (OpenSSL) is optional.
//
// Bounds (ServerOptions): what one connection may make the server hold or do is limited, and so is
// what all of them together may: a round hands over at most `max_requests_per_round` requests of a
// connection (a pipelining client waits its turn like the others); a connection whose client does
// not read its answers stops being read once `max_unsent` bytes of them wait; the request bytes
// held by all connections (heads, bodies being read, pipelined input) stay within `max_buffered`,
// a request that would go beyond being refused 503 at once; accept() out of descriptors pauses
// accepting instead of spinning; `max_connections` stays below the descriptor limit.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ctg/core/error.hpp"
#include "ctg/net/http_parser.hpp"

namespace ctg::net {

struct ServerAnswer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // more headers (Allow, ...)
  bool close = false;  // close the connection once this answer is written
};

struct ServerRequest {
  ParsedRequest request;  // as far as it was parsed when error_status is set
  std::string peer;       // "127.0.0.1:53422", "[::1]:53422"
  // Not 0 when no whole request could be read: the status to answer (400, 408, 413, 414, 431,
  // 501, 505; 503 when the request would take the bytes held over ServerOptions::max_buffered)
  // and why. The connection closes after the answer; when the client has already gone, the answer
  // is dropped (the handler still sees the request, to record it).
  int error_status = 0;
  std::string error_message;
  // The body bytes that arrived for this request: body.size(), or more when the body was read and
  // dropped (body_too_large) or the request was cut short.
  std::uint64_t body_bytes_seen = 0;
  std::chrono::steady_clock::time_point started;  // when its first byte arrived
  std::size_t loop = 0;  // the event loop (0 .. loops - 1) that hands it over
};

class Responder {
 public:
  // Sends the answer (from any thread; only the first call counts). Dropped when the connection
  // has closed or the server has gone.
  void operator()(ServerAnswer answer) const;

  struct Mailbox;
  Responder(std::shared_ptr<Mailbox> mailbox, std::uint64_t connection, std::uint64_t request)
      : m_mailbox(std::move(mailbox)), m_connection(connection), m_request(request) {}

 private:
  std::shared_ptr<Mailbox> m_mailbox;
  std::uint64_t m_connection = 0;
  std::uint64_t m_request = 0;  // which request of the connection this answers
};

// "OK", "Not Found", "Too Many Requests", ... (a generic phrase for codes not listed).
std::string_view reason_phrase(int status);

using ServerHandler = std::function<void(ServerRequest&& request, Responder respond)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (port() says which)
  ParserLimits limits;
  // A request must arrive whole within this of its first byte (408 otherwise); an idle keep-alive
  // connection is closed after idle_timeout.
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds idle_timeout{5'000};
  // Open connections at most; beyond, new connections are closed at once. create() lowers it to
  // the soft RLIMIT_NOFILE less k_reserved_descriptors, so accept() does not run out first.
  std::size_t max_connections = 10'000;
  // Request bytes held by all connections together (heads, bodies being read, pipelined input not
  // yet parsed; a Content-Length body counts in full from its head on). A request that would take
  // the total beyond is answered 503 (with error_message saying so) and its connection closed;
  // requests of at most 64 KiB may use a reserve of a quarter more, so that clients holding large
  // bodies cannot shut small deliveries out.
  std::size_t max_buffered = std::size_t{64} << 20;
  // Answer bytes a connection's client has not taken yet: beyond, its next requests are not read
  // until it takes them (a client that pipelines without reading holds the server's memory still).
  std::size_t max_unsent = std::size_t{256} << 10;
  // Requests of one connection handed to the handler in one round of network events; the rest of
  // its pipelined requests wait for the next round, after the other connections have had theirs.
  std::size_t max_requests_per_round = 8;
  // accept() out of descriptors (EMFILE, ENFILE): accepting pauses this long, then tries again.
  std::chrono::milliseconds accept_pause{100};
  // After stop(): how long answers still owed may take before run() returns anyway.
  std::chrono::milliseconds stop_grace{2'000};
  // Event loops, each on its own thread; the connections accepted are dealt to them in turn.
  std::size_t loops = 1;
  // Called on a loop's thread after each round of readiness events (the round's requests have
  // been handed to the handler), before the answers owed are written and the loop waits again:
  // where a handler that answers in batches does its batch work for that loop.
  std::function<void(std::size_t loop)> on_round_end;
  // TLS: PEM files; both empty for plain HTTP.
  std::string cert_file;
  std::string key_file;
};

// Descriptors kept free beyond the connections (journal, forwards, logs): see max_connections.
inline constexpr std::size_t k_reserved_descriptors = 64;

// What the server holds now, over all loops (each figure read on its own, from any thread).
struct ServerStats {
  std::size_t connections = 0;   // open
  std::size_t held_bytes = 0;    // request bytes counted against max_buffered
  std::size_t unsent_bytes = 0;  // answer bytes queued and not yet taken by the clients' sockets
};

class HttpServer {
 public:
  // Errors: usage (TLS files unreadable, or a key that does not match the certificate).
  static Result<std::unique_ptr<HttpServer>> create(ServerOptions options, ServerHandler handler);
  // Binds and listens (net::listen_on). Errors (io): "cannot bind 127.0.0.1:3000: address already
  // in use", and the like, with a hint.
  Result<void> bind();
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;  // after bind()
  bool tls() const;
  ServerStats stats() const;

  // Serves on the calling thread until stop() and the answers still owed are written.
  // REQUIRES: bind() succeeded.
  void run();
  // Stops accepting and ends run() (from any thread, or a signal watcher thread).
  void stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace ctg::net
