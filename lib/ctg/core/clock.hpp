// ctg::core — time and randomness as values: library functions take `now` and ids as parameters;
// only apps/ and the engines' entry points call these.
#pragma once

#include <cstdint>
#include <string>

namespace ctg {

using UnixSeconds = std::int64_t;

// Current wall-clock time in whole Unix seconds.
UnixSeconds unix_now();

// `n` random characters from [A-Za-z0-9], from the operating system's CSPRNG.
std::string random_alnum(std::size_t n);

}  // namespace ctg
