#include "reference.hpp"

#include <algorithm>
#include <numeric>

#include "acceltran_regs.h"
#include "fixed_point.hpp"
#include "fx_math.hpp"
#include "row_products.hpp"

namespace acc::ref {

namespace {
// Every input word as the word its container carries (what the compute units read).
Tensor words(const Tensor& t) {
  Tensor w(t.size());
  for (size_t i = 0; i < t.size(); ++i) w[i] = fx::wrap(t[i]);
  return w;
}

// A sum of 64-bit terms, exact, clipped to the int64 range (HDP's importance accumulators).
struct SaturatingSum {
  __int128 v = 0;
  void add(int64_t x) { v += x; }
  int64_t get() const { return fx::saturate_int64(v); }
};

// Marks the n largest values, picked one at a time; ties go to the lowest index.
std::vector<bool> n_largest(const std::vector<int64_t>& v, uint32_t n) {
  std::vector<bool> marked(v.size(), false);
  for (uint32_t round = 0; round < std::min<uint64_t>(n, v.size()); ++round) {
    int64_t best = -1;
    for (size_t i = 0; i < v.size(); ++i)
      if (!marked[i] && (best < 0 || v[i] > v[best])) best = static_cast<int64_t>(i);
    marked[best] = true;
  }
  return marked;
}

// The n largest |x| of x[0..size) at a stride (N:M selection).
std::vector<bool> n_largest_abs(const int32_t* x, uint64_t stride, unsigned size, unsigned n) {
  std::vector<int64_t> m(size);
  for (unsigned i = 0; i < size; ++i) m[i] = x[i * stride] < 0 ? -int64_t{x[i * stride]} : x[i * stride];
  return n_largest(m, n);
}

// Whether k products of words of at most 20 bits (the widest number format; each below 2^38) sum below 2^53, the integers a
// double holds exactly, whatever the order of the additions.
static_assert(fx::Format::kMaxWordBits <= 20, "exact_in_double's bound is for words of at most 20 bits");
bool exact_in_double(uint64_t k) { return k <= (uint64_t{1} << 14); }

// An output word: the exact sum of products plus the bias (shifted by the fraction bits), narrowed
// once, then DynaTran.
int32_t narrow(int64_t sum, uint64_t j, const Tensor* bias, bool prune, int32_t tau) {
  if (bias) sum += int64_t{fx::wrap((*bias)[j])} * fx::one();
  const int32_t v = fx::narrow_product_sum(sum);
  return prune ? fx::dynatran(v, tau) : v;
}
}  // namespace

Tensor nm_weights(const Tensor& w, uint32_t k, uint32_t n, unsigned N, unsigned M) {
  Tensor out(w.size(), 0);
  for (uint32_t g0 = 0; g0 < k; g0 += M)
    for (uint32_t j = 0; j < n; ++j) {
      const unsigned size = std::min<uint32_t>(M, k - g0);
      const std::vector<bool> keep = n_largest_abs(&w[uint64_t{g0} * n + j], n, size, N);
      for (unsigned i = 0; i < size; ++i)
        if (keep[i]) out[(uint64_t{g0} + i) * n + j] = w[(uint64_t{g0} + i) * n + j];
    }
  return out;
}

Tensor nm_activations(const Tensor& x, uint32_t rows, uint32_t cols, unsigned N, unsigned M) {
  Tensor out(x.size(), 0);
  for (uint32_t r = 0; r < rows; ++r)
    for (uint32_t g0 = 0; g0 < cols; g0 += M) {
      const unsigned size = std::min<uint32_t>(M, cols - g0);
      const std::vector<bool> keep = n_largest_abs(&x[uint64_t{r} * cols + g0], 1, size, N);
      for (unsigned i = 0; i < size; ++i)
        if (keep[i]) out[uint64_t{r} * cols + g0 + i] = x[uint64_t{r} * cols + g0 + i];
    }
  return out;
}

namespace {
// C[m x n] of the exact sums of products, each narrowed by narrow_at(sum, column).
template <class Narrow>
Tensor exact_products(const Tensor& a_in, const Tensor& b_in, uint32_t m, uint32_t k, uint32_t n, bool transpose_b, Narrow narrow_at) {
  // B as rows of K x N (transposed if given as N x K), so that a row of C accumulates row by row
  // of B: exact sums, in any order, read without striding.
  Tensor c(uint64_t{m} * n);
  if (exact_in_double(k)) {
    // Words have at most 20 bits, so a product is below 2^38 and k of them sum below 2^53: in double, every
    // product and every partial sum is an exact integer. The same sums as in int64, in a loop
    // the compiler vectorises (x86-64 has no vector int64 multiply).
    std::vector<double> bk(uint64_t{k} * n), sums(n);
    for (uint64_t p = 0; p < k; ++p)
      for (uint64_t j = 0; j < n; ++j) bk[p * n + j] = fx::wrap(transpose_b ? b_in[j * k + p] : b_in[p * n + j]);
    for (uint64_t i = 0; i < m; ++i) {
      std::fill(sums.begin(), sums.end(), 0.0);
      add_row_products(sums.data(), [&](uint64_t p) { return static_cast<double>(fx::wrap(a_in[i * k + p])); }, bk.data(), k, n);  // exact: any order
      for (uint64_t j = 0; j < n; ++j) c[i * n + j] = narrow_at(static_cast<int64_t>(sums[j]), j);
    }
  } else {
    const Tensor a = words(a_in), b = words(b_in);
    Tensor rows;
    if (transpose_b) {
      rows.resize(uint64_t{n} * k);
      for (uint64_t j = 0; j < n; ++j)
        for (uint64_t p = 0; p < k; ++p) rows[p * n + j] = b[j * k + p];
    }
    const Tensor& bk = transpose_b ? rows : b;
    std::vector<int64_t> sums(n);
    for (uint64_t i = 0; i < m; ++i) {
      std::fill(sums.begin(), sums.end(), 0);
      for (uint64_t p = 0; p < k; ++p) {
        const int64_t x = a[i * k + p];
        const int32_t* y = &bk[p * n];
        for (uint64_t j = 0; j < n; ++j) sums[j] += x * y[j];
      }
      for (uint64_t j = 0; j < n; ++j) c[i * n + j] = narrow_at(sums[j], j);
    }
  }
  return c;
}
}  // namespace

Tensor matmul(const Tensor& a_in, const Tensor& b_in, uint32_t m, uint32_t k, uint32_t n, bool transpose_b, bool prune, int32_t tau,
              const Tensor* bias, Act act, unsigned nm_n, unsigned nm_m) {
  Tensor c = exact_products(a_in, b_in, m, k, n, transpose_b, [&](int64_t sum, uint64_t j) { return narrow(sum, j, bias, prune, tau); });
  if (nm_n) c = nm_activations(c, m, n, nm_n, nm_m);
  if (act != Act::None)
    for (auto& v : c) v = act == Act::Gelu ? fx::gelu(v) : fx::tanh_fx(v);
  return c;
}

Tensor matmul_scaled(const Tensor& a, const Tensor& b, uint32_t m, uint32_t k, uint32_t n, const MatmulFracs& f, bool transpose_b,
                     bool prune, int32_t tau_q16, const Tensor* bias, Act act, unsigned nm_n, unsigned nm_m) {
  const int product = f.a + f.b;  // the accumulator's fraction bits
  Tensor c = exact_products(a, b, m, k, n, transpose_b, [&](int64_t sum, uint64_t j) {
    if (bias) sum += int64_t{fx::wrap((*bias)[j])} * (int64_t{1} << (product - f.bias));
    const int32_t v = fx::saturate(fx::round_shift(sum, product - f.c));
    return prune ? fx::dynatran_scaled(v, tau_q16, f.c) : v;
  });
  if (nm_n) c = nm_activations(c, m, n, nm_n, nm_m);
  uint64_t clipped = 0;
  if (act != Act::None)
    for (auto& v : c) v = act == Act::Gelu ? fx::gelu_at(v, f.c, clipped) : fx::tanh_at(v, f.c, clipped);
  return c;
}

LeopardResult leopard(const int32_t* q, const int32_t* k, uint32_t d, unsigned B, int64_t th) {
  int64_t p_pos = 0;
  for (uint32_t i = 0; i < d; ++i) p_pos += q[i] > 0 ? q[i] : 0;
  int64_t partial = 0;
  for (int b = static_cast<int>(B) - 1; b >= 0; --b) {
    for (uint32_t i = 0; i < d; ++i) {
      const int32_t key = k[i] >> (fx::word_bits() - static_cast<int>(B));  // the key's B most significant bits
      const int64_t weighted = int64_t{q[i]} * (int64_t{1} << b);  // q times the bit plane's weight 2^b
      if ((static_cast<uint32_t>(key) >> b) & 1u) partial += (b == static_cast<int>(B) - 1) ? -weighted : weighted;
    }
    if (b > 0 && partial + p_pos * ((int64_t{1} << b) - 1) < th) return {true, B - static_cast<unsigned>(b), partial};
  }
  return {partial < th, B, partial};
}

Tensor scores(const Tensor& q_in, const Tensor& k_in, uint32_t R, uint32_t C, uint32_t H, uint32_t d, const ScoreParams& p,
              ScoreCounts* counts) {
  const Tensor q = words(q_in), k = words(k_in);
  const uint64_t A = uint64_t{H} * d;
  const unsigned F = p.hdp.frac_bits;
  Tensor out(uint64_t{H} * R * C);
  ScoreCounts local;
  ScoreCounts& n = counts ? *counts : local;
  n.leopard_bits.assign(p.key_bits + 1, 0);
  auto int_score = [&](uint32_t h, uint32_t r, uint32_t c) {
    int64_t s = 0;
    for (uint32_t i = 0; i < d; ++i) s += int64_t{q[r * A + h * d + i] >> F} * (k[c * A + h * d + i] >> F);
    return s;
  };
  // HDP heads.
  std::vector<int64_t> imp(H, 0);
  for (uint32_t h = 0; h < H && p.hdp_heads; ++h) {
    SaturatingSum sum;
    int64_t max_abs = 0;
    for (uint32_t r = 0; r < R; ++r)
      for (uint32_t c = 0; c < C; ++c) {
        const int64_t s = int_score(h, r, c), a = s < 0 ? -s : s;
        sum.add(p.hdp.head_importance == ACC_HDP_HEAD_CTRL_IMPORTANCE_SUM ? s : a);
        max_abs = std::max(max_abs, a);
      }
    imp[h] = p.hdp.head_importance == ACC_HDP_HEAD_CTRL_IMPORTANCE_MAX_ABS ? max_abs : sum.get();
  }
  std::vector<bool> head_kept(H, true);
  if (p.hdp_heads) {
    const int64_t top = *std::max_element(imp.begin(), imp.end());
    if (p.hdp.head_threshold == ACC_HDP_HEAD_CTRL_THRESHOLD_TOP) {
      head_kept = n_largest(imp, p.hdp.head_param);
    } else {
      for (uint32_t h = 0; h < H; ++h)
        head_kept[h] = p.hdp.head_threshold == ACC_HDP_HEAD_CTRL_THRESHOLD_RATIO ? static_cast<__int128>(imp[h]) * 65536 >= static_cast<__int128>(p.hdp.head_param) * top
                                             : imp[h] >= static_cast<int64_t>(p.hdp.head_param);
    }
  }
  for (uint32_t h = 0; h < H; ++h) {
    std::vector<int> why(uint64_t{R} * C, 0);  // 0 kept, 1 head, 2 block, 3 LeOPArd
    if (!head_kept[h]) std::fill(why.begin(), why.end(), 1);
    if (p.hdp_blocks && head_kept[h]) {
      const uint32_t br = p.hdp.block_rows, bc = p.hdp.block_cols, nbc = (C + bc - 1) / bc;
      for (uint32_t r0 = 0; r0 < R; r0 += br) {
        std::vector<SaturatingSum> block_sum(nbc);
        for (uint32_t r = r0; r < std::min(R, r0 + br); ++r)
          for (uint32_t c = 0; c < C; ++c) {
            const int64_t s = int_score(h, r, c);
            block_sum[c / bc].add(s < 0 ? -s : s);
          }
        std::vector<int64_t> b(nbc);
        for (uint32_t i = 0; i < nbc; ++i) b[i] = block_sum[i].get();
        const int64_t mx = *std::max_element(b.begin(), b.end());
        __int128 sum = 0;
        for (int64_t v : b) sum += v;
        std::vector<bool> keep(nbc, false);
        if (p.hdp.block_threshold == ACC_HDP_BLOCK_CTRL_THRESHOLD_TOP) {
          keep = n_largest(b, p.hdp.block_param);
        } else {
          for (uint32_t i = 0; i < nbc; ++i)
            keep[i] = p.hdp.block_threshold == ACC_HDP_BLOCK_CTRL_THRESHOLD_MEAN
                          ? static_cast<__int128>(b[i]) * nbc * 65536 >= sum * 65536 + static_cast<__int128>(p.hdp.block_param) * (static_cast<__int128>(mx) * nbc - sum)
                          : static_cast<__int128>(b[i]) * 65536 >= static_cast<__int128>(p.hdp.block_param) * mx;
        }
        for (uint32_t r = r0; r < std::min(R, r0 + br); ++r)
          for (uint32_t c = 0; c < C; ++c)
            if (!keep[c / bc]) why[uint64_t{r} * C + c] = 2;
      }
    }
    const int64_t th = p.leopard ? p.thresholds.at(p.leopard_per_head ? h : 0) : 0;
    for (uint32_t r = 0; r < R; ++r)
      for (uint32_t c = 0; c < C; ++c) {
        int& w = why[uint64_t{r} * C + c];
        int32_t& dst = out[(uint64_t{h} * R + r) * C + c];
        int64_t wide = 0;
        if (w == 0 && p.leopard) {
          std::vector<int32_t> qv(d), kv(d);
          for (uint32_t i = 0; i < d; ++i) qv[i] = q[r * A + h * d + i], kv[i] = k[c * A + h * d + i];
          const LeopardResult l = leopard(qv.data(), kv.data(), d, p.key_bits, th);
          ++n.leopard_bits[l.bits_used];
          if (l.pruned) w = 3;
          wide = l.score * (int64_t{1} << (fx::word_bits() - static_cast<int>(p.key_bits)));
        } else if (w == 0 && p.hdp_approx) {
          int64_t cross = 0;
          for (uint32_t i = 0; i < d; ++i) {
            const int32_t qa = q[r * A + h * d + i], ka = k[c * A + h * d + i];
            const int64_t qi = qa >> F, ki = ka >> F, qf = qa - qi * (int64_t{1} << F), kf = ka - ki * (int64_t{1} << F);
            cross += qi * kf + qf * ki;
          }
          wide = int_score(h, r, c) * (int64_t{1} << (2 * F)) + cross * (int64_t{1} << F);
        } else if (w == 0) {
          for (uint32_t i = 0; i < d; ++i) wide += int64_t{q[r * A + h * d + i]} * k[c * A + h * d + i];
        }
        if (w != 0) {
          dst = fx::kMaskMarker;
          n.hdp_head_masked += w == 1, n.hdp_block_masked += w == 2, n.leopard_masked += w == 3;
          continue;
        }
        int32_t v = fx::narrow_product_sum(wide);
        if (p.prune) {
          const int32_t kept = fx::dynatran(v, p.tau);
          n.dynatran_zeroed += v != 0 && kept == 0;
          v = kept;
        }
        dst = v;
      }
  }
  return out;
}

Tensor softmax(const Tensor& s, uint32_t rows, uint32_t cols, const SoftmaxParams& p) {
  Tensor out(uint64_t{rows} * cols, 0);
  for (uint64_t i = 0; i < rows; ++i) {
    const uint32_t v = p.causal ? static_cast<uint32_t>(std::min<uint64_t>({p.valid_cols, cols, i + cols - rows + 1}))
                                : std::min(p.valid_cols, cols);
    const int32_t* row = &s[i * cols];
    int32_t* o = &out[i * cols];
    // Masked: the padding columns and any score holding the MASK marker.
    std::vector<bool> live(v);
    for (uint32_t j = 0; j < v; ++j) live[j] = row[j] != fx::kMaskMarker;
    // x = scale * s at the format's fraction bits, or (per-tensor formats) in Q.16.
    const int score_frac = p.scaled ? p.in_frac : fx::frac_bits(), x_frac = p.scaled ? 16 : fx::frac_bits();
    const int out_frac = p.scaled ? p.out_frac : fx::frac_bits();
    std::vector<int64_t> x(v, 0);
    int64_t mx = INT64_MIN;
    for (uint32_t j = 0; j < v; ++j)
      if (live[j]) mx = std::max(mx, x[j] = fx::round_shift(int64_t{fx::wrap(row[j])} * p.scale, score_frac));
    if (mx == INT64_MIN) continue;  // every column masked: all probabilities 0
    std::vector<int64_t> e(v, 0);
    int64_t sum = 0;
    for (uint32_t j = 0; j < v; ++j)
      if (live[j]) sum += e[j] = fx::exp_neg_at(x[j] - mx, x_frac);
    const int64_t recip = ((int64_t{1} << 40) + sum / 2) / sum;
    const int shift = 40 - out_frac;  // e * recip: the probability in units of 2^-40
    for (uint32_t j = 0; j < v; ++j) o[j] = fx::saturate((e[j] * recip + (int64_t{1} << (shift - 1))) >> shift);
    if (p.topk > 0 && p.topk < v) {
      // Sort a copy; the k-th largest value decides.
      std::vector<uint32_t> idx(v);
      std::iota(idx.begin(), idx.end(), 0u);
      std::stable_sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return o[a] > o[b]; });
      const int32_t kth = o[idx[p.topk - 1]];
      if (p.topk_exact) {
        std::vector<bool> keep(v, false);
        for (uint32_t r = 0; r < p.topk; ++r) keep[idx[r]] = true;  // stable: ties by lowest index
        for (uint32_t j = 0; j < v; ++j)
          if (!keep[j]) o[j] = 0;
      } else {
        for (uint32_t j = 0; j < v; ++j)
          if (!(o[j] > kth)) o[j] = 0;
      }
    }
    if (p.prune)
      for (uint32_t j = 0; j < v; ++j) o[j] = p.scaled ? fx::dynatran_scaled(o[j], p.tau, out_frac) : fx::dynatran(o[j], p.tau);
  }
  return out;
}

