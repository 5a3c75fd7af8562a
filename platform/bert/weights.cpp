#include "weights.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <thread>

#include "fixed_point.hpp"
#include "input_file.hpp"
#include "job.hpp"
#include "json_reader.hpp"
#include "safetensors.hpp"
#include "weights_cache.hpp"

namespace acc::bert {

namespace {

// A stable per-tensor stream: the seed mixed with a hash of the tensor's name.
uint64_t stream_seed(uint64_t seed, const std::string& name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return seed ^ (h * 0x9E3779B97F4A7C15ull);
}

}  // namespace

WordEmbeddings::WordEmbeddings(uint32_t vocab, uint32_t hidden, uint64_t seed) : vocab_(vocab), hidden_(hidden), seed_(seed) {}
WordEmbeddings::WordEmbeddings(uint32_t vocab, uint32_t hidden, Tensor table)
    : vocab_(vocab), hidden_(hidden), table_(std::move(table)) {}

void WordEmbeddings::row(uint32_t id, int32_t* out) const {
  if (!table_.empty()) {
    std::memcpy(out, &table_[uint64_t{id} * hidden_], hidden_ * 4);
    return;
  }
  SyntheticTensor{"embeddings.word_embeddings.weight/" + std::to_string(id), hidden_, 0.5}.draw(seed_, out);
}

// Element i of a stream is approximately normal: the sum of the four 32-bit halves of splitmix64's
// draws 2i+1 and 2i+2 (whose state is the stream's seed plus that many times its constant, so the
// stream can start anywhere), scaled to unit variance, then rounded into the number format. Exact
// arithmetic: the same on every host. In blocks, each step over a whole block, so that the compiler
// vectorises them (64-bit multiplies need AVX-512's, hence the clones); no step's rounding depends
// on the clone (no contraction into FMA: fx::from_double's value rounded at each step), so every
// clone draws the same words.
#if defined(__clang__)  // contracts only within an expression, and each step below is a statement
#define ACC_NO_FMA_CONTRACTION
#else  // GCC contracts across statements unless told not to
#define ACC_NO_FMA_CONTRACTION , optimize("fp-contract=off")
#endif
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default") ACC_NO_FMA_CONTRACTION))
static void draw_normal_words(uint64_t stream, uint64_t begin, uint64_t end, double mean, double stddev, int32_t* out) {
  constexpr uint64_t kStep = 0x9E3779B97F4A7C15ull, kBlock = 512;
  const double one = fx::one(), lo = fx::min_word(), hi = fx::max_word();
  uint64_t bits[2 * kBlock];
  double u[kBlock];
  for (uint64_t i0 = begin; i0 < end; i0 += kBlock) {
    const uint64_t m = std::min(kBlock, end - i0);
    for (uint64_t j = 0; j < 2 * m; ++j) {  // splitmix64
      uint64_t z = stream + (2 * i0 + j + 1) * kStep;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      bits[j] = z ^ (z >> 31);
    }
    for (uint64_t j = 0; j < m; ++j) {  // four U(0,1) summed (the halves are below 2^32: exact as int64)
      const uint64_t a = bits[2 * j], b = bits[2 * j + 1];
      u[j] = (double(int64_t(a >> 32)) + double(int64_t(a & 0xFFFFFFFFu)) + double(int64_t(b >> 32)) + double(int64_t(b & 0xFFFFFFFFu))) *
             0x1.0p-32;
    }
    for (uint64_t j = 0; j < m; ++j) {  // variance 1/3 each: times sqrt(3); then fx::from_double (never NaN here)
      const double normal = (u[j] - 2.0) * 1.7320508075688772;
      const double spread = stddev * normal;
      const double value = mean + spread;
      const double scaled = value * one;
      double w = std::floor(scaled + 0.5);
      w = w < lo ? lo : w;
      w = w > hi ? hi : w;
      out[i0 + j] = static_cast<int32_t>(w);
    }
  }
}

void SyntheticTensor::draw(uint64_t seed, uint64_t begin, uint64_t end, int32_t* out) const {
  draw_normal_words(stream_seed(seed, name), begin, end, mean, std, out);
}

void SyntheticTensor::draw(uint64_t seed, int32_t* out, unsigned threads, CacheRead how) const {
  // A large tensor's halves on two threads: the draws and the first touch of its pages (which the
  // kernel clears) both take as long as the tensor is large. BERT-Base has 85 M such values.
  constexpr uint64_t kParallelFrom = uint64_t{1} << 18;
  auto draw_whole = [&](int32_t* to) {
    if (threads < 2 || n < kParallelFrom) return draw(seed, 0, n, to);
    std::thread second([&] { draw(seed, n / 2, n, to); });
    draw(seed, 0, n / 2, to);
    second.join();
  };
  if (n < kCachedFromWords) return draw_whole(out);
  if (load_cached(*this, seed, out, how)) return;
  if (how == CacheRead::Map && draw_into_cache(*this, seed, out, draw_whole)) return;
  draw_whole(out);
  store_cached(*this, seed, out);
}

std::vector<double> transform_matrix(HeadKind kind, uint32_t seq) {
  // FNet keeps the real part of the DFT, cos(2 pi t j / S); the DCT-II is cos(pi (2j + 1) t / 2S).
  // Both divided by S: an output is then a weighted mean of V's rows with weights within [-1, 1],
  // never beyond the input's range (unscaled, or orthonormal, the DC row of a long sequence leaves
  // the number format's +-8).
  const double S = seq, pi = std::acos(-1.0);
  std::vector<double> m(uint64_t{seq} * seq);
  for (uint32_t t = 0; t < seq; ++t)
    for (uint32_t j = 0; j < seq; ++j)
      m[uint64_t{t} * seq + j] = (kind == HeadKind::Dft ? std::cos(2 * pi * double(uint64_t{t} * j % seq) / S)
                                                        : std::cos(pi * (2.0 * j + 1) * t / (2 * S))) / S;
  return m;
}

Tensor transform_matrix_words(HeadKind kind, uint32_t seq) {
  const std::vector<double> m = transform_matrix(kind, seq);
  Tensor t(m.size());
  for (size_t i = 0; i < m.size(); ++i) t[i] = fx::from_double(m[i]);
  return t;
}

std::vector<double> query_scale_divisors(const LayerShape& s) {
  std::vector<double> d;
  for (const Head& h : s.head_list())
    if (h.attends()) d.insert(d.end(), h.dim, std::sqrt(double(h.dim)));
  return d;
}

std::vector<double> divide_columns(std::vector<double> v, const std::vector<double>& divisors) {
  for (size_t i = 0; i < v.size(); ++i) v[i] /= divisors[i % divisors.size()];
  return v;
}

SyntheticRecipe synthetic_recipe(const Model& m) {
  // Scales keep activations near unit variance (weights ~ 1/sqrt(fan-in)). The query words are the
  // query projection with the softmax's 1/sqrt(d) folded in (Weights::wq), so the score the datapath
  // holds, q.k of these words, is the softmax's logit: query and key weights make its std ~1 (for
  // the largest of a layer's heads), so attention is neither uniform nor one-hot and Q4.16's +-8 is
  // eight deviations away (none clip).
  const uint64_t H0 = m.hidden;
  SyntheticRecipe r;
  r.pos = {"embeddings.position_embeddings.weight", uint64_t{m.max_positions} * H0, 0.5};
  r.type = {"embeddings.token_type_embeddings.weight", uint64_t{m.type_vocab} * H0, 0.5};
  r.emb_g = {"embeddings.LayerNorm.weight", H0, 0.1, 1.0};
  r.emb_b = {"embeddings.LayerNorm.bias", H0, 0.1};
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const auto& s = m.layers[l];
    const uint64_t A = s.attention(), QK = s.qk_width(), H = m.layer_hidden(l);
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    uint32_t d_max = 1;
    for (const Head& h : s.head_list()) d_max = h.attends() ? std::max(d_max, h.dim) : d_max;
    const double qk = 1.0 / std::sqrt(std::sqrt(double(d_max))) / std::sqrt(double(H));
    LayerFields<SyntheticTensor> L;
    L.wq = {p + "attention.self.query.weight", H * QK, qk};
    L.wk = {p + "attention.self.key.weight", H * QK, qk};
    L.wv = {p + "attention.self.value.weight", H * A, 1.0 / std::sqrt(double(H))};
    L.bq = {p + "attention.self.query.bias", QK, 0.1};
    L.bk = {p + "attention.self.key.bias", QK, 0.1};
    L.bv = {p + "attention.self.value.bias", A, 0.1};
    L.wo = {p + "attention.output.dense.weight", A * H, 1.0 / std::sqrt(double(A))};
    L.bo = {p + "attention.output.dense.bias", H, 0.1};
    L.ln1_g = {p + "attention.output.LayerNorm.weight", H, 0.1, 1.0};
    L.ln1_b = {p + "attention.output.LayerNorm.bias", H, 0.1};
    uint64_t in = H;
    for (size_t i = 0; i <= s.ffn.size(); ++i) {
      const uint64_t out = i < s.ffn.size() ? s.ffn[i] : H;
      const std::string f = p + "ffn." + std::to_string(i) + ".";
      L.ffn_w.push_back({f + "weight", in * out, 1.0 / std::sqrt(double(in))});
      L.ffn_b.push_back({f + "bias", out, 0.1});
      in = out;
    }
    L.ln2_g = {p + "output.LayerNorm.weight", H, 0.1, 1.0};
    L.ln2_b = {p + "output.LayerNorm.bias", H, 0.1};
    if (!s.uniform_sdp()) {
      const auto heads = s.head_list();
      for (size_t i = 0; i < heads.size(); ++i) {
        const Head& h = heads[i];
        const uint64_t d = h.dim;
        const std::string hp = p + "attention.head." + std::to_string(i) + ".";
        if (h.kind == HeadKind::Wma)
          L.head_w.push_back({hp + "wma.weight", d * d, 1.0 / std::sqrt(double(d))}), L.head_b.emplace_back();
        else if (h.kind == HeadKind::Conv)
          L.head_w.push_back({hp + "conv.weight", h.kernel * d * d, 1.0 / std::sqrt(double(h.kernel * d))}),
              L.head_b.push_back({hp + "conv.bias", d, 0.1});
        else
          L.head_w.emplace_back(), L.head_b.emplace_back();
      }
    }
    if (m.projects(l)) {
      const uint64_t next = m.layer_hidden(l + 1);
      L.proj_w = {p + "projection.weight", H * next, 1.0 / std::sqrt(double(H))};
      L.proj_b = {p + "projection.bias", next, 0.1};
    }
    r.layers.push_back(std::move(L));
  }
  const uint64_t Ho = m.output_hidden();
  r.pool_w = {"pooler.dense.weight", Ho * Ho, 1.0 / std::sqrt(double(Ho))};
  r.pool_b = {"pooler.dense.bias", Ho, 0.1};
  return r;
}

