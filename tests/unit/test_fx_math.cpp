// The non-linear primitives against double precision, and the determinism of their tables.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "fixed_point.hpp"
#include "fx_math.hpp"

using namespace acc;

TEST(FxMath, SeriesFunctionsMatchTheLibrary) {
  for (double y = 0; y <= 16; y += 0.37) EXPECT_NEAR(fx::series_exp_neg(y), std::exp(-y), 1e-15 + 1e-13 * std::exp(-y)) << y;
  for (double x = -6; x <= 6; x += 0.13) EXPECT_NEAR(fx::series_erf(x), std::erf(x), 1e-13) << x;
  for (double x = -8; x <= 8; x += 0.11) EXPECT_NEAR(fx::series_tanh(x), std::tanh(x), 1e-13) << x;
}

TEST(FxMath, ExpNegWithinOneLsb) {
  EXPECT_EQ(fx::exp_neg(0), fx::one());
  EXPECT_EQ(fx::exp_neg(5), fx::one());  // positive arguments clamp to e^0
  EXPECT_EQ(fx::exp_neg(-(int64_t{16} << 16)), 0);
  EXPECT_EQ(fx::exp_neg(-(int64_t{40} << 16)), 0);
  for (int64_t d = 0; d > -(int64_t{16} << 16); d -= 997) {
    const double want = std::exp(double(d) / 65536.0) * 65536.0;
    EXPECT_NEAR(fx::exp_neg(d), want, 1.0) << d;
  }
}

TEST(FxMath, ARowsExponentialsAreExpNegAtEach) {
  // The softmax's vectorised row against the scalar function, at Q.16 (the gathers) and at other
  // fraction bits: every table interval's ends and insides, the table's end, masked entries, and a
  // maximum far from zero; lengths that leave a partial vector.
  constexpr int64_t kMasked = INT64_MIN;
  for (int n : {16, 12, 18})
    for (int64_t max : {int64_t{0}, int64_t{3} << 30, -(int64_t{5} << 20)}) {
      std::vector<int64_t> x;
      for (int64_t y = 0; y <= (int64_t{17} << n); y += (int64_t{1} << n) / 37 + 1) x.push_back(max - y);
      for (int64_t y : {int64_t{0}, int64_t{1}, (int64_t{16} << n) - 1, int64_t{16} << n, (int64_t{16} << n) + 1}) x.push_back(max - y);
      for (size_t i = 0; i < x.size(); i += 7) x[i] = kMasked;
      for (size_t count : {x.size(), x.size() - 3, size_t{5}}) {
        std::vector<int32_t> got(count, -1);
        int64_t want_sum = 0;
        const int64_t sum = fx::exp_neg_row_at(x.data(), max, kMasked, got.data(), count, n);
        for (size_t j = 0; j < count; ++j) {
          const int32_t want = x[j] == kMasked ? 0 : fx::exp_neg_at(x[j] - max, n);
          EXPECT_EQ(got[j], want) << "n " << n << " max " << max << " y " << max - x[j];
          want_sum += want;
        }
        EXPECT_EQ(sum, want_sum);
        EXPECT_GT(sum, 0);
      }
    }
}

TEST(FxMath, GeluAndTanhWithinOneLsb) {
  for (int32_t x = fx::min_word(); x <= fx::max_word(); x += 331) {
    const double v = fx::to_double(x);
    EXPECT_NEAR(fx::gelu(x), 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))) * 65536.0, 1.0) << v;
    EXPECT_NEAR(fx::tanh_fx(x), std::tanh(v) * 65536.0, 1.0) << v;
  }
  EXPECT_EQ(fx::gelu(0), 0);
  EXPECT_EQ(fx::tanh_fx(0), 0);
  EXPECT_EQ(fx::gelu(fx::max_word()), fx::max_word() - 0);  // gelu(x) ~ x for large x
}

TEST(FxMath, IntegerSquareRootAndRoundedDivision) {
  for (uint64_t v : {0ull, 1ull, 2ull, 3ull, 4ull, 15ull, 16ull, 17ull, 1ull << 40, (1ull << 52) + 12345, (1ull << 62) - 1}) {
    const uint64_t r = fx::isqrt(v);
    EXPECT_LE(r * r, v);
    EXPECT_GT((r + 1) * (r + 1), v);
  }
  EXPECT_EQ(fx::div_round(7, 2), 4);    // 3.5 -> 4
  EXPECT_EQ(fx::div_round(-7, 2), -3);  // -3.5 -> -3 (half up)
  EXPECT_EQ(fx::div_round(-8, 3), -3);  // -2.67 -> -3
  EXPECT_EQ(fx::div_round(10, 5), 2);
}

TEST(FxMath, DefinedForEveryArgument) {
  EXPECT_EQ(fx::exp_neg(INT64_MIN), 0);  // -INT64_MIN would overflow
  EXPECT_EQ(fx::exp_neg(INT64_MAX), fx::one());
  EXPECT_EQ(fx::isqrt(UINT64_MAX), 0xFFFFFFFFull);  // (r + 1)^2 would wrap
  EXPECT_EQ(fx::isqrt(0xFFFFFFFEull * 0xFFFFFFFEull), 0xFFFFFFFEull);
  EXPECT_EQ(fx::isqrt(0xFFFFFFFFull * 0xFFFFFFFFull), 0xFFFFFFFFull);
  EXPECT_EQ(fx::isqrt(0xFFFFFFFFull * 0xFFFFFFFFull - 1), 0xFFFFFFFEull);
  EXPECT_EQ(fx::div_round(INT64_MAX, 1), INT64_MAX);  // 2a + b would overflow in 64 bits
  EXPECT_EQ(fx::div_round(INT64_MIN, 1), INT64_MIN);
  EXPECT_EQ(fx::div_round(INT64_MAX, 2), int64_t{1} << 62);
  EXPECT_EQ(fx::div_round(static_cast<__int128>(1) << 70, 1 << 8), int64_t{1} << 62);  // a sum of squares beyond 2^63
  EXPECT_EQ(fx::div_round(static_cast<__int128>(1) << 70, 2), INT64_MAX);               // a quotient beyond: saturates
  // GELU and tanh never leave the range: their tables end at f(8), which only the interpolation
  // towards the largest word reaches.
  uint64_t clipped = 0;
  for (int32_t x = fx::min_word(); x <= fx::max_word(); x += 7) {
    EXPECT_EQ(fx::gelu(x, clipped), fx::gelu(x));
    EXPECT_EQ(fx::tanh_fx(x, clipped), fx::tanh_fx(x));
  }
  EXPECT_EQ(fx::gelu(fx::max_word(), clipped), fx::max_word());
  EXPECT_EQ(clipped, 0u);
}
