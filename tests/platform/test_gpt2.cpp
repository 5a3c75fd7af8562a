// GPT-2 end to end: the firmware compiles the decoder into descriptors (causal SOFTMAX, the KV
// cache in DRAM), the prefill and every decode step are bit-exact against the reference decoder
// and close to a double-precision GPT-2; the reference's KV cache is checked against a plain
// causal forward; safetensors with Hugging Face GPT-2 names load with and without the prefix.
#include <gtest/gtest.h>

#include "bert/safetensors.hpp"
#include "bert_test.hpp"
#include "fixed_point.hpp"
#include "gpt2_job.hpp"
#include "temp_file.hpp"
#include "vp_test.hpp"

using namespace acc;
using acc::test::stat;

namespace {

Gpt2Spec spec(uint32_t prompt, uint32_t new_tokens) {
  Gpt2Spec s;
  s.model = "gpt2-tiny", s.prompt_len = prompt, s.new_tokens = new_tokens, s.generate = new_tokens > 0, s.batch = 1;
  s.check = Gpt2Spec::Check::On;
  return s;
}

test::RunOutcome run_gpt2(const Gpt2Spec& s, const HwConfig& cfg) {
  Gpt2Job job(s);
  return test::run_checked(job, cfg);
}

}  // namespace

TEST(Gpt2, TinyPrefillIsBitExact) {
  auto out = run_gpt2(spec(24, 0), load_hw_config("edge"));
  // Per layer one causal softmax per head; LN_1, LN_2 per layer and ln_f.
  EXPECT_EQ(stat(out.stats, "pe.ops.SOFTMAX"), 2 * 2);
  EXPECT_EQ(stat(out.stats, "pe.ops.LAYERNORM"), 2 * 2 + 1);
  EXPECT_LT(stat(out.stats, "job.float.logits_max_abs_error"), 0.05);
  EXPECT_EQ(stat(out.stats, "job.float.greedy_agreement"), 1);
  EXPECT_EQ(stat(out.stats, "job.gpt2.chunk"), 24);
}

TEST(Gpt2, TinyGenerateIsBitExactAndCountsTheCache) {
  const uint32_t P = 10, T = 5;
  auto out = run_gpt2(spec(P, T), load_hw_config("edge"));
  // The KV cache: 2 layers x (K, V) x (P + T) positions x 128 x 4 bytes.
  EXPECT_EQ(stat(out.stats, "job.gpt2.kv_cache_bytes"), 2.0 * 2 * (P + T) * 128 * 4);
  EXPECT_EQ(stat(out.stats, "job.gpt2.tokens_chosen"), T + 1);
  for (uint32_t t = 1; t <= T; ++t) {
    const std::string k = "job.gpt2.steps." + std::to_string(t) + ".";
    EXPECT_EQ(stat(out.stats, k + "position"), P + t - 1);
    EXPECT_GT(stat(out.stats, k + "cycles"), 0);
    // A decode step reads the cached keys and values of the positions before it.
    EXPECT_GE(stat(out.stats, k + "dram_read_bytes"), 0.5 * 2 * 2 * (P + t - 1) * 128 * 4);
  }
  // Tokens per second is the decode steps over their accelerator time.
  EXPECT_NEAR(stat(out.stats, "job.gpt2.tokens_per_s") * stat(out.stats, "job.gpt2.per_token_latency_s"), 1.0, 1e-9);
  EXPECT_GT(stat(out.stats, "perf.energy_per_token_nj"), 0);
}

TEST(Gpt2, ChunkedPrefillWithPruningIsBitExact) {
  // A small activation buffer makes the prefill run in chunks that read the cache of the chunks
  // before them; top-k and N:M weights and activations apply.
  Gpt2Spec s = spec(300, 2);
  s.topk = 5, s.topk_exact = true, s.nm_weights = s.nm_act = true;
  auto out = run_gpt2(s, load_hw_config("edge", {"activation_buffer_size=1"}));
  EXPECT_LT(stat(out.stats, "job.gpt2.chunk"), 300);
  EXPECT_GT(stat(out.stats, "pe.topk_rows"), 0);
}

