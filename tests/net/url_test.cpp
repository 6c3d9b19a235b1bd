#include <doctest/doctest.h>

#include "ctg/net/url.hpp"

using namespace ctg;

TEST_CASE("net::parse_url") {
  SUBCASE("defaults: port by scheme, target \"/\"") {
    auto http = net::parse_url("http://localhost");
    REQUIRE(http.has_value());
    CHECK(http->scheme == "http");
    CHECK(http->host == "localhost");
    CHECK(http->port == 80);
    CHECK(http->target == "/");
    CHECK(http->origin() == "http://localhost");
    CHECK(http->str() == "http://localhost/");

    auto https = net::parse_url("https://api.example.com");
    REQUIRE(https.has_value());
    CHECK(https->port == 443);
    CHECK(https->str() == "https://api.example.com/");
  }
  SUBCASE("explicit port, path and query kept, fragment dropped") {
    auto url = net::parse_url("http://127.0.0.1:3000/contiguity/webhook?a=b+c&d=%20#part");
    REQUIRE(url.has_value());
    CHECK(url->host == "127.0.0.1");
    CHECK(url->port == 3000);
    CHECK(url->target == "/contiguity/webhook?a=b+c&d=%20");
    CHECK(url->origin() == "http://127.0.0.1:3000");
    CHECK(url->str() == "http://127.0.0.1:3000/contiguity/webhook?a=b+c&d=%20");
  }
  SUBCASE("a query without a path gets \"/\"") {
    CHECK(net::parse_url("http://h?x=1")->target == "/?x=1");
  }
  SUBCASE("the default port written out is not repeated by origin()") {
    auto url = net::parse_url("https://h:443/x");
    REQUIRE(url.has_value());
    CHECK(url->port == 443);
    CHECK(url->origin() == "https://h");
    CHECK(net::parse_url("http://h:/x")->port == 80);
  }
  SUBCASE("IPv6 in brackets") {
    auto url = net::parse_url("http://[::1]:3000/x");
    REQUIRE(url.has_value());
    CHECK(url->host == "::1");
    CHECK(url->port == 3000);
    CHECK(url->target == "/x");
    CHECK(url->origin() == "http://[::1]:3000");
    auto bare = net::parse_url("https://[2001:DB8::1]");
    REQUIRE(bare.has_value());
    CHECK(bare->host == "2001:db8::1");
    CHECK(bare->port == 443);
    CHECK(bare->str() == "https://[2001:db8::1]/");
  }
  SUBCASE("scheme and host are case-insensitive; surrounding whitespace is ignored") {
    auto url = net::parse_url("  HTTPS://Example.COM/Path\n");
    REQUIRE(url.has_value());
    CHECK(url->scheme == "https");
    CHECK(url->host == "example.com");
    CHECK(url->target == "/Path");
  }
  SUBCASE("errors") {
    auto no_scheme = net::parse_url("localhost:3000/x");
    CHECK(no_scheme.error().kind == ErrorKind::usage);
    CHECK(no_scheme.error().message == "URL must start with http:// or https://: \"localhost:3000/x\"");
    CHECK(no_scheme.error().hint == "did you mean http://localhost:3000/x?");
    CHECK(net::parse_url("ftp://h/x").error().message == "URL must start with http:// or https://: \"ftp://h/x\"");
    CHECK(net::parse_url("").error().message == "URL must start with http:// or https://: \"\"");
    CHECK(net::parse_url("http:///x").error().message == "URL has no host: \"http:///x\"");
    CHECK(net::parse_url("http://:80/x").error().message == "URL has no host: \"http://:80/x\"");
    CHECK(net::parse_url("http://h:99999").error().message ==
          "URL port is not a number from 1 to 65535: \"http://h:99999\"");
    CHECK(net::parse_url("http://h:0").error().message == "URL port is not a number from 1 to 65535: \"http://h:0\"");
    CHECK(net::parse_url("http://h:8o").error().message == "URL port is not a number from 1 to 65535: \"http://h:8o\"");
    CHECK(net::parse_url("http://h/a b").error().message ==
          "URL contains a space or control character: \"http://h/a b\"");
    CHECK(net::parse_url("http://[::1/x").error().message == "URL has an invalid IPv6 address: \"http://[::1/x\"");
    CHECK(net::parse_url("http://[nope]/").error().message == "URL has an invalid IPv6 address: \"http://[nope]/\"");
    CHECK(net::parse_url("http://h%41/").error().message == "URL host is not valid: \"http://h%41/\"");
  }
  SUBCASE("user-info is refused without repeating the password") {
    auto url = net::parse_url("https://user:s3cret@api.example.com/x");
    REQUIRE_FALSE(url.has_value());
    CHECK(url.error().kind == ErrorKind::usage);
    CHECK(url.error().message == "URL contains a user name or password, which ctg does not accept");
    CHECK(url.error().message.find("s3cret") == std::string::npos);
    CHECK(url.error().hint.find("s3cret") == std::string::npos);
  }
}
