// Transformer encoders of the BERT family: the built-in zoo and AccelTran's model-dict JSON.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace acc::bert {

struct ModelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The largest hidden, head, feed-forward and attention (heads x head size) size a model dict may
// give: products of two sizes stay far from 64-bit overflow, and no model near it would fit the
// 2 GiB DRAM window anyway.
inline constexpr uint32_t kMaxModelSize = 1u << 24;

struct LayerShape {
  uint32_t heads = 0, head_dim = 0;
  std::vector<uint32_t> ffn;  // hidden -> ffn[0] -> ... -> hidden
  uint32_t attention() const { return heads * head_dim; }
};

struct Model {
  std::string name;
  uint32_t hidden = 0;
  std::vector<LayerShape> layers;
  uint32_t vocab = 30522, max_positions = 512, type_vocab = 2;
  double ln_eps = 1e-12;

  // Multiply-accumulates of the encoder for one sequence (the BERT encoder layer, Devlin et al. 2019: projections, scores,
  // P.V, output projection, FFN; no embeddings, no pooler).
  uint64_t encoder_macs(uint32_t seq) const;
  // The first n layers only (n = 0: all).
  Model truncated(uint32_t n) const;
};

// The built-in zoo: bert-nano (AccelTran's), bert-tiny, -mini, -small, -medium (Google's compact
// BERTs), bert-base, bert-large.
std::vector<std::string> zoo_names();
Model zoo_model(const std::string& name);  // throws ModelError listing the zoo

// AccelTran's model dict (FlexiBERT 2.0 style): {"l": layers, "o": [[heads of layer 0], ...],
// "h": [hidden per layer], "f": [[ffn sizes of layer 0], ...]}; heads are "sa_sdp_<head dim>".
// Accepted as is: only the first l entries of each list are read.
Model model_from_dict(const std::string& json_text, const std::string& origin);

// A zoo name or a path to a model-dict JSON file.
Model load_model(const std::string& name_or_path);

}  // namespace acc::bert