std::string synthetic_origin(uint64_t seed) { return "synthetic (seed " + std::to_string(seed) + ")"; }

Tensor drawn(const SyntheticTensor& t, uint64_t seed) {
  Tensor v(t.n);
  t.draw(seed, v.data());
  return v;
}

LayerWeights drawn(const LayerFields<SyntheticTensor>& R, uint64_t seed) {
  auto d = [seed](const SyntheticTensor& t) { return drawn(t, seed); };
  LayerWeights L;
  L.wq = d(R.wq), L.bq = d(R.bq), L.wk = d(R.wk), L.bk = d(R.bk), L.wv = d(R.wv), L.bv = d(R.bv);
  L.wo = d(R.wo), L.bo = d(R.bo), L.ln1_g = d(R.ln1_g), L.ln1_b = d(R.ln1_b);
  for (size_t i = 0; i < R.ffn_w.size(); ++i) L.ffn_w.push_back(d(R.ffn_w[i])), L.ffn_b.push_back(d(R.ffn_b[i]));
  L.ln2_g = d(R.ln2_g), L.ln2_b = d(R.ln2_b);
  for (size_t i = 0; i < R.head_w.size(); ++i) L.head_w.push_back(d(R.head_w[i])), L.head_b.push_back(d(R.head_b[i]));
  L.proj_w = d(R.proj_w), L.proj_b = d(R.proj_b);
  return L;
}

