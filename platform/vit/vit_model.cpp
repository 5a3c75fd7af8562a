#include "vit_model.hpp"

#include <cmath>
#include <cstring>

#include "bert/inputs.hpp"
#include "bert/safetensors.hpp"
#include "fixed_point.hpp"
#include "gpt2/gpt2_model.hpp"
#include "input_file.hpp"

namespace acc::vit {

namespace {
struct Shape {
  const char* name;
  uint32_t layers, hidden, heads, ffn;
};
constexpr Shape kZoo[] = {{"vit-tiny", 12, 192, 3, 768}, {"deit-small", 12, 384, 6, 1536}, {"vit-base", 12, 768, 12, 3072}};

// A torch Linear's out x in as in x out, and back (the conv's [hidden, 3PP] is the same).
std::vector<double> transposed(const std::vector<double>& v, uint64_t rows, uint64_t cols) {
  std::vector<double> t(v.size());
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t c = 0; c < cols; ++c) t[c * rows + r] = v[r * cols + c];
  return t;
}
}  // namespace

std::vector<std::string> zoo_names() { return bert::zoo_table_names(kZoo); }

bool is_vit_model(const std::string& name) { return bert::zoo_table_entry(kZoo, name) != nullptr; }

Model zoo_model(const std::string& name, uint32_t layers) {
  const Shape* s = bert::zoo_table_entry(kZoo, name);
  if (!s) throw bert::unknown_zoo_model("ViT", name, zoo_names());
  Model m;
  bert::Model& e = m.encoder;
  e.name = name, e.hidden = s->hidden;
  e.vocab = 0, e.max_positions = m.tokens(), e.type_vocab = 0;
  e.ln_eps = 1e-12;
  for (uint32_t l = 0; l < s->layers; ++l) e.layers.push_back({s->heads, s->hidden / s->heads, {s->ffn}, 0, {}});
  m.encoder = e.truncated(layers);
  return m;
}

SyntheticRecipe synthetic_recipe(const Model& m) {
  const uint64_t H = m.encoder.hidden, D = m.patch_dim(), T = m.tokens(), C = m.classes;
  SyntheticRecipe r;
  r.patch_w = {"vit.embeddings.patch_embeddings.projection.weight", D * H, 1.0 / std::sqrt(double(D))};
  r.patch_b = {"vit.embeddings.patch_embeddings.projection.bias", H, 0.1};
  r.cls = {"vit.embeddings.cls_token", H, 0.5};
  r.pos = {"vit.embeddings.position_embeddings", T * H, 0.5};
  const auto& layers = m.encoder.layers;
  for (size_t l = 0; l < layers.size(); ++l) {
    const std::string p = "vit.encoder.layer." + std::to_string(l) + ".";
    const gpt2::PrelnNames names{p + "attention.attention.query.weight", p + "attention.attention.query.bias",
                                 p + "attention.attention.key.weight",   p + "attention.attention.key.bias",
                                 p + "attention.attention.value.weight", p + "attention.attention.value.bias",
                                 p + "attention.output.dense.weight",    p + "attention.output.dense.bias",
                                 p + "layernorm_before.weight",          p + "layernorm_before.bias",
                                 p + "intermediate.dense.weight",        p + "intermediate.dense.bias",
                                 p + "output.dense.weight",              p + "output.dense.bias",
                                 p + "layernorm_after.weight",           p + "layernorm_after.bias"};
    r.layers.push_back(gpt2::preln_layer_recipe(names, H, layers[l], layers.size()));
  }
  r.lnf_g = {"vit.layernorm.weight", H, 0.1, 1.0}, r.lnf_b = {"vit.layernorm.bias", H, 0.1};
  r.head_w = {"classifier.weight", H * C, 1.0 / std::sqrt(double(H))}, r.head_b = {"classifier.bias", C, 0.1};
  return r;
}

Weights synthetic_weights(const Model& m, uint64_t seed) {
  const SyntheticRecipe r = vit::synthetic_recipe(m);
  auto d = [seed](const bert::SyntheticTensor& t) { return bert::drawn(t, seed); };
  Weights w;
  w.origin = bert::synthetic_origin(seed);
  w.patch_w = d(r.patch_w), w.patch_b = d(r.patch_b), w.cls = d(r.cls), w.pos = d(r.pos);
  for (const auto& L : r.layers) w.layers.push_back(bert::drawn(L, seed));
  w.lnf_g = d(r.lnf_g), w.lnf_b = d(r.lnf_b), w.head_w = d(r.head_w), w.head_b = d(r.head_b);
  return w;
}

Weights load_safetensors(const Model& m, const std::string& path) {
  return vit::load_safetensors(m, open_input_bytes_as<bert::WeightsError>(path, "weights file"));
}

