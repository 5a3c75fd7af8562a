#include "bert_reference.hpp"

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
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const LayerShape& s = m.layers[l];
    const LayerWeights& L = w.layers[l];
    const uint32_t d = s.head_dim, A = s.attention();
    const int32_t scale = fx::from_double(1.0 / std::sqrt(double(d)));
    const Tensor q = ref::matmul(x, L.wq, R, H, A, false, pr, o.tau, &L.bq);
    const Tensor k = ref::matmul(x, L.wk, R, H, A, false, pr, o.tau, &L.bk);
    const Tensor v = ref::matmul(x, L.wv, R, H, A, false, pr, o.tau, &L.bv);
    Tensor ctx(uint64_t{R} * A);
    for (uint32_t b = 0; b < B; ++b)
      for (uint32_t h = 0; h < s.heads; ++h) {
        const Tensor qh = block(q, A, uint64_t{b} * S, S, uint64_t{h} * d, d);
        const Tensor kh = block(k, A, uint64_t{b} * S, S, uint64_t{h} * d, d);
        const Tensor vh = block(v, A, uint64_t{b} * S, S, uint64_t{h} * d, d);
        const Tensor scores = ref::matmul(qh, kh, S, d, S, true, pr, o.tau);
        ref::SoftmaxParams sp{std::min(std::max(in.valid_len[b], 1u), S), scale, o.topk, o.topk_exact, pr, o.tau};
        const Tensor p = ref::softmax(scores, S, S, sp);
        put_block(ctx, A, uint64_t{b} * S, uint64_t{h} * d, ref::matmul(p, vh, S, S, d, false, pr, o.tau), S, d);
      }
    Tensor t1 = ref::matmul(ctx, L.wo, R, A, H, false, pr, o.tau, &L.bo);
    t1 = ref::layernorm(ref::add(t1, x), R, H, L.ln1_g, L.ln1_b, o.ln_eps);
    Tensor f = t1;
    uint32_t in_dim = H;
    for (size_t i = 0; i <= s.ffn.size(); ++i) {
      const bool last = i == s.ffn.size();
      const uint32_t out_dim = last ? H : s.ffn[i];
      f = ref::matmul(f, L.ffn_w[i], R, in_dim, out_dim, false, pr, o.tau, &L.ffn_b[i], last ? ref::Act::None : ref::Act::Gelu);
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

namespace {

using Vec = std::vector<double>;

Vec to_real(const Tensor& t) {
  Vec v(t.size());
  for (size_t i = 0; i < t.size(); ++i) v[i] = fx::to_double(t[i]);
  return v;
}

double prune(double x, bool on, double tau) { return on && std::fabs(x) <= tau ? 0.0 : x; }

// act(prune(a . b + bias)); b given n x k if transpose.
Vec linear(const Vec& a, const Vec& b, uint64_t m, uint64_t k, uint64_t n, bool transpose, const Vec* bias, bool pr, double tau,
           int act = 0) {
  Vec c(m * n);
  for (uint64_t i = 0; i < m; ++i)
    for (uint64_t j = 0; j < n; ++j) {
      double s = bias ? (*bias)[j] : 0.0;
      for (uint64_t p = 0; p < k; ++p) s += a[i * k + p] * (transpose ? b[j * k + p] : b[p * n + j]);
      s = prune(s, pr, tau);
      if (act == 1) s = 0.5 * s * (1.0 + std::erf(s / std::sqrt(2.0)));
      if (act == 2) s = std::tanh(s);
      c[i * n + j] = s;
    }
  return c;
}

Vec layernorm(const Vec& x, uint64_t rows, uint64_t cols, const Vec& g, const Vec& b, double eps) {
  Vec y(x.size());
  for (uint64_t r = 0; r < rows; ++r) {
    const double* v = &x[r * cols];
    double mean = 0, var = 0;
    for (uint64_t c = 0; c < cols; ++c) mean += v[c];
    mean /= double(cols);
    for (uint64_t c = 0; c < cols; ++c) var += (v[c] - mean) * (v[c] - mean);
    var /= double(cols);
    const double inv = 1.0 / std::sqrt(var + eps);
    for (uint64_t c = 0; c < cols; ++c) y[r * cols + c] = (v[c] - mean) * inv * g[c] + b[c];
  }
  return y;
}

}  // namespace

FloatOutputs float_forward(const Model& m, const Weights& w, const Inputs& in, const RunOptions& o, double ln_eps) {
  const uint64_t S = in.seq, B = in.batch, H = m.hidden, R = B * S;
  const bool pr = o.dynatran;
  const double tau = fx::to_double(o.tau);
  Vec x(R * H);
  if (in.from_tokens) {
    Tensor row(H);
    for (uint64_t r = 0; r < R; ++r) {
      w.word.row(in.tokens[r], row.data());
      for (uint64_t c = 0; c < H; ++c)
        x[r * H + c] = fx::to_double(row[c]) + fx::to_double(w.pos[(r % S) * H + c]) + fx::to_double(w.type[c]);
    }
    x = layernorm(x, R, H, to_real(w.emb_g), to_real(w.emb_b), ln_eps);
  } else {
    x = to_real(in.embeddings);
  }
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const LayerShape& s = m.layers[l];
    const LayerWeights& L = w.layers[l];
    const uint64_t d = s.head_dim, A = s.attention();
    const Vec bq = to_real(L.bq), bk = to_real(L.bk), bv = to_real(L.bv), bo = to_real(L.bo);
    const Vec q = linear(x, to_real(L.wq), R, H, A, false, &bq, pr, tau);
    const Vec k = linear(x, to_real(L.wk), R, H, A, false, &bk, pr, tau);
    const Vec v = linear(x, to_real(L.wv), R, H, A, false, &bv, pr, tau);
    Vec ctx(R * A);
    for (uint64_t b = 0; b < B; ++b)
      for (uint64_t h = 0; h < s.heads; ++h) {
        const Vec qh = block(q, A, b * S, S, h * d, d), kh = block(k, A, b * S, S, h * d, d), vh = block(v, A, b * S, S, h * d, d);
        Vec p = linear(qh, kh, S, d, S, true, nullptr, pr, tau);
        const uint64_t valid = std::min<uint64_t>(std::max(in.valid_len[b], 1u), S);
        for (uint64_t i = 0; i < S; ++i) {
          double* row = &p[i * S];
          double mx = -INFINITY, sum = 0;
          for (uint64_t j = 0; j < valid; ++j) mx = std::max(mx, row[j] / std::sqrt(double(d)));
          for (uint64_t j = 0; j < S; ++j) {
            row[j] = j < valid ? std::exp(row[j] / std::sqrt(double(d)) - mx) : 0.0;
            sum += row[j];
          }
          for (uint64_t j = 0; j < S; ++j) row[j] /= sum;
          if (o.topk > 0 && o.topk < valid) {
            std::vector<uint64_t> idx(valid);
            std::iota(idx.begin(), idx.end(), 0);
            std::stable_sort(idx.begin(), idx.end(), [&](uint64_t a2, uint64_t b2) { return row[a2] > row[b2]; });
            const double kth = row[idx[o.topk - 1]];
            std::vector<bool> keep(valid, false);
            for (uint64_t j = 0; j < valid; ++j) keep[j] = row[j] > kth;
            if (o.topk_exact)
              for (uint64_t r = 0; r < o.topk; ++r) keep[idx[r]] = true;
            for (uint64_t j = 0; j < valid; ++j)
              if (!keep[j]) row[j] = 0;
          }
          for (uint64_t j = 0; j < S; ++j) row[j] = prune(row[j], pr, tau);
        }
        put_block(ctx, A, b * S, h * d, linear(p, vh, S, S, d, false, nullptr, pr, tau), S, d);
      }
    Vec t1 = linear(ctx, to_real(L.wo), R, A, H, false, &bo, pr, tau);
    for (uint64_t i = 0; i < t1.size(); ++i) t1[i] += x[i];
    t1 = layernorm(t1, R, H, to_real(L.ln1_g), to_real(L.ln1_b), ln_eps);
    Vec f = t1;
    uint64_t in_dim = H;
    for (size_t i = 0; i <= s.ffn.size(); ++i) {
      const bool last = i == s.ffn.size();
      const uint64_t out_dim = last ? H : s.ffn[i];
      const Vec bias = to_real(L.ffn_b[i]);
      f = linear(f, to_real(L.ffn_w[i]), R, in_dim, out_dim, false, &bias, pr, tau, last ? 0 : 1);
      in_dim = out_dim;
    }
    for (uint64_t i = 0; i < f.size(); ++i) f[i] += t1[i];
    x = layernorm(f, R, H, to_real(L.ln2_g), to_real(L.ln2_b), ln_eps);
  }
  FloatOutputs out;
  out.hidden = x;
  if (o.pooler) {
    Vec cls(B * H);
    for (uint64_t b = 0; b < B; ++b) std::copy(x.begin() + b * S * H, x.begin() + b * S * H + H, cls.begin() + b * H);
    const Vec pb = to_real(w.pool_b);
    out.pooled = linear(cls, to_real(w.pool_w), B, H, H, false, &pb, pr, tau, 2);
  }
  return out;
}

}  // namespace acc::bert
