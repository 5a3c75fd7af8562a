// BERT forward passes the platform's results are checked against:
//   * reference_forward: the accelerator's exact arithmetic (models/reference ops, the op graph
//     the firmware builds), for bit-exact comparison;
//   * float_forward: the same network in double precision (exact exp, erf, tanh, division, no
//     saturation), on the same weights and inputs, to measure the fixed-point datapath's error:
//     on a file's values before rounding when the loader kept them (Weights::file_values), or,
//     with rounded_weights, on the weights as the accelerator holds them (the datapath's
//     arithmetic error alone).
// Both run the attention as the accelerator does, with the softmax's 1/sqrt(d) folded into the
// query projection (query_scale_divisors): the float model divides the file's W_q and b_q by
// sqrt(d) (the textbook softmax(q.k/sqrt(d)), its scale moved before DynaTran's prune of Q and of
// the scores, where the accelerator prunes), or uses the words that have it folded in.
#pragma once

#include <functional>
#include <vector>

#include "fw_bert.h"
#include "inputs.hpp"
#include "model.hpp"
#include "pruning_options.hpp"
#include "weights.hpp"

namespace acc::bert {

// Per-tensor formats (int8, int16): the fraction bits of every tensor of a BERT encoder (the
// firmware's scale table, fw_bert.h).
struct TensorScales {
  fw_bert_scales_t global{};
  std::vector<fw_bert_layer_scales_t> layers;
};

struct RunOptions {
  bool dynatran = true;
  int32_t tau = 0;     // Q4.16
  uint32_t topk = 0;   // 0: off
  bool topk_exact = false;
  bool pooler = true;
  uint32_t ln_eps = 0;  // units of 2^-32
  PruningOptions pruning;
  // Called with each layer's Q and K (batch*seq x attention width), e.g. by the calibration.
  std::function<void(size_t layer, const Tensor& q, const Tensor& k)> observe;
  // Called by float_forward with each activation tensor of the double-precision model (site names
  // as in TensorScales: "emb", "q", "scores", "ffn0", "pooled", ...), e.g. by the per-tensor
  // formats' calibration.
  std::function<void(const char* site, size_t layer, const std::vector<double>& values)> observe_float;
  // Per-tensor formats (int8, int16): every tensor's fraction bits; tau is then in units of 2^-16.
  const TensorScales* scales = nullptr;
};

struct Outputs {
  Tensor hidden;  // batch*seq x hidden
  Tensor pooled;  // batch x hidden
};
Outputs reference_forward(const Model& m, const Weights& w, const Inputs& in, const RunOptions& o);

struct FloatOutputs {
  std::vector<double> hidden, pooled;
};
// Not defined for LeOPArd or HDP (their decisions have no float counterpart); N:M weights and
// activations, DynaTran and top-k are applied with the same rules to real values.
FloatOutputs float_forward(const Model& m, const Weights& w, const Inputs& in, const RunOptions& o, double ln_eps,
                           bool rounded_weights = false);

// LeOPArd thresholds that prune `rate` of the scores q . k_B of valid tokens on these inputs, per
// layer (or per layer and head), from the reference model's Q and K without LeOPArd.
LeopardThresholds calibrate_leopard(const Model& m, const Weights& w, const Inputs& in, RunOptions o, double rate, unsigned key_bits,
                                    bool per_head);

}  // namespace acc::bert