namespace {
// A row's mean and standard deviation (with eps added to the variance), in the row's units.
struct RowMoments {
  int64_t mean;
  uint64_t sd;
};
RowMoments moments(const int32_t* r, uint32_t cols, uint32_t eps) {
  int64_t sum = 0;
  for (uint32_t j = 0; j < cols; ++j) sum += r[j];
  const int64_t mean = fx::div_round(sum, cols);
  __int128 sq = 0;  // each square below 2^40, up to 2^26 of them
  for (uint32_t j = 0; j < cols; ++j) sq += (r[j] - mean) * (r[j] - mean);
  return {mean, fx::isqrt(static_cast<uint64_t>(fx::div_round(sq, cols)) + eps)};
}
}  // namespace

Tensor layernorm(const Tensor& x_in, uint32_t rows, uint32_t cols, const Tensor& gamma_in, const Tensor& beta_in, uint32_t eps) {
  const Tensor x = words(x_in), gamma = words(gamma_in), beta = words(beta_in);
  Tensor y(uint64_t{rows} * cols);
  for (uint64_t i = 0; i < rows; ++i) {
    const int32_t* r = &x[i * cols];
    const auto [mean, sd] = moments(r, cols, eps);  // sd in units of 2^-n
    for (uint32_t j = 0; j < cols; ++j) {
      int64_t norm = 0;
      if (sd > 0) {
        const int64_t inv = static_cast<int64_t>(((uint64_t{1} << (fx::frac_bits() + 24)) + sd / 2) / sd);  // 1/sd in units of 2^-24
        norm = fx::round_shift((r[j] - mean) * inv, 24);
      }
      y[i * cols + j] = fx::saturate(fx::round_shift(norm * gamma[j], fx::frac_bits()) + beta[j]);
    }
  }
  return y;
}

