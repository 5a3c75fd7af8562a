#include "bert_reference.hpp"

#include "float_ops.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "fixed_point.hpp"
#include "reference.hpp"

namespace acc::bert {

namespace {

// Rows [r0, r0+rows) and columns [c0, c0+cols) of a matrix with `ld` columns.
template <typename T>
std::vector<T> block(const std::vector<T>& x, uint64_t ld, uint64_t r0, uint64_t rows, uint64_t c0, uint64_t cols) {
  std::vector<T> out(rows * cols);
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t c = 0; c < cols; ++c) out[r * cols + c] = x[(r0 + r) * ld + c0 + c];
  return out;
}
template <typename T>
void put_block(std::vector<T>& x, uint64_t ld, uint64_t r0, uint64_t c0, const std::vector<T>& b, uint64_t rows, uint64_t cols) {
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t c = 0; c < cols; ++c) x[(r0 + r) * ld + c0 + c] = b[r * cols + c];
}

}  // namespace

Outputs reference_forward(const Model& m, const Weights& w, const Inputs& in, const RunOptions& o) {
  const uint32_t S = in.seq, B = in.batch, H = m.hidden, R = B * S;
  const bool pr = o.dynatran;
  Tensor x;
  if (in.from_tokens) {
    // Position + type-0 embedding of each position, then word + that, then layer norm.
    const Tensor pos(w.pos.begin(), w.pos.begin() + uint64_t{S} * H);
    Tensor type0(uint64_t{S} * H);
    for (uint32_t t = 0; t < S; ++t) std::copy(w.type.begin(), w.type.begin() + H, type0.begin() + uint64_t{t} * H);
    const Tensor pos_type = ref::add(pos, type0);
    Tensor word(uint64_t{R} * H);
    for (uint32_t r = 0; r < R; ++r) w.word.row(in.tokens[r], &word[uint64_t{r} * H]);
    Tensor pos_all(uint64_t{R} * H);
    for (uint32_t b = 0; b < B; ++b) std::copy(pos_type.begin(), pos_type.end(), pos_all.begin() + uint64_t{b} * S * H);
    x = ref::layernorm(ref::add(word, pos_all), R, H, w.emb_g, w.emb_b, o.ln_eps);
  } else {
    x = in.embeddings;
  }
  const PruningOptions& P = o.pruning;
  auto weight = [&](const Tensor& t, uint32_t k, uint32_t n) { return P.nm_weights ? ref::nm_weights(t, k, n, P.nm_n, P.nm_m) : t; };
  const unsigned nm_n = P.nm_act ? P.nm_n : 0, nm_m = P.nm_m;
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const LayerShape& s = m.layers[l];
    const LayerWeights& L = w.layers[l];
    const uint32_t d = s.head_dim, A = s.attention();
    const int32_t scale = fx::from_double(1.0 / std::sqrt(double(d)));
    const auto none = ref::Act::None;
    const Tensor q = ref::matmul(x, weight(L.wq, H, A), R, H, A, false, pr, o.tau, &L.bq, none, nm_n, nm_m);
    const Tensor k = ref::matmul(x, weight(L.wk, H, A), R, H, A, false, pr, o.tau, &L.bk, none, nm_n, nm_m);
    const Tensor v = ref::matmul(x, weight(L.wv, H, A), R, H, A, false, pr, o.tau, &L.bv);
    if (o.observe) o.observe(l, q, k);
    ref::ScoreParams sp;
    if (P.score_engine()) {
      sp.leopard = P.leopard, sp.leopard_per_head = P.thresholds.per_head, sp.hdp_heads = P.hdp_heads, sp.hdp_blocks = P.hdp_blocks;
      sp.hdp_approx = P.hdp_approx, sp.prune = pr, sp.tau = o.tau, sp.key_bits = P.thresholds.key_bits;
      if (P.leopard) sp.thresholds = P.thresholds.layers.at(l);
      sp.hdp = P.hdp;
    }
    Tensor ctx(uint64_t{R} * A);
    for (uint32_t b = 0; b < B; ++b) {
      Tensor all_heads;  // the pruning units' scores of every head of the sequence
      if (P.score_engine())
        all_heads = ref::scores(block(q, A, uint64_t{b} * S, S, 0, A), block(k, A, uint64_t{b} * S, S, 0, A), S, S, s.heads, d, sp);
      for (uint32_t h = 0; h < s.heads; ++h) {
        const Tensor vh = block(v, A, uint64_t{b} * S, S, uint64_t{h} * d, d);
        Tensor scores;
        if (P.score_engine()) {
          scores.assign(all_heads.begin() + uint64_t{h} * S * S, all_heads.begin() + uint64_t{h + 1} * S * S);
        } else {
          const Tensor qh = block(q, A, uint64_t{b} * S, S, uint64_t{h} * d, d);
          const Tensor kh = block(k, A, uint64_t{b} * S, S, uint64_t{h} * d, d);
          scores = ref::matmul(qh, kh, S, d, S, true, pr, o.tau);
        }
        ref::SoftmaxParams smp{std::min(std::max(in.valid_len[b], 1u), S), scale, o.topk, o.topk_exact, pr, o.tau};
        const Tensor p = ref::softmax(scores, S, S, smp);
        put_block(ctx, A, uint64_t{b} * S, uint64_t{h} * d, ref::matmul(p, vh, S, S, d, false, pr, o.tau, nullptr, none, nm_n, nm_m), S, d);
      }
    }
    Tensor t1 = ref::matmul(ctx, weight(L.wo, A, H), R, A, H, false, pr, o.tau, &L.bo);
    t1 = ref::layernorm(ref::add(t1, x), R, H, L.ln1_g, L.ln1_b, o.ln_eps);
    Tensor f = t1;
    uint32_t in_dim = H;
    for (size_t i = 0; i <= s.ffn.size(); ++i) {
      const bool last = i == s.ffn.size();
      const uint32_t out_dim = last ? H : s.ffn[i];
      f = ref::matmul(f, weight(L.ffn_w[i], in_dim, out_dim), R, in_dim, out_dim, false, pr, o.tau, &L.ffn_b[i],
                      last ? ref::Act::None : ref::Act::Gelu, last ? 0 : nm_n, nm_m);
      in_dim = out_dim;
    }
    x = ref::layernorm(ref::add(f, t1), R, H, L.ln2_g, L.ln2_b, o.ln_eps);
  }
  Outputs out;
  out.hidden = x;
  if (o.pooler) {
    Tensor cls(uint64_t{B} * H);
    for (uint32_t b = 0; b < B; ++b) std::copy(x.begin() + uint64_t{b} * S * H, x.begin() + uint64_t{b} * S * H + H, cls.begin() + uint64_t{b} * H);
    out.pooled = ref::matmul(cls, w.pool_w, B, H, H, false, pr, o.tau, &w.pool_b, ref::Act::Tanh);
  }
  return out;
}

