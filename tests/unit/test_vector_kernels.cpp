// The PE cluster's vector kernels (tile-wise, quick-select top-k) against the reference model's
// plain implementations, bit for bit; and the semantics the issue names.
#include <gtest/gtest.h>

#include "test_data.hpp"

#include "fixed_point.hpp"
#include "fx_math.hpp"
#include "reference.hpp"
#include "vector_kernels.hpp"

using namespace acc;
using acc::test::lcg;
using acc::test::random_q;

namespace {
SoftmaxSpec spec(uint32_t rows, uint32_t cols, uint32_t valid, uint32_t topk, bool exact, bool prune, int32_t tau) {
  return SoftmaxSpec{rows, cols, valid, fx::from_double(0.125), topk, exact, prune, tau, 16, 16, 16};
}
}  // namespace

TEST(VectorKernels, SoftmaxMatchesTheReference) {
  for (uint32_t cols : {5u, 16u, 37u, 128u})
    for (uint32_t topk : {0u, 3u, 200u})
      for (bool exact : {false, true})
        for (bool prune : {false, true}) {
          const uint32_t rows = 19, valid = cols > 4 ? cols - 3 : cols;
          auto s = random_q(uint64_t{rows} * cols, cols * 31 + topk, 6 * fx::one());
          std::vector<int32_t> out(s.size(), 0x55);
          const SoftmaxSpec sp = spec(rows, cols, valid, topk, exact, prune, fx::from_double(0.01));
          softmax_rows({s.data(), cols}, {out.data(), cols}, sp);
          ref::SoftmaxParams rp{valid, sp.scale, topk, exact, prune, sp.tau};
          ASSERT_EQ(out, ref::softmax(s, rows, cols, rp)) << cols << " " << topk << " " << exact << " " << prune;
        }
}

TEST(VectorKernels, SoftmaxInPlace) {
  auto s = random_q(16 * 40, 3, 4 * fx::one());
  const auto want = ref::softmax(s, 16, 40, {33, fx::from_double(0.125)});
  softmax_rows({s.data(), 40}, {s.data(), 40}, spec(16, 40, 33, 0, false, false, 0));
  EXPECT_EQ(s, want);
}

TEST(VectorKernels, ZeroedScoresStillTakePartMaskedOnesDoNot) {
  // Row: [0, 0, 1.0, 9 masked columns]. A zero score (DynaTran's ZERO) still costs an exponential
  // and gets probability e^(0 - m)/sum; a masked column (MASK) gets 0 and costs nothing.
  std::vector<int32_t> s(12, fx::one() * 3), out(12);
  s[0] = s[1] = 0;
  s[2] = fx::one();
  SoftmaxSpec sp = spec(1, 12, 3, 0, false, false, 0);
  sp.scale = fx::one();
  const SoftmaxOutcome o = softmax_rows({s.data(), 12}, {out.data(), 12}, sp);
  EXPECT_GT(out[0], 0);
  EXPECT_EQ(out[0], out[1]);
  EXPECT_GT(out[2], out[0]);
  for (int j = 3; j < 12; ++j) EXPECT_EQ(out[j], 0);
  EXPECT_EQ(o.tile_unmasked[0], 3u);  // three exponentials on the softmax unit
  EXPECT_NEAR(out[0] + out[1] + out[2], fx::one(), 2);
}

TEST(VectorKernels, TopKTieSemantics) {
  // Probabilities after softmax of [2, 1, 2, 2, 0]: three equal largest values.
  std::vector<int32_t> s = {2 * fx::one(), fx::one(), 2 * fx::one(), 2 * fx::one(), 0}, strict(5), exact(5);
  SoftmaxSpec sp = spec(1, 5, 5, 2, false, false, 0);
  sp.scale = fx::one();
  softmax_rows({s.data(), 5}, {strict.data(), 5}, sp);  // AccelTran: strictly greater than the 2nd largest
  sp.topk_exact = true;
  softmax_rows({s.data(), 5}, {exact.data(), 5}, sp);  // a sorter: exactly 2, lowest index first
  int kept_strict = 0, kept_exact = 0;
  for (int j = 0; j < 5; ++j) kept_strict += strict[j] != 0, kept_exact += exact[j] != 0;
  EXPECT_EQ(kept_strict, 0);  // the 2nd largest ties with the largest: nothing is strictly greater
  EXPECT_EQ(kept_exact, 2);
  EXPECT_NE(exact[0], 0);
  EXPECT_NE(exact[2], 0);
  EXPECT_EQ(exact[3], 0);
  // k >= the row length bypasses top-k.
  std::vector<int32_t> all(5);
  sp.topk = 5;
  softmax_rows({s.data(), 5}, {all.data(), 5}, sp);
  for (int j = 0; j < 5; ++j) EXPECT_NE(all[j], 0);
}

