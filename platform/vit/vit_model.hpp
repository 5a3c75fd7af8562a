// Vision Transformers (ViT, DeiT): the model zoo (sizes of the published configs), their weights
// (synthetic, or from a safetensors file with Hugging Face ViT names) and their input images.
// The encoder's shapes are BERT's (bert::Model, bert::LayerWeights), arranged pre-LN as GPT-2's;
// around them: the patch embedding (a (3 P P) x hidden matmul over flattened patches), the CLS
// token, learned position embeddings, a final layer norm and the classification head.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bert/model.hpp"
#include "bert/weights.hpp"

namespace acc {
class InputBytes;
}

namespace acc::vit {

using bert::Tensor;

struct Model {
  bert::Model encoder;  // hidden, layers (heads, head_dim, one MLP size), ln_eps
  uint32_t image = 224, patch = 16, channels = 3, classes = 1000;
  uint32_t patches() const { return (image / patch) * (image / patch); }
  uint32_t tokens() const { return patches() + 1; }  // with the CLS token
  uint32_t patch_dim() const { return channels * patch * patch; }
};

// vit-tiny (WinKawaks/vit-tiny-patch16-224: 12 layers, 192 hidden, 3 heads, MLP 768), deit-small
// (facebook/deit-small-patch16-224: 384, 6, 1536), vit-base (google/vit-base-patch16-224: 768,
// 12, 3072); all patch 16, 224 x 224 images (197 tokens), 1000 classes, layer-norm eps 1e-12.
std::vector<std::string> zoo_names();
bool is_vit_model(const std::string& name);
Model zoo_model(const std::string& name, uint32_t layers = 0);  // layers: the first n (0: all)

struct Weights {
  Tensor patch_w, patch_b;  // (3 P P) x hidden (the conv's [hidden, 3, P, P] flattened, transposed), hidden
  Tensor cls, pos;          // hidden, tokens x hidden
  std::vector<bert::LayerWeights> layers;  // in x out; ln1 = layernorm_before, ln2 = layernorm_after
  Tensor lnf_g, lnf_b;
  Tensor head_w, head_b;    // hidden x classes, classes
  uint64_t saturated = 0;   // values of a file clipped to the number format
  std::string origin;
};

// Deterministic synthetic weights (every tensor its own stream of `seed`), scaled so that the
// activations stay near unit variance. The query words carry the softmax's 1/sqrt(d). The recipe
// of every tensor, laid out as in Weights, and the recipe drawn on the host; a job that needs the
// weights only in the accelerator's DRAM draws the recipe there.
struct SyntheticRecipe {
  bert::SyntheticTensor patch_w, patch_b, cls, pos;
  std::vector<bert::LayerFields<bert::SyntheticTensor>> layers;
  bert::SyntheticTensor lnf_g, lnf_b, head_w, head_b;
};
SyntheticRecipe synthetic_recipe(const Model& m);
Weights synthetic_weights(const Model& m, uint64_t seed);

// Hugging Face ViTForImageClassification tensors (vit.embeddings.*, vit.encoder.layer.N.*,
// vit.layernorm, classifier; torch Linear weights are out x in, transposed here). The query's
// columns are divided by sqrt(head_dim) before rounding (bert::query_scale_divisors). A missing
// or mis-shaped tensor is a bert::WeightsError naming it.
Weights load_safetensors(const Model& m, const std::string& path);
Weights load_safetensors(const Model& m, const InputBytes& in);
// Writes the weights with the same names (F32; the query unfolded, x sqrt(d)).
void save_safetensors(const Model& m, const Weights& w, const std::string& path);

// Images: batch x patches x (3 P P), each patch's values in the conv's order (channel, row,
// column), quantised to the number format.
struct Images {
  uint32_t batch = 0;
  Tensor patches;
  uint64_t saturated = 0;  // pixels clipped to the number format
  std::string origin;
};
// Uniform in [-1, 1] (normalised pixels), `batch` images.
Images synthetic_images(const Model& m, uint32_t batch, uint64_t seed);
// A .npy of float32/float64 pixels, channels first: [3, H, W] (one image) or [batch, 3, H, W], H = W
// = the model's image size (normalised as the model expects; the VP does not resize). Anything
// else is a bert::InputError naming the file, the shape or the data type.
Images images_from_npy(const Model& m, const std::string& path);
Images images_from_npy(const Model& m, const InputBytes& in);

}  // namespace acc::vit
