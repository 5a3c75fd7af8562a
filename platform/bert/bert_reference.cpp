#include "bert_reference.hpp"

#include "float_ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "fixed_point.hpp"
#include "reference.hpp"
#include "tensor_scales.hpp"

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
  if (o.scales) return reference_forward_scaled(m, w, in, o);
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
    const uint32_t H = m.layer_hidden(l), A = s.attention(), QK = s.qk_width();
    const std::vector<Head> heads = s.head_list();
    const auto none = ref::Act::None;
    Tensor q, k;
    if (QK) {
      q = ref::matmul(x, weight(L.wq, H, QK), R, H, QK, false, pr, o.tau, &L.bq, none, nm_n, nm_m);
      k = ref::matmul(x, weight(L.wk, H, QK), R, H, QK, false, pr, o.tau, &L.bk, none, nm_n, nm_m);
    }
    const Tensor v = ref::matmul(x, weight(L.wv, H, A), R, H, A, false, pr, o.tau, &L.bv);
    if (o.observe) o.observe(l, q, k);
    ref::ScoreParams sp;
    if (P.score_engine()) {
      sp.leopard = P.leopard, sp.leopard_per_head = P.thresholds.per_head, sp.hdp_heads = P.hdp_heads, sp.hdp_blocks = P.hdp_blocks;
      sp.hdp_approx = P.hdp_approx, sp.prune = pr, sp.tau = o.tau, sp.key_bits = P.thresholds.key_bits;
      if (P.leopard) sp.thresholds = P.thresholds.layers.at(l);
      sp.hdp = P.hdp;
    }
    // Each head's first column of V and the context, and of Q and K; WMA heads' keys through W_ma
    // (all rows at once, as the firmware).
    std::vector<uint32_t> col(heads.size()), qk_col(heads.size());
    std::vector<Tensor> wma_keys(heads.size());
    for (uint32_t h = 0, c = 0, qc = 0; h < heads.size(); c += heads[h].dim, qc += heads[h].attends() ? heads[h].dim : 0, ++h) {
      col[h] = c, qk_col[h] = qc;
      if (heads[h].kind == HeadKind::Wma)
        wma_keys[h] = ref::matmul(block(k, QK, 0, R, qc, heads[h].dim), L.head_w.at(h), R, heads[h].dim, heads[h].dim);
    }
    Tensor ctx(uint64_t{R} * A);
    for (uint32_t b = 0; b < B; ++b) {
      Tensor all_heads;  // the pruning units' scores of every head of the sequence
      if (P.score_engine())
        all_heads = ref::scores(block(q, QK, uint64_t{b} * S, S, 0, QK), block(k, QK, uint64_t{b} * S, S, 0, QK), S, S, s.heads, s.head_dim, sp);
      for (uint32_t h = 0; h < heads.size(); ++h) {
        const uint32_t d = heads[h].dim;
        const Tensor vh = block(v, A, uint64_t{b} * S, S, col[h], d);
        Tensor out;
        switch (heads[h].kind) {
          case HeadKind::Sdp:
          case HeadKind::Wma: {
            Tensor scores;
            if (P.score_engine()) {
              scores.assign(all_heads.begin() + uint64_t{h} * S * S, all_heads.begin() + uint64_t{h + 1} * S * S);
            } else {
              const Tensor qh = block(q, QK, uint64_t{b} * S, S, qk_col[h], d);
              const Tensor kh = heads[h].kind == HeadKind::Wma ? block(wma_keys[h], d, uint64_t{b} * S, S, 0, d)
                                                               : block(k, QK, uint64_t{b} * S, S, qk_col[h], d);
              scores = ref::matmul(qh, kh, S, d, S, true, pr, o.tau);
            }
            // The query words carry the softmax's 1/sqrt(d) (query_scale_divisors): it scales by 1.
            const int32_t scale = fx::from_double(1.0);
            ref::SoftmaxParams smp{std::min(std::max(in.valid_len[b], 1u), S), scale, o.topk, o.topk_exact, pr, o.tau};
            out = ref::matmul(ref::softmax(scores, S, S, smp), vh, S, S, d, false, pr, o.tau, nullptr, none, nm_n, nm_m);
            break;
          }
          case HeadKind::Dft:
          case HeadKind::Dct:
            out = ref::matmul(transform_matrix_words(heads[h].kind, S), vh, S, S, d);
            break;
          case HeadKind::Conv: {
            // The center tap with the bias over every row, then each other tap over the rows it
            // reaches, added (the firmware's descriptors, in order).
            const uint32_t kernel = heads[h].kernel, center = (kernel - 1) / 2;
            auto tap = [&](uint32_t j) {
              return Tensor(L.head_w.at(h).begin() + uint64_t{j} * d * d, L.head_w.at(h).begin() + uint64_t{j + 1} * d * d);
            };
            out = ref::matmul(vh, tap(center), S, d, d, false, false, 0, &L.head_b.at(h));
            for (uint32_t j = 0; j < kernel; ++j) {
              const int32_t offset = conv_tap_offset(kernel, j);
              const uint32_t off = static_cast<uint32_t>(std::abs(offset));
              if (j == center || off >= S) continue;
              const uint32_t rows = S - off, in_row = offset > 0 ? off : 0, out_row = offset > 0 ? 0 : off;
              const Tensor t = ref::matmul(block(vh, d, in_row, rows, 0, d), tap(j), rows, d, d);
              put_block(out, d, out_row, 0, ref::add(block(out, d, out_row, rows, 0, d), t), rows, d);
            }
            break;
          }
        }
        put_block(ctx, A, uint64_t{b} * S, col[h], out, S, d);
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
    if (m.projects(l)) {  // FlexiBERT's projection to the next layer's hidden size, GELU after (as dict2ops.py)
      const uint32_t next = m.layer_hidden(l + 1);
      x = ref::matmul(x, weight(L.proj_w, H, next), R, H, next, false, pr, o.tau, &L.proj_b, ref::Act::Gelu);
    }
  }
  Outputs out;
  out.hidden = x;
  if (o.pooler) {
    const uint32_t Ho = m.output_hidden();
    Tensor cls(uint64_t{B} * Ho);
    for (uint32_t b = 0; b < B; ++b) std::copy(x.begin() + uint64_t{b} * S * Ho, x.begin() + uint64_t{b} * S * Ho + Ho, cls.begin() + uint64_t{b} * Ho);
    out.pooled = ref::matmul(cls, w.pool_w, B, Ho, Ho, false, pr, o.tau, &w.pool_b, ref::Act::Tanh);
  }
  return out;
}

