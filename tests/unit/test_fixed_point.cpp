#include <gtest/gtest.h>

#include "fixed_point.hpp"

using namespace acc;

TEST(FixedPoint, RangeIsTwentyBitsWithSixteenFractionBits) {
  EXPECT_EQ(fx::kMax, 524287);
  EXPECT_EQ(fx::kMin, -524288);
  EXPECT_EQ(fx::from_double(1.0), 65536);
  EXPECT_EQ(fx::from_double(-8.0), fx::kMin);
  EXPECT_EQ(fx::from_double(7.99999), fx::kMax);
  EXPECT_EQ(fx::from_double(100.0), fx::kMax);  // saturates
  EXPECT_EQ(fx::from_double(-100.0), fx::kMin);
  EXPECT_DOUBLE_EQ(fx::to_double(fx::from_double(0.25)), 0.25);
}

TEST(FixedPoint, NarrowingRoundsHalfTowardPlusInfinity) {
  // Q8.32 accumulator -> Q4.16: shift by 16 with round half up.
  EXPECT_EQ(fx::narrow_product_sum(int64_t{3} << 15), 2);     // 1.5 LSB -> 2
  EXPECT_EQ(fx::narrow_product_sum(int64_t{1} << 15), 1);     // 0.5 LSB -> 1
  EXPECT_EQ(fx::narrow_product_sum(-(int64_t{1} << 15)), 0);  // -0.5 LSB -> 0 (toward +inf)
  EXPECT_EQ(fx::narrow_product_sum(-(int64_t{3} << 15)), -1); // -1.5 LSB -> -1
  EXPECT_EQ(fx::narrow_product_sum((int64_t{1} << 15) - 1), 0);
  // 1.0 * 1.0 = 1.0
  EXPECT_EQ(fx::narrow_product_sum(int64_t{65536} * 65536), 65536);
  // Saturation after rounding.
  EXPECT_EQ(fx::narrow_product_sum(int64_t{1} << 40), fx::kMax);
  EXPECT_EQ(fx::narrow_product_sum(-(int64_t{1} << 40)), fx::kMin);
  EXPECT_TRUE(fx::saturates(int64_t{fx::kMax} + 1));
  EXPECT_FALSE(fx::saturates(fx::kMax));
}

TEST(FixedPoint, Wrap20KeepsTheLowTwentyBitsSignExtended) {
  EXPECT_EQ(fx::wrap20(0x00080000), -524288);
  EXPECT_EQ(fx::wrap20(0x0007FFFF), 524287);
  EXPECT_EQ(fx::wrap20(0x7FF00001), 1);
  EXPECT_EQ(fx::wrap20(-1), -1);
}

TEST(FixedPoint, DynatranPrunesMagnitudesUpToAndIncludingTau) {
  const int32_t tau = 100;
  EXPECT_EQ(fx::dynatran(100, tau), 0);  // |x| == tau is pruned (DynaTran: the AccelTran paper)
  EXPECT_EQ(fx::dynatran(-100, tau), 0);
  EXPECT_EQ(fx::dynatran(101, tau), 101);
  EXPECT_EQ(fx::dynatran(-101, tau), -101);
  EXPECT_EQ(fx::dynatran(0, 0), 0);
  EXPECT_EQ(fx::dynatran(1, 0), 1);
}
