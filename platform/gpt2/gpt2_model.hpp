// GPT-2 decoders: the model zoo (sizes of Hugging Face's published configs) and their weights,
// synthetic or from a safetensors file with Hugging Face GPT-2 names. The shapes are BERT's
// (bert::Model, bert::LayerWeights: Q, K, V, the output projection, two layer norms, one MLP),
// arranged pre-LN, with learned positions, a final layer norm and the LM head tied to wte.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bert/model.hpp"
#include "bert/weights.hpp"

namespace acc {
class InputBytes;
}

namespace acc::gpt2 {

using bert::Model;
using bert::Tensor;

// gpt2-tiny (2 layers, 128 hidden, 2 heads: bert-tiny's shape, with GPT-2's vocabulary and
// positions), gpt2 (124 M), gpt2-medium (355 M).
std::vector<std::string> zoo_names();
bool is_gpt2_model(const std::string& name);
Model zoo_model(const std::string& name);  // throws bert::ModelError listing the zoo

struct Weights {
  Tensor wte, wpe;             // vocab x hidden (the LM head too), max_positions x hidden
  std::vector<bert::LayerWeights> layers;  // in x out; ln1 = ln_1, ffn = c_fc, c_proj, ln2 = ln_2
  Tensor lnf_g, lnf_b;
  uint64_t saturated = 0;      // values of a file clipped to the number format
  std::string origin;
};

// Deterministic synthetic weights (every tensor its own stream of `seed`), scaled so that the
// activations stay near unit variance and the logits within the number format: the recipe of every
// tensor, laid out as in Weights, and the recipe drawn on the host. A job that needs the weights
// only in the accelerator's DRAM draws the recipe there (GPT-2's 124 M words written once, not thrice).
struct SyntheticRecipe {
  bert::SyntheticTensor wte, wpe;
  std::vector<bert::LayerFields<bert::SyntheticTensor>> layers;
  bert::SyntheticTensor lnf_g, lnf_b;
};
SyntheticRecipe synthetic_recipe(const Model& m);
Weights synthetic_weights(const Model& m, uint64_t seed);

// One pre-LN layer's synthetic recipe (shared with ViT, whose tensors differ only in their names):
// attention scaled so that the scores are logits of std ~1, the residual branches scaled down by
// 1/sqrt(2 layers).
struct PrelnNames {
  std::string wq, bq, wk, bk, wv, bv, wo, bo, ln1_g, ln1_b, fc_w, fc_b, proj_w, proj_b, ln2_g, ln2_b;
};
bert::LayerFields<bert::SyntheticTensor> preln_layer_recipe(const PrelnNames& names, uint64_t hidden, const bert::LayerShape& shape,
                                                            size_t layers);

// Hugging Face GPT2Model / GPT2LMHeadModel tensors, with or without the "transformer." prefix:
// wte, wpe, h.N.ln_1, h.N.attn.c_attn (Conv1D: hidden x 3*hidden, split into Q, K, V),
// h.N.attn.c_proj, h.N.ln_2, h.N.mlp.c_fc, h.N.mlp.c_proj, ln_f. A missing or mis-shaped tensor is
// a bert::WeightsError naming it.
Weights load_safetensors(const Model& m, const std::string& path);
Weights load_safetensors(const Model& m, const InputBytes& in);

// Writes the weights with Hugging Face names (F32), with or without the "transformer." prefix.
void save_safetensors(const Model& m, const Weights& w, const std::string& path, bool prefix);

}  // namespace acc::gpt2