TEST(Gpt2Reference, DecodingWithTheCacheEqualsOneCausalForward) {
  // The prefill of 6 tokens then 3 single-token steps gives the same rows as one run over all 9.
  const gpt2::Model m = gpt2::zoo_model("gpt2-tiny");
  const gpt2::Weights w = gpt2::synthetic_weights(m, 5);
  gpt2::Options o;
  o.tau = fx::from_double(0.01), o.topk = 4;
  o.ln_eps = static_cast<uint32_t>(std::llround(std::ldexp(m.ln_eps, 2 * fx::frac_bits())));
  const std::vector<uint32_t> ids = {5, 900, 17, 40000, 3, 3, 12345, 50256, 0};
  gpt2::ReferenceDecoder whole(m, w, o), stepwise(m, w, o);
  const auto all = whole.run(ids);
  auto step = stepwise.run({ids.begin(), ids.begin() + 6});
  for (size_t i = 6; i < ids.size(); ++i) {
    step = stepwise.run({ids[i]});
    EXPECT_EQ(stepwise.cached(), i + 1);
    const gpt2::Tensor row(all.hidden.begin() + i * m.hidden, all.hidden.begin() + (i + 1) * m.hidden);
    EXPECT_EQ(step.hidden, row) << "position " << i;
  }
  EXPECT_EQ(step.logits, all.logits);
}

TEST(Gpt2Weights, SafetensorsWithAndWithoutPrefix) {
  gpt2::Model m = gpt2::zoo_model("gpt2-tiny");
  m.vocab = 300, m.max_positions = 64;  // a small file
  const gpt2::Weights w = gpt2::synthetic_weights(m, 9);
  for (bool prefix : {false, true}) {
    const std::string path = test::temp_file(".safetensors", "");
    gpt2::save_safetensors(m, w, path, prefix);
    const gpt2::Weights back = gpt2::load_safetensors(m, path);
    EXPECT_EQ(back.wte, w.wte);
    EXPECT_EQ(back.wpe, w.wpe);
    // c_attn (hidden x 3 hidden) is split into Q, K and V columns; Conv1D is in x out already.
    EXPECT_EQ(back.layers[1].wq, w.layers[1].wq);
    EXPECT_EQ(back.layers[1].wk, w.layers[1].wk);
    EXPECT_EQ(back.layers[1].wv, w.layers[1].wv);
    EXPECT_EQ(back.layers[1].bv, w.layers[1].bv);
    EXPECT_EQ(back.layers[0].ffn_w[1], w.layers[0].ffn_w[1]);
    EXPECT_EQ(back.lnf_g, w.lnf_g);
    EXPECT_EQ(back.saturated, 0u);
  }
}

TEST(Gpt2Weights, AMisShapedOrMissingTensorIsNamed) {
  gpt2::Model m = gpt2::zoo_model("gpt2-tiny");
  m.vocab = 300, m.max_positions = 64;
  const gpt2::Weights w = gpt2::synthetic_weights(m, 9);
  gpt2::Model wider = m;
  wider.layers[1].ffn[0] = 1024;  // the file's h.1.mlp.c_fc has 512 columns
  const std::string path = test::temp_file(".safetensors", "");
  gpt2::save_safetensors(m, w, path, true);
  try {
    gpt2::load_safetensors(wider, path);
    FAIL() << "no error";
  } catch (const bert::WeightsError& e) {
    EXPECT_NE(std::string(e.what()).find("'transformer.h.1.mlp.c_fc.weight' has shape [128, 512], the model needs [128, 1024]"),
              std::string::npos)
        << e.what();
  }
  gpt2::Model deeper = m;
  deeper.layers.push_back(deeper.layers[0]);
  try {
    gpt2::load_safetensors(deeper, path);
    FAIL() << "no error";
  } catch (const bert::WeightsError& e) {
    EXPECT_NE(std::string(e.what()).find("'transformer.h.2.attn.c_attn.weight' is missing"), std::string::npos) << e.what();
  }
}