// ------------------------------------------------------------------------------------------

using namespace float_ops;

FloatOutputs float_forward(const Model& m, const Weights& w, const Inputs& in, const RunOptions& o, double ln_eps,
                           bool rounded_weights) {
  const uint64_t S = in.seq, B = in.batch, H = m.hidden, R = B * S;
  const bool pr = o.dynatran;
  const double tau = fx::to_double(o.tau);
  // The file's values before rounding, when the loader kept them (the weights as they were trained).
  const FileValues* fv = rounded_weights ? nullptr : w.file_values.get();
  Vec x(R * H);
  if (in.from_tokens) {
    Tensor row(H);
    for (uint64_t r = 0; r < R; ++r) {
      const uint32_t id = in.tokens[r];
      w.word.row(id, row.data());
      for (uint64_t c = 0; c < H; ++c) {
        const uint64_t p = (r % S) * H + c;
        x[r * H + c] = fv ? double(fv->word[uint64_t{id} * H + c]) + double(fv->pos[p]) + double(fv->type[c])
                          : fx::to_double(row[c]) + fx::to_double(w.pos[p]) + fx::to_double(w.type[c]);
      }
    }
    x = layernorm(x, R, H, real(w.emb_g, fv ? &fv->emb_g : nullptr), real(w.emb_b, fv ? &fv->emb_b : nullptr), ln_eps);
  } else {
    x = to_real(in.embeddings);
  }
  const PruningOptions& P = o.pruning;
  auto weight = [&](const Tensor& t, const std::vector<float>* original, uint64_t k, uint64_t n) {
    if (!P.nm_weights) return real(t, original);
    if (original) return nm_columns(real(t, original), k, n, P.nm_n, P.nm_m);
    return to_real(ref::nm_weights(t, static_cast<uint32_t>(k), static_cast<uint32_t>(n), P.nm_n, P.nm_m));
  };
  const unsigned nm_n = P.nm_act ? P.nm_n : 0, nm_m = P.nm_m;
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const LayerShape& s = m.layers[l];
    const LayerWeights& L = w.layers[l];
    const LayerTensors<float>* F = fv ? &fv->layers[l] : nullptr;
    const uint64_t d = s.head_dim, A = s.attention();
    const Vec bq = real(L.bq, F ? &F->bq : nullptr), bk = real(L.bk, F ? &F->bk : nullptr);
    const Vec bv = real(L.bv, F ? &F->bv : nullptr), bo = real(L.bo, F ? &F->bo : nullptr);
    const Vec q = linear(x, weight(L.wq, F ? &F->wq : nullptr, H, A), R, H, A, false, &bq, pr, tau, 0, nm_n, nm_m);
    const Vec k = linear(x, weight(L.wk, F ? &F->wk : nullptr, H, A), R, H, A, false, &bk, pr, tau, 0, nm_n, nm_m);
    const Vec v = linear(x, weight(L.wv, F ? &F->wv : nullptr, H, A), R, H, A, false, &bv, pr, tau);
    Vec ctx(R * A);
    for (uint64_t b = 0; b < B; ++b)
      for (uint64_t h = 0; h < s.heads; ++h) {
        const Vec qh = block(q, A, b * S, S, h * d, d), kh = block(k, A, b * S, S, h * d, d), vh = block(v, A, b * S, S, h * d, d);
        Vec p = linear(qh, kh, S, d, S, true, nullptr, pr, tau);
        const uint64_t valid = std::min<uint64_t>(std::max(in.valid_len[b], 1u), S);
        for (uint64_t i = 0; i < S; ++i) {
          double* row = &p[i * S];
          softmax_row(row, S, valid, std::sqrt(double(d)), o.topk, o.topk_exact, pr, tau);
        }
        put_block(ctx, A, b * S, h * d, linear(p, vh, S, S, d, false, nullptr, pr, tau, 0, nm_n, nm_m), S, d);
      }
    Vec t1 = linear(ctx, weight(L.wo, F ? &F->wo : nullptr, A, H), R, A, H, false, &bo, pr, tau);
    for (uint64_t i = 0; i < t1.size(); ++i) t1[i] += x[i];
    t1 = layernorm(t1, R, H, real(L.ln1_g, F ? &F->ln1_g : nullptr), real(L.ln1_b, F ? &F->ln1_b : nullptr), ln_eps);
    Vec f = t1;
    uint64_t in_dim = H;
    for (size_t i = 0; i <= s.ffn.size(); ++i) {
      const bool last = i == s.ffn.size();
      const uint64_t out_dim = last ? H : s.ffn[i];
      const Vec bias = real(L.ffn_b[i], F ? &F->ffn_b[i] : nullptr);
      f = linear(f, weight(L.ffn_w[i], F ? &F->ffn_w[i] : nullptr, in_dim, out_dim), R, in_dim, out_dim, false, &bias, pr, tau,
                 last ? 0 : 1, last ? 0 : nm_n, nm_m);
      in_dim = out_dim;
    }
    for (uint64_t i = 0; i < f.size(); ++i) f[i] += t1[i];
    x = layernorm(f, R, H, real(L.ln2_g, F ? &F->ln2_g : nullptr), real(L.ln2_b, F ? &F->ln2_b : nullptr), ln_eps);
  }
  FloatOutputs out;
  out.hidden = x;
  if (o.pooler) {
    Vec cls(B * H);
    for (uint64_t b = 0; b < B; ++b) std::copy(x.begin() + b * S * H, x.begin() + b * S * H + H, cls.begin() + b * H);
    const Vec pb = real(w.pool_b, fv ? &fv->pool_b : nullptr);
    out.pooled = linear(cls, real(w.pool_w, fv ? &fv->pool_w : nullptr), B, H, H, false, &pb, pr, tau, 2);
  }
  return out;
}


