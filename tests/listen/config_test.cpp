#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ctg/listen/config.hpp"

using namespace ctg;

TEST_CASE("listen::parse_header_spec takes 'Name: value' and refuses what would split a request") {
  const auto good = listen::parse_header_spec("X-Env:  dev ");
  REQUIRE(good.has_value());
  CHECK(good->first == "X-Env");
  CHECK(good->second == "dev");
  CHECK(listen::parse_header_spec("X-Tab: a\tb").has_value());
  const std::string bads[] = {"X-Env", ": dev", "X Env: dev", "X-Env\r\nInjected: 1: x", "X-Env: dev\r\nInjected: 1",
                                std::string("X-Env: a\0b", 10), "X-Env: a\nb", "X-Env: a\x7f"};
  for (const auto& bad : bads) {
    CAPTURE(bad);
    const auto refused = listen::parse_header_spec(bad);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == ErrorKind::usage);
  }
  CHECK(listen::parse_header_spec("X-Env: dev\r\nInjected: 1").error().message.find("control character") !=
        std::string::npos);
}

TEST_CASE("listen::parse_listen_config refuses forward headers that would split a request") {
  const auto good = listen::parse_listen_config(
      R"({"listen": {"forward": [{"to": "http://localhost:8080/a", "headers": {"X-Env": "dev"}}]}})", "c.json");
  REQUIRE(good.has_value());
  REQUIRE(good->forward.size() == 1);
  CHECK(good->forward[0].headers.size() == 1);
  const auto value = listen::parse_listen_config(
      R"({"listen": {"forward": [{"to": "http://localhost:8080/a", "headers": {"X-Env": "dev\r\nX-Injected: 1"}}]}})",
      "c.json");
  REQUIRE_FALSE(value.has_value());
  CHECK(value.error().message.find("c.json") != std::string::npos);
  CHECK(value.error().message.find("control character") != std::string::npos);
  const auto name = listen::parse_listen_config(
      R"({"listen": {"forward": [{"to": "http://localhost:8080/a", "headers": {"X Env": "dev"}}]}})", "c.json");
  REQUIRE_FALSE(name.has_value());
  CHECK(name.error().message.find("not a token") != std::string::npos);
}

TEST_CASE("listen::parse_listen_config reads max_buffered and read_timeout within their ranges") {
  const auto good = listen::parse_listen_config(R"({"listen": {"max_buffered": 1048576, "read_timeout": 9}})", "c.json");
  REQUIRE(good.has_value());
  CHECK(good->max_buffered == std::size_t{1048576});
  CHECK(good->read_timeout == 9);
  CHECK_FALSE(listen::parse_listen_config(R"({"listen": {"read_timeout": 0}})", "c.json").has_value());
  CHECK_FALSE(listen::parse_listen_config(R"({"listen": {"max_buffered": 0}})", "c.json").has_value());
}
