// `ctg listen` against RFC 9112 over real sockets: each case is sent byte for byte to a running
// listener, and the test asserts the exact status line and whether the connection is closed by the
// server (no answer to anything sent after) or stays in step (a following delivery is answered).
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <string_view>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "listen_support.hpp"

using namespace ctg::test;

namespace {

// The status line of an answer ("HTTP/1.1 400 Bad Request"); "" when none came.
std::string status_line(const HttpAnswer& answer) {
  return answer.head.substr(0, answer.head.find("\r\n"));
}

// The "message" of listen's JSON answer, else the whole body.
std::string message_of(const HttpAnswer& answer) {
  const auto json = answer.json();
  if (json.is_object() && json.contains("message") && json["message"].is_string()) return json["message"];
  return answer.body;
}

// An unsigned delivery of a fresh event (the listener has no secret) to `target`.
std::string unsigned_delivery(std::string_view target = k_webhook_path, std::string_view host = "127.0.0.1") {
  const auto event = make_event();
  return fmt::format("POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                     target, host, event.body.size(), event.body);
}

// What a POST to the webhook path with `headers` (lines ending in CRLF, Host included if wanted)
// and `rest` (the body, as framed) looks like.
std::string webhook_post(std::string_view headers, std::string_view rest) {
  return fmt::format("POST {} HTTP/1.1\r\n{}\r\n{}", k_webhook_path, headers, rest);
}

// Sends `request` and, in the same write, a valid delivery after it. Expects the answer to
// `request` to be `line` with a message holding `words`, then the connection closed by the server
// with no answer to the delivery. (One write: the server has read both before it closes, so its
// close is a FIN, not a reset that could discard the answer.)
void check_refused_and_closed(int port, std::string_view request, std::string_view line, std::string_view words) {
  CAPTURE(request);
  Connection connection(port);
  REQUIRE(connection.ok());
  REQUIRE(connection.send(std::string(request) + unsigned_delivery()));
  const auto answer = connection.read_answer(10000);
  CHECK(status_line(answer) == line);
  CHECK_MESSAGE(message_of(answer).find(words) != std::string::npos, message_of(answer));
  CHECK(answer.header("Connection") == "close");
  const auto next = connection.read_answer(10000);
  CHECK(next.status == 0);  // the delivery sent after it was not read as a request
  CHECK(next.closed);       // recv returned 0: the server closed the connection
}

// Sends `request`; expects `line`, then a valid delivery on the same connection answered 200.
void check_answered_in_step(Connection& connection, std::string_view request, std::string_view line) {
  CAPTURE(request);
  REQUIRE(connection.send(request));
  const auto answer = connection.read_answer(10000);
  CHECK(status_line(answer) == line);
  CHECK_FALSE(answer.closed);
  REQUIRE(connection.send(unsigned_delivery()));
  CHECK(status_line(connection.read_answer(10000)) == "HTTP/1.1 200 OK");
}

// Reads from `fd` until `bytes` came or `timeout_ms` passed; returns what was read.
std::string read_until(int fd, std::string_view bytes, int timeout_ms) {
  std::string in;
  const auto start = std::chrono::steady_clock::now();
  while (in.find(bytes) == std::string::npos && ms_since(start) < timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buffer[4096];
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    in.append(buffer, static_cast<std::size_t>(n));
  }
  return in;
}

}  // namespace

TEST_CASE("cli::listen refuses what RFC 9112 refuses, with the exact status, and closes the connection") {
  TempDir dir;
  Listener listener(dir, {.secret = ""});
  REQUIRE(listener.ready());
  const int port = listener.port();
  const std::string body = make_event().body;
  const std::string framed = fmt::format("Content-Type: application/json\r\nContent-Length: {}\r\n", body.size());

  SUBCASE("HTTP/1.1 without Host (3.2)") {
    check_refused_and_closed(port, webhook_post(framed, body), "HTTP/1.1 400 Bad Request",
                             "HTTP/1.1 request without a Host header");
  }
  SUBCASE("two Host field lines (3.2)") {
    check_refused_and_closed(port, webhook_post("Host: 127.0.0.1\r\nHost: 127.0.0.1\r\n" + framed, body),
                             "HTTP/1.1 400 Bad Request", "Host is given more than once");
  }
  SUBCASE("a Host that is not uri-host [\":\" port] (3.2)") {
    for (const std::string_view host : {"a b", "127.0.0.1:port", "user@127.0.0.1", "[::1"}) {
      check_refused_and_closed(port, webhook_post(fmt::format("Host: {}\r\n", host) + framed, body),
                               "HTTP/1.1 400 Bad Request", "is not a valid host[:port]");
    }
  }
  SUBCASE("an absolute-form target with userinfo or without a host (3.2.2)") {
    check_refused_and_closed(port,
                             fmt::format("POST http://user@127.0.0.1:{}{} HTTP/1.1\r\nHost: 127.0.0.1\r\n{}\r\n{}",
                                         port, k_webhook_path, framed, body),
                             "HTTP/1.1 400 Bad Request", "carries userinfo (user@host)");
    check_refused_and_closed(
        port, fmt::format("POST http://{} HTTP/1.1\r\nHost: 127.0.0.1\r\n{}\r\n{}", k_webhook_path, framed, body),
        "HTTP/1.1 400 Bad Request", "has no host");
  }
  SUBCASE("Transfer-Encoding in HTTP/1.0 (6.1): refused, and the connection is not kept") {
    check_refused_and_closed(port,
                             fmt::format("POST {} HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n"
                                         "Content-Type: application/json\r\n\r\n{:x}\r\n{}\r\n0\r\n\r\n",
                                         k_webhook_path, body.size(), body),
                             "HTTP/1.1 400 Bad Request", "Transfer-Encoding in an HTTP/1.0 request");
  }
  SUBCASE("chunked that is not the final coding (6.3)") {
    check_refused_and_closed(port,
                             webhook_post("Host: 127.0.0.1\r\nTransfer-Encoding: chunked, identity\r\n",
                                          fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", body.size(), body)),
                             "HTTP/1.1 400 Bad Request", "chunked is not the final transfer coding");
  }
  SUBCASE("a coding other than chunked (6.1): 501") {
    check_refused_and_closed(port, webhook_post("Host: 127.0.0.1\r\nTransfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"),
                             "HTTP/1.1 501 Not Implemented",
                             "transfer coding \"gzip\" is not supported (only chunked is)");
  }
  SUBCASE("whitespace before a chunk size (7.1)") {
    check_refused_and_closed(port,
                             webhook_post("Host: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n",
                                          fmt::format(" {:x}\r\n{}\r\n0\r\n\r\n", body.size(), body)),
                             "HTTP/1.1 400 Bad Request", "whitespace before the size");
  }
  SUBCASE("a bare CR in a chunk extension (7.1.1)") {
    check_refused_and_closed(port,
                             webhook_post("Host: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n",
                                          fmt::format("{:x};a\rb=c\r\n{}\r\n0\r\n\r\n", body.size(), body)),
                             "HTTP/1.1 400 Bad Request", "a bare CR");
  }
  SUBCASE("a control character in a chunk extension (7.1.1)") {
    check_refused_and_closed(port,
                             webhook_post("Host: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n",
                                          fmt::format("{:x};a=\x1b[2J\r\n{}\r\n0\r\n\r\n", body.size(), body)),
                             "HTTP/1.1 400 Bad Request", "holds a control character");
  }
  SUBCASE("a trailer line that is not a field line (7.1.2)") {
    check_refused_and_closed(port,
                             webhook_post("Host: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n",
                                          fmt::format("{:x}\r\n{}\r\n0\r\nnot a field\r\n\r\n", body.size(), body)),
                             "HTTP/1.1 400 Bad Request", "malformed trailer field");
  }
  SUBCASE("Expect: 100-continue with a declared body over the limit: 413 at once, never 100 Continue") {
    Connection connection(port);
    REQUIRE(connection.ok());
    REQUIRE(
        connection.send(webhook_post("Host: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Type: application/json\r\n"
                                     "Content-Length: 2097152\r\n",
                                     "")));
    const auto answer = connection.read_answer(10000);
    CHECK(status_line(answer) == "HTTP/1.1 413 Content Too Large");  // not "HTTP/1.1 100 Continue"
    CHECK(answer.body.find("100 Continue") == std::string::npos);
    CHECK(answer.elapsed.count() < 4000);  // not after listen's read timeout (5 s)
    CHECK(answer.header("Connection") == "close");
    const auto next = connection.read_answer(10000);
    CHECK(next.status == 0);
    CHECK(next.closed);
  }
  // A valid delivery is still acknowledged after all of that.
  const auto after = raw_exchange(port, unsigned_delivery());
  CHECK(status_line(after) == "HTTP/1.1 200 OK");
}

TEST_CASE("cli::listen keeps the connection in step after what RFC 9112 accepts") {
  TempDir dir;
  Listener listener(dir, {.secret = ""});
  REQUIRE(listener.ready());
  const int port = listener.port();
  Connection connection(port);
  REQUIRE(connection.ok());
  const auto event = make_event();

  SUBCASE("HTTP/1.0 without Host") {
    check_answered_in_step(
        connection,
        fmt::format("POST {} HTTP/1.0\r\nConnection: keep-alive\r\nContent-Type: application/json\r\n"
                    "Content-Length: {}\r\n\r\n{}",
                    k_webhook_path, event.body.size(), event.body),
        "HTTP/1.1 200 OK");
  }
  SUBCASE("chunk extensions with BWS and quoted values, and trailer fields") {
    check_answered_in_step(
        connection,
        webhook_post("Host: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
                     fmt::format("{:x} ; a = b ;c=\"d \\\" e\"\r\n{}\r\n0\r\nX-Trailer: 1\r\n\r\n", event.body.size(),
                                 event.body)),
        "HTTP/1.1 200 OK");
  }
  SUBCASE("Expect: 100-continue within the limit: 100 Continue, then the answer") {
    REQUIRE(connection.send(webhook_post(
        fmt::format(
            "Host: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            event.body.size()),
        "")));
    CHECK(read_until(connection.fd(), "\r\n\r\n", 10000) == "HTTP/1.1 100 Continue\r\n\r\n");
    check_answered_in_step(connection, event.body, "HTTP/1.1 200 OK");
  }
  SUBCASE("a body over the limit without Expect: read and dropped, 413, and the connection kept") {
    const std::string big(2 * 1024 * 1024, 'x');
    check_answered_in_step(
        connection,
        webhook_post("Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\n", big),
        "HTTP/1.1 413 Content Too Large");
  }
}

// Needs the receiver to route on ParsedRequest::path (lib/ctg/listen/receiver.cpp): before that,
// an absolute-form target is answered 404.
TEST_CASE("cli::listen accepts an absolute-form target (RFC 9112, 3.2.2) [receiver routes on path]") {
  TempDir dir;
  Listener listener(dir, {.secret = ""});
  REQUIRE(listener.ready());
  const int port = listener.port();
  Connection connection(port);
  REQUIRE(connection.ok());
  const auto event = make_event();
  // The Host field's value is ignored for an absolute-form target; its presence is still required.
  REQUIRE(
      connection.send(fmt::format("POST http://127.0.0.1:{}{}?x=1 HTTP/1.1\r\nHost: elsewhere.example\r\n"
                                  "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                                  port, k_webhook_path, event.body.size(), event.body)));
  const auto answer = connection.read_answer(10000);
  CHECK(status_line(answer) == "HTTP/1.1 200 OK");
  CHECK(answer.json()["id"] == event.id);
  CHECK_FALSE(answer.closed);
  // In step: the path of an absolute target is what is routed (another path: 404), the scheme is
  // read in any case, and origin-form follows.
  REQUIRE(connection.send(unsigned_delivery(fmt::format("HTTP://127.0.0.1:{}/elsewhere?x=1", port))));
  CHECK(status_line(connection.read_answer(10000)) == "HTTP/1.1 404 Not Found");
  REQUIRE(connection.send(unsigned_delivery()));
  CHECK(status_line(connection.read_answer(10000)) == "HTTP/1.1 200 OK");
}

// Needs `listen --read-timeout` and the receiver answering 408 to a request that timed out.
TEST_CASE("cli::listen answers 408 and closes when a body stops arriving [--read-timeout, 408]") {
  TempDir dir;
  Listener listener(dir, {.args = {"--read-timeout", "1"}, .secret = ""});
  REQUIRE(listener.ready());
  Connection connection(listener.port());
  REQUIRE(connection.ok());
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(connection.send(
      webhook_post("Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n", "{\"id\":\"evt_")));
  const auto answer = connection.read_answer(15000);
  CHECK(status_line(answer) == "HTTP/1.1 408 Request Timeout");
  CHECK(ms_since(start) >= 900);  // after the timeout, not before
  CHECK(answer.header("Connection") == "close");
  const auto next = connection.read_answer(10000);
  CHECK(next.status == 0);
  CHECK(next.closed);
}
