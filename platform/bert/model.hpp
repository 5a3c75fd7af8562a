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
// A convolution head's largest kernel, and the most heads with weights of their own (all but
// sa_sdp) in one layer: the firmware keeps a slot per such head (fw_bert.h).
inline constexpr uint32_t kMaxConvKernel = 1024;
inline constexpr uint32_t kMaxHeadsWithWeights = 32;

// The head kinds of AccelTran's model dicts (FlexiBERT 2.0): scaled dot-product and weighted
// multiplicative self-attention, the DFT and DCT linear transforms, 1-D convolution. The values are
// the firmware's (fw_bert.h FW_BERT_HEAD_*).
enum class HeadKind : uint32_t { Sdp = 0, Wma = 1, Dft = 2, Dct = 3, Conv = 4 };

struct Head {
  HeadKind kind = HeadKind::Sdp;
  uint32_t dim = 0;     // the head's size: its columns of V and of the context
  uint32_t kernel = 0;  // Conv: the kernel size
  bool attends() const { return kind == HeadKind::Sdp || kind == HeadKind::Wma; }  // has Q and K columns
};

// The row offset of a convolution's tap: taps 0..kernel-1 reach rows t-(kernel-1)/2 .. t+kernel/2.
int32_t conv_tap_offset(uint32_t kernel, uint32_t tap);

struct LayerShape {
  // Uniform layers (the zoo, dicts of equal sa_sdp heads): `heads` heads of head_dim. A layer of
  // other kinds or mixed sizes lists its heads in `mixed` (heads counts them; head_dim is their
  // size when all are equal, else 0).
  uint32_t heads = 0, head_dim = 0;
  std::vector<uint32_t> ffn;  // hidden -> ffn[0] -> ... -> hidden
  uint32_t hidden = 0;        // this layer's hidden size; 0: the model's
  std::vector<Head> mixed;
  std::vector<Head> head_list() const;
  bool uniform_sdp() const { return mixed.empty(); }
  uint32_t attention() const;  // the context's width: the sum of the head sizes
  uint32_t qk_width() const;   // the columns of Q and K: the sum of the attending heads' sizes
};

struct Model {
  std::string name;
  uint32_t hidden = 0;
  std::vector<LayerShape> layers;
  uint32_t vocab = 30522, max_positions = 512, type_vocab = 2;
  double ln_eps = 1e-12;

  // Multiply-accumulates of the encoder for one sequence (the BERT encoder layer, Devlin et al. 2019: projections, scores,
  // P.V, output projection, FFN; no embeddings, no pooler), with each head kind's own products
  // (docs/transformers.md) and the projections between layers of different hidden sizes.
  uint64_t encoder_macs(uint32_t seq) const;
  // Layer l's hidden size; the encoder's output hidden size (its last layer's).
  uint32_t layer_hidden(size_t l) const { return layers[l].hidden ? layers[l].hidden : hidden; }
  uint32_t output_hidden() const { return layers.empty() ? hidden : layer_hidden(layers.size() - 1); }
  // Whether layer l ends with FlexiBERT's projection to the next layer's hidden size.
  bool projects(size_t l) const { return l + 1 < layers.size() && layer_hidden(l + 1) != layer_hidden(l); }
  // The first n layers only (n = 0: all).
  Model truncated(uint32_t n) const;
};

// A zoo's table of shapes (entries with a `name`): its names, and the entry of a name or null.
template <class Entry, size_t N>
std::vector<std::string> zoo_table_names(const Entry (&table)[N]) {
  std::vector<std::string> names;
  for (const Entry& e : table) names.push_back(e.name);
  return names;
}
template <class Entry, size_t N>
const Entry* zoo_table_entry(const Entry (&table)[N], const std::string& name) {
  for (const Entry& e : table)
    if (name == e.name) return &e;
  return nullptr;
}
// "a, b, c": names for a message.
std::string joined_names(const std::vector<std::string>& names);
// The ModelError of a name no table has: "unknown <family> model 'x' (expected a, b, c)".
ModelError unknown_zoo_model(const std::string& family, const std::string& name, const std::vector<std::string>& names);

// The built-in zoo: bert-nano (AccelTran's), bert-tiny, -mini, -small, -medium (Google's compact
// BERTs), bert-base, bert-large.
std::vector<std::string> zoo_names();
Model zoo_model(const std::string& name);  // throws ModelError listing the zoo

// AccelTran's model dict (FlexiBERT 2.0 style): {"l": layers, "o": [[heads of layer 0], ...],
// "h": [hidden per layer], "f": [[ffn sizes of layer 0], ...]}; heads are "<kind>_<param>_<size>"
// as AccelTran's dict2ops.py splits them: sa_sdp_<d>, sa_wma_<d>, l_dft_<d>, l_dct_<d>,
// c_<kernel>_<d>. Accepted as is: only the first l entries of each list are read.
Model model_from_dict(const std::string& json_text, const std::string& origin);

// A zoo name or a path to a model-dict JSON file (a name ending in .json).
bool is_model_dict_path(const std::string& name_or_path);
Model load_model(const std::string& name_or_path);

}  // namespace acc::bert
