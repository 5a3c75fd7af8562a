#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "fixed_point.hpp"
#include "saturation.hpp"

using namespace acc;

TEST(FixedPoint, RangeIsTwentyBitsWithSixteenFractionBits) {
  EXPECT_EQ(fx::max_word(), 524287);
  EXPECT_EQ(fx::min_word(), -524288);
  EXPECT_EQ(fx::from_double(1.0), 65536);
  EXPECT_EQ(fx::from_double(-8.0), fx::min_word());
  EXPECT_EQ(fx::from_double(7.99999), fx::max_word());
  EXPECT_EQ(fx::from_double(100.0), fx::max_word());  // saturates
  EXPECT_EQ(fx::from_double(-100.0), fx::min_word());
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
  EXPECT_EQ(fx::narrow_product_sum(int64_t{1} << 40), fx::max_word());
  EXPECT_EQ(fx::narrow_product_sum(-(int64_t{1} << 40)), fx::min_word());
  EXPECT_TRUE(fx::saturates(int64_t{fx::max_word()} + 1));
  EXPECT_FALSE(fx::saturates(fx::max_word()));
}

TEST(FixedPoint, Wrap20KeepsTheLowTwentyBitsSignExtended) {
  EXPECT_EQ(fx::wrap(0x00080000), -524288);
  EXPECT_EQ(fx::wrap(0x0007FFFF), 524287);
  EXPECT_EQ(fx::wrap(0x7FF00001), 1);
  EXPECT_EQ(fx::wrap(-1), -1);
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

TEST(FixedPoint, DefinedForEveryArgument) {
  // Rounding shifts near the ends of the 64-bit range (v + half an LSB would overflow).
  EXPECT_EQ(fx::round_shift(INT64_MAX, 16), int64_t{1} << 47);
  EXPECT_EQ(fx::round_shift(INT64_MIN, 16), -(int64_t{1} << 47));
  EXPECT_EQ(fx::round_shift(INT64_MAX, 1), int64_t{1} << 62);
  // ... and the same results as adding half an LSB where that does not overflow.
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{32767}, int64_t{32768}, int64_t{-32768}, int64_t{-32769},
                    int64_t{123456789}, int64_t{-987654321}, int64_t{1} << 50})
    for (int shift : {1, 8, 16, 24})
      EXPECT_EQ(fx::round_shift(v, shift), (v + (int64_t{1} << (shift - 1))) >> shift) << v << " >> " << shift;
  // A shift of 0 leaves the value (no bit is shifted out); 62, the widest, keeps its rounding bit.
  for (int64_t v : {INT64_MIN, int64_t{-1}, int64_t{0}, int64_t{1}, INT64_MAX}) EXPECT_EQ(fx::round_shift(v, 0), v) << v;
  EXPECT_EQ(fx::round_shift(int64_t{3} << 61, 62), 2);     // 1.5 rounds up
  EXPECT_EQ(fx::round_shift(int64_t{1} << 60, 62), 0);     // 0.25 rounds down
  EXPECT_EQ(fx::round_shift(-(int64_t{1} << 61), 62), 0);  // -0.5 rounds up
  EXPECT_EQ(fx::from_double(std::nan("")), 0);
  EXPECT_FALSE(fx::from_double_saturates(std::nan("")));
  EXPECT_FALSE(fx::from_double_saturates(7.99999));  // rounds to the largest word
  EXPECT_FALSE(fx::from_double_saturates(-8.0));     // is the smallest word
  EXPECT_TRUE(fx::from_double_saturates(8.0));
  EXPECT_TRUE(fx::from_double_saturates(-8.00001));
  EXPECT_EQ(fx::dynatran(INT32_MIN, INT32_MIN), INT32_MIN);  // -tau does not overflow
  EXPECT_EQ(fx::saturate_int64(static_cast<__int128>(INT64_MAX) * 4), INT64_MAX);
  EXPECT_EQ(fx::saturate_int64(-static_cast<__int128>(INT64_MAX) * 4), INT64_MIN);
  uint64_t clipped = 0;
  EXPECT_EQ(fx::saturate_counted(fx::max_word(), clipped), fx::max_word());
  EXPECT_EQ(fx::saturate_counted(int64_t{fx::max_word()} + 1, clipped), fx::max_word());
  EXPECT_EQ(fx::saturate_counted(int64_t{fx::min_word()} - 1, clipped), fx::min_word());
  EXPECT_EQ(clipped, 2u);
}

TEST(Saturation, ValuesClippedWhenLoadedAreNamedBesideTheDatapathsOwn) {
  acc::Saturation none;
  EXPECT_EQ(none.describe(), "no value saturated");
  EXPECT_EQ(none.describe(0, 3), "no value saturated in the datapath; 3 input values clipped when loaded");
  acc::Saturation some;
  some.add = 2;
  EXPECT_EQ(some.describe(1, 1), "2 values saturated to +-8 (add 2); 1 weight clipped when loaded; 1 input value clipped when loaded");
}
