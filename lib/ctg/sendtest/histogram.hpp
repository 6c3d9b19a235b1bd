// ctg::sendtest — latency histogram: log-linear buckets (64 per power of two, so a value is
// reported within 1.6% of itself) from 1 µs to days, in a fixed 18 KiB however many samples.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace ctg::sendtest {

class Histogram {
 public:
  Histogram();
  void record(std::chrono::microseconds value);
  std::uint64_t count() const { return m_count; }
  // The smallest recorded value v such that at least `quantile` (0..1] of samples are <= v, as the
  // upper bound of its bucket (never above max()). Zero when empty.
  std::chrono::microseconds percentile(double quantile) const;
  std::chrono::microseconds max() const { return std::chrono::microseconds(m_max); }
  std::chrono::microseconds min() const { return std::chrono::microseconds(m_count == 0 ? 0 : m_min); }
  std::chrono::microseconds mean() const;

 private:
  std::vector<std::uint64_t> m_buckets;
  std::uint64_t m_count = 0;
  std::uint64_t m_max = 0;
  std::uint64_t m_min = UINT64_MAX;
  long double m_sum = 0;
};

}  // namespace ctg::sendtest
