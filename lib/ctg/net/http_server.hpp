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
  // 501, 505) and why. The connection closes after the answer; when the client has already gone,
  // the answer is dropped (the handler still sees the request, to record it).
  int error_status = 0;
  std::string error_message;
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
  std::size_t max_connections = 10'000;  // beyond, new connections are closed at once
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