Weights load_safetensors(const Model& m, const InputBytes& in) {
  bert::SafetensorsFile f(in);
  const uint64_t H = m.encoder.hidden, D = m.patch_dim(), P = m.patch, C = m.classes;
  Weights w;
  w.origin = in.name();
  auto quantise = [&](const std::vector<double>& v) { return bert::quantised(v, w.saturated); };
  auto vec = [&](const std::string& name, uint64_t n) { return quantise(f.read(name, {n})); };
  // torch Linear: out x in, transposed to in x out; `by`: the query's fold.
  auto linear = [&](const std::string& name, uint64_t in_, uint64_t out, const std::vector<double>* by = nullptr) {
    std::vector<double> t = transposed(f.read(name, {out, in_}), out, in_);
    return quantise(by ? bert::divide_columns(t, *by) : t);
  };
  // The conv [hidden, 3, P, P] is [hidden, 3PP] row-major: a Linear's out x in.
  w.patch_w = quantise(transposed(f.read("vit.embeddings.patch_embeddings.projection.weight", {H, m.channels, P, P}), H, D));
  w.patch_b = vec("vit.embeddings.patch_embeddings.projection.bias", H);
  w.cls = quantise(f.read("vit.embeddings.cls_token", {1, 1, H}));
  w.pos = quantise(f.read("vit.embeddings.position_embeddings", {1, m.tokens(), H}));
  for (size_t l = 0; l < m.encoder.layers.size(); ++l) {
    const auto& s = m.encoder.layers[l];
    const uint64_t A = s.attention(), F = s.ffn.at(0);
    const std::string p = "vit.encoder.layer." + std::to_string(l) + ".";
    // The softmax's 1/sqrt(d) folded into the query's columns before rounding, as for BERT.
    const std::vector<double> fold = bert::query_scale_divisors(s);
    bert::LayerWeights L;
    L.wq = linear(p + "attention.attention.query.weight", H, A, &fold);
    L.bq = quantise(bert::divide_columns(f.read(p + "attention.attention.query.bias", {A}), fold));
    L.wk = linear(p + "attention.attention.key.weight", H, A), L.bk = vec(p + "attention.attention.key.bias", A);
    L.wv = linear(p + "attention.attention.value.weight", H, A), L.bv = vec(p + "attention.attention.value.bias", A);
    L.wo = linear(p + "attention.output.dense.weight", A, H), L.bo = vec(p + "attention.output.dense.bias", H);
    L.ln1_g = vec(p + "layernorm_before.weight", H), L.ln1_b = vec(p + "layernorm_before.bias", H);
    L.ffn_w = {linear(p + "intermediate.dense.weight", H, F), linear(p + "output.dense.weight", F, H)};
    L.ffn_b = {vec(p + "intermediate.dense.bias", F), vec(p + "output.dense.bias", H)};
    L.ln2_g = vec(p + "layernorm_after.weight", H), L.ln2_b = vec(p + "layernorm_after.bias", H);
    w.layers.push_back(std::move(L));
  }
  w.lnf_g = vec("vit.layernorm.weight", H), w.lnf_b = vec("vit.layernorm.bias", H);
  w.head_w = linear("classifier.weight", H, C), w.head_b = vec("classifier.bias", C);
  return w;
}

void save_safetensors(const Model& m, const Weights& w, const std::string& path) {
  const uint64_t H = m.encoder.hidden, D = m.patch_dim(), P = m.patch, C = m.classes;
  bert::NamedTensors tensors;
  auto add = [&](const std::string& name, std::vector<uint64_t> shape, const std::vector<double>& v) {
    tensors.push_back({name, {std::move(shape), std::vector<float>(v.begin(), v.end())}});
  };
  auto real = [](const Tensor& t, const std::vector<double>* times = nullptr) {
    std::vector<double> v(t.size());
    for (size_t i = 0; i < t.size(); ++i) v[i] = fx::to_double(t[i]) * (times ? (*times)[i % times->size()] : 1.0);
    return v;
  };
  auto linear = [&](const std::string& name, uint64_t in_, uint64_t out, const Tensor& t, const std::vector<double>* times = nullptr) {
    add(name, {out, in_}, transposed(real(t, times), in_, out));
  };
  add("vit.embeddings.patch_embeddings.projection.weight", {H, m.channels, P, P}, transposed(real(w.patch_w), D, H));
  add("vit.embeddings.patch_embeddings.projection.bias", {H}, real(w.patch_b));
  add("vit.embeddings.cls_token", {1, 1, H}, real(w.cls));
  add("vit.embeddings.position_embeddings", {1, m.tokens(), H}, real(w.pos));
  for (size_t l = 0; l < m.encoder.layers.size(); ++l) {
    const auto& s = m.encoder.layers[l];
    const auto& L = w.layers[l];
    const uint64_t A = s.attention(), F = s.ffn.at(0);
    const std::string p = "vit.encoder.layer." + std::to_string(l) + ".";
    const std::vector<double> unfold = bert::query_scale_divisors(s);  // x sqrt(d): the file's own query
    linear(p + "attention.attention.query.weight", H, A, L.wq, &unfold), add(p + "attention.attention.query.bias", {A}, real(L.bq, &unfold));
    linear(p + "attention.attention.key.weight", H, A, L.wk), add(p + "attention.attention.key.bias", {A}, real(L.bk));
    linear(p + "attention.attention.value.weight", H, A, L.wv), add(p + "attention.attention.value.bias", {A}, real(L.bv));
    linear(p + "attention.output.dense.weight", A, H, L.wo), add(p + "attention.output.dense.bias", {H}, real(L.bo));
    add(p + "layernorm_before.weight", {H}, real(L.ln1_g)), add(p + "layernorm_before.bias", {H}, real(L.ln1_b));
    linear(p + "intermediate.dense.weight", H, F, L.ffn_w.at(0)), add(p + "intermediate.dense.bias", {F}, real(L.ffn_b.at(0)));
    linear(p + "output.dense.weight", F, H, L.ffn_w.at(1)), add(p + "output.dense.bias", {H}, real(L.ffn_b.at(1)));
    add(p + "layernorm_after.weight", {H}, real(L.ln2_g)), add(p + "layernorm_after.bias", {H}, real(L.ln2_b));
  }
  add("vit.layernorm.weight", {H}, real(w.lnf_g)), add("vit.layernorm.bias", {H}, real(w.lnf_b));
  linear("classifier.weight", H, C, w.head_w), add("classifier.bias", {C}, real(w.head_b));
  bert::write_safetensors(path, tensors);
}

