#include "vit_reference.hpp"

#include <algorithm>

#include "bert/float_ops.hpp"
#include "fixed_point.hpp"
#include "reference.hpp"

namespace acc::vit {

using gpt2::columns;
using gpt2::put_columns;

Output reference_forward(const Model& m, const Weights& w, const Options& o, const Tensor& patches) {
  const uint32_t H = m.encoder.hidden, N = m.patches(), R = m.tokens(), D = m.patch_dim();
  const bool pr = o.dynatran;
  const int32_t tau = o.tau;
  const unsigned nm_n = o.nm_act ? o.nm_n : 0, nm_m = o.nm_m;
  const auto none = ref::Act::None;
  // Patch embedding (no pruning) into rows 1..N, the CLS token in row 0, then ADD the positions.
  const Tensor e = ref::matmul(patches, w.patch_w, N, D, H, false, false, 0, &w.patch_b);
  Tensor x(uint64_t{R} * H);
  std::copy(w.cls.begin(), w.cls.end(), x.begin());
  std::copy(e.begin(), e.end(), x.begin() + H);
  x = ref::add(w.pos, x);
  for (size_t l = 0; l < m.encoder.layers.size(); ++l) {
    const auto& s = m.encoder.layers[l];
    bert::LayerWeights L = w.layers[l];
    const uint32_t A = s.attention(), d = s.head_dim, F = s.ffn.at(0);
    if (o.nm_weights) {  // the accelerator reads N:M-compressed weights
      auto nm = [&](Tensor& t, uint32_t k, uint32_t n) { t = ref::nm_weights(t, k, n, o.nm_n, o.nm_m); };
      nm(L.wq, H, A), nm(L.wk, H, A), nm(L.wv, H, A), nm(L.wo, A, H), nm(L.ffn_w[0], H, F), nm(L.ffn_w[1], F, H);
    }
    Tensor a = ref::layernorm(x, R, H, L.ln1_g, L.ln1_b, o.ln_eps);
    const Tensor q = ref::matmul(a, L.wq, R, H, A, false, pr, tau, &L.bq, none, nm_n, nm_m);
    const Tensor k = ref::matmul(a, L.wk, R, H, A, false, pr, tau, &L.bk, none, nm_n, nm_m);
    const Tensor v = ref::matmul(a, L.wv, R, H, A, false, pr, tau, &L.bv);
    Tensor ctx(uint64_t{R} * A);
    // Scale 1: the query words carry 1/sqrt(d) (bert::query_scale_divisors); no mask.
    const ref::SoftmaxParams sp{R, static_cast<int32_t>(fx::from_double(1.0)), o.topk, o.topk_exact, pr, tau};
    for (uint32_t h = 0; h < s.heads; ++h) {
      const Tensor qh = columns(q, R, A, h * d, d), kh = columns(k, R, A, h * d, d), vh = columns(v, R, A, h * d, d);
      const Tensor p = ref::softmax(ref::matmul(qh, kh, R, d, R, true, pr, tau), R, R, sp);
      put_columns(ctx, R, A, h * d, ref::matmul(p, vh, R, R, d, false, pr, tau, nullptr, none, nm_n, nm_m), d);
    }
    x = ref::add(ref::matmul(ctx, L.wo, R, A, H, false, pr, tau, &L.bo), x);
    a = ref::layernorm(x, R, H, L.ln2_g, L.ln2_b, o.ln_eps);
    const Tensor f = ref::matmul(a, L.ffn_w[0], R, H, F, false, pr, tau, &L.ffn_b[0], ref::Act::Gelu, nm_n, nm_m);
    x = ref::add(ref::matmul(f, L.ffn_w[1], R, F, H, false, pr, tau, &L.ffn_b[1]), x);
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
  const bool pr = o.dynatran;
  const double tau = fx::to_double(o.tau);
  const unsigned nm_n = o.nm_act ? o.nm_n : 0, nm_m = o.nm_m;
  auto weight = [&](const Tensor& t, uint64_t k, uint64_t n) { return o.nm_weights ? nm_columns(to_real(t), k, n, o.nm_n, o.nm_m) : to_real(t); };
  const Vec pb = to_real(w.patch_b), pos = to_real(w.pos), cls = to_real(w.cls);
  const Vec e = linear(to_real(patches), to_real(w.patch_w), N, D, H, false, &pb, false, 0);
  Vec x(R * H);
  std::copy(cls.begin(), cls.end(), x.begin());
  std::copy(e.begin(), e.end(), x.begin() + H);
  for (uint64_t i = 0; i < x.size(); ++i) x[i] += pos[i];
  for (size_t l = 0; l < m.encoder.layers.size(); ++l) {
    const auto& s = m.encoder.layers[l];
    const auto& L = w.layers[l];
    const uint64_t A = s.attention(), d = s.head_dim, F = s.ffn.at(0);
    const Vec bq = to_real(L.bq), bk = to_real(L.bk), bv = to_real(L.bv), bo = to_real(L.bo), b1 = to_real(L.ffn_b[0]), b2 = to_real(L.ffn_b[1]);
    Vec a = layernorm(x, R, H, to_real(L.ln1_g), to_real(L.ln1_b), ln_eps);
    const Vec q = linear(a, weight(L.wq, H, A), R, H, A, false, &bq, pr, tau, 0, nm_n, nm_m);
    const Vec k = linear(a, weight(L.wk, H, A), R, H, A, false, &bk, pr, tau, 0, nm_n, nm_m);
    const Vec v = linear(a, weight(L.wv, H, A), R, H, A, false, &bv, pr, tau);
    Vec ctx(R * A);
    for (uint64_t h = 0; h < s.heads; ++h) {
      const Vec qh = columns(q, R, A, h * d, d), kh = columns(k, R, A, h * d, d), vh = columns(v, R, A, h * d, d);
      Vec p = linear(qh, kh, R, d, R, true, nullptr, pr, tau);
      for (uint64_t i = 0; i < R; ++i) softmax_row(&p[i * R], R, R, 1.0, o.topk, o.topk_exact, pr, tau);  // Q carries 1/sqrt(d)
      put_columns(ctx, R, A, h * d, linear(p, vh, R, R, d, false, nullptr, pr, tau, 0, nm_n, nm_m), d);
    }
    const Vec o1 = linear(ctx, weight(L.wo, A, H), R, A, H, false, &bo, pr, tau);
    for (uint64_t i = 0; i < x.size(); ++i) x[i] += o1[i];
    a = layernorm(x, R, H, to_real(L.ln2_g), to_real(L.ln2_b), ln_eps);
    const Vec f = linear(a, weight(L.ffn_w[0], H, F), R, H, F, false, &b1, pr, tau, 1, nm_n, nm_m);
    const Vec o2 = linear(f, weight(L.ffn_w[1], F, H), R, F, H, false, &b2, pr, tau);
    for (uint64_t i = 0; i < x.size(); ++i) x[i] += o2[i];
  }
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
