#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

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

// Feeds `input` whole and byte by byte: both must fail alike, with `status` and `words`.
void check_fails(std::string_view input, int status, std::string_view words, ParserLimits limits = {}) {
  for (const std::size_t step : {input.size(), std::size_t{1}}) {
    CAPTURE(input);
    CAPTURE(step);
    RequestParser parser(limits);
    feed_in_pieces(parser, input, step);
    REQUIRE(parser.state() == State::failed);
    CHECK(parser.error_status() == status);
    CHECK_MESSAGE(parser.error_message().find(words) != std::string::npos, parser.error_message());
  }
}

// Feeds `input` whole and byte by byte: both must read it to its end as one whole request, alike.
// Returns the request.
ctg::net::ParsedRequest parses(std::string_view input, ParserLimits limits = {}) {
  ctg::net::ParsedRequest first;
  for (const std::size_t step : {input.size(), std::size_t{1}}) {
    CAPTURE(input);
    CAPTURE(step);
    RequestParser parser(limits);
    CHECK(feed_in_pieces(parser, input, step) == input.size());
    REQUIRE_MESSAGE(parser.state() == State::complete, parser.error_message());
    if (step == input.size()) {
      first = parser.request();
    } else {
      CHECK(parser.request().path == first.path);
      CHECK(parser.request().body == first.body);
      CHECK(parser.request().body_bytes_seen == first.body_bytes_seen);
    }
  }
  return first;
}

// The head of a POST to /w with Host, followed by `rest` (more header lines and the blank line).
std::string post(std::string_view rest) {
  return "POST /w HTTP/1.1\r\nHost: x\r\n" + std::string(rest);
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
      "POST /w HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
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
  const std::string request = "\r\n\nPOST /w HTTP/1.1\nHost: x\nContent-Length: 2\n\nok";
  CHECK(parser.feed(request) == request.size());
  REQUIRE(parser.state() == State::complete);
  CHECK(parser.request().body == "ok");
}

