#include "gpt2_model.hpp"

#include <cmath>
#include <fstream>

#include "bert/safetensors.hpp"
#include "bert/weights.hpp"
#include "fixed_point.hpp"
#include "input_file.hpp"

namespace acc::gpt2 {

namespace {
struct Shape {
  const char* name;
  uint32_t layers, hidden, heads;
};
// Hugging Face's gpt2 and gpt2-medium configs (n_layer, n_embd, n_head; n_inner = 4 n_embd,
// vocab_size 50257, n_positions 1024, layer_norm_epsilon 1e-5); gpt2-tiny is bert-tiny's shape.
constexpr Shape kZoo[] = {{"gpt2-tiny", 2, 128, 2}, {"gpt2", 12, 768, 12}, {"gpt2-medium", 24, 1024, 16}};
}  // namespace

std::vector<std::string> zoo_names() { return bert::zoo_table_names(kZoo); }

bool is_gpt2_model(const std::string& name) { return bert::zoo_table_entry(kZoo, name) != nullptr; }

Model zoo_model(const std::string& name) {
  const Shape* s = bert::zoo_table_entry(kZoo, name);
  if (!s) throw bert::unknown_zoo_model("GPT-2", name, zoo_names());
  Model m;
  m.name = name;
  m.hidden = s->hidden;
  m.vocab = 50257, m.max_positions = 1024, m.type_vocab = 0;
  m.ln_eps = 1e-5;
  for (uint32_t l = 0; l < s->layers; ++l) m.layers.push_back({s->heads, s->hidden / s->heads, {4 * s->hidden}, 0, {}});
  return m;
}

bert::LayerFields<bert::SyntheticTensor> preln_layer_recipe(const PrelnNames& n, uint64_t H, const bert::LayerShape& s, size_t layers) {
  const uint64_t A = s.attention(), F = s.ffn.at(0);
  // The query words carry the softmax's 1/sqrt(d), as BERT's (bert::query_scale_divisors): query
  // and key weights give the scores, which are the logits, a std of about 1, well within the format.
  const double qk = 1.0 / std::sqrt(std::sqrt(double(s.head_dim))) / std::sqrt(double(H));
  // The residual branches' outputs scaled down (GPT-2's 1/sqrt(2 n_layer) idea): the residual
  // stream grows slowly over the layers.
  const double branch = 1.0 / std::sqrt(2.0 * double(layers));
  bert::LayerFields<bert::SyntheticTensor> L;
  L.wq = {n.wq, H * A, qk}, L.bq = {n.bq, A, 0.1};
  L.wk = {n.wk, H * A, qk}, L.bk = {n.bk, A, 0.1};
  L.wv = {n.wv, H * A, 1.0 / std::sqrt(double(H))}, L.bv = {n.bv, A, 0.1};
  L.wo = {n.wo, A * H, branch / std::sqrt(double(A))}, L.bo = {n.bo, H, 0.05};
  L.ln1_g = {n.ln1_g, H, 0.1, 1.0}, L.ln1_b = {n.ln1_b, H, 0.1};
  L.ffn_w = {{n.fc_w, H * F, 1.0 / std::sqrt(double(H))}, {n.proj_w, F * H, branch / std::sqrt(double(F))}};
  L.ffn_b = {{n.fc_b, F, 0.1}, {n.proj_b, H, 0.05}};
  L.ln2_g = {n.ln2_g, H, 0.1, 1.0}, L.ln2_b = {n.ln2_b, H, 0.1};
  return L;
}

SyntheticRecipe synthetic_recipe(const Model& m) {
  const uint64_t H = m.hidden;
  SyntheticRecipe r;
  // wte ~ 1/sqrt(H): a layer-normed row's logits have about unit variance.
  r.wte = {"wte.weight", uint64_t{m.vocab} * H, 1.0 / std::sqrt(double(H))};
  r.wpe = {"wpe.weight", uint64_t{m.max_positions} * H, 0.5};
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const std::string p = "h." + std::to_string(l) + ".";
    const PrelnNames names{p + "attn.c_attn.weight/q", p + "attn.c_attn.bias/q", p + "attn.c_attn.weight/k", p + "attn.c_attn.bias/k",
                           p + "attn.c_attn.weight/v", p + "attn.c_attn.bias/v", p + "attn.c_proj.weight",   p + "attn.c_proj.bias",
                           p + "ln_1.weight",          p + "ln_1.bias",          p + "mlp.c_fc.weight",      p + "mlp.c_fc.bias",
                           p + "mlp.c_proj.weight",    p + "mlp.c_proj.bias",    p + "ln_2.weight",          p + "ln_2.bias"};
    r.layers.push_back(preln_layer_recipe(names, H, m.layers[l], m.layers.size()));
  }
  r.lnf_g = {"ln_f.weight", H, 0.1, 1.0}, r.lnf_b = {"ln_f.bias", H, 0.1};
  return r;
}

