#include "ctg/sendtest/expectation.hpp"

#include <doctest/doctest.h>

using ctg::ErrorKind;
using ctg::sendtest::StatusExpectation;

TEST_CASE("sendtest::StatusExpectation") {
  SUBCASE("the default is any 2xx") {
    const StatusExpectation e;
    CHECK(e.matches(200));
    CHECK(e.matches(299));
    CHECK_FALSE(e.matches(199));
    CHECK_FALSE(e.matches(300));
    CHECK(e.describe() == "2xx");
  }
  SUBCASE("codes and classes, mixed, any case, spaces allowed") {
    const auto e = StatusExpectation::parse(" 2XX, 404 ,410");
    REQUIRE(e.has_value());
    CHECK(e->matches(204));
    CHECK(e->matches(404));
    CHECK(e->matches(410));
    CHECK_FALSE(e->matches(400));
    CHECK_FALSE(e->matches(500));
    CHECK(e->describe() == "2xx or 404 or 410");
  }
  SUBCASE("client_error is 4xx") {
    const auto e = StatusExpectation::client_error();
    CHECK(e.matches(401));
    CHECK_FALSE(e.matches(200));
    CHECK_FALSE(e.matches(500));
  }
  SUBCASE("bad lists are usage errors naming the item") {
    for (const auto* bad : {"2xy", "6xx", "abc", "20", "600", "", " , "}) {
      CAPTURE(bad);
      const auto e = StatusExpectation::parse(bad);
      REQUIRE_FALSE(e.has_value());
      CHECK(e.error().kind == ErrorKind::usage);
    }
    CHECK(StatusExpectation::parse("2xy").error().message ==
          "--expect-status: \"2xy\" is neither a status code nor a class like 2xx");
    CHECK(StatusExpectation::parse("600").error().message == "--expect-status: 600 is not an HTTP status (100-599)");
  }
}
