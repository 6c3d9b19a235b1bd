// What the fuzz targets share: a failed check that libFuzzer (and the corpus replay) records as a
// crash, and a deterministic source of numbers drawn from the input (piece sizes, choices), so
// that a saved input reproduces exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace ctg::fuzz {

// Aborts with `what` on stderr when `condition` is false. libFuzzer saves the input that aborted
// (crash-<sha1>); the replay executable fails its CTest test. Not an assert(): it holds in every
// build type.
inline void check(bool condition, std::string_view what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz check failed: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

// FNV-1a of the bytes: the seed of the numbers a target draws from its input.
inline std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// splitmix64: numbers drawn from a seed that comes from the input itself.
class Draw {
 public:
  explicit Draw(std::uint64_t seed) : m_state(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // A number from 1 to `max` (REQUIRES: max >= 1).
  std::size_t size(std::size_t max) { return next() % max + 1; }

 private:
  std::uint64_t m_state;
};

// The input as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace ctg::fuzz
