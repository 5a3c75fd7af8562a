// The number format as a runtime value (fx::Format): parsing, the word primitives in formats other
// than Q4.16, the non-linear units within an LSB of the functions, and every kernel bit-exact
// against the reference model in each format (both read the active format).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "test_data.hpp"

#include "fixed_point.hpp"
#include "fx_math.hpp"
#include "matmul_kernel.hpp"
#include "reference.hpp"
#include "vector_kernels.hpp"

using namespace acc;
using acc::test::random_q;

namespace {
// Sets the process's format for one test and restores Q4.16 after it.
struct ScopedFormat {
  explicit ScopedFormat(const fx::Format& f) { fx::set_format(f); }
  ~ScopedFormat() { fx::set_format(fx::kQ4_16); }
};

std::string error_of(const std::string& text) {
  try {
    fx::Format::parse(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

const char* const kFormats[] = {"q8.8", "q3.5", "q6.14", "q12.8", "q2.2", "q2.18", "q4.16"};
}  // namespace

TEST(NumberFormats, ParseAndName) {
  const fx::Format q = fx::Format::parse("q8.8");
  EXPECT_EQ(q.word_bits(), 16);
  EXPECT_EQ(q.frac_bits(), 8);
  EXPECT_EQ(q.max(), 32767);
  EXPECT_EQ(q.min(), -32768);
  EXPECT_EQ(q.one(), 256);
  EXPECT_EQ(q.range(), 128.0);
  EXPECT_EQ(q.name(), "q8.8");
  EXPECT_EQ(fx::Format::parse("Q4.16"), fx::kQ4_16);
  EXPECT_EQ(fx::Format(), fx::kQ4_16);  // the default
  EXPECT_NE(error_of("q1.7").find("at least 2 integer bits"), std::string::npos);
  EXPECT_NE(error_of("q8.16").find("24 bits; the datapath's words are 4 to 20 bits wide"), std::string::npos);
  EXPECT_NE(error_of("q2.1").find("3 bits"), std::string::npos);
  for (const char* bad : {"", "q", "q4", "4.16", "q4.x", "q-4.16", "q4.16.1", "int4", "int32", "q04.16"})
    EXPECT_NE(error_of(bad).find("is not a number format"), std::string::npos) << bad;
}

TEST(NumberFormats, PerTensorIntegerFormats) {
  const fx::Format i8 = fx::Format::parse("int8"), i16 = fx::Format::parse("int16");
  EXPECT_TRUE(i8.per_tensor());
  EXPECT_FALSE(fx::kQ4_16.per_tensor());
  EXPECT_EQ(i8.word_bits(), 8);
  EXPECT_EQ(i8.max(), 127);
  EXPECT_EQ(i8.min(), -128);
  EXPECT_EQ(i8.name(), "int8");
  EXPECT_EQ(i16.name(), "int16");
  EXPECT_EQ(i16.max_tensor_frac(), 30);
  EXPECT_NE(i8, fx::Format::parse("q2.6"));  // same width and default scale, but a per-tensor format
  EXPECT_NE(error_of("int12").find("int8, int16"), std::string::npos);
  // DynaTran with tau in units of 2^-16 against words of any scale, exactly.
  EXPECT_EQ(fx::dynatran_scaled(8, 1 << 15, 4), 0);    // 0.5 is not above 0.5
  EXPECT_EQ(fx::dynatran_scaled(9, 1 << 15, 4), 9);    // 0.5625 is
  EXPECT_EQ(fx::dynatran_scaled(-9, 1 << 15, 4), -9);
  EXPECT_EQ(fx::dynatran_scaled(1, 0, 30), 1);         // tau 0 prunes only zeros
  EXPECT_EQ(fx::dynatran_scaled(INT32_MIN, 0xFFFFF, 0), INT32_MIN);  // no overflow at the extremes
  EXPECT_EQ(fx::dynatran_scaled(INT32_MIN, 0xFFFFF, 30), 0);          // -2 is within +-16
}

TEST(NumberFormats, WordPrimitivesFollowTheFormat) {
  ScopedFormat f(fx::Format::parse("q8.8"));
  EXPECT_EQ(fx::wrap(0x12345678), 0x5678);
  EXPECT_EQ(fx::wrap(0x0000FFFF), -1);
  EXPECT_EQ(fx::wrap(fx::kMaskMarker), 0);
  EXPECT_FALSE(fx::word_nonzero(0x10000));
  EXPECT_TRUE(fx::word_nonzero(0x18000));
  EXPECT_EQ(fx::from_double(1.5), 384);
  EXPECT_EQ(fx::from_double(1000), 32767);
  EXPECT_TRUE(fx::from_double_saturates(128.0));
  EXPECT_FALSE(fx::from_double_saturates(127.99));
  EXPECT_EQ(fx::to_double(-384), -1.5);
  EXPECT_EQ(fx::narrow_product_sum(int64_t{384} * 256), 384);  // 1.5 x 1.0
  EXPECT_EQ(fx::saturate(40000), 32767);
  EXPECT_EQ(fx::saturate(-40000), -32768);
}

TEST(NumberFormats, NonLinearUnitsWithinAnLsbInEveryFormat) {
  for (const char* name : kFormats) {
    ScopedFormat f(fx::Format::parse(name));
    const double lsb = 1.0 / fx::one();
    // The units keep 16 fraction bits (tables within about an LSB of Q.16), then round to the
    // format: within 1.5 LSB of the format, or of Q.16 when the format has more fraction bits.
    const double tol = std::max(lsb, 1.0 / 65536.0) * 1.5;
    const int32_t step = std::max<int32_t>(1, (fx::max_word() - fx::min_word()) / 5000);
    for (int64_t x = fx::min_word(); x <= fx::max_word(); x += step) {
      const double v = fx::to_double(static_cast<int32_t>(x));
      const double gelu = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
      EXPECT_NEAR(fx::to_double(fx::gelu(static_cast<int32_t>(x))), std::min(gelu, fx::format().max_value()), tol) << name << " " << v;
      EXPECT_NEAR(fx::to_double(fx::tanh_fx(static_cast<int32_t>(x))), std::min(std::tanh(v), fx::format().max_value()), tol) << name << " " << v;
    }
    for (int64_t d = 0; d > -(int64_t{17} << fx::frac_bits()); d -= std::max<int64_t>(1, fx::one() / 37))
      EXPECT_NEAR(fx::exp_neg(d) / 65536.0, std::exp(fx::to_double(static_cast<int32_t>(d))), 1.01 / 65536.0) << name << " " << d;
  }
}

TEST(NumberFormats, KernelsMatchTheReferenceInEveryFormat) {
  for (const char* name : kFormats) {
    ScopedFormat f(fx::Format::parse(name));
    const int32_t one = fx::one(), big = fx::max_word();
    // Matmul with bias, DynaTran and each activation: full-range operands saturate too.
    const uint32_t m = 9, k = 40, n = 21;
    const auto a = random_q(uint64_t{m} * k, 31, big), b = random_q(uint64_t{k} * n, 32, big / 4), bias = random_q(n, 33, big);
    for (auto act : {Activation::None, Activation::Gelu, Activation::Tanh}) {
      std::vector<int32_t> c(uint64_t{m} * n);
      matmul_values({const_cast<int32_t*>(a.data()), k}, {const_cast<int32_t*>(b.data()), n}, {c.data(), n}, {m, k, n, false},
                    {bias.data(), true, std::max(1, one / 8), 0, 0, act});
      const ref::Act ra = act == Activation::Gelu ? ref::Act::Gelu : act == Activation::Tanh ? ref::Act::Tanh : ref::Act::None;
      EXPECT_EQ(c, ref::matmul(a, b, m, k, n, false, true, std::max(1, one / 8), &bias, ra)) << name;
    }
    // Softmax, with top-k and DynaTran.
    const uint32_t rows = 7, cols = 37;
    const auto s = random_q(uint64_t{rows} * cols, 41, big);
    std::vector<int32_t> p(s.size());
    const int32_t scale = std::max(1, one / 4);
    softmax_rows({const_cast<int32_t*>(s.data()), cols}, {p.data(), cols}, {rows, cols, 33, scale, 5, true, true, 1, 16, 16, 16});
    EXPECT_EQ(p, ref::softmax(s, rows, cols, {33, scale, 5, true, true, 1})) << name;
    // Layer norm (epsilon in units of 2^-2n) and the saturating add.
    const auto x = random_q(uint64_t{rows} * cols, 42, big, 0.1), g = random_q(cols, 43, 2 * one > big ? big : 2 * one),
               be = random_q(cols, 44, one / 2 + 1);
    std::vector<int32_t> y(x.size()), z(x.size());
    const uint32_t eps = 3;
    layernorm_rows({const_cast<int32_t*>(x.data()), cols}, {y.data(), cols}, g.data(), be.data(), {rows, cols, eps, 16, 16});
    EXPECT_EQ(y, ref::layernorm(x, rows, cols, g, be, eps)) << name;
    const auto sum = add_tiles({const_cast<int32_t*>(x.data()), cols}, {const_cast<int32_t*>(s.data()), cols}, {z.data(), cols}, rows, cols, 16, 16);
    EXPECT_EQ(z, ref::add(x, s)) << name;
    EXPECT_GT(sum.saturated, 0u) << name;  // full-range operands: some sums leave the range
  }
}

// int8 and int16: each operand and result with its own fraction bits (the descriptors' scale fields);
// the kernels agree with the reference's independent per-tensor arithmetic, and saturation is counted.
TEST(NumberFormats, PerTensorKernelsMatchTheReference) {
  for (const char* name : {"int8", "int16"}) {
    ScopedFormat f(fx::Format::parse(name));
    const int w = fx::word_bits(), big = fx::max_word();
    const uint32_t m = 9, k = 40, n = 21;
    const auto a = random_q(uint64_t{m} * k, 51, big), b = random_q(uint64_t{k} * n, 52, big), bias = random_q(n, 53, big);
    // Fractions as a calibration would give them: A and B near the top of the word, C from their sums.
    for (const ref::MatmulFracs fr : {ref::MatmulFracs{w - 3, w - 1, w - 5, w}, ref::MatmulFracs{2, w, w + 1, 5}}) {
      for (auto act : {Activation::None, Activation::Gelu, Activation::Tanh}) {
        MatmulEpilogue epi{bias.data(), true, 1 << 12, 0, 0, act};
        epi.scaled = true, epi.out_shift = fr.a + fr.b - fr.c, epi.out_frac = fr.c, epi.bias_shift = fr.a + fr.b - fr.bias;
        std::vector<int32_t> c(uint64_t{m} * n);
        const MatmulOutcome o =
            matmul_values({const_cast<int32_t*>(a.data()), k}, {const_cast<int32_t*>(b.data()), n}, {c.data(), n}, {m, k, n, false}, epi);
        const ref::Act ra = act == Activation::Gelu ? ref::Act::Gelu : act == Activation::Tanh ? ref::Act::Tanh : ref::Act::None;
        EXPECT_EQ(c, ref::matmul_scaled(a, b, m, k, n, fr, false, true, 1 << 12, &bias, ra)) << name << " c frac " << fr.c;
        if (fr.c > fr.a + 1 && act == Activation::None) {
          EXPECT_GT(o.saturated, 0u) << name;  // a fine output scale clips
        }
      }
    }
    // Softmax: scores with 5 fraction bits, scale 1.0 (Q.16), probabilities with w - 2; top-k, DynaTran.
    const uint32_t rows = 7, cols = 37;
    const auto s = random_q(uint64_t{rows} * cols, 54, big);
    std::vector<int32_t> p(s.size());
    SoftmaxSpec spec{rows, cols, 33, 65536, 5, true, true, 1 << 11, 16, 16, 16};
    spec.scaled = true, spec.in_frac = 5, spec.out_frac = w - 2;
    softmax_rows({const_cast<int32_t*>(s.data()), cols}, {p.data(), cols}, spec);
    ref::SoftmaxParams sp{33, 65536, 5, true, true, 1 << 11};
    sp.scaled = true, sp.in_frac = 5, sp.out_frac = w - 2;
    EXPECT_EQ(p, ref::softmax(s, rows, cols, sp)) << name;
    EXPECT_TRUE(std::any_of(p.begin(), p.end(), [](int32_t v) { return v > 0; })) << name;
    // Layer norm (gamma with w - 2 fraction bits, output with w - 4) and the aligned add.
    const auto x = random_q(uint64_t{rows} * cols, 55, big), g = random_q(cols, 56, big), be = random_q(cols, 57, big);
    std::vector<int32_t> y(x.size()), z(x.size());
    LayerNormSpec ls{rows, cols, 1, 16, 16};
    ls.scaled = true, ls.gamma_frac = w - 2, ls.out_frac = w - 4;
    layernorm_rows({const_cast<int32_t*>(x.data()), cols}, {y.data(), cols}, g.data(), be.data(), ls);
    EXPECT_EQ(y, ref::layernorm_scaled(x, rows, cols, g, be, 1, w - 2, w - 4)) << name;
    // Saturation per site: outputs at w - 1 fraction bits hold only +-1, which normalised values
    // times gains beyond 1 exceed; a one-hot row's probability 1.0 does not fit w - 1 either.
    ls.out_frac = w - 1;
    EXPECT_GT(layernorm_rows({const_cast<int32_t*>(x.data()), cols}, {y.data(), cols}, g.data(), be.data(), ls).saturated, 0u) << name;
    std::vector<int32_t> one_hot(cols, fx::min_word());
    one_hot[3] = fx::max_word();
    std::vector<int32_t> q(cols);
    SoftmaxSpec hot{1, cols, cols, 65536, 0, false, false, 0, 16, 16, 16};
    hot.scaled = true, hot.in_frac = 0, hot.out_frac = w - 1;
    EXPECT_EQ(softmax_rows({one_hot.data(), cols}, {q.data(), cols}, hot).saturated, 1u) << name;
    EXPECT_EQ(q[3], fx::max_word()) << name;
    const AddOutcome sum =
        add_tiles({const_cast<int32_t*>(x.data()), cols}, {const_cast<int32_t*>(s.data()), cols}, {z.data(), cols}, rows, cols, 16, 16, {true, 3, 6, 4});
    EXPECT_EQ(z, ref::add_scaled(x, s, 3, 6, 4)) << name;
    EXPECT_GT(sum.saturated, 0u) << name;
  }
}
