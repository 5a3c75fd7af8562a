// The pruning units' datapath (models/pruning) against the reference model's plain
// implementations, and the properties the issue names: LeOPArd's early termination is exact and
// conservative; N:M keeps the N largest of every M with ties to the lower index.
#include <gtest/gtest.h>

#include "test_data.hpp"

#include "acceltran_regs.h"
#include "fixed_point.hpp"
#include "nm.hpp"
#include "reference.hpp"
#include "score_engine.hpp"

using namespace acc;
using acc::test::lcg;
using acc::test::random_q;


TEST(Leopard, PrunedExactlyWhenTheFullDotProductIsBelowTheThreshold) {
  // Thousands of random vectors and thresholds, key widths 4..20: the bit-serial decision never
  // prunes a score >= Th (conservative) and always prunes one < Th (exact at the end).
  uint64_t seed = 99;
  uint64_t early = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    const uint32_t d = 1 + lcg(seed) % 64;
    const unsigned B = 4 + lcg(seed) % 17;
    std::vector<int32_t> q(d), k(d);
    for (uint32_t i = 0; i < d; ++i) {
      q[i] = static_cast<int32_t>(lcg(seed) % (1u << 20)) - (1 << 19);
      k[i] = static_cast<int32_t>(lcg(seed) % (1u << 20)) - (1 << 19);
    }
    int64_t full = 0;  // q . k_B computed directly
    for (uint32_t i = 0; i < d; ++i) full += int64_t{q[i]} * (k[i] >> (20 - B));
    const int64_t span = int64_t{1} << (19 + B - 1);
    const int64_t th = static_cast<int64_t>(lcg(seed) % (2 * uint64_t(span) / 64 + 1)) * 64 - span;
    const ref::LeopardResult r = ref::leopard(q.data(), k.data(), d, B, th);
    ASSERT_EQ(r.pruned, full < th) << "trial " << trial;
    ASSERT_GE(r.bits_used, 1u);
    ASSERT_LE(r.bits_used, B);
    if (r.bits_used == B) {
      ASSERT_EQ(r.score, full);
    }
    if (!r.pruned) {
      ASSERT_EQ(r.bits_used, B);  // a survivor costs all B bit planes
    }
    early += r.bits_used < B;
  }
  EXPECT_GT(early, 500u);  // early termination happens
}

TEST(Leopard, FewerBitPlanesAtHigherPruningRates) {
  // Gaussian-like data, B = 12: the mean number of bit planes falls as the threshold rises
  // (measured on the development machine: about 9.0 / 6.7 / 5.7 / 5.0 at 50 / 80 / 90 / 95 %).
  uint64_t seed = 5;
  const uint32_t d = 64, n = 4000;
  std::vector<std::vector<int32_t>> qs(n, std::vector<int32_t>(d)), ks(n, std::vector<int32_t>(d));
  std::vector<int64_t> full(n, 0);
  for (uint32_t t = 0; t < n; ++t)
    for (uint32_t i = 0; i < d; ++i) {
      auto g = [&] { return (int64_t(lcg(seed) % 20001) + int64_t(lcg(seed) % 20001) + int64_t(lcg(seed) % 20001) - 30000) * 4; };
      qs[t][i] = static_cast<int32_t>(g()), ks[t][i] = static_cast<int32_t>(g());
      full[t] += int64_t{qs[t][i]} * (ks[t][i] >> 8);
    }
  std::vector<int64_t> sorted = full;
  std::sort(sorted.begin(), sorted.end());
  double last_mean = 13;
  for (double rate : {0.5, 0.8, 0.9, 0.95}) {
    const int64_t th = sorted[static_cast<size_t>(rate * n)];
    uint64_t planes = 0, pruned = 0;
    for (uint32_t t = 0; t < n; ++t) {
      const auto r = ref::leopard(qs[t].data(), ks[t].data(), d, 12, th);
      planes += r.bits_used, pruned += r.pruned;
    }
    const double mean = double(planes) / n;
    EXPECT_NEAR(double(pruned) / n, rate, 0.01);
    EXPECT_LT(mean, last_mean) << rate;
    last_mean = mean;
  }
  EXPECT_LT(last_mean, 8.0);
}