Weights synthetic_weights(const Model& m, uint64_t seed, bool draw) {
  Weights w;
  w.origin = synthetic_origin(seed);
  w.word = WordEmbeddings(m.vocab, m.hidden, seed);
  if (!draw) return w;
  const SyntheticRecipe r = synthetic_recipe(m);
  w.pos = drawn(r.pos, seed), w.type = drawn(r.type, seed), w.emb_g = drawn(r.emb_g, seed), w.emb_b = drawn(r.emb_b, seed);
  for (const auto& R : r.layers) w.layers.push_back(drawn(R, seed));
  w.pool_w = drawn(r.pool_w, seed), w.pool_b = drawn(r.pool_b, seed);
  return w;
}

// ------------------------------------------------------------------------------------------
// safetensors

namespace {

InputBytes weights_file(const std::string& path) { return open_input_bytes_as<WeightsError>(path, "weights file"); }

}  // namespace

Weights load_safetensors(const Model& m, const std::string& path, bool keep_file_values) {
  return load_safetensors(m, weights_file(path), keep_file_values);
}

Weights load_safetensors(const Model& m, const InputBytes& in, bool keep_file_values) {
  if (m.layers.empty()) throw WeightsError("the model has no layers");
  // A BERT (equal sa_sdp heads, one hidden size) has Hugging Face's shapes; a model dict's other
  // layers have theirs by their heads (docs/transformers.md, "Model dicts").
  bool bert = true;
  for (size_t i = 0; i < m.layers.size(); ++i) bert = bert && m.layers[i].uniform_sdp() && m.layer_hidden(i) == m.hidden;
  for (const auto& l : m.layers)
    if (bert && l.attention() != m.hidden)
      throw WeightsError("Hugging Face BERT weights need heads x head_dim = hidden; the model has " + std::to_string(l.attention()) +
                         " and " + std::to_string(m.hidden));
  SafetensorsFile f(in);
  const std::string prefix = f.has("bert.embeddings.word_embeddings.weight") ? "bert." : "";
  Weights w;
  w.origin = in.name();
  auto quantise = [&](const std::vector<double>& v) { return quantised(v, w.saturated); };
  // The values before rounding go to `original` when asked for (else the destinations stay empty).
  const auto file_values = keep_file_values ? std::make_shared<FileValues>() : nullptr;
  FileValues not_kept;
  FileValues& fv = file_values ? *file_values : not_kept;
  fv.layers.resize(m.layers.size());
  auto keep = [&](const std::vector<double>& v, std::vector<float>& original) -> const std::vector<double>& {
    if (file_values) original.assign(v.begin(), v.end());
    return v;
  };
  // Columns divided by `by` before rounding (the query projection's fold, below); the file's own
  // values are what `keep` keeps.
  auto divided = [](const std::vector<double>& v, const std::vector<double>* by) { return by ? divide_columns(v, *by) : v; };
  // PyTorch Linear weights are out x in; the accelerator wants in x out.
  auto linear = [&](const std::string& name, uint64_t in, uint64_t out, std::vector<float>& original,
                    const std::vector<double>* by = nullptr) {
    const std::vector<double> v = f.read(prefix + name, {out, in});
    std::vector<double> t(v.size());
    for (uint64_t o = 0; o < out; ++o)
      for (uint64_t i = 0; i < in; ++i) t[i * out + o] = v[o * in + i];
    return quantise(divided(keep(t, original), by));
  };
  auto vec = [&](const std::string& name, uint64_t n, std::vector<float>& original, const std::vector<double>* by = nullptr) {
    return quantise(divided(keep(f.read(prefix + name, {n}), original), by));
  };
  // LayerNorm parameters: "weight"/"bias", or the older "gamma"/"beta".
  auto ln = [&](const std::string& base, uint64_t n, bool gain, std::vector<float>& original) {
    const std::string modern = base + (gain ? ".weight" : ".bias"), old = base + (gain ? ".gamma" : ".beta");
    return vec(f.has(prefix + modern) || !f.has(prefix + old) ? modern : old, n, original);
  };
  const uint64_t H0 = m.hidden, Ho = m.output_hidden();
  w.word = WordEmbeddings(m.vocab, m.hidden, quantise(keep(f.read(prefix + "embeddings.word_embeddings.weight", {m.vocab, H0}), fv.word)));
  w.pos = quantise(keep(f.read(prefix + "embeddings.position_embeddings.weight", {m.max_positions, H0}), fv.pos));
  w.type = quantise(keep(f.read(prefix + "embeddings.token_type_embeddings.weight", {m.type_vocab, H0}), fv.type));
  w.emb_g = ln("embeddings.LayerNorm", H0, true, fv.emb_g);
  w.emb_b = ln("embeddings.LayerNorm", H0, false, fv.emb_b);
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const auto& s = m.layers[l];
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    const uint64_t H = m.layer_hidden(l), A = s.attention(), QK = s.qk_width();
    LayerWeights L;
    LayerTensors<float>& O = fv.layers[l];
    if (QK) {
      // The softmax's 1/sqrt(d), folded into the query projection as inference compilers fold it:
      // W_q/sqrt(d) and b_q/sqrt(d), rounded once from the file's values (query_scale_divisors).
      const std::vector<double> root_d = query_scale_divisors(s);
      L.wq = linear(p + "attention.self.query.weight", H, QK, O.wq, &root_d);
      L.bq = vec(p + "attention.self.query.bias", QK, O.bq, &root_d);
      L.wk = linear(p + "attention.self.key.weight", H, QK, O.wk);
      L.bk = vec(p + "attention.self.key.bias", QK, O.bk);
    }
    L.wv = linear(p + "attention.self.value.weight", H, A, O.wv);
    L.bv = vec(p + "attention.self.value.bias", A, O.bv);
    L.wo = linear(p + "attention.output.dense.weight", A, H, O.wo);
    L.bo = vec(p + "attention.output.dense.bias", H, O.bo);
    L.ln1_g = ln(p + "attention.output.LayerNorm", H, true, O.ln1_g);
    L.ln1_b = ln(p + "attention.output.LayerNorm", H, false, O.ln1_b);
    // One FFN size: Hugging Face's intermediate and output; several: ffn.0, ffn.1, ...
    O.ffn_w.resize(s.ffn.size() + 1), O.ffn_b.resize(s.ffn.size() + 1);
    for (size_t i = 0, in = H; i <= s.ffn.size(); ++i) {
      const uint64_t out = i < s.ffn.size() ? s.ffn[i] : H;
      const std::string name = s.ffn.size() == 1 ? p + (i ? "output.dense" : "intermediate.dense") : p + "ffn." + std::to_string(i);
      L.ffn_w.push_back(linear(name + ".weight", in, out, O.ffn_w[i]));
      L.ffn_b.push_back(vec(name + ".bias", out, O.ffn_b[i]));
      in = out;
    }
    L.ln2_g = ln(p + "output.LayerNorm", H, true, O.ln2_g);
    L.ln2_b = ln(p + "output.LayerNorm", H, false, O.ln2_b);
    if (!s.uniform_sdp()) {
      const std::vector<Head> heads = s.head_list();
      O.head_w.resize(heads.size()), O.head_b.resize(heads.size());
      for (size_t i = 0; i < heads.size(); ++i) {
        const Head& h = heads[i];
        const uint64_t d = h.dim;
        const std::string hp = p + "attention.head." + std::to_string(i) + ".";
        Tensor hw, hb;
        if (h.kind == HeadKind::Wma) hw = linear(hp + "wma.weight", d, d, O.head_w[i]);  // a Linear: K' = K . W^T
        if (h.kind == HeadKind::Conv) {
          // torch.nn.Conv1d(d, d, kernel): out x in x kernel; here tap-major in x out.
          const std::vector<double> v = f.read(prefix + hp + "conv.weight", {d, d, h.kernel});
          std::vector<double> t(v.size());
          for (uint64_t o = 0; o < d; ++o)
            for (uint64_t c = 0; c < d; ++c)
              for (uint64_t j = 0; j < h.kernel; ++j) t[(j * d + c) * d + o] = v[(o * d + c) * h.kernel + j];
          hw = quantise(keep(t, O.head_w[i]));
          hb = vec(hp + "conv.bias", d, O.head_b[i]);
        }
        L.head_w.push_back(std::move(hw)), L.head_b.push_back(std::move(hb));
      }
    }
    if (m.projects(l)) {
      const uint64_t next = m.layer_hidden(l + 1);
      L.proj_w = linear(p + "projection.weight", H, next, O.proj_w);
      L.proj_b = vec(p + "projection.bias", next, O.proj_b);
    }
    w.layers.push_back(std::move(L));
  }
  w.pool_w = linear("pooler.dense.weight", Ho, Ho, fv.pool_w);
  w.pool_b = vec("pooler.dense.bias", Ho, fv.pool_b);
  w.file_values = file_values;
  return w;
}

