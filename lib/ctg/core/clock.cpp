#include "ctg/core/clock.hpp"

#include <chrono>
#include <random>

namespace ctg {

UnixSeconds unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string random_alnum(std::size_t n) {
  static constexpr std::string_view k_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::random_device device;
  std::uniform_int_distribution<std::size_t> pick(0, k_alphabet.size() - 1);
  std::string out(n, '\0');
  for (auto& c : out) c = k_alphabet[pick(device)];
  return out;
}

}  // namespace ctg
