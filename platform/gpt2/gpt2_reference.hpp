// GPT-2 forward passes the platform's results are checked against:
//   * ReferenceDecoder: the accelerator's exact arithmetic (models/reference ops) over the op
//     graph the firmware builds (firmware/apps/gpt2.c, preln.c), with its own KV cache: the
//     prefill and every decode step, for bit-exact comparison;
//   * float_decoder: the same network in double precision (exact exp, erf, division, no
//     saturation) over the whole token sequence with the causal mask, on the same weights.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "gpt2_model.hpp"

namespace acc::gpt2 {

struct Options {
  bool dynatran = true;
  int32_t tau = 0;      // in the number format
  uint32_t topk = 0;    // 0: off
  bool topk_exact = false;
  uint32_t ln_eps = 0;  // units of 2^-2n (a variance), as the LAYERNORM descriptor takes it
  bool nm_weights = false, nm_act = false;
  unsigned nm_n = 2, nm_m = 4;
};

// Columns [c0, c0 + n) of a rows x cols matrix (one head's), and back (the reference models' heads).
template <class T>
std::vector<T> columns(const std::vector<T>& t, uint64_t rows, uint64_t cols, uint64_t c0, uint64_t n) {
  std::vector<T> out(rows * n);
  for (uint64_t r = 0; r < rows; ++r) std::copy_n(t.begin() + r * cols + c0, n, out.begin() + r * n);
  return out;
}
template <class T>
void put_columns(std::vector<T>& t, uint64_t rows, uint64_t cols, uint64_t c0, const std::vector<T>& block, uint64_t n) {
  for (uint64_t r = 0; r < rows; ++r) std::copy_n(block.begin() + r * n, n, t.begin() + r * cols + c0);
}

// A layer's weights pruned N:M (o.nm_n of every o.nm_m), as the accelerator reads them compressed.
bert::LayerWeights nm_pruned(bert::LayerWeights L, const bert::LayerShape& s, uint32_t H, const Options& o);

// One pre-LN layer (GPT-2's Block; ViT's layer) in the accelerator's arithmetic over x (R rows x H):
// the rows' keys and values are appended to k_cache and v_cache (positions x attention width),
// which the rows attend to in full, or causally. L: N:M-pruned already if the accelerator's are.
void reference_preln_layer(Tensor& x, uint32_t R, uint32_t H, const bert::LayerShape& s, const bert::LayerWeights& L, const Options& o,
                           Tensor& k_cache, Tensor& v_cache, bool causal);
// The same in double precision over N rows attending to each other (no cache).
void float_preln_layer(std::vector<double>& x, uint64_t N, uint64_t H, const bert::LayerShape& s, const bert::LayerWeights& L, const Options& o,
                       double ln_eps, bool causal);

class ReferenceDecoder {
 public:
  // With o.nm_weights the weights are pruned N:M here, as the accelerator reads them.
  ReferenceDecoder(const Model& m, const Weights& w, const Options& o);
  struct Step {
    Tensor hidden;  // rows x hidden: the final layer norm's output
    Tensor logits;  // vocab: the last row's
  };
  // Runs ids at positions cached() .. cached() + ids.size() - 1 and appends their keys and values.
  Step run(const std::vector<uint32_t>& ids);
  uint32_t cached() const { return cached_; }

 private:
  const Model& m_;
  const Weights& w_;
  Options o_;
  std::vector<bert::LayerWeights> pruned_;  // N:M weights
  std::vector<Tensor> k_, v_;               // per layer: cached positions x attention width
  uint32_t cached_ = 0;
};

// The greedy choice: the largest logit, the lowest index among equal ones.
uint32_t greedy(const Tensor& logits);

struct FloatRun {
  std::vector<double> hidden;               // positions x hidden: the final layer norm's output
  std::vector<std::vector<double>> logits;  // of positions first_logits .. positions - 1
};
FloatRun float_decoder(const Model& m, const Weights& w, const Options& o, double ln_eps, const std::vector<uint32_t>& ids,
                       uint32_t first_logits);

// Dense multiply-accumulates of one step: the decoder layers for `rows` positions after `cached`
// ones (projections; scores and P.V of every row over all cached + rows positions, as the
// accelerator computes them before the causal mask; MLP) and the LM head of the step's last row.
uint64_t step_macs(const Model& m, uint64_t rows, uint64_t cached);

}  // namespace acc::gpt2
