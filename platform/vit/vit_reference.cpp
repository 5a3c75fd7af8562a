#include "vit_reference.hpp"

#include <algorithm>

#include "bert/float_ops.hpp"
#include "fixed_point.hpp"
#include "reference.hpp"

namespace acc::vit {

Output reference_forward(const Model& m, const Weights& w, const Options& o, const Tensor& patches) {
  const uint32_t H = m.encoder.hidden, N = m.patches(), R = m.tokens(), D = m.patch_dim();
  // Patch embedding (no pruning) into rows 1..N, the CLS token in row 0, then ADD the positions.
  const Tensor e = ref::matmul(patches, w.patch_w, N, D, H, false, false, 0, &w.patch_b);
  Tensor x(uint64_t{R} * H);
  std::copy(w.cls.begin(), w.cls.end(), x.begin());
  std::copy(e.begin(), e.end(), x.begin() + H);
  x = ref::add(w.pos, x);
  for (size_t l = 0; l < m.encoder.layers.size(); ++l) {
    const auto& s = m.encoder.layers[l];
    Tensor k, v;  // no cache: the rows attend to each other, unmasked
    gpt2::reference_preln_layer(x, R, H, s, o.nm_weights ? gpt2::nm_pruned(w.layers[l], s, H, o) : w.layers[l], o, k, v, false);
  }
  Output out;
  out.hidden = ref::layernorm(x, R, H, w.lnf_g, w.lnf_b, o.ln_eps);
  const Tensor cls(out.hidden.begin(), out.hidden.begin() + H);
  out.logits = ref::matmul(cls, w.head_w, 1, H, m.classes, false, false, 0, &w.head_b);
  return out;
}

FloatOutput float_forward(const Model& m, const Weights& w, const Options& o, double ln_eps, const Tensor& patches) {
  using namespace bert::float_ops;
  const uint64_t H = m.encoder.hidden, N = m.patches(), R = m.tokens(), D = m.patch_dim();
  const Vec pb = to_real(w.patch_b), pos = to_real(w.pos), cls = to_real(w.cls);
  const Vec e = linear(to_real(patches), to_real(w.patch_w), N, D, H, false, &pb, false, 0);
  Vec x(R * H);
  std::copy(cls.begin(), cls.end(), x.begin());
  std::copy(e.begin(), e.end(), x.begin() + H);
  for (uint64_t i = 0; i < x.size(); ++i) x[i] += pos[i];
  for (size_t l = 0; l < m.encoder.layers.size(); ++l) gpt2::float_preln_layer(x, R, H, m.encoder.layers[l], w.layers[l], o, ln_eps, false);
  FloatOutput out;
  out.hidden = layernorm(x, R, H, to_real(w.lnf_g), to_real(w.lnf_b), ln_eps);
  const Vec hb = to_real(w.head_b), h0(out.hidden.begin(), out.hidden.begin() + H);
  out.logits = linear(h0, to_real(w.head_w), 1, H, m.classes, false, &hb, false, 0);
  return out;
}

uint64_t image_macs(const Model& m) {
  const uint64_t H = m.encoder.hidden, R = m.tokens();
  uint64_t macs = uint64_t{m.patches()} * m.patch_dim() * H + H * m.classes;
  for (const auto& s : m.encoder.layers) {
    const uint64_t A = s.attention(), F = s.ffn.at(0);
    macs += R * H * A * 3 + 2 * R * R * A + R * A * H + 2 * R * H * F;
  }
  return macs;
}

}  // namespace acc::vit
