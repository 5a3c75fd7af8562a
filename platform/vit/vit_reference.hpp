// ViT forward passes the platform's results are checked against:
//   * reference_forward: the accelerator's exact arithmetic (models/reference ops) over the op
//     graph the firmware builds (firmware/apps/vit.c, preln.c), for bit-exact comparison;
//   * float_forward: the same network in double precision (exact exp, erf, division, no
//     saturation), on the same weights and patches.
#pragma once

#include <cstdint>
#include <vector>

#include "gpt2/gpt2_reference.hpp"
#include "vit_model.hpp"

namespace acc::vit {

using Options = gpt2::Options;  // DynaTran, top-k, N:M, the LAYERNORM eps: the same knobs

struct Output {
  Tensor hidden;  // tokens x hidden: the final layer norm's output
  Tensor logits;  // classes: the CLS row's
};
// One image's patches (patches x 3PP).
Output reference_forward(const Model& m, const Weights& w, const Options& o, const Tensor& patches);

struct FloatOutput {
  std::vector<double> hidden, logits;
};
FloatOutput float_forward(const Model& m, const Weights& w, const Options& o, double ln_eps, const Tensor& patches);

// Dense multiply-accumulates of one image: patch embedding, layers, classification head.
uint64_t image_macs(const Model& m);

}  // namespace acc::vit
