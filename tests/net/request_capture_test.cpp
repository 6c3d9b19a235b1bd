#include <doctest/doctest.h>

#include "ctg/net/request_capture.hpp"

using namespace ctg;

TEST_CASE("net::parse_captured_request") {
  SUBCASE("CRLF request with Content-Length") {
    auto r = net::parse_captured_request(
        "POST /contiguity/webhook HTTP/1.1\r\nHost: x\r\nContiguity-Signature:  t=1,v1=ab \r\n"
        "Content-Length: 2\r\n\r\n{}trailing");
    REQUIRE(r.has_value());
    CHECK(r->method == "POST");
    CHECK(r->target == "/contiguity/webhook");
    CHECK(r->header("contiguity-signature").value() == "t=1,v1=ab");
    CHECK(r->body == "{}");
  }
  SUBCASE("LF endings, headers only, body kept byte for byte") {
    auto r = net::parse_captured_request("Content-Type: application/json\n\n{\"a\": 1}\n");
    REQUIRE(r.has_value());
    CHECK(r->method.empty());
    CHECK(r->body == "{\"a\": 1}\n");
  }
  SUBCASE("errors") {
    CHECK(net::parse_captured_request("POST / HTTP/1.1\r\nHost: x\r\n").error().message ==
          "the captured request has no blank line between headers and body");
    CHECK(net::parse_captured_request("POST / HTTP/1.1\r\nnot a header\r\n\r\n").error().message ==
          "line 2 of the captured request is not a header: \"not a header\"");
    CHECK(net::parse_captured_request("Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
              .error()
              .message.find("chunked") != std::string::npos);
    CHECK(net::parse_captured_request("Content-Length: 10\r\n\r\n{}").error().message ==
          "the captured body has 2 bytes but Content-Length says 10");
  }
}