namespace {
struct Mode {
  const char* name;
  bool leopard, per_head, hdp_heads, hdp_blocks, hdp_approx, prune;
};
}  // namespace

TEST(ScoreEngine, EveryModeMatchesTheReference) {
  const uint32_t R = 21, C = 19, H = 3, d = 20, A = H * d;
  const auto q = random_q(uint64_t{R} * A, 1, 3 * fx::one(), 0.1), k = random_q(uint64_t{C} * A, 2, 3 * fx::one(), 0.1);
  PruningConfig cfg;
  cfg.leopard_key_bits = 10;
  for (unsigned i = 0; i < 3; ++i) cfg.leopard_th[7 + i] = int64_t{-400000} * (i + 1);
  cfg.hdp.frac_bits = 15;
  cfg.hdp.head_threshold = ACC_HDP_HEAD_CTRL_THRESHOLD_TOP, cfg.hdp.head_param = 2;
  cfg.hdp.block_rows = 4, cfg.hdp.block_cols = 5, cfg.hdp.block_threshold = ACC_HDP_BLOCK_CTRL_THRESHOLD_RATIO, cfg.hdp.block_param = 40000;
  const Mode modes[] = {{"exact", false, false, false, false, false, false},   {"dynatran", false, false, false, false, false, true},
                        {"leopard", true, false, false, false, false, true},    {"leopard per head", true, true, false, false, false, false},
                        {"hdp heads", false, false, true, false, false, true},  {"hdp blocks", false, false, false, true, false, false},
                        {"hdp approx", false, false, false, false, true, true}, {"hdp all", false, false, true, true, true, true},
                        {"leopard + hdp", true, true, true, true, false, true}};
  for (const Mode& m : modes)
    for (unsigned threshold_fn = 0; threshold_fn < ACC_HDP_BLOCK_CTRL_THRESHOLD_COUNT; ++threshold_fn) {
      cfg.hdp.block_threshold = threshold_fn;
      cfg.hdp.block_param = threshold_fn == ACC_HDP_BLOCK_CTRL_THRESHOLD_TOP ? 2 : 30000;
      std::vector<int32_t> s(uint64_t{H} * R * 24, 0x1234);
      const ScoreSpec spec{R, C, H, d, m.leopard, m.per_head, m.hdp_heads, m.hdp_blocks, m.hdp_approx, m.prune, 7, fx::from_double(0.05), 16, 16};
      const ScoreOutcome o = score_heads({const_cast<int32_t*>(q.data()), A}, {const_cast<int32_t*>(k.data()), A}, {s.data(), 24}, spec, cfg);
      ref::ScoreParams p;
      p.leopard = m.leopard, p.leopard_per_head = m.per_head, p.hdp_heads = m.hdp_heads, p.hdp_blocks = m.hdp_blocks;
      p.hdp_approx = m.hdp_approx, p.prune = m.prune, p.tau = spec.tau, p.key_bits = cfg.leopard_key_bits;
      p.thresholds = m.per_head ? std::vector<int64_t>{cfg.leopard_th[7], cfg.leopard_th[8], cfg.leopard_th[9]} : std::vector<int64_t>{cfg.leopard_th[7]};
      p.hdp = cfg.hdp;
      ref::ScoreCounts n;
      const auto want = ref::scores(q, k, R, C, H, d, p, &n);
      for (uint32_t h = 0; h < H; ++h)
        for (uint32_t r = 0; r < R; ++r)
          for (uint32_t c = 0; c < C; ++c)
            ASSERT_EQ(s[(uint64_t{h} * R + r) * 24 + c], want[(uint64_t{h} * R + r) * C + c]) << m.name << " fn " << threshold_fn;
      EXPECT_EQ(o.hdp_head_masked, n.hdp_head_masked) << m.name;
      EXPECT_EQ(o.hdp_block_masked, n.hdp_block_masked) << m.name;
      EXPECT_EQ(o.leopard_masked, n.leopard_masked) << m.name;
      EXPECT_EQ(o.dynatran_zeroed, n.dynatran_zeroed) << m.name;
      if (m.leopard) {
        EXPECT_EQ(o.leopard_bits, n.leopard_bits) << m.name;
      }
      if (m.hdp_heads) {
        EXPECT_EQ(o.heads_pruned, 1u) << m.name;  // keep the 2 most important of 3
      }
    }
}