TEST_CASE("net::RequestParser knows when the client wants the connection kept") {
  const auto keep = [](std::string head) {
    RequestParser parser;
    parser.feed(head + "Host: x\r\n\r\n");
    REQUIRE(parser.state() == State::complete);
    return parser.request().keep_alive;
  };
  CHECK(keep("GET / HTTP/1.1\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.1\r\nConnection: close\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.0\r\n"));
  CHECK(keep("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.1\r\nConnection: upgrade, close\r\n"));
  // "close" wins wherever it stands (a fuzzing finding: the order used to decide).
  CHECK_FALSE(keep("GET / HTTP/1.0\r\nConnection: close, keep-alive\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n"));

  RequestParser parser;
  parser.feed("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
  CHECK(parser.state() == State::body);
  CHECK(parser.request().expects_continue);
}

TEST_CASE("net::RequestParser refuses malformed requests with 400 and says why") {
  check_fails("POST /w\r\n\r\n", 400, "malformed request line");
  check_fails("POST  /w HTTP/1.1\r\n\r\n", 400, "malformed request target");
  check_fails("PO(ST /w HTTP/1.1\r\n\r\n", 400, "malformed method");
  check_fails("POST /w HTTX/1.1\r\n\r\n", 400, "malformed HTTP version");
  check_fails(post("No colon here\r\n\r\n"), 400, "without ':'");
  check_fails(post("Bad Name: x\r\n\r\n"), 400, "malformed header name");
  check_fails(post("X: a\r\n  folded\r\n\r\n"), 400, "folded");
  check_fails(post("X: a\001b\r\n\r\n"), 400, "control character");
  check_fails(post("Content-Length: 12abc\r\n\r\n"), 400, "not a number of bytes");
  check_fails(post("Content-Length: -1\r\n\r\n"), 400, "not a number of bytes");
  check_fails(post("Content-Length: 2\r\nContent-Length: 3\r\n\r\n"), 400, "different values");
  check_fails(post("Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"), 400,
              "both Transfer-Encoding and Content-Length");
  check_fails(post("Transfer-Encoding: chunked\r\n\r\nzz\r\n"), 400, "malformed chunk size");
  check_fails(post("Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n"), 400, "longer than its size");
}

TEST_CASE("net::RequestParser answers unsupported versions and codings with 505 and 501") {
  check_fails("POST /w HTTP/2.0\r\n\r\n", 505, "HTTP version HTTP/2.0 is not supported");
  check_fails(post("Transfer-Encoding: gzip, chunked\r\n\r\n"), 501, "\"gzip\" is not supported");
}

TEST_CASE("net::RequestParser enforces its limits as bytes arrive") {
  const ParserLimits small{.max_head = 64, .max_headers = 2, .max_body = 10, .max_drain = 20};
  SUBCASE("a body over the limit is read and dropped, to stay in step; far over it, 413") {
    RequestParser parser(small);
    const std::string request = post("Content-Length: 15\r\n\r\n") + std::string(15, 'x');
    CHECK(parser.feed(request + "GET / HTTP/1.1\r\n\r\n") == request.size());
    REQUIRE(parser.state() == State::complete);
    CHECK(parser.request().body_too_large);
    CHECK(parser.request().body.empty());
    CHECK(parser.request().body_bytes_seen == 15);
    check_fails(post("Content-Length: 31\r\n\r\n"), 413, "exceeds the limit of 10 bytes", small);
    check_fails(post("Content-Length: 99999999999999999999999\r\n\r\n"), 400, "not a number");
  }
  SUBCASE("a chunked body that grows past the limit: dropped, then 413 past the drain limit") {
    RequestParser parser(small);
    const std::string request = post("Transfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n");
    CHECK(parser.feed(request) == request.size());
    REQUIRE(parser.state() == State::complete);
    CHECK(parser.request().body_too_large);
    CHECK(parser.request().body.empty());
    check_fails(post("Transfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n8\r\n"), 413,
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

TEST_CASE("net::RequestParser wants one valid Host in an HTTP/1.1 request (RFC 9112, 3.2)") {
  check_fails("POST /w HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400, "HTTP/1.1 request without a Host header");
  check_fails("POST /w HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, "Host is given more than once");
  check_fails("POST /w HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400, "Host is given more than once");
  for (const std::string_view bad : {"a b", "a:b", "a:80:80", "user@a", "a/b", "a?b", "[::1", "[::1]x", "[zz::1]",
                                     "[v1.]", "%zz", "a%4", "\xc3\xa9.example"}) {
    check_fails(fmt::format("POST /w HTTP/1.1\r\nHost: {}\r\n\r\n", bad), 400, "is not a valid host[:port]");
  }
  for (const std::string_view good : {"", "example.com", "127.0.0.1:3000", "localhost:", "[::1]", "[::1]:8080",
                                      "[v7.a:b]", "ex%41mple.com", "a-b_c~d!$&'()*+,;="}) {
    CAPTURE(good);
    const auto r = parses(fmt::format("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", good));
    CHECK(r.header("Host").value() == good);
  }
  SUBCASE("HTTP/1.0 may leave Host out, but not send a bad one") {
    CHECK(parses("GET / HTTP/1.0\r\n\r\n").minor_version == 0);
    check_fails("GET / HTTP/1.0\r\nHost: a b\r\n\r\n", 400, "is not a valid host");
  }
}

TEST_CASE("net::RequestParser takes absolute-form targets and gives every target's origin-form as path") {
  SUBCASE("origin-form: path is the target") {
    const auto r = parses("POST /contiguity/webhook?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(r.target == "/contiguity/webhook?x=1");
    CHECK(r.path == "/contiguity/webhook?x=1");
  }
  SUBCASE("absolute-form: the target as sent, its path and query as path") {
    const auto r = parses(
        "POST http://127.0.0.1:3000/contiguity/webhook?x=1 HTTP/1.1\r\nHost: other\r\n"
        "Content-Length: 2\r\n\r\nok");
    CHECK(r.target == "http://127.0.0.1:3000/contiguity/webhook?x=1");
    CHECK(r.path == "/contiguity/webhook?x=1");
    CHECK(r.body == "ok");
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"HTTPS://Example.COM", "/"},  {"Http://h?x=1", "/?x=1"},
        {"http://[::1]:3000/w", "/w"}, {"http://h:/a/b//c?d=/e", "/a/b//c?d=/e"},
        {"https://h/", "/"},
    };
    for (const auto& [target, path] : cases) {
      CAPTURE(target);
      CHECK(parses(fmt::format("GET {} HTTP/1.1\r\nHost: h\r\n\r\n", target)).path == path);
    }
  }
  SUBCASE("asterisk-form and authority-form (CONNECT) are read; the application answers them") {
    CHECK(parses("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").path == "*");
    const auto connect = parses("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    CHECK(connect.target == "example.com:443");
    CHECK(connect.path.empty());
    check_fails("CONNECT /w HTTP/1.1\r\nHost: h\r\n\r\n", 400, "CONNECT needs a host:port target");
    check_fails("CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n", 400, "CONNECT needs a host:port target");
  }
  SUBCASE("malformed targets: 400, before the request line is taken (method stays empty)") {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"http:/w", "has no authority"},
        {"http:w", "has no authority"},
        {"http://", "has no host"},
        {"http:///w", "has no host"},
        {"http://:80/w", "has no host"},
        {"http://user@h/w", "carries userinfo (user@host)"},
        {"http://user:pw@h:3000/w", "carries userinfo"},
        {"http://h:x/w", "has an invalid host[:port]"},
        {"http://h h/w", "malformed request target"},  // no space in a target at all
        {"ftp://h/w", "neither a path nor an http(s) URL"},
        {"h:443", "neither a path nor an http(s) URL"},
        {"w", "neither a path nor an http(s) URL"},
        {"**", "neither a path nor an http(s) URL"},
    };
    for (const auto& [target, words] : cases) {
      const auto request = fmt::format("POST {} HTTP/1.1\r\nHost: h\r\n\r\n", target);
      check_fails(request, 400, words);
      RequestParser parser;
      parser.feed(request);
      CHECK(parser.request().method.empty());
    }
  }
  SUBCASE("HTTP/1.1 still needs Host with an absolute target") {
    check_fails("POST http://h/w HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400, "without a Host header");
  }
}

TEST_CASE("net::RequestParser refuses Transfer-Encoding in HTTP/1.0 and the connection is not kept (RFC 9112, 6.1)") {
  const std::string request =
      "POST /w HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\nok\r\n0\r\n\r\n";
  check_fails(request, 400, "Transfer-Encoding in an HTTP/1.0 request");
  RequestParser parser;
  parser.feed(request);
  CHECK_FALSE(parser.request().keep_alive);
}

TEST_CASE("net::RequestParser wants chunked once and last among transfer codings (RFC 9112, 6.3)") {
  check_fails(post("Transfer-Encoding: chunked, identity\r\n\r\n"), 400,
              "chunked is not the final transfer coding (\"identity\" follows it)");
  check_fails(post("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"), 400,
              "chunked is not the final transfer coding");
  check_fails(post("Transfer-Encoding: chunked, chunked\r\n\r\n"), 400, "chunked is applied more than once");
  check_fails(post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"), 400,
              "chunked is applied more than once");
  check_fails(post("Transfer-Encoding: gzip, chunked\r\n\r\n"), 501,
              "transfer coding \"gzip\" is not supported (only chunked is)");
  check_fails(post("Transfer-Encoding: gzip\r\n\r\n"), 501, "transfer coding \"gzip\" is not supported");
  check_fails(post("Transfer-Encoding: chunked;q=1\r\n\r\n"), 501, "\"chunked;q=1\" is not supported");
  check_fails(post("Transfer-Encoding:  \r\n\r\n"), 400, "Transfer-Encoding is empty");
  CHECK(parses(post("Transfer-Encoding: , CHUNKED\r\n\r\n0\r\n\r\n")).chunked);
}

TEST_CASE("net::RequestParser reads chunk-size lines, chunk ends and trailers to the letter (RFC 9112, 7.1)") {
  const auto chunked = [](std::string_view body) {
    return post("Transfer-Encoding: chunked\r\n\r\n") + std::string(body);
  };
  SUBCASE("extensions: BWS around ';' and '=', token names, token or quoted values") {
    const std::string_view good[] = {
        "5;a\r\nhello\r\n0\r\n\r\n",
        "5 ;a\r\nhello\r\n0\r\n\r\n",
        "5\t; a = b ;c=\"q \\\" d;e\" ; f\r\nhello\r\n0;last\r\n\r\n",
        "5;a=\"\xc3\xa9\"\r\nhello\r\n0\r\n\r\n",  // obs-text in a quoted value
        "0005\r\nhello\r\n000\r\n\r\n",
    };
    for (const auto body : good) {
      CAPTURE(body);
      CHECK(parses(chunked(body)).body == "hello");
    }
  }
  SUBCASE("a bare LF ends no line of the chunked framing: 400 (a fuzzing finding, against http_parser)") {
    check_fails(chunked("5\nhello\r\n0\r\n\r\n"), 400, "bare LF");
    check_fails(chunked("5\r\nhello\n0\r\n\r\n"), 400, "bare LF");
    check_fails(chunked("5\r\nhello\r\n0\n\r\n"), 400, "bare LF");
    check_fails(chunked("5\r\nhello\r\n0\r\nX-T: 1\n\r\n"), 400, "bare LF");
    check_fails(chunked("5\r\nhello\r\n0\r\n\n"), 400, "bare LF");
  }
  SUBCASE("whitespace before the size, or after it without an extension: 400") {
    check_fails(chunked(" 5\r\nhello\r\n0\r\n\r\n"), 400, "whitespace before the size");
    check_fails(chunked("\t5\r\nhello\r\n0\r\n\r\n"), 400, "whitespace before the size");
    check_fails(chunked("5 \r\nhello\r\n0\r\n\r\n"), 400, "only ';' extensions may follow the size");
    check_fails(chunked("5x\r\nhello\r\n0\r\n\r\n"), 400, "malformed chunk size \"5x\" (not hexadecimal digits)");
    check_fails(chunked("-5\r\n"), 400, "not hexadecimal digits");
    check_fails(chunked("0x5\r\n"), 400, "not hexadecimal digits");
    check_fails(chunked("\r\n"), 400, "not hexadecimal digits");
    check_fails(chunked("10000000000000000\r\n"), 400, "too large");
  }
  SUBCASE("malformed extensions: 400") {
    check_fails(chunked("5;\r\nhello\r\n"), 400, "an extension name must be a token");
    check_fails(chunked("5;=b\r\nhello\r\n"), 400, "an extension name must be a token");
    check_fails(chunked("5;a=\r\nhello\r\n"), 400, "a token or a quoted string");
    check_fails(chunked("5;a=b c\r\nhello\r\n"), 400, "only ';' extensions may follow the size");
    check_fails(chunked("5;a b\r\nhello\r\n"), 400, "only ';' extensions may follow the size");
    check_fails(chunked("5;a=\"b\r\nhello\r\n"), 400, "an unterminated quoted value");
    check_fails(chunked("5;a=\"b\\\"\r\nhello\r\n"), 400, "an unterminated quoted value");
    check_fails(chunked("5;a=b;\r\nhello\r\n"), 400, "an extension name must be a token");
  }
  SUBCASE("control characters in an extension: 400") {
    check_fails(chunked(std::string("5;a\0\r\nhello\r\n", 13)), 400, "holds a control character");
    check_fails(chunked("5;a=\"x\x7f\"\r\nhello\r\n"), 400, "holds a control character");
    check_fails(chunked("5;a=\x1b[2J\r\nhello\r\n"), 400, "holds a control character");
  }
  SUBCASE("a CR not followed by LF, anywhere in the framing: 400") {
    check_fails(chunked("5;a\rb=c\r\nhello\r\n0\r\n\r\n"), 400, "a bare CR");
    check_fails(chunked("5\r\r\nhello\r\n0\r\n\r\n"), 400, "a bare CR");
    check_fails(chunked("5\rhello\r\n0\r\n\r\n"), 400, "a bare CR");
    check_fails(chunked("5\r\nhello\r\r\n0\r\n\r\n"), 400, "a bare CR");
    check_fails(chunked("5\r\nhello\rX\r\n0\r\n\r\n"), 400, "a bare CR");
    check_fails(chunked("5\r\nhello\r\n0\r\nX-T: 1\rX\r\n\r\n"), 400, "a bare CR");
    check_fails(chunked("5\r\nhello\r\n0\r\n\r\r\n"), 400, "a bare CR");
    CHECK(parses(chunked("5\r\nhe\rlo\r\n0\r\n\r\n")).body == "he\rlo");  // chunk data is data
  }
  SUBCASE("a chunk-size line of 1024 bytes is read; a longer one is refused without being held") {
    CHECK(parses(chunked("5;a=" + std::string(1020, 'b') + "\r\nhello\r\n0\r\n\r\n")).body == "hello");
    check_fails(chunked("5;a=" + std::string(1021, 'b') + "\r\nhello\r\n0\r\n\r\n"), 400, "too long");
    check_fails(chunked("5;a=" + std::string(100'000, 'b') + "\rx\r\n"), 400, "too long");
    RequestParser parser;
    parser.feed(chunked("5;a=" + std::string(100'000, 'b')));
    CHECK(parser.state() == State::failed);
    CHECK(parser.buffered_bytes() < 2000);
  }
  SUBCASE("trailer lines must be field lines") {
    CHECK(parses(chunked("0\r\nX-T: 1\r\nY:\r\n\r\n")).body.empty());
    check_fails(chunked("0\r\nno colon\r\n\r\n"), 400, "malformed trailer field \"no colon\"");
    check_fails(chunked("0\r\nBad Name: x\r\n\r\n"), 400, "malformed trailer field");
    check_fails(chunked("0\r\n: x\r\n\r\n"), 400, "malformed trailer field");
    check_fails(chunked("0\r\nX-T: 1\r\n folded\r\n\r\n"), 400, "a trailer field folded over several lines");
    check_fails(chunked("0\r\nX-T: a\001b\r\n\r\n"), 400, "trailer field X-T holds a control character");
  }
}

TEST_CASE(
    "net::RequestParser answers 413 right after the head when a client expecting 100-continue declares too much") {
  const ParserLimits limits{.max_body = 10, .max_drain = 1000};
  SUBCASE("Expect: 100-continue over max_body: failed before any body byte") {
    const std::string head = post("Expect: 100-continue\r\nContent-Length: 11\r\n\r\n");
    for (const std::size_t step : {head.size(), std::size_t{1}}) {
      RequestParser parser(limits);
      CHECK(feed_in_pieces(parser, head + "01234567890", step) == head.size());
      REQUIRE(parser.state() == State::failed);
      CHECK(parser.error_status() == 413);
      CHECK(parser.error_message() == "body of 11 bytes exceeds the limit of 10 bytes");
      CHECK(parser.request().expects_continue);
    }
  }
  SUBCASE("without Expect, the body is read and dropped to stay in step") {
    const auto r = parses(post("Content-Length: 11\r\n\r\n01234567890"), limits);
    CHECK(r.body_too_large);
    CHECK(r.body_bytes_seen == 11);
  }
  SUBCASE("HTTP/1.0 does not know 100-continue: read and dropped as well") {
    const auto r = parses("POST /w HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n01234567890", limits);
    CHECK_FALSE(r.expects_continue);
    CHECK(r.body_too_large);
  }
  SUBCASE("within the limit: the body is awaited") {
    RequestParser parser(limits);
    parser.feed(post("Expect: 100-continue\r\nContent-Length: 10\r\n\r\n"));
    CHECK(parser.state() == State::body);
  }
}

TEST_CASE("net::RequestParser grows a body as it arrives rather than reserving the declared length") {
  RequestParser parser;  // max_body 1 MiB
  const std::string head = post("Content-Length: 1048576\r\n\r\n");
  parser.feed(head);
  REQUIRE(parser.state() == State::body);
  CHECK(parser.request().body.capacity() <= 128 * 1024);
  const std::string body(1024 * 1024, 'x');
  CHECK(feed_in_pieces(parser, body, 4096) == body.size());
  REQUIRE(parser.state() == State::complete);
  CHECK(parser.request().body == body);
}

TEST_CASE("net::RequestParser says how many bytes it buffers and how much body it saw") {
  const ParserLimits limits{.max_body = 10, .max_drain = 1000};
  RequestParser parser(limits);
  CHECK(parser.buffered_bytes() == 0);
  parser.feed("POST /w HT");
  CHECK(parser.buffered_bytes() == 10);
  const std::string head = post("Content-Length: 8\r\n\r\n");
  parser.reset();
  parser.feed(head + "1234");
  CHECK(parser.buffered_bytes() == head.size() + 4);
  CHECK(parser.body_bytes_seen() == 4);
  parser.feed("5678");
  REQUIRE(parser.state() == State::complete);
  CHECK(parser.body_bytes_seen() == 8);
  CHECK(parser.request().body_bytes_seen == 8);
  parser.reset();
  CHECK(parser.buffered_bytes() == 0);
  CHECK(parser.body_bytes_seen() == 0);

  SUBCASE("a partial chunk line counts") {
    const std::string chunked_head = post("Transfer-Encoding: chunked\r\n\r\n");
    parser.feed(chunked_head + "3\r\nabc\r\n5;a=");
    CHECK(parser.buffered_bytes() == chunked_head.size() + 3 + 4);
    CHECK(parser.body_bytes_seen() == 3);
  }
  SUBCASE("a body too large is counted whole, though dropped") {
    parser.feed(post("Content-Length: 25\r\n\r\n") + std::string(20, 'x'));
    CHECK(parser.request().body_too_large);
    CHECK(parser.request().body.empty());
    CHECK(parser.body_bytes_seen() == 20);
  }
  SUBCASE("a chunked body too large is counted whole, though dropped") {
    const auto r =
        parses(post("Transfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n1\r\nx\r\n0\r\n\r\n"), limits);
    CHECK(r.body_too_large);
    CHECK(r.body.empty());
    CHECK(r.body_bytes_seen == 17);
  }
}

TEST_CASE("net::RequestParser's head limit does not depend on how the bytes arrive (a fuzzing finding)") {
  ParserLimits limits;
  limits.max_head = 200;
  // The head takes max_head bytes and its final blank line: accepted, whole and byte by byte.
  std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
  head += std::string(200 - head.size() - 2, 'a') + "\r\n";
  REQUIRE(head.size() == 200);
  CHECK(parses(head + "\r\n", limits).method == "GET");
  // The blank line may end at byte max_head + 4 at most: a head of 202 bytes before it passes, one
  // of 203 is too large, however the bytes arrive.
  const auto head_of = [](std::size_t size) {
    std::string h = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
    return h + std::string(size - h.size() - 2, 'a') + "\r\n";
  };
  CHECK(parses(head_of(202) + "\r\n", limits).method == "GET");
  check_fails(head_of(203) + "\r\n" + std::string(10, 'x'), 431, "larger than 200 bytes", limits);
}
