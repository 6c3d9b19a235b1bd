// The JSON work one request can cost ctg listen, on bodies shaped to hurt: for each shape and size,
// milliseconds per call and the peak memory a call adds, of
//   head     events::read_event_head (the receiver's hot path),
//   parse    events::parse_event (the display thread, and the hot path's fallback),
//   mismatch signing::verify with a signature that does not match (its diagnoses included),
//   valid    signing::verify with a valid signature.
// Shapes: an event of many keys, one of them 1e1 (the value that sends parsing to nlohmann's
// lexer); an array nested 64 deep around many zeros (its 2-space indented form is ~65 times
// larger); a flat array of zeros; a valid event whose data is one large object.
// Built with the tests (tests/CMakeLists.txt), never run by CTest. Usage:
//   ctg_bench_hostile_json [seconds per measurement, default 0.3]
#include <malloc.h>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ctg/events/event.hpp"
#include "ctg/signing/signature.hpp"

namespace {

constexpr ctg::UnixSeconds k_t = 1707321600;
constexpr std::string_view k_envelope =
    R"("id":"evt_bench0000000001","type":"text.incoming.sms","timestamp":1707321600,"api_version":"v2025.9.7")";

// Each shape is at most `size` bytes, and close to it.

// `{envelope, "k0":0, "k1":1, ..., "x":1e1}`.
std::string many_keys_with_exponent(std::size_t size) {
  std::string out = "{" + std::string(k_envelope);
  for (std::size_t i = 0; out.size() + 32 < size; ++i) out += fmt::format(",\"k{}\":{}", i, i);
  return out + ",\"x\":1e1}";
}

// 64 levels of arrays around zeros.
std::string deep_array(std::size_t size) {
  std::string out(64, '[');
  out += "0";
  while (out.size() + 2 + 64 <= size) out += ",0";
  return out + std::string(64, ']');
}

std::string flat_zeros(std::size_t size) {
  std::string out = "[0";
  while (out.size() + 3 <= size) out += ",0";
  return out + "]";
}

// A valid event whose data holds many string members.
std::string large_data(std::size_t size) {
  std::string out = "{" + std::string(k_envelope) + R"(,"data":{"from":"+15551234567","to":"+15559876543")";
  for (std::size_t i = 0; out.size() + 64 < size; ++i)
    out += fmt::format(",\"field{}\":\"value {} of the body\"", i, i);
  return out + "}}";
}

// A field of /proc/self/status, in KiB.
long status_kib(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field)) return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
  }
  return -1;
}

// Resets the peak resident set size to the current one (Linux 4.0+).
bool reset_peak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

struct Measure {
  double ms_per_call = 0;
  long peak_growth_kib = 0;  // -1: unknown
};

// The median time of calls made for `seconds` (at least one), and the peak memory the first adds.
Measure measure(const std::function<void()>& call, double seconds) {
  Measure out;
  malloc_trim(0);  // what earlier calls freed goes back, so that it is not reused unseen
  const bool peak_known = reset_peak();
  const long before = status_kib("VmRSS:");
  std::vector<double> times;
  const auto start = std::chrono::steady_clock::now();
  do {
    const auto t0 = std::chrono::steady_clock::now();
    call();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (times.size() == 1) out.peak_growth_kib = peak_known ? std::max(0L, status_kib("VmHWM:") - before) : -1;
  } while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds);
  std::sort(times.begin(), times.end());
  out.ms_per_call = times[times.size() / 2];
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::strtod(argv[1], nullptr) : 0.3;
  struct Shape {
    const char* name;
    std::string (*make)(std::size_t);
  };
  const std::vector<Shape> shapes{{"many keys + 1e1", many_keys_with_exponent},
                                  {"array nested 64", deep_array},
                                  {"flat array of 0", flat_zeros},
                                  {"event, large data", large_data}};
  const std::vector<std::size_t> sizes{64 << 10, 256 << 10, 1 << 20};
  const std::vector<std::string> secrets{"whsec_bench_secret"};

  std::printf(
      "| shape | size | head ms | parse ms | mismatch ms | valid ms | peak growth KiB (head / parse / mismatch / "
      "valid) |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const auto& shape : shapes) {
    for (const std::size_t size : sizes) {
      const std::string body = shape.make(size);
      if (body.size() > size) return 1;
      const std::string wrong = ctg::signing::sign("whsec_other_secret", k_t, body);
      const std::string right = ctg::signing::sign(secrets[0], k_t, body);
      std::size_t sink = 0;  // keeps the calls from being optimised away
      const Measure head = measure([&] { sink += ctg::events::read_event_head(body).has_value() ? 1U : 0U; }, seconds);
      const Measure parse = measure([&] { sink += ctg::events::parse_event(body).has_value() ? 1U : 0U; }, seconds);
      const Measure mismatch =
          measure([&] { sink += ctg::signing::verify(wrong, secrets, body, k_t).hints.size(); }, seconds);
      const Measure valid =
          measure([&] { sink += ctg::signing::verify(right, secrets, body, k_t).valid() ? 1U : 0U; }, seconds);
      std::printf("| %s | %zu KiB | %.2f | %.2f | %.2f | %.2f | %ld / %ld / %ld / %ld |\n", shape.name,
                  body.size() >> 10, head.ms_per_call, parse.ms_per_call, mismatch.ms_per_call, valid.ms_per_call,
                  head.peak_growth_kib, parse.peak_growth_kib, mismatch.peak_growth_kib, valid.peak_growth_kib);
      std::fflush(stdout);
      if (sink == SIZE_MAX) std::puts("");
    }
  }
  return 0;
}
