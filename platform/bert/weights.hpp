// Weights of a BERT encoder in the accelerator's format (Q4.16 words, matrices stored in x out so
// that y = x . W + b), either synthetic with a seed or loaded from a safetensors file with
// Hugging Face BERT tensor names.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "model.hpp"
#include "weights_cache.hpp"

namespace acc {
class InputBytes;
}

namespace acc::bert {

using Tensor = std::vector<int32_t>;

// The S x S matrix of a linear-transform head (Dft: the real part of the DFT; Dct: the DCT-II),
// divided by S (docs/transformers.md), in double and in the number format.
std::vector<double> transform_matrix(HeadKind kind, uint32_t seq);
Tensor transform_matrix_words(HeadKind kind, uint32_t seq);

struct WeightsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The softmax's scale 1/sqrt(d) is folded into the query projection, as inference compilers fold
// it: the accelerator's query words (Weights::wq, bq) are W_q/sqrt(d) and b_q/sqrt(d), each column
// with the d of the attending head it belongs to, so its raw score (q/sqrt(d)).k is the softmax's
// logit and the softmax scales by 1. These are those sqrt(d), one per column of Q (qk_width()).
std::vector<double> query_scale_divisors(const LayerShape& s);
// A matrix of in x out values (or a vector of out) with column j divided by divisors[j] (out of them).
std::vector<double> divide_columns(std::vector<double> v, const std::vector<double>& divisors);

// The tensors of one encoder layer, each a V: a vector of Q4.16 words or of a file's values, or
// how a synthetic tensor is drawn. The words of wq and bq have 1/sqrt(d) folded in (above); a
// file's values (FileValues) are the file's own, unfolded.
template <class V>
struct LayerFields {
  V wq, bq, wk, bk;  // hidden x qk_width, qk_width (the attending heads' columns)
  V wv, bv;          // hidden x A, A (every head's columns)
  V wo, bo;          // A x hidden, hidden
  V ln1_g, ln1_b;
  std::vector<V> ffn_w, ffn_b;  // one more than the FFN sizes
  V ln2_g, ln2_b;
  // Model dicts' heads, one entry per head of LayerShape::head_list() (empty where a head has no
  // such tensor): WMA d x d; Conv kernel x (d x d) stacked by rows (tap-major), and its bias d.
  std::vector<V> head_w, head_b;
  V proj_w, proj_b;  // hidden x the next layer's hidden: the projection between layers (empty: none)
};
template <class T>
using LayerTensors = LayerFields<std::vector<T>>;
using LayerWeights = LayerTensors<int32_t>;

// A loaded file's values before they were rounded to Q4.16, laid out as in Weights (matrices in x
// out): the double-precision reference runs on them. F16, BF16 and F32 values are exact in a float;
// F64 values are rounded to float (a relative error of 2^-24, far below the Q4.16 step of 2^-16).
struct FileValues {
  std::vector<float> word, pos, type, emb_g, emb_b;  // word: vocab x hidden
  std::vector<LayerTensors<float>> layers;
  std::vector<float> pool_w, pool_b;
};

// The word-embedding table (vocab x hidden). Synthetic tables are a function of (seed, row): a
// row is generated when it is asked for, so a run pays only for the tokens it uses.
class WordEmbeddings {
 public:
  WordEmbeddings() = default;
  WordEmbeddings(uint32_t vocab, uint32_t hidden, uint64_t seed);  // synthetic
  WordEmbeddings(uint32_t vocab, uint32_t hidden, Tensor table);  // loaded
  void row(uint32_t id, int32_t* out) const;
  uint32_t vocab() const { return vocab_; }
  bool synthetic() const { return table_.empty(); }
  const Tensor& table() const { return table_; }