TEST(VectorKernels, QuickSelectFindsTheKthLargestAndCountsCycles) {
  std::vector<int32_t> v = {5, 9, 1, 7, 3, 8, 2, 6, 4, 0};  // 10 values
  // Pivot v[5] = 8: greater {9} (1), equal 1 -> k=2 found in the first iteration.
  QuickSelect q = quick_select(v, 2, 4);
  EXPECT_EQ(q.kth, 8);
  EXPECT_EQ(q.iterations, 1u);
  EXPECT_EQ(q.cycles, 3u /*fill ceil(10/4)*/ + 1u /*ceil(k/4)*/ + (3u + 4u) /*ceil(10/4) + 4*/);
  for (uint32_t k = 1; k <= 10; ++k) EXPECT_EQ(quick_select(v, k, 4).kth, int32_t(10 - k));
  // A second iteration on the 'less' side: k = 6 of the 10, pivot 8 -> k = 4 in {5,7,1,3,2,6,4,0}.
  q = quick_select(v, 6, 4);
  EXPECT_EQ(q.kth, 4);
  EXPECT_GE(q.iterations, 2u);
}

TEST(VectorKernels, LayerNormMatchesTheReferenceAndCountsZeros) {
  const uint32_t rows = 21, cols = 40;
  auto x = random_q(uint64_t{rows} * cols, 11, 3 * fx::one(), 0.2);
  auto g = random_q(cols, 12, fx::one()), b = random_q(cols, 13, fx::one() / 4);
  std::vector<int32_t> y(x.size());
  const auto ln = layernorm_rows({x.data(), cols}, {y.data(), cols}, g.data(), b.data(), {rows, cols, 0, 16, 16});
  const auto& zeros = ln.tile_zeros;
  EXPECT_EQ(y, ref::layernorm(x, rows, cols, g, b, 0));
  EXPECT_EQ(ln.saturated, 0u);
  uint64_t total = 0, direct = 0;
  for (uint32_t z : zeros) total += z;
  for (int32_t v : x) direct += v == 0;
  EXPECT_EQ(total, direct);
  ASSERT_EQ(zeros.size(), 2u * 3u);  // 2 row blocks x 3 column tiles
  // A constant row has zero variance: the output is beta.
  std::vector<int32_t> c(cols, 12345), out(cols);
  layernorm_rows({c.data(), cols}, {out.data(), cols}, g.data(), b.data(), {1, cols, 0, 16, 16});
  EXPECT_EQ(out, b);
}

TEST(VectorKernels, AddMatchesTheReferenceAndSaturates) {
  auto a = random_q(30 * 20, 21, fx::max_word(), 0.3), b = random_q(30 * 20, 22, fx::max_word(), 0.3);
  std::vector<int32_t> c(a.size());
  const auto sum = add_tiles({a.data(), 20}, {b.data(), 20}, {c.data(), 20}, 30, 20, 16, 16);
  EXPECT_EQ(c, ref::add(a, b));
  uint64_t n = 0;
  for (uint32_t x : sum.tile_active) n += x;
  uint64_t direct = 0, clipped = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    direct += (a[i] | b[i]) != 0;
    clipped += fx::saturates(int64_t{a[i]} + b[i]);
  }
  EXPECT_EQ(n, direct);
  EXPECT_GT(clipped, 50u);  // operands up to +-8: about a quarter of the sums leave the range
  EXPECT_EQ(sum.saturated, clipped);
}

TEST(VectorKernels, MatmulEpilogueMatchesTheReference) {
  const uint32_t m = 9, k = 33, n = 21;
  auto a = random_q(uint64_t{m} * k, 31, fx::one()), b = random_q(uint64_t{k} * n, 32, fx::one() / 2), bias = random_q(n, 33, fx::one());
  for (auto act : {Activation::None, Activation::Gelu, Activation::Tanh}) {
    std::vector<int32_t> c(uint64_t{m} * n);
    matmul_values({a.data(), k}, {b.data(), n}, {c.data(), n}, {m, k, n, false}, {bias.data(), true, fx::from_double(0.2), 0, 0, act});
    const ref::Act ra = act == Activation::Gelu ? ref::Act::Gelu : act == Activation::Tanh ? ref::Act::Tanh : ref::Act::None;
    EXPECT_EQ(c, ref::matmul(a, b, m, k, n, false, true, fx::from_double(0.2), &bias, ra));
  }
}

