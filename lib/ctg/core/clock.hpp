// ctg::core — time and randomness as values: library functions take `now` and ids as parameters;
// only apps/ and the engines' entry points call these.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ctg/core/error.hpp"

namespace ctg {

using UnixSeconds = std::int64_t;

// Current wall-clock time in whole Unix seconds.
UnixSeconds unix_now();

// `n` random characters from [A-Za-z0-9], from the operating system's CSPRNG.
std::string random_alnum(std::size_t n);

}  // namespace ctg

namespace ctg {

// A point in time for --since: "90s", "15m", "2h", "7d" (that long before now), Unix seconds
// ("1764400000"), or an ISO 8601 UTC time ("2026-11-29T10:00:00Z", "2026-11-29"). Returns Unix
// milliseconds. Errors (usage) show the accepted forms.
Result<std::int64_t> parse_since(std::string_view text, std::int64_t now_ms);

}  // namespace ctg
