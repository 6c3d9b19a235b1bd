#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "ctg/listen/pipeline.hpp"

using namespace ctg;

TEST_CASE("listen::accepted_answer is JSON naming the event, whatever its id holds") {
  using nlohmann::json;
  for (const std::string id : {"evt_01JD7W4Q9S3K", "", "evt_\"quoted\"", "evt_back\\slash", "evt_tab\there",
                               "evt_caf\xC3\xA9", "evt_\x7f"}) {
    CAPTURE(id);
    CHECK(json::parse(listen::accepted_answer(id, false)) == json{{"received", true}, {"id", id}});
    CHECK(json::parse(listen::accepted_answer(id, true)) == json{{"received", true}, {"id", id}, {"duplicate", true}});
  }
  CHECK(listen::accepted_answer("evt_1", false) == R"({"received":true,"id":"evt_1"})");
}
