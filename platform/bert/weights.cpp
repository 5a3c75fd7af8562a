#include "weights.hpp"

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

namespace acc::bert {

namespace {

// A stable per-tensor stream: the seed mixed with a hash of the tensor's name.
uint64_t stream_seed(uint64_t seed, const std::string& name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return seed ^ (h * 0x9E3779B97F4A7C15ull);
}

// Approximately normal draws: the sum of four uniforms, scaled to unit variance (exact arithmetic,
// the same on every host).
class Normal {
 public:
  explicit Normal(uint64_t seed) : rng_(seed) {}
  double next() {
    const uint64_t a = rng_.next(), b = rng_.next();
    const double u = (double(a >> 32) + double(a & 0xFFFFFFFFu) + double(b >> 32) + double(b & 0xFFFFFFFFu)) * 0x1.0p-32;
    return (u - 2.0) * 1.7320508075688772;  // sqrt(3): four U(0,1) have variance 1/3
  }

 private:
  Rng rng_;
};

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

void SyntheticTensor::draw(uint64_t seed, uint64_t begin, uint64_t end, int32_t* out) const {
  // splitmix64's state advances by a constant per draw and a value takes two draws: the stream
  // can start at any element.
  Normal g(stream_seed(seed, name) + 2 * begin * 0x9E3779B97F4A7C15ull);
  for (uint64_t i = begin; i < end; ++i) out[i] = fx::from_double(mean + std * g.next());
}

void SyntheticTensor::draw(uint64_t seed, int32_t* out) const {
  // A large tensor's halves on two threads: the draws and the first touch of its pages (which the
  // kernel clears) both take as long as the tensor is large. BERT-Base has 85 M such values.
  constexpr uint64_t kParallelFrom = uint64_t{1} << 18;
  if (n < kParallelFrom) return draw(seed, 0, n, out);
  std::thread second([&] { draw(seed, n / 2, n, out); });
  draw(seed, 0, n / 2, out);
  second.join();
}

SyntheticRecipe synthetic_recipe(const Model& m) {
  // Scales keep activations near unit variance (weights ~ 1/sqrt(fan-in)); the query and key
  // weights are smaller so that raw scores q.k stay within Q4.16 (std ~2 before the 1/sqrt(d)).
  const uint64_t H = m.hidden;
  SyntheticRecipe r;
  r.pos = {"embeddings.position_embeddings.weight", uint64_t{m.max_positions} * H, 0.5};
  r.type = {"embeddings.token_type_embeddings.weight", uint64_t{m.type_vocab} * H, 0.5};
  r.emb_g = {"embeddings.LayerNorm.weight", H, 0.1, 1.0};
  r.emb_b = {"embeddings.LayerNorm.bias", H, 0.1};
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const auto& s = m.layers[l];
    const uint64_t A = s.attention();
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    const double qk = std::sqrt(2.0) / std::sqrt(std::sqrt(double(s.head_dim))) / std::sqrt(double(H));
    LayerFields<SyntheticTensor> L;
    L.wq = {p + "attention.self.query.weight", H * A, qk};
    L.wk = {p + "attention.self.key.weight", H * A, qk};
    L.wv = {p + "attention.self.value.weight", H * A, 1.0 / std::sqrt(double(H))};
    L.bq = {p + "attention.self.query.bias", A, 0.1};
    L.bk = {p + "attention.self.key.bias", A, 0.1};
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
    r.layers.push_back(std::move(L));
  }
  r.pool_w = {"pooler.dense.weight", H * H, 1.0 / std::sqrt(double(H))};
  r.pool_b = {"pooler.dense.bias", H, 0.1};
  return r;
}

Weights synthetic_weights(const Model& m, uint64_t seed, bool draw) {
  Weights w;
  w.origin = "synthetic (seed " + std::to_string(seed) + ")";
  w.word = WordEmbeddings(m.vocab, m.hidden, seed);
  if (!draw) return w;
  const SyntheticRecipe r = synthetic_recipe(m);
  auto drawn = [&](const SyntheticTensor& t) {
    Tensor v(t.n);
    t.draw(seed, v.data());
    return v;
  };
  w.pos = drawn(r.pos), w.type = drawn(r.type), w.emb_g = drawn(r.emb_g), w.emb_b = drawn(r.emb_b);
  for (const auto& R : r.layers) {
    LayerWeights L;
    L.wq = drawn(R.wq), L.bq = drawn(R.bq), L.wk = drawn(R.wk), L.bk = drawn(R.bk), L.wv = drawn(R.wv), L.bv = drawn(R.bv);
    L.wo = drawn(R.wo), L.bo = drawn(R.bo), L.ln1_g = drawn(R.ln1_g), L.ln1_b = drawn(R.ln1_b);
    for (size_t i = 0; i < R.ffn_w.size(); ++i) L.ffn_w.push_back(drawn(R.ffn_w[i])), L.ffn_b.push_back(drawn(R.ffn_b[i]));
    L.ln2_g = drawn(R.ln2_g), L.ln2_b = drawn(R.ln2_b);
    w.layers.push_back(std::move(L));
  }
  w.pool_w = drawn(r.pool_w), w.pool_b = drawn(r.pool_b);
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
  for (const auto& l : m.layers)
    if (l.attention() != m.hidden)
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
  // PyTorch Linear weights are out x in; the accelerator wants in x out.
  auto linear = [&](const std::string& name, uint64_t in, uint64_t out, std::vector<float>& original) {
    const std::vector<double> v = f.read(prefix + name, {out, in});
    std::vector<double> t(v.size());
    for (uint64_t o = 0; o < out; ++o)
      for (uint64_t i = 0; i < in; ++i) t[i * out + o] = v[o * in + i];
    return quantise(keep(t, original));
  };
  auto vec = [&](const std::string& name, uint64_t n, std::vector<float>& original) {
    return quantise(keep(f.read(prefix + name, {n}), original));
  };
  // LayerNorm parameters: "weight"/"bias", or the older "gamma"/"beta".
  auto ln = [&](const std::string& base, uint64_t n, bool gain, std::vector<float>& original) {
    const std::string modern = base + (gain ? ".weight" : ".bias"), old = base + (gain ? ".gamma" : ".beta");
    return vec(f.has(prefix + modern) || !f.has(prefix + old) ? modern : old, n, original);
  };
  const uint64_t H = m.hidden;
  w.word = WordEmbeddings(m.vocab, m.hidden, quantise(keep(f.read(prefix + "embeddings.word_embeddings.weight", {m.vocab, H}), fv.word)));
  w.pos = quantise(keep(f.read(prefix + "embeddings.position_embeddings.weight", {m.max_positions, H}), fv.pos));
  w.type = quantise(keep(f.read(prefix + "embeddings.token_type_embeddings.weight", {m.type_vocab, H}), fv.type));
  w.emb_g = ln("embeddings.LayerNorm", H, true, fv.emb_g);
  w.emb_b = ln("embeddings.LayerNorm", H, false, fv.emb_b);
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const auto& s = m.layers[l];
    if (s.ffn.size() != 1) throw WeightsError("Hugging Face BERT layers have one intermediate size; layer " + std::to_string(l) + " has " + std::to_string(s.ffn.size()));
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    const uint64_t F = s.ffn[0];
    LayerWeights L;
    LayerTensors<float>& O = fv.layers[l];
    O.ffn_w.resize(2), O.ffn_b.resize(2);
    L.wq = linear(p + "attention.self.query.weight", H, H, O.wq);
    L.bq = vec(p + "attention.self.query.bias", H, O.bq);
    L.wk = linear(p + "attention.self.key.weight", H, H, O.wk);
    L.bk = vec(p + "attention.self.key.bias", H, O.bk);
    L.wv = linear(p + "attention.self.value.weight", H, H, O.wv);
    L.bv = vec(p + "attention.self.value.bias", H, O.bv);
    L.wo = linear(p + "attention.output.dense.weight", H, H, O.wo);
    L.bo = vec(p + "attention.output.dense.bias", H, O.bo);
    L.ln1_g = ln(p + "attention.output.LayerNorm", H, true, O.ln1_g);
    L.ln1_b = ln(p + "attention.output.LayerNorm", H, false, O.ln1_b);
    L.ffn_w = {linear(p + "intermediate.dense.weight", H, F, O.ffn_w[0]), linear(p + "output.dense.weight", F, H, O.ffn_w[1])};
    L.ffn_b = {vec(p + "intermediate.dense.bias", F, O.ffn_b[0]), vec(p + "output.dense.bias", H, O.ffn_b[1])};
    L.ln2_g = ln(p + "output.LayerNorm", H, true, O.ln2_g);
    L.ln2_b = ln(p + "output.LayerNorm", H, false, O.ln2_b);
    w.layers.push_back(std::move(L));
  }
  w.pool_w = linear("pooler.dense.weight", H, H, fv.pool_w);
  w.pool_b = vec("pooler.dense.bias", H, fv.pool_b);
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
  const uint64_t H = m.hidden;
  std::vector<std::pair<std::string, std::pair<std::vector<uint64_t>, std::vector<float>>>> tensors;
  auto add = [&](const std::string& name, std::vector<uint64_t> shape, const Tensor& t) {
    std::vector<float> f(t.size());
    for (size_t i = 0; i < t.size(); ++i) f[i] = static_cast<float>(fx::to_double(t[i]));
    tensors.push_back({"bert." + name, {std::move(shape), std::move(f)}});
  };
  auto add_linear = [&](const std::string& name, uint64_t in, uint64_t out, const Tensor& t) {  // back to out x in
    Tensor o(t.size());
    for (uint64_t i = 0; i < in; ++i)
      for (uint64_t j = 0; j < out; ++j) o[j * in + i] = t[i * out + j];
    add(name, {out, in}, o);
  };
  Tensor word(uint64_t{m.vocab} * H);
  for (uint32_t id = 0; id < m.vocab; ++id) w.word.row(id, &word[uint64_t{id} * H]);
  add("embeddings.word_embeddings.weight", {m.vocab, H}, word);
  add("embeddings.position_embeddings.weight", {m.max_positions, H}, w.pos);
  add("embeddings.token_type_embeddings.weight", {m.type_vocab, H}, w.type);
  add("embeddings.LayerNorm.weight", {H}, w.emb_g);
  add("embeddings.LayerNorm.bias", {H}, w.emb_b);
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const auto& L = w.layers[l];
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    const uint64_t F = m.layers[l].ffn.at(0);
    add_linear(p + "attention.self.query.weight", H, H, L.wq);
    add(p + "attention.self.query.bias", {H}, L.bq);
    add_linear(p + "attention.self.key.weight", H, H, L.wk);
    add(p + "attention.self.key.bias", {H}, L.bk);
    add_linear(p + "attention.self.value.weight", H, H, L.wv);
    add(p + "attention.self.value.bias", {H}, L.bv);
    add_linear(p + "attention.output.dense.weight", H, H, L.wo);
    add(p + "attention.output.dense.bias", {H}, L.bo);
    add(p + "attention.output.LayerNorm.weight", {H}, L.ln1_g);
    add(p + "attention.output.LayerNorm.bias", {H}, L.ln1_b);
    add_linear(p + "intermediate.dense.weight", H, F, L.ffn_w.at(0));
    add(p + "intermediate.dense.bias", {F}, L.ffn_b.at(0));
    add_linear(p + "output.dense.weight", F, H, L.ffn_w.at(1));
    add(p + "output.dense.bias", {H}, L.ffn_b.at(1));
    add(p + "output.LayerNorm.weight", {H}, L.ln2_g);
    add(p + "output.LayerNorm.bias", {H}, L.ln2_b);
  }
  add_linear("pooler.dense.weight", H, H, w.pool_w);
  add("pooler.dense.bias", {H}, w.pool_b);

  write_safetensors(path, tensors);
}

}  // namespace acc::bert
