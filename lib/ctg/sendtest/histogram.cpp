#include "ctg/sendtest/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace ctg::sendtest {

namespace {

constexpr std::uint64_t k_half = 64;  // sub-buckets per power of two
constexpr std::size_t k_buckets = (64 - 6) * k_half + 2 * k_half;

std::size_t bucket_of(std::uint64_t v) {
  if (v < 2 * k_half) return v;
  const std::uint64_t e = std::bit_width(v) - 7;  // v >> e is in [64, 128)
  return (e + 1) * k_half + ((v >> e) - k_half);
}

std::uint64_t upper_bound_of(std::size_t index) {
  if (index < 2 * k_half) return index;
  const std::uint64_t e = index / k_half - 1;
  const std::uint64_t m = index % k_half + k_half;
  return ((m + 1) << e) - 1;
}

}  // namespace

Histogram::Histogram() : m_buckets(k_buckets, 0) {}

void Histogram::record(std::chrono::microseconds value) {
  const auto v = static_cast<std::uint64_t>(std::max<std::int64_t>(0, value.count()));
  ++m_buckets[bucket_of(v)];
  ++m_count;
  m_max = std::max(m_max, v);
  m_min = std::min(m_min, v);
  m_sum += static_cast<long double>(v);
}

std::chrono::microseconds Histogram::percentile(double quantile) const {
  if (m_count == 0) return std::chrono::microseconds(0);
  const auto wanted = static_cast<std::uint64_t>(std::ceil(std::clamp(quantile, 0.0, 1.0) * static_cast<double>(m_count)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < m_buckets.size(); ++i) {
    seen += m_buckets[i];
    if (seen >= std::max<std::uint64_t>(wanted, 1)) {
      return std::chrono::microseconds(static_cast<std::int64_t>(std::min(upper_bound_of(i), m_max)));
    }
  }
  return max();
}

std::chrono::microseconds Histogram::mean() const {
  if (m_count == 0) return std::chrono::microseconds(0);
  return std::chrono::microseconds(static_cast<std::int64_t>(m_sum / static_cast<long double>(m_count)));
}

}  // namespace ctg::sendtest