Tensor layernorm_scaled(const Tensor& x_in, uint32_t rows, uint32_t cols, const Tensor& gamma_in, const Tensor& beta_in, uint32_t eps,
                        int gamma_frac, int out_frac) {
  const Tensor x = words(x_in), gamma = words(gamma_in), beta = words(beta_in);
  const int shift = 16 + gamma_frac - out_frac;  // norm (Q.16) * gamma has 16 + gamma_frac fraction bits
  Tensor y(uint64_t{rows} * cols);
  for (uint64_t i = 0; i < rows; ++i) {
    const int32_t* r = &x[i * cols];
    const auto [mean, sd] = moments(r, cols, eps);  // in x's units
    const int64_t inv = sd > 0 ? static_cast<int64_t>(((uint64_t{1} << 40) + sd / 2) / sd) : 0;  // 1/sd in units of 2^-24, times 2^16
    for (uint32_t j = 0; j < cols; ++j) {
      const int64_t norm = fx::round_shift((r[j] - mean) * inv, 24);  // Q.16
      y[i * cols + j] = fx::saturate(fx::round_shift(norm * gamma[j] + int64_t{beta[j]} * (int64_t{1} << shift), shift));
    }
  }
  return y;
}

Tensor add_scaled(const Tensor& a, const Tensor& b, int a_frac, int b_frac, int c_frac) {
  const int top = std::max({a_frac, b_frac, c_frac});
  Tensor c(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const int64_t sum = int64_t{fx::wrap(a[i])} * (int64_t{1} << (top - a_frac)) + int64_t{fx::wrap(b[i])} * (int64_t{1} << (top - b_frac));
    c[i] = fx::saturate(fx::round_shift(sum, top - c_frac));
  }
  return c;
}

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor c(a.size());
  for (size_t i = 0; i < a.size(); ++i) c[i] = fx::saturate(int64_t{fx::wrap(a[i])} + fx::wrap(b[i]));
  return c;
}

}  // namespace acc::ref
