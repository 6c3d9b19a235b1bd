#include "ctg/net/response_reader.hpp"

#include <doctest/doctest.h>

#include <string>

using ctg::net::ResponseReader;
using State = ResponseReader::State;

namespace {

// Feeds `bytes` one byte more at a time, as a slow network would; returns the final state.
State feed_slowly(ResponseReader& reader, const std::string& bytes, std::size_t& consumed, bool eof_at_end = false) {
  State state = State::incomplete;
  for (std::size_t n = 1; n <= bytes.size(); ++n) {
    state = reader.read(std::string_view(bytes).substr(0, n), eof_at_end && n == bytes.size(), consumed);
    if (state != State::incomplete) return state;
  }
  return state;
}

}  // namespace

TEST_CASE("net::ResponseReader frames answers") {
  ResponseReader reader;
  std::size_t consumed = 0;
  SUBCASE("Content-Length, arriving byte by byte, keep-alive") {
    const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    CHECK(feed_slowly(reader, answer + "HTTP/1.1", consumed) == State::complete);
    CHECK(consumed == answer.size());
    CHECK(reader.status() == 200);
    CHECK_FALSE(reader.close());
  }
  SUBCASE("chunked, with trailers") {
    const std::string answer =
        "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n2\r\nef\r\n0\r\nX-T: 1\r\n\r\n";
    CHECK(feed_slowly(reader, answer, consumed) == State::complete);
    CHECK(consumed == answer.size());
    CHECK(reader.status() == 201);
  }
  SUBCASE("interim 100 Continue answers are skipped, even when split across reads") {
    const std::string answer = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
    CHECK(feed_slowly(reader, answer, consumed) == State::complete);
    CHECK(consumed == answer.size());
    CHECK(reader.status() == 204);
  }
  SUBCASE("no length: the body ends when the connection does") {
    const std::string answer = "HTTP/1.0 500 Oops\r\n\r\nbroken";
    CHECK(reader.read(answer, false, consumed) == State::incomplete);
    CHECK(reader.read(answer, true, consumed) == State::complete);
    CHECK(consumed == answer.size());
    CHECK(reader.status() == 500);
    CHECK(reader.close());
  }
  SUBCASE("Connection: close") {
    CHECK(reader.read("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false, consumed) ==
          State::complete);
    CHECK(reader.close());
  }
  SUBCASE("malformed") {
    CHECK(reader.read("SMTP ready\r\n\r\n", false, consumed) == State::malformed);
    reader.reset();
    CHECK(reader.read("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", false, consumed) == State::malformed);
    reader.reset();
    CHECK(reader.read("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true, consumed) == State::malformed);
    reader.reset();
    CHECK(reader.read(std::string(70000, 'x'), false, consumed) == State::malformed);  // a head over 64 KiB
  }
  SUBCASE("a chunk size near 2^64 does not wrap the offset around (a fuzzing finding)") {
    const std::string answer =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffec\r\n0\r\n\r\n";
    CHECK(reader.read(answer, false, consumed) == State::incomplete);
    CHECK(reader.read(answer, true, consumed) == State::malformed);
    reader.reset();
    const std::string wraps = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffe\r\nab\r\n0\r\n\r\n";
    CHECK(reader.read(wraps, true, consumed) == State::malformed);
  }
  SUBCASE("chunk data longer than its size says") {
    const std::string answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n0\r\n\r\n";
    CHECK(reader.read(answer, false, consumed) == State::malformed);
  }
}