void take_embedding_sizes(Model& m, const std::string& path) {
  SafetensorsFile f(weights_file(path));
  const std::string prefix = f.has("bert.embeddings.word_embeddings.weight") ? "bert." : "";
  auto rows = [&](const std::string& name) {
    const std::vector<uint64_t>& s = f.shape(prefix + name);
    if (s.size() != 2 || s[1] != m.hidden || s[0] == 0 || s[0] > kMaxModelSize)
      throw WeightsError(path + ": tensor '" + prefix + name + "' has shape " + shape_str(s) + ", the model needs [n, " +
                         std::to_string(m.hidden) + "] with n within 1.." + std::to_string(kMaxModelSize));
    return static_cast<uint32_t>(s[0]);
  };
  m.vocab = rows("embeddings.word_embeddings.weight");
  m.max_positions = rows("embeddings.position_embeddings.weight");
}

MlmHead load_mlm_head(const Model& m, const std::string& path) {
  SafetensorsFile f(weights_file(path));
  const uint64_t H = m.hidden, V = m.vocab;
  MlmHead h;
  const std::vector<double> w = f.read("cls.predictions.transform.dense.weight", {H, H});  // out x in
  h.dense_w.resize(w.size());
  for (uint64_t o = 0; o < H; ++o)
    for (uint64_t i = 0; i < H; ++i) h.dense_w[i * H + o] = w[o * H + i];
  h.dense_b = f.read("cls.predictions.transform.dense.bias", {H});
  h.ln_g = f.read("cls.predictions.transform.LayerNorm.weight", {H});
  h.ln_b = f.read("cls.predictions.transform.LayerNorm.bias", {H});
  const std::string prefix = f.has("bert.embeddings.word_embeddings.weight") ? "bert." : "";
  h.decoder = f.has("cls.predictions.decoder.weight") ? f.read("cls.predictions.decoder.weight", {V, H})
                                                      : f.read(prefix + "embeddings.word_embeddings.weight", {V, H});
  h.bias = f.read("cls.predictions.bias", {V});
  return h;
}