 private:
  uint32_t vocab_ = 0, hidden_ = 0;
  uint64_t seed_ = 0;
  Tensor table_;
};

struct Weights {
  WordEmbeddings word;
  Tensor pos, type;      // max_positions x hidden, type_vocab x hidden
  Tensor emb_g, emb_b;
  std::vector<LayerWeights> layers;
  Tensor pool_w, pool_b;  // hidden x hidden, hidden
  uint64_t saturated = 0;  // values of a loaded file clipped to the Q4.16 range
  std::string origin;
  // The file's values before rounding, when the loader was asked to keep them (null otherwise and
  // for synthetic weights, which are defined in Q4.16).
  std::shared_ptr<const FileValues> file_values;
};

// A synthetic tensor: n approximately normal values (mean, std) from the stream of its name and the
// seed, rounded to Q4.16.
struct SyntheticTensor {
  std::string name;
  uint64_t n = 0;
  double std = 0, mean = 0;
  // Writes out[0..n): read from the weights cache (weights_cache.hpp) as `how` allows if it holds
  // the tensor, else drawn (a large tensor on `threads` threads, at most two) and kept there.
  void draw(uint64_t seed, int32_t* out, unsigned threads = 2, CacheRead how = CacheRead::Copy) const;
  void draw(uint64_t seed, uint64_t begin, uint64_t end, int32_t* out) const;  // out[begin..end) of those
};
// Every synthetic tensor but the word embeddings (WordEmbeddings draws those by row), laid out as in
// Weights.
struct SyntheticRecipe {
  SyntheticTensor pos, type, emb_g, emb_b;
  std::vector<LayerFields<SyntheticTensor>> layers;
  SyntheticTensor pool_w, pool_b;
};
SyntheticRecipe synthetic_recipe(const Model& m);
// The origin every synthetic model and input names: "synthetic (seed N)".
std::string synthetic_origin(uint64_t seed);
// A tensor, or a layer's tensors, of a recipe drawn on the host.
Tensor drawn(const SyntheticTensor& t, uint64_t seed);
LayerWeights drawn(const LayerFields<SyntheticTensor>& layer, uint64_t seed);

// The synthetic weights of synthetic_recipe(m). With draw false, only the word embeddings (drawn
// when a row is asked for) and the origin: a caller that needs the tensors only in the
// accelerator's DRAM draws the recipe's tensors there, writing BERT-Base's 340 MB once, not thrice.
Weights synthetic_weights(const Model& m, uint64_t seed, bool draw = true);

// Reads every tensor the model needs from a safetensors file (F32, F16, BF16 or F64) with Hugging
// Face names (with or without the "bert." prefix); a missing or mis-shaped tensor is a
// WeightsError naming it. Linear weights are transposed from PyTorch's out x in, and the query's
// weight and bias divided by sqrt(d) of their heads before rounding (query_scale_divisors). With
// keep_file_values, the values before rounding are kept too (Weights::file_values).
Weights load_safetensors(const Model& m, const std::string& path, bool keep_file_values = false);
// The same from bytes already opened (the file's path opens them; tests and the fuzz harness give
// bytes in memory); in.name() names them in messages.
Weights load_safetensors(const Model& m, const InputBytes& in, bool keep_file_values = false);

// The vocabulary and the positions of a safetensors file (the shapes of its word and position
// embeddings) put into the model: a trained model's vocabulary is its tokenizer's, not BERT's 30,522.
// A shape that is not [n, hidden] with n within 1..kMaxModelSize is a WeightsError.
void take_embedding_sizes(Model& m, const std::string& path);

// The masked-language-model head of Hugging Face's BertForMaskedLM ("cls.predictions.*"), in
// double: transform (dense in x out, GELU, LayerNorm), then the decoder (vocab x hidden; the word
// embeddings when the file has no decoder of its own, as the weights are tied) and its bias.
struct MlmHead {
  std::vector<double> dense_w, dense_b, ln_g, ln_b, decoder, bias;
};
MlmHead load_mlm_head(const Model& m, const std::string& path);

// Writes weights as a safetensors file (F32, Hugging Face names with the "bert." prefix), for
// tests and for exporting the synthetic weights; the query projection unfolded (x sqrt(head_dim)),
// as Hugging Face's BERT holds it.
void save_safetensors(const Model& m, const Weights& w, const std::string& path);

}  // namespace acc::bert
