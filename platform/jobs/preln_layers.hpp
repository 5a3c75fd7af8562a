// What GPT-2 and ViT jobs share: the pre-LN layers' weights placed in DRAM with their layer table
// (fw_bert_layer_t, read by firmware/apps/preln.c), and the reference models' options.
#pragma once

#include <string>
#include <vector>

#include "bert/model.hpp"
#include "bert/weights.hpp"
#include "gpt2/gpt2_reference.hpp"
#include "job.hpp"

namespace acc {

struct PrelnPruning {
  bool dynatran = true;
  double tau = 0.01;
  uint32_t topk = 0;
  bool topk_exact = false;
  bool nm_weights = false, nm_act = false;
  unsigned nm_n = 2, nm_m = 4;
};

// The reference models' knobs (tau in the number format, the LAYERNORM eps in units of 2^-2n).
gpt2::Options preln_options(const PrelnPruning& p, double ln_eps);

// Every layer's weights (N:M compressed with p.nm_weights, which needs them on the host) and the
// layer table in DRAM; returns the table's address. The weights are words (bert::LayerWeights) or
// a synthetic recipe drawn in place from `seed` (LayerFields<SyntheticTensor>). The query words
// carry 1/sqrt(d): every softmax scale is 1.
template <class V>
uint32_t put_preln_layers(Soc& soc, DramLayout& layout, uint32_t hidden, const std::vector<bert::LayerShape>& shapes,
                          const std::vector<bert::LayerFields<V>>& weights, const PrelnPruning& p, uint64_t seed = 0);

// How a job's weights reach DRAM: synthetic weights that no check reads on the host are drawn
// straight into DRAM from `recipe()` (N:M weights are compressed on the host first); any others are
// made or read on the host by `on_host()`, into `weights`. `place` lays out the one or the other.
template <class Spec, class Weights, class OnHost, class Recipe, class Place>
void place_weights(const Spec& spec, bool checks_outputs, Weights& weights, OnHost on_host, Recipe recipe, Place place) {
  if (spec.weights_file.empty() && !checks_outputs && !spec.nm_weights) {
    weights.origin = bert::synthetic_origin(spec.seed);
    place(recipe());
  } else {
    weights = on_host();
    place(weights);
  }
}

// Outputs compared word for word with the reference model's: how many, how many differ, the first.
struct ReferenceComparison {
  uint64_t mismatches = 0, compared = 0;
  std::string first;
  // got[offset ..] against want; `what` names the tensor in `first`.
  void compare(const bert::Tensor& got, const bert::Tensor& want, uint64_t offset, const std::string& what);
};

}  // namespace acc