Weights synthetic_weights(const Model& m, uint64_t seed) {
  const SyntheticRecipe r = gpt2::synthetic_recipe(m);  // qualified: bert's is found too (gpt2::Model is bert's)
  Weights w;
  w.origin = bert::synthetic_origin(seed);
  w.wte = bert::drawn(r.wte, seed), w.wpe = bert::drawn(r.wpe, seed);
  for (const auto& L : r.layers) w.layers.push_back(bert::drawn(L, seed));
  w.lnf_g = bert::drawn(r.lnf_g, seed), w.lnf_b = bert::drawn(r.lnf_b, seed);
  return w;
}

Weights load_safetensors(const Model& m, const std::string& path) {
  return gpt2::load_safetensors(m, open_input_bytes_as<bert::WeightsError>(path, "weights file"));
}

Weights load_safetensors(const Model& m, const InputBytes& in) {
  bert::SafetensorsFile f(in);
  const std::string prefix = f.has("transformer.wte.weight") ? "transformer." : "";
  const uint64_t H = m.hidden;
  Weights w;
  w.origin = in.name();
  auto quantise = [&](const std::vector<double>& v) { return bert::quantised(v, w.saturated); };
  auto read = [&](const std::string& name, std::vector<uint64_t> shape) { return quantise(f.read(prefix + name, shape)); };
  // Conv1D weights are in x out already; c_attn's columns are Q, then K, then V.
  auto columns = [](const Tensor& t, uint64_t rows, uint64_t cols, uint64_t c0, uint64_t n) {
    Tensor out(rows * n);
    for (uint64_t r = 0; r < rows; ++r)
      for (uint64_t c = 0; c < n; ++c) out[r * n + c] = t[r * cols + c0 + c];
    return out;
  };
  w.wte = read("wte.weight", {m.vocab, H});
  w.wpe = read("wpe.weight", {m.max_positions, H});
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const auto& s = m.layers[l];
    if (s.attention() != H) throw bert::WeightsError("GPT-2 weights need heads x head_dim = hidden");
    const uint64_t F = s.ffn.at(0);
    const std::string p = "h." + std::to_string(l) + ".";
    bert::LayerWeights L;
    // The softmax's 1/sqrt(d) folded into the query's columns before rounding, as for BERT.
    std::vector<double> fold = bert::query_scale_divisors(s);
    fold.resize(3 * H, 1.0);
    const Tensor attn = quantise(bert::divide_columns(f.read(prefix + p + "attn.c_attn.weight", {H, 3 * H}), fold));
    const Tensor attn_b = quantise(bert::divide_columns(f.read(prefix + p + "attn.c_attn.bias", {3 * H}), fold));
    L.wq = columns(attn, H, 3 * H, 0, H), L.wk = columns(attn, H, 3 * H, H, H), L.wv = columns(attn, H, 3 * H, 2 * H, H);
    L.bq = columns(attn_b, 1, 3 * H, 0, H), L.bk = columns(attn_b, 1, 3 * H, H, H), L.bv = columns(attn_b, 1, 3 * H, 2 * H, H);
    L.wo = read(p + "attn.c_proj.weight", {H, H}), L.bo = read(p + "attn.c_proj.bias", {H});
    L.ln1_g = read(p + "ln_1.weight", {H}), L.ln1_b = read(p + "ln_1.bias", {H});
    L.ffn_w = {read(p + "mlp.c_fc.weight", {H, F}), read(p + "mlp.c_proj.weight", {F, H})};
    L.ffn_b = {read(p + "mlp.c_fc.bias", {F}), read(p + "mlp.c_proj.bias", {H})};
    L.ln2_g = read(p + "ln_2.weight", {H}), L.ln2_b = read(p + "ln_2.bias", {H});
    w.layers.push_back(std::move(L));
  }
  w.lnf_g = read("ln_f.weight", {H}), w.lnf_b = read("ln_f.bias", {H});
  return w;
}