namespace {
// Pixels [batch, 3, S, S] (row-major) into batch x patches x (3 P P), quantised.
Images patchify(const Model& m, uint32_t batch, const std::vector<double>& pixels, const std::string& origin) {
  const uint64_t S = m.image, P = m.patch, G = S / P, D = m.patch_dim(), N = m.patches(), Ch = m.channels;
  Images im;
  im.batch = batch, im.origin = origin;
  std::vector<double> v(uint64_t{batch} * N * D);
  for (uint64_t b = 0; b < batch; ++b)
    for (uint64_t c = 0; c < Ch; ++c)
      for (uint64_t y = 0; y < S; ++y)
        for (uint64_t x = 0; x < S; ++x) {
          const uint64_t n = (y / P) * G + x / P, e = c * P * P + (y % P) * P + x % P;
          v[(b * N + n) * D + e] = pixels[((b * Ch + c) * S + y) * S + x];
        }
  im.patches = bert::quantised(v, im.saturated);
  return im;
}
}  // namespace

Images synthetic_images(const Model& m, uint32_t batch, uint64_t seed) {
  const uint64_t n = uint64_t{batch} * m.channels * m.image * m.image;
  Tensor t(n);
  bert::SyntheticTensor{"pixel_values", n, 0.5, 0}.draw(seed, t.data());
  std::vector<double> v(n);
  for (uint64_t i = 0; i < n; ++i) v[i] = fx::to_double(t[i]);
  return patchify(m, batch, v, bert::synthetic_origin(seed));
}

Images images_from_npy(const Model& m, const std::string& path) {
  return images_from_npy(m, open_input_bytes_as<bert::InputError>(path, "image file"));
}

Images images_from_npy(const Model& m, const InputBytes& in) {
  const std::string& path = in.name();
  const bert::NpyArray a = bert::read_npy_array(in, "image pixels");
  std::vector<uint64_t> shape = a.shape;
  if (shape.size() == 3) shape.insert(shape.begin(), 1);
  const uint64_t S = m.image;
  std::string got;
  for (uint64_t d : a.shape) got += (got.empty() ? "" : ", ") + std::to_string(d);
  const std::string want = "[3, " + std::to_string(S) + ", " + std::to_string(S) + "] or [batch, 3, " + std::to_string(S) + ", " + std::to_string(S) + "]";
  if (shape.size() != 4 || shape[0] == 0 || shape[1] != m.channels || shape[2] != S || shape[3] != S) {
    const bool channels_last = shape.size() == 4 && shape[3] == m.channels && shape[1] == S;
    throw bert::InputError(path + ": image shape [" + got + "]; " + m.encoder.name + " takes channels first, " + want +
                           (channels_last ? " (this looks channels-last: transpose it to [3, H, W])" : ""));
  }
  const uint64_t width = a.f8 ? 8 : 4, per_image = m.channels * S * S;
  if (shape[0] > (in.size() - a.data_offset) / (per_image * width)) throw bert::InputError(path + ": the shape needs more data than the file holds (truncated)");
  const uint64_t n = shape[0] * per_image;
  std::vector<char> raw(n * width);
  if (!in.read(a.data_offset, raw.data(), raw.size())) throw bert::InputError(path + ": truncated data");
  std::vector<double> v(n);
  for (uint64_t i = 0; i < n; ++i) {
    if (a.f8) {
      std::memcpy(&v[i], &raw[i * 8], 8);
    } else {
      float f;
      std::memcpy(&f, &raw[i * 4], 4);
      v[i] = f;
    }
    if (!std::isfinite(v[i])) throw bert::InputError(path + ": element " + std::to_string(i) + " is not finite");
  }
  return patchify(m, static_cast<uint32_t>(shape[0]), v, path);
}

}  // namespace acc::vit