LeopardThresholds calibrate_leopard(const Model& m, const Weights& w, const Inputs& in, RunOptions o, double rate, unsigned key_bits,
                                    bool per_head) {
  LeopardThresholds t;
  t.key_bits = key_bits, t.per_head = per_head, t.target_rate = rate;
  o.pruning.leopard = false;
  const uint32_t S = in.seq;
  o.observe = [&](size_t l, const Tensor& q, const Tensor& k) {
    const LayerShape& s = m.layers[l];
    const uint64_t A = s.attention(), d = s.head_dim;
    std::vector<std::vector<int64_t>> values(per_head ? s.heads : 1);
    for (uint32_t b = 0; b < in.batch; ++b)
      for (uint32_t h = 0; h < s.heads; ++h)
        for (uint32_t r = 0; r < in.valid_len[b]; ++r)
          for (uint32_t c = 0; c < in.valid_len[b]; ++c) {
            int64_t score = 0;  // q . k_B, the engine's raw domain
            for (uint64_t i = 0; i < d; ++i)
              score += int64_t{q[(uint64_t{b} * S + r) * A + h * d + i]} * (k[(uint64_t{b} * S + c) * A + h * d + i] >> (fx::word_bits() - static_cast<int>(key_bits)));
            values[per_head ? h : 0].push_back(score);
          }
    std::vector<int64_t> th;
    uint64_t below = 0, total = 0;
    for (auto& v : values) {
      std::sort(v.begin(), v.end());
      // Pruned iff score < threshold: the value at the target quantile prunes about `rate` of them.
      const int64_t x = v.empty() ? INT64_MIN : v[std::min<size_t>(v.size() - 1, static_cast<size_t>(rate * double(v.size())))];
      th.push_back(rate <= 0 ? INT64_MIN : x);
      below += static_cast<uint64_t>(std::lower_bound(v.begin(), v.end(), th.back()) - v.begin());
      total += v.size();
    }
    t.layers.push_back(th);
    t.calibrated_rate.push_back(total ? double(below) / double(total) : 0.0);
  };
  reference_forward(m, w, in, o);
  return t;
}

}  // namespace acc::bert
