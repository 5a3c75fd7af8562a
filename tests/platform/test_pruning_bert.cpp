// The pruning schemes on whole BERT runs: every mode bit-exact against the reference model, the
// work skipped visible in cycles and MACs, the stages composing with DynaTran.
#include <gtest/gtest.h>

#include "bert_job.hpp"
#include "acceltran_regs.h"
#include "fixed_point.hpp"
#include "vp_test.hpp"

using namespace acc;
using acc::test::stat;

namespace {

test::RunOutcome run(const BertSpec& spec, const char* preset = "edge") {
  BertJob job(spec);
  auto out = test::run_job(job, load_hw_config(preset));
  EXPECT_TRUE(out.finished) << out.fault;
  EXPECT_TRUE(out.result.ok) << out.result.message;
  EXPECT_EQ(out.stats.get("job.mismatches", -1), 0);
  return out;
}

BertSpec tiny(uint32_t seq = 64, uint32_t batch = 2) {
  BertSpec s;
  s.model = "bert-tiny", s.seq = seq, s.batch = batch, s.check = BertSpec::Check::On;
  return s;
}

bert::LeopardThresholds calibrated(const BertSpec& s, double rate, bool per_head) {
  const bert::Model m = bert::load_model(s.model);
  const bert::Inputs in = bert::synthetic_tokens(m, s.seq, s.batch, std::vector<uint32_t>(s.batch, s.seq), s.seed);
  bert::RunOptions o;
  o.tau = fx::from_double(s.tau);
  return bert::calibrate_leopard(m, bert::synthetic_weights(m, s.seed), in, o, rate, 12, per_head);
}

}  // namespace

TEST(PruningBert, LeopardReachesTheCalibratedRateOnTheFirstLayer) {
  BertSpec s = tiny();
  s.pruning.leopard = true;
  s.pruning.thresholds = calibrated(s, 0.8, false);
  auto out = run(s);
  // Layer 0 sees the calibration's inputs exactly: 80 % of its scores are masked. Layer 1's inputs
  // changed with layer 0's pruning, so only the total is bounded.
  const double scores = stat(out.stats, "pruning.scores");
  EXPECT_NEAR(stat(out.stats, "pruning.leopard.masked") / scores, 0.8, 0.1);
  EXPECT_GT(stat(out.stats, "pe.score_engine_busy_cycles"), 0);
  EXPECT_LT(stat(out.stats, "leopard.mean_bits"), 12);
  EXPECT_GT(stat(out.stats, "leopard.bits_used.12"), 0);  // survivors used every bit plane
  // Masked scores cost no exponential: fewer softmax cycles than entries.
  EXPECT_LT(stat(out.stats, "pe.softmax_busy_cycles"), 0.3 * scores);
}

TEST(PruningBert, LeopardPerHeadThresholds) {
  BertSpec s = tiny(32, 2);
  s.pruning.leopard = true;
  s.pruning.thresholds = calibrated(s, 0.5, true);
  auto out = run(s);
  EXPECT_GT(stat(out.stats, "pruning.leopard.masked"), 0);
}

TEST(PruningBert, HdpHeadPruningSkipsTheHeadAndItsSliceOfWo) {
  BertSpec dense_spec = tiny(), s = tiny();
  s.pruning.hdp_heads = true, s.pruning.hdp.head_threshold = ACC_HDP_HEAD_CTRL_THRESHOLD_TOP, s.pruning.hdp.head_param = 1;  // keep 1 of 2 heads
  auto out = run(s);
  EXPECT_EQ(stat(out.stats, "pruning.hdp_heads.pruned"), 2 /*layers*/ * 2 /*sequences*/);
  EXPECT_EQ(stat(out.stats, "pruning.hdp_heads.masked"), 2 * 2 * 64.0 * 64.0);
  EXPECT_GT(stat(out.stats, "pruning.hdp_int_pass_cycles"), 0);  // the integer pass is charged
  // Half the context is zero, so half of W_O's MACs are not effectual.
  EXPECT_LT(stat(out.stats, "by_class.ATTN_OUT.effectual_macs"), 0.55 * stat(out.stats, "by_class.ATTN_OUT.dense_macs"));
  EXPECT_LT(stat(out.stats, "by_class.CONTEXT.effectual_macs"), 0.5 * stat(out.stats, "by_class.CONTEXT.dense_macs"));
}

TEST(PruningBert, HdpBlocksAndApproximation) {
  BertSpec s = tiny();
  s.pruning.hdp_blocks = true, s.pruning.hdp.block_threshold = ACC_HDP_BLOCK_CTRL_THRESHOLD_MEAN, s.pruning.hdp.block_param = 32768;  // mean + 0.5 (max - mean)
  s.pruning.hdp_approx = true;
  auto out = run(s);
  EXPECT_GT(stat(out.stats, "pruning.hdp_blocks.masked"), 0.2 * stat(out.stats, "pruning.scores"));
  // The approximation drops Qf.Kf: the kept scores cost 2IF/400 of a full product.
  EXPECT_LT(stat(out.stats, "by_class.SCORES.effectual_macs"), 0.4 * stat(out.stats, "by_class.SCORES.dense_macs"));
}

TEST(PruningBert, NmWeightsSpendKNOverMMacsPerOutput) {
  BertSpec s = tiny();
  s.pruning.nm_weights = true, s.pruning.nm_n = 1, s.pruning.nm_m = 4;
  auto out = run(s);
  // Q, K, V, W_O and the FFN are 1:4: a quarter of their dense MACs; scores, P.V and the pooler are not.
  EXPECT_EQ(stat(out.stats, "by_class.Q.dense_macs"), 2 * 64.0 * 128 * 128 / 4 * 2 /*layers*/);
  EXPECT_EQ(stat(out.stats, "by_class.FFN1.dense_macs"), 2 * 64.0 * 128 * 512 / 4 * 2);
  EXPECT_EQ(stat(out.stats, "by_class.SCORES.dense_macs"), 2 * 2 * 64.0 * 64 * 64 * 2);
  EXPECT_GT(stat(out.stats, "pruning.nm_weights.matmuls"), 0);
}

TEST(PruningBert, AllSchemesComposeWithDynatran) {
  BertSpec s = tiny();
  s.tau = 0.02;
  s.pruning.leopard = true;
  s.pruning.thresholds = calibrated(s, 0.3, false);
  s.pruning.hdp_blocks = true, s.pruning.hdp.block_threshold = ACC_HDP_BLOCK_CTRL_THRESHOLD_RATIO, s.pruning.hdp.block_param = 45000;
  s.pruning.nm_weights = true, s.pruning.nm_act = true, s.pruning.nm_n = 2, s.pruning.nm_m = 4;
  auto out = run(s, "server");
  EXPECT_GT(stat(out.stats, "pruning.hdp_blocks.masked"), 0);
  EXPECT_GT(stat(out.stats, "pruning.leopard.masked"), 0);
  EXPECT_GT(stat(out.stats, "pruning.dynatran.zeroed"), 0);
  EXPECT_GT(stat(out.stats, "pruning.nm_activations.zeroed"), 0);
  // Each masked score counted once: the stages' counts do not exceed the scores.
  EXPECT_LE(stat(out.stats, "pruning.hdp_blocks.masked") + stat(out.stats, "pruning.leopard.masked"), stat(out.stats, "pruning.scores"));
}