TEST(VectorKernels, LayerNormOverMaskedScoresReadsThemAsZero) {
  // Firmware can point a LAYERNORM at SCORE output: a MASK marker (0x80000000) is a word of value 0
  // (its 20-bit word), not -2^31 (whose squares overflowed 64 bits).
  const uint32_t rows = 3, cols = 40;
  auto x = random_q(uint64_t{rows} * cols, 41, 2 * fx::one());
  auto zeroed = x;
  for (size_t i = 0; i < x.size(); i += 3) x[i] = fx::kMaskMarker, zeroed[i] = 0;
  const auto g = random_q(cols, 42, fx::one()), b = random_q(cols, 43, fx::one() / 4);
  std::vector<int32_t> y(x.size()), want(x.size());
  layernorm_rows({x.data(), cols}, {y.data(), cols}, g.data(), b.data(), {rows, cols, 0, 16, 16});
  layernorm_rows({zeroed.data(), cols}, {want.data(), cols}, g.data(), b.data(), {rows, cols, 0, 16, 16});
  EXPECT_EQ(y, want);
  EXPECT_EQ(y, ref::layernorm(x, rows, cols, g, b, 0));
  // A row of nothing but markers has zero variance: its output is beta.
  std::vector<int32_t> masked(cols, fx::kMaskMarker), out(cols);
  layernorm_rows({masked.data(), cols}, {out.data(), cols}, g.data(), b.data(), {1, cols, 0, 16, 16});
  EXPECT_EQ(out, b);
}

TEST(VectorKernels, EveryOpReadsTheTwentyBitWordOfEachContainer) {
  // The host CPU can write any 32-bit value into a buffer word; the units read its low 20 bits,
  // sign-extended, as the DMA would have stored it. Results equal those on the clean words, and
  // the reference model reads them the same way.
  const uint32_t rows = 12, cols = 24;
  const auto clean = random_q(uint64_t{rows} * cols, 51, fx::max_word()), other = random_q(uint64_t{rows} * cols, 52, fx::max_word());
  uint64_t seed = 53;
  auto dirty = [&](std::vector<int32_t> v) {
    for (auto& w : v) w = static_cast<int32_t>((static_cast<uint32_t>(w) & 0xFFFFFu) | (static_cast<uint32_t>(lcg(seed)) << 20));
    return v;
  };
  const auto x = dirty(clean), y = dirty(other);
  ASSERT_NE(x, clean);
  std::vector<int32_t> got(x.size()), want(x.size());
  const auto sum = add_tiles({const_cast<int32_t*>(x.data()), cols}, {const_cast<int32_t*>(y.data()), cols}, {got.data(), cols}, rows,
                             cols, 16, 16);
  add_tiles({const_cast<int32_t*>(clean.data()), cols}, {const_cast<int32_t*>(other.data()), cols}, {want.data(), cols}, rows, cols, 16, 16);
  EXPECT_EQ(got, want);
  EXPECT_EQ(got, ref::add(x, y));
  EXPECT_GT(sum.saturated, 0u);

  const auto g = dirty(random_q(cols, 54, fx::one())), b = dirty(random_q(cols, 55, fx::one()));
  layernorm_rows({const_cast<int32_t*>(x.data()), cols}, {got.data(), cols}, g.data(), b.data(), {rows, cols, 0, 16, 16});
  auto words = [](ref::Tensor t) {
    for (auto& w : t) w = fx::wrap(w);
    return t;
  };
  EXPECT_EQ(got, ref::layernorm(clean, rows, cols, words(g), words(b), 0));
  EXPECT_EQ(got, ref::layernorm(x, rows, cols, g, b, 0));

  const SoftmaxSpec sp = spec(rows, cols, cols, 0, false, false, 0);
  softmax_rows({const_cast<int32_t*>(x.data()), cols}, {got.data(), cols}, sp);
  softmax_rows({const_cast<int32_t*>(clean.data()), cols}, {want.data(), cols}, sp);
  EXPECT_EQ(got, want);
  EXPECT_EQ(got, ref::softmax(x, rows, cols, {cols, sp.scale}));

  std::vector<int32_t> c(uint64_t{rows} * rows), c_clean(c.size());
  matmul_values({const_cast<int32_t*>(x.data()), cols}, {const_cast<int32_t*>(y.data()), cols}, {c.data(), rows}, {rows, cols, rows, true});
  matmul_values({const_cast<int32_t*>(clean.data()), cols}, {const_cast<int32_t*>(other.data()), cols}, {c_clean.data(), rows},
                {rows, cols, rows, true});
  EXPECT_EQ(c, c_clean);
  EXPECT_EQ(c, ref::matmul(x, y, rows, cols, rows, true));
}

