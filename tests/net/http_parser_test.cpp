#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "ctg/net/http_parser.hpp"

using ctg::net::ParserLimits;
using ctg::net::RequestParser;
using State = RequestParser::State;

namespace {

const std::string k_post =
    "POST /contiguity/webhook HTTP/1.1\r\n"
    "Host: 127.0.0.1:3000\r\n"
    "Content-Type: application/json\r\n"
    "Contiguity-Signature:  t=1,v1=ab  \r\n"
    "Content-Length: 11\r\n"
    "\r\n"
    "{\"id\":\"e1\"}";

// Feeds `input` in pieces of `step` bytes, as a socket might deliver it; returns bytes consumed.
std::size_t feed_in_pieces(RequestParser& parser, std::string_view input, std::size_t step) {
  std::size_t used = 0;
  while (used < input.size() && parser.state() != State::complete && parser.state() != State::failed) {
    const auto piece = input.substr(used, std::min(step, input.size() - used));
    const auto n = parser.feed(piece);
    used += n;
    if (n < piece.size()) break;  // stopped at the end of a request or at an error
  }
  return used;
}

void check_fails(std::string_view input, int status, std::string_view words, ParserLimits limits = {}) {
  RequestParser parser(limits);
  feed_in_pieces(parser, input, input.size());
  REQUIRE(parser.state() == State::failed);
  CHECK(parser.error_status() == status);
  CHECK_MESSAGE(parser.error_message().find(words) != std::string::npos, parser.error_message());
}

}  // namespace

TEST_CASE("net::RequestParser reads a request whole or byte by byte, alike") {
  for (const std::size_t step : {k_post.size(), std::size_t{1}, std::size_t{7}}) {
    CAPTURE(step);
    RequestParser parser;
    CHECK(feed_in_pieces(parser, k_post, step) == k_post.size());
    REQUIRE(parser.state() == State::complete);
    const auto& r = parser.request();
    CHECK(r.method == "POST");
    CHECK(r.target == "/contiguity/webhook");
    CHECK(r.minor_version == 1);
    CHECK(r.body == "{\"id\":\"e1\"}");
    CHECK(r.keep_alive);
    CHECK_FALSE(r.chunked);
    REQUIRE(r.headers.size() == 4);
    CHECK(r.headers[2].first == "Contiguity-Signature");
    CHECK(r.headers[2].second == "t=1,v1=ab");  // surrounding whitespace trimmed
    CHECK(r.header("content-type").value() == "application/json");
    CHECK_FALSE(r.header("X-Missing").has_value());
  }
}

TEST_CASE("net::RequestParser stops at the end of a request and leaves the next one") {
  const std::string two = k_post + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  RequestParser parser;
  const auto used = parser.feed(two);
  CHECK(used == k_post.size());
  REQUIRE(parser.state() == State::complete);
  parser.reset();
  CHECK(parser.feed(std::string_view(two).substr(used)) == two.size() - used);
  REQUIRE(parser.state() == State::complete);
  CHECK(parser.request().method == "GET");
  CHECK(parser.request().body.empty());
}

TEST_CASE("net::RequestParser reports the head before the body has arrived") {
  RequestParser parser;
  parser.feed(std::string_view(k_post).substr(0, k_post.size() - 3));
  CHECK(parser.state() == State::body);
  CHECK(parser.head_complete());
  CHECK(parser.request().header("Content-Length").value() == "11");
  parser.feed(std::string_view(k_post).substr(k_post.size() - 3));
  CHECK(parser.state() == State::complete);
}

TEST_CASE("net::RequestParser decodes chunked bodies, extensions and trailers included") {
  const std::string chunked =
      "POST /w HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n"
      "1\r\n \r\n"
      "A\r\n0123456789\r\n"
      "0\r\nX-Trailer: 1\r\n\r\n";
  for (const std::size_t step : {chunked.size(), std::size_t{1}, std::size_t{3}}) {
    CAPTURE(step);
    RequestParser parser;
    CHECK(feed_in_pieces(parser, chunked, step) == chunked.size());
    REQUIRE(parser.state() == State::complete);
    CHECK(parser.request().chunked);
    CHECK(parser.request().body == "hello 0123456789");
  }
}

TEST_CASE("net::RequestParser accepts bare LF line endings and leading empty lines") {
  RequestParser parser;
  const std::string request = "\r\n\nPOST /w HTTP/1.1\nContent-Length: 2\n\nok";
  CHECK(parser.feed(request) == request.size());
  REQUIRE(parser.state() == State::complete);
  CHECK(parser.request().body == "ok");
}