// ------------------------------------------------------------------------------------------

using namespace float_ops;

namespace {
const char* const kFfnSites[FW_BERT_MAX_FFN + 1] = {"ffn0", "ffn1", "ffn2", "ffn3", "ffn4"};  // FFN i's output (after GELU)
}  // namespace

FloatOutputs float_forward(const Model& m, const Weights& w, const Inputs& in, const RunOptions& o, double ln_eps,
                           bool rounded_weights) {
  const uint64_t S = in.seq, B = in.batch, H = m.hidden, R = B * S;
  const bool pr = o.dynatran;
  const double tau = fx::format().per_tensor() ? o.tau / 65536.0 : fx::to_double(o.tau);  // per-tensor formats: tau in units of 2^-16
  auto seen = [&](const char* site, size_t l, const Vec& v) {
    if (o.observe_float) o.observe_float(site, l, v);
  };
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
  seen("emb", 0, x);
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
    const uint64_t H = m.layer_hidden(l), A = s.attention(), QK = s.qk_width();
    const std::vector<Head> heads = s.head_list();
    // The query projection with 1/sqrt(d) folded in, as the accelerator's: the file's values divided
    // (unrounded), or the words that hold it already. So the scores are the softmax's logits, and
    // DynaTran prunes Q and the scores in the accelerator's domain.
    const auto folded = [&](const Vec& v) { return F && QK ? divide_columns(v, query_scale_divisors(s)) : v; };
    const Vec bq = folded(real(L.bq, F ? &F->bq : nullptr)), bk = real(L.bk, F ? &F->bk : nullptr);
    const Vec bv = real(L.bv, F ? &F->bv : nullptr), bo = real(L.bo, F ? &F->bo : nullptr);
    Vec q, k;
    if (QK) {
      q = linear(x, folded(weight(L.wq, F ? &F->wq : nullptr, H, QK)), R, H, QK, false, &bq, pr, tau, 0, nm_n, nm_m);
      k = linear(x, weight(L.wk, F ? &F->wk : nullptr, H, QK), R, H, QK, false, &bk, pr, tau, 0, nm_n, nm_m);
    }
    const Vec v = linear(x, weight(L.wv, F ? &F->wv : nullptr, H, A), R, H, A, false, &bv, pr, tau);
    seen("q", l, q), seen("k", l, k), seen("v", l, v);
    Vec ctx(R * A);
    for (uint64_t h = 0, col = 0, qk_col = 0; h < heads.size(); col += heads[h].dim, qk_col += heads[h].attends() ? heads[h].dim : 0, ++h) {
      const uint64_t d = heads[h].dim;
      // A head's own tensors (none for sdp and the transforms), as the file holds them when kept.
      auto head_tensor = [&](const std::vector<Tensor>& q, const std::vector<std::vector<float>>* original) {
        if (q.empty()) return Vec{};
        return real(q[h], original && h < original->size() && !(*original)[h].empty() ? &(*original)[h] : nullptr);
      };
      const Vec hw = head_tensor(L.head_w, F ? &F->head_w : nullptr);
      const Vec wma_keys = heads[h].kind == HeadKind::Wma ? linear(block(k, QK, 0, R, qk_col, d), hw, R, d, d, false, nullptr, false, 0) : Vec{};
      for (uint64_t b = 0; b < B; ++b) {
        const Vec vh = block(v, A, b * S, S, col, d);
        Vec out;
        if (heads[h].kind == HeadKind::Dft || heads[h].kind == HeadKind::Dct) {
          out = linear(transform_matrix(heads[h].kind, static_cast<uint32_t>(S)), vh, S, S, d, false, nullptr, false, 0);
        } else if (heads[h].kind == HeadKind::Conv) {  // zero padding: rows outside the sequence add nothing
          const Vec bias = head_tensor(L.head_b, F ? &F->head_b : nullptr);
          out.assign(S * d, 0.0);
          for (uint64_t t = 0; t < S; ++t)
            for (uint64_t c = 0; c < d; ++c) {
              double sum = bias[c];
              for (uint32_t j = 0; j < heads[h].kernel; ++j) {
                const int64_t r = int64_t(t) + conv_tap_offset(heads[h].kernel, j);
                if (r < 0 || r >= int64_t(S)) continue;
                for (uint64_t i = 0; i < d; ++i) sum += vh[uint64_t(r) * d + i] * hw[(j * d + i) * d + c];
              }
              out[t * d + c] = sum;
            }
        } else {
          const Vec qh = block(q, QK, b * S, S, qk_col, d);
          const Vec kh = heads[h].kind == HeadKind::Wma ? block(wma_keys, d, b * S, S, 0, d) : block(k, QK, b * S, S, qk_col, d);
          Vec p = linear(qh, kh, S, d, S, true, nullptr, pr, tau);
          seen("scores", l, p);
          const uint64_t valid = std::min<uint64_t>(std::max(in.valid_len[b], 1u), S);
          for (uint64_t i = 0; i < S; ++i) {
            double* row = &p[i * S];
            softmax_row(row, S, valid, 1.0, o.topk, o.topk_exact, pr, tau);  // Q carries the 1/sqrt(d)
          }
          out = linear(p, vh, S, S, d, false, nullptr, pr, tau, 0, nm_n, nm_m);
        }
        put_block(ctx, A, b * S, col, out, S, d);
      }
    }
    seen("ctx", l, ctx);
    Vec t1 = linear(ctx, weight(L.wo, F ? &F->wo : nullptr, A, H), R, A, H, false, &bo, pr, tau);
    seen("attn", l, t1);
    for (uint64_t i = 0; i < t1.size(); ++i) t1[i] += x[i];
    seen("res1", l, t1);
    t1 = layernorm(t1, R, H, real(L.ln1_g, F ? &F->ln1_g : nullptr), real(L.ln1_b, F ? &F->ln1_b : nullptr), ln_eps);
    seen("ln1", l, t1);
    Vec f = t1;
    uint64_t in_dim = H;
    for (size_t i = 0; i <= s.ffn.size(); ++i) {
      const bool last = i == s.ffn.size();
      const uint64_t out_dim = last ? H : s.ffn[i];
      const Vec bias = real(L.ffn_b[i], F ? &F->ffn_b[i] : nullptr);
      f = linear(f, weight(L.ffn_w[i], F ? &F->ffn_w[i] : nullptr, in_dim, out_dim), R, in_dim, out_dim, false, &bias, pr, tau,
                 last ? 0 : 1, last ? 0 : nm_n, nm_m);
      seen(kFfnSites[std::min<size_t>(i, FW_BERT_MAX_FFN)], l, f);
      in_dim = out_dim;
    }
    for (uint64_t i = 0; i < f.size(); ++i) f[i] += t1[i];
    seen("res2", l, f);
    x = layernorm(f, R, H, real(L.ln2_g, F ? &F->ln2_g : nullptr), real(L.ln2_b, F ? &F->ln2_b : nullptr), ln_eps);
    seen("ln2", l, x);
    if (m.projects(l)) {
      const uint64_t next = m.layer_hidden(l + 1);
      const Vec pb = real(L.proj_b, F ? &F->proj_b : nullptr);
      x = linear(x, weight(L.proj_w, F ? &F->proj_w : nullptr, H, next), R, H, next, false, &pb, pr, tau, 1);
    }
  }
  FloatOutputs out;
  out.hidden = x;
  if (o.pooler) {
    const uint64_t Ho = m.output_hidden();
    Vec cls(B * Ho);
    for (uint64_t b = 0; b < B; ++b) std::copy(x.begin() + b * S * Ho, x.begin() + b * S * Ho + Ho, cls.begin() + b * Ho);
    const Vec pb = real(w.pool_b, fv ? &fv->pool_b : nullptr);
    out.pooled = linear(cls, real(w.pool_w, fv ? &fv->pool_w : nullptr), B, Ho, Ho, false, &pb, pr, tau, 2);
    seen("pooled", 0, out.pooled);
  }
  return out;
}


LeopardThresholds calibrate_leopard(const Model& m, const Weights& w, const Inputs& in, RunOptions o, double rate, unsigned key_bits,
                                    bool per_head) {
  for (size_t l = 0; l < m.layers.size(); ++l)
    if (!m.layers[l].uniform_sdp())
      throw PruningError("LeOPArd scores layers of sa_sdp heads of one size; layer " + std::to_string(l) + " has other heads");
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