TEST(ScoreEngine, StagesAreAttributedToTheFirstThatPruned) {
  // HDP keeps 1 of 2 heads, blocks prune part of the other, LeOPArd and DynaTran act on the rest:
  // every score is counted once.
  const uint32_t R = 16, C = 16, H = 2, d = 16;
  const auto q = random_q(uint64_t{R} * H * d, 8, 2 * fx::one()), k = random_q(uint64_t{C} * H * d, 9, 2 * fx::one());
  PruningConfig cfg;
  cfg.hdp.head_threshold = ACC_HDP_HEAD_CTRL_THRESHOLD_TOP, cfg.hdp.head_param = 1;
  cfg.hdp.block_threshold = ACC_HDP_BLOCK_CTRL_THRESHOLD_RATIO, cfg.hdp.block_param = 52000;  // 0.8 of the row's largest block
  cfg.leopard_th[0] = 0;
  std::vector<int32_t> s(uint64_t{H} * R * C);
  const ScoreOutcome o = score_heads({const_cast<int32_t*>(q.data()), H * d}, {const_cast<int32_t*>(k.data()), H * d}, {s.data(), C},
                                     {R, C, H, d, true, false, true, true, false, true, 0, fx::from_double(0.5), 16, 16}, cfg);
  EXPECT_EQ(o.hdp_head_masked, uint64_t{R} * C);
  EXPECT_GT(o.hdp_block_masked, 0u);
  EXPECT_GT(o.leopard_masked, 0u);
  uint64_t markers = 0;
  for (int32_t v : s) markers += v == fx::kMaskMarker;
  EXPECT_EQ(markers, o.hdp_head_masked + o.hdp_block_masked + o.leopard_masked);
  uint64_t considered = 0;
  for (size_t b = 1; b < o.leopard_bits.size(); ++b) considered += o.leopard_bits[b];
  EXPECT_EQ(considered, uint64_t{H} * R * C - o.hdp_head_masked - o.hdp_block_masked);  // LeOPArd sees only survivors
}

TEST(ScoreEngine, HdpImportanceSaturatesInsteadOfWrapping) {
  // F = 1 and the most negative words: every integer-part score is d * 2^36 = 2^50, and a head of
  // 96 x 96 of them sums to more than 2^63. The importance saturates (it used to wrap negative, and
  // an absolute threshold of 1 pruned the most important head). Containers carry garbage upper bits.
  const uint32_t R = 96, C = 96, H = 1, d = 16384;
  const std::vector<int32_t> q(uint64_t{R} * d, static_cast<int32_t>(0xABC80000u)), k(uint64_t{C} * d, static_cast<int32_t>(0x12380000u));
  PruningConfig cfg;
  cfg.hdp.frac_bits = 1;
  cfg.hdp.head_threshold = ACC_HDP_HEAD_CTRL_THRESHOLD_ABSOLUTE, cfg.hdp.head_param = 1;
  std::vector<int32_t> s(uint64_t{R} * C);
  const ScoreSpec spec{R, C, H, d, false, false, true, false, false, false, 0, 0, 16, 16};
  const ScoreOutcome o = score_heads({const_cast<int32_t*>(q.data()), d}, {const_cast<int32_t*>(k.data()), d}, {s.data(), C}, spec, cfg);
  EXPECT_EQ(o.heads_pruned, 0u);
  EXPECT_EQ(o.saturated, uint64_t{R} * C);  // q . k = 2^52: every score clipped to the largest word
  ref::ScoreParams p;
  p.hdp_heads = true, p.hdp = cfg.hdp;
  ref::ScoreCounts n;
  EXPECT_EQ(s, ref::scores(q, k, R, C, H, d, p, &n));
  EXPECT_EQ(n.hdp_head_masked, 0u);
  EXPECT_EQ(s[0], fx::max_word());
}

