#include "ctg/sendtest/histogram.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <vector>

using ctg::sendtest::Histogram;
using us = std::chrono::microseconds;

TEST_CASE("sendtest::Histogram") {
  SUBCASE("empty") {
    const Histogram h;
    CHECK(h.count() == 0);
    CHECK(h.percentile(0.99) == us(0));
    CHECK(h.max() == us(0));
  }
  SUBCASE("small values are exact") {
    Histogram h;
    for (int v = 1; v <= 100; ++v) h.record(us(v));
    CHECK(h.percentile(0.5) == us(50));
    CHECK(h.percentile(0.9) == us(90));
    CHECK(h.percentile(0.99) == us(99));
    CHECK(h.percentile(1.0) == us(100));
    CHECK(h.min() == us(1));
    CHECK(h.mean() == us(50));
  }
  SUBCASE("large values within 1.6% of the exact percentile, over many magnitudes") {
    std::mt19937_64 random(42);
    std::lognormal_distribution<double> latency(8.0, 1.5);  // median ~3 ms, a long tail
    std::vector<std::int64_t> samples;
    Histogram h;
    for (int i = 0; i < 100000; ++i) {
      const auto v = static_cast<std::int64_t>(latency(random));
      samples.push_back(v);
      h.record(us(v));
    }
    std::sort(samples.begin(), samples.end());
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
      CAPTURE(q);
      const auto exact = static_cast<double>(samples[static_cast<std::size_t>(q * static_cast<double>(samples.size())) - 1]);
      const auto got = static_cast<double>(h.percentile(q).count());
      CHECK(got >= exact);
      CHECK(got <= exact * 1.016 + 1);
    }
    CHECK(h.max() == us(samples.back()));
    CHECK(h.percentile(1.0) == us(samples.back()));
  }
}