TEST_CASE("net::RequestParser knows when the client wants the connection kept") {
  const auto keep = [](std::string head) {
    RequestParser parser;
    parser.feed(head + "\r\n");
    REQUIRE(parser.state() == State::complete);
    return parser.request().keep_alive;
  };
  CHECK(keep("GET / HTTP/1.1\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.1\r\nConnection: close\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.0\r\n"));
  CHECK(keep("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.1\r\nConnection: upgrade, close\r\n"));

  RequestParser parser;
  parser.feed("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
  CHECK(parser.state() == State::body);
  CHECK(parser.request().expects_continue);
}

TEST_CASE("net::RequestParser refuses malformed requests with 400 and says why") {
  check_fails("POST /w\r\n\r\n", 400, "malformed request line");
  check_fails("POST  /w HTTP/1.1\r\n\r\n", 400, "malformed request target");
  check_fails("PO(ST /w HTTP/1.1\r\n\r\n", 400, "malformed method");
  check_fails("POST /w HTTX/1.1\r\n\r\n", 400, "malformed HTTP version");
  check_fails("POST /w HTTP/1.1\r\nNo colon here\r\n\r\n", 400, "without ':'");
  check_fails("POST /w HTTP/1.1\r\nBad Name: x\r\n\r\n", 400, "malformed header name");
  check_fails("POST /w HTTP/1.1\r\nX: a\r\n  folded\r\n\r\n", 400, "folded");
  check_fails("POST /w HTTP/1.1\r\nX: a\x01" "b\r\n\r\n", 400, "control character");
  check_fails("POST /w HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n", 400, "not a number of bytes");
  check_fails("POST /w HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "not a number of bytes");
  check_fails("POST /w HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", 400, "different values");
  check_fails("POST /w HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
              "both Transfer-Encoding and Content-Length");
  check_fails("POST /w HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "malformed chunk size");
  check_fails("POST /w HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 400, "longer than its size");
}

TEST_CASE("net::RequestParser answers unsupported versions and codings with 505 and 501") {
  check_fails("POST /w HTTP/2.0\r\n\r\n", 505, "HTTP version HTTP/2.0 is not supported");
  check_fails("POST /w HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "\"gzip\" is not supported");
}

TEST_CASE("net::RequestParser enforces its limits as bytes arrive") {
  const ParserLimits small{.max_head = 64, .max_headers = 2, .max_body = 10, .max_drain = 20};
  SUBCASE("a body over the limit is read and dropped, to stay in step; far over it, 413") {
    RequestParser parser(small);
    const std::string request = "POST /w HTTP/1.1\r\nContent-Length: 15\r\n\r\n" + std::string(15, 'x');
    CHECK(parser.feed(request + "GET / HTTP/1.1\r\n\r\n") == request.size());
    REQUIRE(parser.state() == State::complete);
    CHECK(parser.request().body_too_large);
    CHECK(parser.request().body.empty());
    check_fails("POST /w HTTP/1.1\r\nContent-Length: 31\r\n\r\n", 413, "exceeds the limit of 10 bytes", small);
    check_fails("POST /w HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400, "not a number", small);
  }
  SUBCASE("a chunked body that grows past the limit: dropped, then 413 past the drain limit") {
    RequestParser parser(small);
    const std::string request = "POST /w HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n";
    CHECK(parser.feed(request) == request.size());
    REQUIRE(parser.state() == State::complete);
    CHECK(parser.request().body_too_large);
    CHECK(parser.request().body.empty());
    check_fails("POST /w HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n8\r\n", 413,
                "exceeds the limit of 10 bytes", small);
  }
  SUBCASE("too many headers or too large a head: 431; too long a request line: 414") {
    check_fails("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431, "more than 2 headers", small);
    check_fails("GET / HTTP/1.1\r\nA: " + std::string(100, 'x') + "\r\n\r\n", 431, "larger than 64 bytes", small);
    check_fails("GET /" + std::string(100, 'x') + " HTTP/1.1\r\n\r\n", 414, "longer than 64 bytes", small);
  }
  SUBCASE("a head that never ends is refused once it passes the limit, not buffered") {
    RequestParser parser(small);
    std::size_t fed = 0;
    while (parser.state() == State::head && fed < 10'000) fed += parser.feed("GET / HTTP/1.1\r\nX: 1\r\n");
    CHECK(parser.state() == State::failed);
    CHECK(fed < 200);
  }
}

TEST_CASE("net::RequestParser can be reused after a failure") {
  RequestParser parser;
  parser.feed("BAD\r\n\r\n");
  REQUIRE(parser.state() == State::failed);
  parser.reset();
  CHECK(parser.error_status() == 0);
  CHECK(parser.feed(k_post) == k_post.size());
  CHECK(parser.state() == State::complete);
}