TEST(ScoreEngine, WideTilesCountEveryOperandPair) {
  // tile.tile_y goes up to 256: a k-step's non-zero masks take several 64-bit words.
  const uint32_t R = 5, C = 6, H = 1, d = 300, tile = 128;
  const auto q = random_q(uint64_t{R} * d, 61, fx::one(), 0.3), k = random_q(uint64_t{C} * d, 62, fx::one(), 0.3);
  std::vector<int32_t> s(uint64_t{R} * C);
  const ScoreOutcome o = score_heads({const_cast<int32_t*>(q.data()), d}, {const_cast<int32_t*>(k.data()), d}, {s.data(), C},
                                     {R, C, H, d, false, false, false, false, false, false, 0, 0, tile, tile}, PruningConfig{});
  ASSERT_EQ(o.ksteps, 3u);
  uint64_t counted = 0, direct = 0;
  for (uint64_t e : o.value_effectual) counted += e;
  for (uint32_t r = 0; r < R; ++r)
    for (uint32_t c = 0; c < C; ++c)
      for (uint32_t i = 0; i < d; ++i) direct += q[uint64_t{r} * d + i] != 0 && k[uint64_t{c} * d + i] != 0;
  EXPECT_EQ(counted, direct);
}

TEST(NM, CompressionKeepsTheLargestWithTiesToTheLowerIndex) {
  for (auto [N, M] : {std::pair{1u, 4u}, {2u, 4u}, {2u, 8u}, {4u, 16u}, {3u, 5u}}) {
    const uint32_t k = 37, n = 11;  // k not a multiple of M: a short last group
    auto w = random_q(uint64_t{k} * n, N * 100 + M, 4, 0.2);  // small range: many ties
    const auto c = nm::compress(w, k, n, N, M);
    ASSERT_EQ(c.size(), uint64_t{nm::compressed_rows(k, N, M)} * n);
    std::vector<int32_t> dense;
    nm::decompress(c.data(), n, k, n, N, M, dense);
    EXPECT_EQ(dense, ref::nm_weights(w, k, n, N, M)) << N << ":" << M;
    // Every group keeps at most N non-zero values.
    for (uint32_t g0 = 0; g0 < k; g0 += M)
      for (uint32_t j = 0; j < n; ++j) {
        unsigned kept = 0;
        for (uint32_t p = g0; p < std::min(k, g0 + M); ++p) kept += dense[uint64_t{p} * n + j] != 0;
        EXPECT_LE(kept, N);
      }
  }
  // Ties: |-3| == |3| == 3 in one group of 4 with N = 1: the lower index wins.
  std::vector<int32_t> w = {1, -3, 3, 2};  // a 4 x 1 column
  const auto c = nm::compress(w, 4, 1, 1, 4);
  EXPECT_EQ(nm::value(c[0]), -3);
  EXPECT_EQ(nm::index(c[0]), 1u);
}

TEST(NM, DynamicActivationsMatchTheReference) {
  auto x = random_q(13 * 30, 4, 5, 0.1);
  auto y = x;
  uint64_t zeroed = 0;
  for (uint32_t r = 0; r < 13; ++r) zeroed += nm::prune_row(&y[r * 30], 30, 2, 8);
  EXPECT_EQ(y, ref::nm_activations(x, 13, 30, 2, 8));
  uint64_t changed = 0;
  for (size_t i = 0; i < x.size(); ++i) changed += x[i] != 0 && y[i] == 0;
  EXPECT_EQ(zeroed, changed);
}
