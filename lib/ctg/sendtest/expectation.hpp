// ctg::sendtest — what answer a test request must get: `--expect-status` ("2xx", "200,204",
// "2xx,404") and the classes the conformance suite expects (2xx for genuine deliveries, 4xx for
// forged ones).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctg/core/error.hpp"

namespace ctg::sendtest {

class StatusExpectation {
 public:
  // Any 2xx.
  StatusExpectation();

  // A comma-separated list of codes (100-599) and classes ("1xx" to "5xx", case-insensitive).
  // Usage error naming the bad item: "--expect-status: \"2xy\" is neither a status code nor a class
  // like 2xx".
  static Result<StatusExpectation> parse(std::string_view spec);
  static StatusExpectation success() { return {}; }
  static StatusExpectation client_error();

  bool matches(int status) const;
  // "2xx", "200 or 204", "2xx or 404".
  std::string describe() const;

 private:
  std::vector<std::pair<int, int>> m_ranges;  // inclusive
  std::vector<std::string> m_items;           // as written, normalised to lower case
};

}  // namespace ctg::sendtest
