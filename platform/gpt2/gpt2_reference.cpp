#include "gpt2_reference.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "bert/float_ops.hpp"
#include "fixed_point.hpp"
#include "reference.hpp"

namespace acc::gpt2 {

bert::LayerWeights nm_pruned(bert::LayerWeights L, const bert::LayerShape& s, uint32_t H, const Options& o) {
  const uint32_t A = s.attention(), F = s.ffn.at(0);
  auto nm = [&](Tensor& t, uint32_t k, uint32_t n) { t = ref::nm_weights(t, k, n, o.nm_n, o.nm_m); };
  nm(L.wq, H, A), nm(L.wk, H, A), nm(L.wv, H, A), nm(L.wo, A, H), nm(L.ffn_w[0], H, F), nm(L.ffn_w[1], F, H);
  return L;
}

ReferenceDecoder::ReferenceDecoder(const Model& m, const Weights& w, const Options& o) : m_(m), w_(w), o_(o), k_(m.layers.size()), v_(m.layers.size()) {
  if (!o.nm_weights) return;
  for (size_t l = 0; l < m.layers.size(); ++l) pruned_.push_back(nm_pruned(w.layers[l], m.layers[l], m.hidden, o));
}

void reference_preln_layer(Tensor& x, uint32_t R, uint32_t H, const bert::LayerShape& s, const bert::LayerWeights& L, const Options& o,
                           Tensor& k_cache, Tensor& v_cache, bool causal) {
  const bool pr = o.dynatran;
  const int32_t tau = o.tau;
  const unsigned nm_n = o.nm_act ? o.nm_n : 0, nm_m = o.nm_m;
  const auto none = ref::Act::None;
  const uint32_t A = s.attention(), d = s.head_dim, F = s.ffn.at(0);
  Tensor a = ref::layernorm(x, R, H, L.ln1_g, L.ln1_b, o.ln_eps);
  const Tensor q = ref::matmul(a, L.wq, R, H, A, false, pr, tau, &L.bq, none, nm_n, nm_m);
  const Tensor k = ref::matmul(a, L.wk, R, H, A, false, pr, tau, &L.bk, none, nm_n, nm_m);
  const Tensor v = ref::matmul(a, L.wv, R, H, A, false, pr, tau, &L.bv);
  k_cache.insert(k_cache.end(), k.begin(), k.end());  // the cache: positions 0 .. N - 1
  v_cache.insert(v_cache.end(), v.begin(), v.end());
  const uint32_t N = static_cast<uint32_t>(k_cache.size() / A);
  Tensor ctx(uint64_t{R} * A);
  // Scale 1: the query words carry 1/sqrt(d) (bert::query_scale_divisors).
  ref::SoftmaxParams sp{N, static_cast<int32_t>(fx::from_double(1.0)), o.topk, o.topk_exact, pr, tau};
  sp.causal = causal;
  for (uint32_t h = 0; h < s.heads; ++h) {
    const Tensor qh = columns(q, R, A, h * d, d), kh = columns(k_cache, N, A, h * d, d), vh = columns(v_cache, N, A, h * d, d);
    const Tensor scores = ref::matmul(qh, kh, R, d, N, true, pr, tau);
    const Tensor p = ref::softmax(scores, R, N, sp);
    put_columns(ctx, R, A, h * d, ref::matmul(p, vh, R, N, d, false, pr, tau, nullptr, none, nm_n, nm_m), d);
  }
  x = ref::add(ref::matmul(ctx, L.wo, R, A, H, false, pr, tau, &L.bo), x);
  a = ref::layernorm(x, R, H, L.ln2_g, L.ln2_b, o.ln_eps);
  const Tensor f = ref::matmul(a, L.ffn_w[0], R, H, F, false, pr, tau, &L.ffn_b[0], ref::Act::Gelu, nm_n, nm_m);
  x = ref::add(ref::matmul(f, L.ffn_w[1], R, F, H, false, pr, tau, &L.ffn_b[1]), x);
}

ReferenceDecoder::Step ReferenceDecoder::run(const std::vector<uint32_t>& ids) {
  const uint32_t H = m_.hidden, R = static_cast<uint32_t>(ids.size()), p0 = cached_, N = p0 + R;
  // Embeddings: the token rows plus the position rows (ADD t + x).
  Tensor x(uint64_t{R} * H), pos(w_.wpe.begin() + uint64_t{p0} * H, w_.wpe.begin() + uint64_t{N} * H);
  for (uint32_t r = 0; r < R; ++r) std::copy_n(w_.wte.begin() + uint64_t{ids[r]} * H, H, x.begin() + uint64_t{r} * H);
  x = ref::add(pos, x);
  for (size_t l = 0; l < m_.layers.size(); ++l)
    reference_preln_layer(x, R, H, m_.layers[l], o_.nm_weights ? pruned_[l] : w_.layers[l], o_, k_[l], v_[l], true);
  cached_ = N;
  Step out;
  out.hidden = ref::layernorm(x, R, H, w_.lnf_g, w_.lnf_b, o_.ln_eps);
  const Tensor last(out.hidden.end() - H, out.hidden.end());
  out.logits = ref::matmul(last, w_.wte, 1, H, m_.vocab, true);  // the tied LM head: h . wte^T
  return out;
}

uint32_t greedy(const Tensor& logits) {
  uint32_t best = 0;
  for (uint32_t j = 1; j < logits.size(); ++j)
    if (logits[j] > logits[best]) best = j;
  return best;
}

void float_preln_layer(std::vector<double>& x, uint64_t N, uint64_t H, const bert::LayerShape& s, const bert::LayerWeights& L, const Options& o,
                       double ln_eps, bool causal) {
  using namespace bert::float_ops;
  const bool pr = o.dynatran;
  const double tau = fx::to_double(o.tau);
  const unsigned nm_n = o.nm_act ? o.nm_n : 0, nm_m = o.nm_m;
  auto weight = [&](const Tensor& t, uint64_t k, uint64_t n) { return o.nm_weights ? nm_columns(to_real(t), k, n, o.nm_n, o.nm_m) : to_real(t); };
  const uint64_t A = s.attention(), d = s.head_dim, F = s.ffn.at(0);
  const Vec bq = to_real(L.bq), bk = to_real(L.bk), bv = to_real(L.bv), bo = to_real(L.bo), b1 = to_real(L.ffn_b[0]), b2 = to_real(L.ffn_b[1]);
  Vec a = layernorm(x, N, H, to_real(L.ln1_g), to_real(L.ln1_b), ln_eps);
  const Vec q = linear(a, weight(L.wq, H, A), N, H, A, false, &bq, pr, tau, 0, nm_n, nm_m);
  const Vec k = linear(a, weight(L.wk, H, A), N, H, A, false, &bk, pr, tau, 0, nm_n, nm_m);
  const Vec v = linear(a, weight(L.wv, H, A), N, H, A, false, &bv, pr, tau);
  Vec ctx(N * A);
  for (uint64_t h = 0; h < s.heads; ++h) {
    const Vec qh = columns(q, N, A, h * d, d), kh = columns(k, N, A, h * d, d), vh = columns(v, N, A, h * d, d);
    Vec p = linear(qh, kh, N, d, N, true, nullptr, pr, tau);
    for (uint64_t i = 0; i < N; ++i)  // causal: row i sees positions 0 .. i; Q carries 1/sqrt(d)
      softmax_row(&p[i * N], N, causal ? i + 1 : N, 1.0, o.topk, o.topk_exact, pr, tau);
    put_columns(ctx, N, A, h * d, linear(p, vh, N, N, d, false, nullptr, pr, tau, 0, nm_n, nm_m), d);
  }
  const Vec o1 = linear(ctx, weight(L.wo, A, H), N, A, H, false, &bo, pr, tau);
  for (uint64_t i = 0; i < x.size(); ++i) x[i] += o1[i];
  a = layernorm(x, N, H, to_real(L.ln2_g), to_real(L.ln2_b), ln_eps);
  const Vec f = linear(a, weight(L.ffn_w[0], H, F), N, H, F, false, &b1, pr, tau, 1, nm_n, nm_m);
  const Vec o2 = linear(f, weight(L.ffn_w[1], F, H), N, F, H, false, &b2, pr, tau);
  for (uint64_t i = 0; i < x.size(); ++i) x[i] += o2[i];
}

FloatRun float_decoder(const Model& m, const Weights& w, const Options& o, double ln_eps, const std::vector<uint32_t>& ids,
                       uint32_t first_logits) {
  using namespace bert::float_ops;
  const uint64_t H = m.hidden, N = ids.size();
  Vec x(N * H);
  for (uint64_t r = 0; r < N; ++r)
    for (uint64_t c = 0; c < H; ++c) x[r * H + c] = fx::to_double(w.wte[ids[r] * H + c]) + fx::to_double(w.wpe[r * H + c]);
  for (size_t l = 0; l < m.layers.size(); ++l) float_preln_layer(x, N, H, m.layers[l], w.layers[l], o, ln_eps, true);
  FloatRun out;
  out.hidden = layernorm(x, N, H, to_real(w.lnf_g), to_real(w.lnf_b), ln_eps);
  const Vec wte = to_real(w.wte);
  for (uint64_t r = first_logits; r < N; ++r) {  // the tied LM head, one dot product per vocabulary row
    const double* h = &out.hidden[r * H];
    std::vector<double> logits(m.vocab);
    for (uint64_t j = 0; j < m.vocab; ++j) {
      double sum = 0;
      for (uint64_t c = 0; c < H; ++c) sum += h[c] * wte[j * H + c];
      logits[j] = sum;
    }
    out.logits.push_back(std::move(logits));
  }
  return out;
}

uint64_t step_macs(const Model& m, uint64_t rows, uint64_t cached) {
  const uint64_t H = m.hidden;
  uint64_t macs = 0;
  for (const auto& s : m.layers) {
    const uint64_t A = s.attention(), F = s.ffn.at(0);
    const uint64_t scores = rows * (cached + rows);  // dense: every row against every position of the step (masked ones too)
    macs += rows * H * A * 3 + 2 * scores * A + rows * A * H + 2 * rows * H * F;
  }
  return macs + H * m.vocab;
}

}  // namespace acc::gpt2
