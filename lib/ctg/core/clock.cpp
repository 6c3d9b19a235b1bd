#include "ctg/core/clock.hpp"

#include <chrono>
#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <random>

#include <fmt/format.h>

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

namespace ctg {

Result<std::int64_t> parse_since(std::string_view text, std::int64_t now_ms) {
  const auto bad = [&] {
    return fail(ErrorKind::usage, fmt::format("--since \"{}\" is not a time", text),
                "use a duration (90s, 15m, 2h, 7d), Unix seconds, or 2026-11-29T10:00:00Z");
  };
  if (text.empty()) return bad();
  std::int64_t n = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, n);
  if (ec == std::errc() && ptr == end) return n * 1000;  // Unix seconds
  if (ec == std::errc() && ptr + 1 == end && n >= 0) {
    static constexpr std::array<std::pair<char, std::int64_t>, 4> k_units{
        {{'s', 1000}, {'m', 60'000}, {'h', 3'600'000}, {'d', 86'400'000}}};
    for (const auto& [unit, ms] : k_units)
      if (*ptr == unit) return now_ms - n * ms;
    return bad();
  }
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char zone = 'Z';
  const std::string s(text);
  const int fields = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &year, &month, &day, &hour, &minute, &second,
                                 &zone);
  if (!(fields == 3 && s.size() == 10) && !(fields == 7 && zone == 'Z' && s.size() == 20)) return bad();
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return bad();
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::int64_t seconds = ::timegm(&tm);
  return seconds * 1000;
}

}  // namespace ctg