TEST(VectorKernels, LayerNormSaturationIsCounted) {
  // Inputs +-1 alternating: mean 0, standard deviation 1, normalised values +-1. With gamma 7.5 and
  // beta 1 the positive half is 8.5 (clipped to the largest word), the negative half -6.5.
  const uint32_t cols = 32;
  std::vector<int32_t> x(cols), g(cols, fx::from_double(7.5)), b(cols, fx::one()), y(cols);
  for (uint32_t j = 0; j < cols; ++j) x[j] = j % 2 ? -fx::one() : fx::one();
  const auto ln = layernorm_rows({x.data(), cols}, {y.data(), cols}, g.data(), b.data(), {1, cols, 0, 16, 16});
  EXPECT_EQ(ln.saturated, cols / 2);
  EXPECT_EQ(y[0], fx::max_word());
  EXPECT_EQ(y[1], fx::from_double(-6.5));
  EXPECT_EQ(y, ref::layernorm(x, 1, cols, g, b, 0));
}

// The causal mask (SOFTMAX's CAUSAL flag): the rows are the last `rows` of `cols` positions, and
// row i is the plain softmax of its first i + cols - rows + 1 columns (and 0 after them).
TEST(VectorKernels, CausalRowIsTheSoftmaxOfItsPrefix) {
  for (uint32_t rows : {1u, 7u, 20u}) {
    const uint32_t cols = 20;
    for (uint32_t topk : {0u, 3u})
      for (bool prune : {false, true}) {
        auto s = random_q(uint64_t{rows} * cols, rows * 7 + topk, 6 * fx::one());
        std::vector<int32_t> out(s.size(), 0x55);
        SoftmaxSpec sp = spec(rows, cols, cols, topk, true, prune, fx::from_double(0.01));
        sp.causal = true;
        const SoftmaxOutcome o = softmax_rows({s.data(), cols}, {out.data(), cols}, sp);
        ref::SoftmaxParams rp{cols, sp.scale, topk, true, prune, sp.tau};
        rp.causal = true;
        ASSERT_EQ(out, ref::softmax(s, rows, cols, rp)) << rows << " " << topk << " " << prune;
        uint64_t unmasked = 0;
        for (uint32_t i = 0; i < rows; ++i) {
          const uint32_t visible = i + cols - rows + 1;
          unmasked += visible;
          const std::vector<int32_t> row(s.begin() + i * cols, s.begin() + (i + 1) * cols);
          ref::SoftmaxParams prefix = rp;
          prefix.causal = false, prefix.valid_cols = visible;
          const auto want = ref::softmax(row, 1, cols, prefix);
          for (uint32_t j = 0; j < cols; ++j) ASSERT_EQ(out[i * cols + j], want[j]) << rows << " row " << i << " col " << j;
          for (uint32_t j = visible; j < cols; ++j) ASSERT_EQ(out[i * cols + j], 0);
        }
        uint64_t counted = 0;
        for (uint32_t u : o.tile_unmasked) counted += u;
        EXPECT_EQ(counted, unmasked);  // a causally masked score costs no exponential
      }
  }
}

TEST(VectorKernels, CausalAndPaddingMasksCombine) {
  // 4 queries over 6 keys, of which 5 are valid: row 3 (position 5) still sees only 5 keys.
  auto s = random_q(4 * 6, 11, 2 * fx::one());
  SoftmaxSpec sp = spec(4, 6, 5, 0, false, false, 0);
  sp.causal = true;
  std::vector<int32_t> out(s.size());
  softmax_rows({s.data(), 6}, {out.data(), 6}, sp);
  ref::SoftmaxParams rp{5, sp.scale};
  rp.causal = true;
  EXPECT_EQ(out, ref::softmax(s, 4, 6, rp));
  const int visible[4] = {3, 4, 5, 5};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 6; ++j) EXPECT_EQ(out[i * 6 + j] != 0, j < visible[i]) << i << " " << j;
}