void save_safetensors(const Model& m, const Weights& w, const std::string& path, bool prefix) {
  const uint64_t H = m.hidden;
  std::vector<std::pair<std::string, std::pair<std::vector<uint64_t>, std::vector<float>>>> tensors;
  // times: column j (of the last dimension) times times[j]: c_attn's query unfolded (x sqrt(d)).
  auto add = [&](const std::string& name, std::vector<uint64_t> shape, const Tensor& t, const std::vector<double>* times = nullptr) {
    std::vector<float> v(t.size());
    for (size_t i = 0; i < t.size(); ++i) v[i] = static_cast<float>(fx::to_double(t[i]) * (times ? (*times)[i % times->size()] : 1.0));
    tensors.push_back({(prefix ? "transformer." : "") + name, {std::move(shape), std::move(v)}});
  };
  add("wte.weight", {m.vocab, H}, w.wte);
  add("wpe.weight", {m.max_positions, H}, w.wpe);
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const auto& L = w.layers[l];
    const std::string p = "h." + std::to_string(l) + ".";
    const uint64_t F = m.layers[l].ffn.at(0);
    Tensor attn(H * 3 * H), attn_b(3 * H);
    for (uint64_t r = 0; r < H; ++r)
      for (uint64_t c = 0; c < H; ++c)
        attn[r * 3 * H + c] = L.wq[r * H + c], attn[r * 3 * H + H + c] = L.wk[r * H + c], attn[r * 3 * H + 2 * H + c] = L.wv[r * H + c];
    for (uint64_t c = 0; c < H; ++c) attn_b[c] = L.bq[c], attn_b[H + c] = L.bk[c], attn_b[2 * H + c] = L.bv[c];
    add(p + "ln_1.weight", {H}, L.ln1_g), add(p + "ln_1.bias", {H}, L.ln1_b);
    std::vector<double> unfold = bert::query_scale_divisors(m.layers[l]);
    unfold.resize(3 * H, 1.0);
    add(p + "attn.c_attn.weight", {H, 3 * H}, attn, &unfold), add(p + "attn.c_attn.bias", {3 * H}, attn_b, &unfold);
    add(p + "attn.c_proj.weight", {H, H}, L.wo), add(p + "attn.c_proj.bias", {H}, L.bo);
    add(p + "ln_2.weight", {H}, L.ln2_g), add(p + "ln_2.bias", {H}, L.ln2_b);
    add(p + "mlp.c_fc.weight", {H, F}, L.ffn_w.at(0)), add(p + "mlp.c_fc.bias", {F}, L.ffn_b.at(0));
    add(p + "mlp.c_proj.weight", {F, H}, L.ffn_w.at(1)), add(p + "mlp.c_proj.bias", {H}, L.ffn_b.at(1));
  }
  add("ln_f.weight", {H}, w.lnf_g), add("ln_f.bias", {H}, w.lnf_b);
  bert::write_safetensors(path, tensors);
}

}  // namespace acc::gpt2
