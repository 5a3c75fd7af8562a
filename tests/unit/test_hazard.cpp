#include <gtest/gtest.h>

#include "hazard.hpp"

using namespace acc;

namespace {
Region act(uint64_t base, uint64_t rows, uint64_t cols, uint64_t stride) { return {Space::Act, base, rows, cols, stride}; }
// Brute force: mark every unit of x, look for any unit of y.
bool brute(const Region& x, const Region& y) {
  if (x.space != y.space) return false;
  for (uint64_t r = 0; r < x.rows; ++r)
    for (uint64_t c = 0; c < x.cols; ++c) {
      const uint64_t u = x.base + r * x.stride + c;
      for (uint64_t s = 0; s < y.rows; ++s)
        if (u >= y.base + s * y.stride && u < y.base + s * y.stride + y.cols) return true;
    }
  return false;
}
}  // namespace

TEST(Hazard, ColumnSlicesOfOneMatrixDoNotConflict) {
  // Two attention heads: columns 0..63 and 64..127 of a 128 x 128 matrix.
  EXPECT_FALSE(regions_overlap(act(0, 128, 64, 128), act(64, 128, 64, 128)));
  EXPECT_TRUE(regions_overlap(act(0, 128, 65, 128), act(64, 128, 64, 128)));
}

TEST(Hazard, DifferentSpacesNeverConflict) {
  EXPECT_FALSE(regions_overlap(act(0, 4, 4, 4), Region{Space::Wgt, 0, 4, 4, 4}));
  EXPECT_FALSE(regions_overlap(act(0, 4, 4, 4), Region{}));
}

TEST(Hazard, MatchesBruteForceOnManyRegions) {
  uint64_t seed = 12345;
  auto rnd = [&](uint64_t n) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (seed >> 33) % n;
  };
  for (int i = 0; i < 20000; ++i) {
    auto make = [&] {
      const uint64_t rows = 1 + rnd(6), cols = 1 + rnd(8), stride = cols + rnd(10);
      return act(rnd(60), rows, cols, stride);
    };
    const Region x = make(), y = make();
    ASSERT_EQ(regions_overlap(x, y), brute(x, y)) << "x " << x.base << "/" << x.rows << "x" << x.cols << "+" << x.stride << " y "
                                                  << y.base << "/" << y.rows << "x" << y.cols << "+" << y.stride;
  }
}