void save_safetensors(const Model& m, const Weights& w, const std::string& path) {
  const uint64_t H0 = m.hidden, Ho = m.output_hidden();
  std::vector<std::pair<std::string, std::pair<std::vector<uint64_t>, std::vector<float>>>> tensors;
  // times: the query projection is unfolded (column j times sqrt(d) of its head), so the file holds
  // Hugging Face's W_q; `columns` is the number of those columns in the layout of `t`.
  auto add = [&](const std::string& name, std::vector<uint64_t> shape, const Tensor& t, const std::vector<double>* times = nullptr,
                 uint64_t stride = 1) {
    std::vector<float> f(t.size());
    for (size_t i = 0; i < t.size(); ++i)
      f[i] = static_cast<float>(fx::to_double(t[i]) * (times ? (*times)[(i / stride) % times->size()] : 1.0));
    tensors.push_back({"bert." + name, {std::move(shape), std::move(f)}});
  };
  auto add_linear = [&](const std::string& name, uint64_t in, uint64_t out, const Tensor& t,
                        const std::vector<double>* times = nullptr) {  // back to out x in
    Tensor o(t.size());
    for (uint64_t i = 0; i < in; ++i)
      for (uint64_t j = 0; j < out; ++j) o[j * in + i] = t[i * out + j];
    add(name, {out, in}, o, times, in);  // out x in: column j of W is row j here
  };
  Tensor word(uint64_t{m.vocab} * H0);
  for (uint32_t id = 0; id < m.vocab; ++id) w.word.row(id, &word[uint64_t{id} * H0]);
  add("embeddings.word_embeddings.weight", {m.vocab, H0}, word);
  add("embeddings.position_embeddings.weight", {m.max_positions, H0}, w.pos);
  add("embeddings.token_type_embeddings.weight", {m.type_vocab, H0}, w.type);
  add("embeddings.LayerNorm.weight", {H0}, w.emb_g);
  add("embeddings.LayerNorm.bias", {H0}, w.emb_b);
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const auto& L = w.layers[l];
    const auto& s = m.layers[l];
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    const uint64_t H = m.layer_hidden(l), A = s.attention(), QK = s.qk_width();
    if (QK) {
      const std::vector<double> root_d = query_scale_divisors(s);
      add_linear(p + "attention.self.query.weight", H, QK, L.wq, &root_d);
      add(p + "attention.self.query.bias", {QK}, L.bq, &root_d);
      add_linear(p + "attention.self.key.weight", H, QK, L.wk);
      add(p + "attention.self.key.bias", {QK}, L.bk);
    }
    add_linear(p + "attention.self.value.weight", H, A, L.wv);
    add(p + "attention.self.value.bias", {A}, L.bv);
    add_linear(p + "attention.output.dense.weight", A, H, L.wo);
    add(p + "attention.output.dense.bias", {H}, L.bo);
    add(p + "attention.output.LayerNorm.weight", {H}, L.ln1_g);
    add(p + "attention.output.LayerNorm.bias", {H}, L.ln1_b);
    for (size_t i = 0, in = H; i <= s.ffn.size(); ++i) {
      const uint64_t out = i < s.ffn.size() ? s.ffn[i] : H;
      const std::string name = s.ffn.size() == 1 ? p + (i ? "output.dense" : "intermediate.dense") : p + "ffn." + std::to_string(i);
      add_linear(name + ".weight", in, out, L.ffn_w.at(i));
      add(name + ".bias", {out}, L.ffn_b.at(i));
      in = out;
    }
    add(p + "output.LayerNorm.weight", {H}, L.ln2_g);
    add(p + "output.LayerNorm.bias", {H}, L.ln2_b);
    const std::vector<Head> heads = s.head_list();
    for (size_t i = 0; i < L.head_w.size(); ++i) {
      const uint64_t d = heads[i].dim, k = heads[i].kernel;
      const std::string hp = p + "attention.head." + std::to_string(i) + ".";
      if (heads[i].kind == HeadKind::Wma) add_linear(hp + "wma.weight", d, d, L.head_w[i]);
      if (heads[i].kind == HeadKind::Conv) {
        Tensor t(L.head_w[i].size());  // back to torch.nn.Conv1d's out x in x kernel
        for (uint64_t o = 0; o < d; ++o)
          for (uint64_t c = 0; c < d; ++c)
            for (uint64_t j = 0; j < k; ++j) t[(o * d + c) * k + j] = L.head_w[i][(j * d + c) * d + o];
        add(hp + "conv.weight", {d, d, k}, t);
        add(hp + "conv.bias", {d}, L.head_b[i]);
      }
    }
    if (m.projects(l)) {
      const uint64_t next = m.layer_hidden(l + 1);
      add_linear(p + "projection.weight", H, next, L.proj_w);
      add(p + "projection.bias", {next}, L.proj_b);
    }
  }
  add_linear("pooler.dense.weight", Ho, Ho, w.pool_w);
  add("pooler.dense.bias", {Ho}, w.pool_b);

  write_safetensors(path, tensors);
}

}  // namespace acc::bert
