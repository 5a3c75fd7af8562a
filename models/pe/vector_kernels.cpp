#include "vector_kernels.hpp"

#include <algorithm>

#include "fixed_point.hpp"
#include "fx_math.hpp"

namespace acc {

namespace {
uint32_t ceil_div(uint64_t a, uint64_t b) { return static_cast<uint32_t>((a + b - 1) / b); }
}  // namespace

QuickSelect quick_select(std::vector<int32_t> cand, uint32_t k, uint32_t p) {
  QuickSelect q{0, ceil_div(cand.size(), p) + ceil_div(k, p), 0};
  std::vector<int32_t> greater, less;
  for (;;) {
    ++q.iterations;
    q.cycles += ceil_div(cand.size(), p) + 4;
    const int32_t pivot = cand[cand.size() / 2];
    greater.clear();
    less.clear();
    uint32_t equal = 0;
    for (int32_t v : cand) {
      if (v > pivot)
        greater.push_back(v);
      else if (v < pivot)
        less.push_back(v);
      else
        ++equal;
    }
    if (k <= greater.size()) {
      cand.swap(greater);
    } else if (k <= greater.size() + equal) {
      q.kth = pivot;
      return q;
    } else {
      k -= static_cast<uint32_t>(greater.size()) + equal;
      cand.swap(less);
    }
  }
}

// Cloned, with the format in a local copy and the counts local, so that the exponentials (table
// gathers: fx::exp_neg_row_at) and the normalisation vectorise; GCC had kept them scalar. The
// scaling pass stays scalar.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
SoftmaxOutcome softmax_rows(const MatrixRef& in, const MatrixRef& out, const SoftmaxSpec& s) {
  const fx::Format f = fx::format();
  const uint32_t col_tiles = ceil_div(s.cols, s.tile_cols), row_tiles = ceil_div(s.rows, s.tile_rows);
  const uint32_t v_all = std::min(s.valid_cols, s.cols);
  SoftmaxOutcome o;
  o.tile_unmasked.assign(uint64_t{row_tiles} * col_tiles, 0);
  o.row_topk_cycles.assign(s.rows, 0);
  std::vector<int64_t> x(s.cols);
  std::vector<int32_t> e(s.cols);
  // x's fraction bits (the format's, or Q.16 in a per-tensor format), the scores', the output's.
  const int x_frac = s.scaled ? 16 : f.frac_bits(), score_frac = s.scaled ? s.in_frac : f.frac_bits();
  const int out_frac = s.scaled ? s.out_frac : f.frac_bits();
  auto prune = [&](int32_t p) { return s.scaled ? fx::dynatran_scaled(p, s.tau, out_frac) : fx::dynatran(p, s.tau); };
  uint64_t saturated = 0;
  for (uint32_t i = 0; i < s.rows; ++i) {
    const int32_t* src = in.base + i * in.stride;
    int32_t* dst = out.base + i * out.stride;
    // The causal mask shortens the row like the padding mask: row i is position i + cols - rows.
    const uint32_t v = s.causal ? std::min(v_all, i + s.cols - s.rows + 1) : v_all;
    // Pass 1, per tile: scale and local maximum of the unmasked entries (padding columns and
    // MASK markers are masked).
    int64_t row_max = INT64_MIN;
    for (uint32_t t = 0; t < col_tiles; ++t) {
      const uint32_t c0 = t * s.tile_cols, c1 = std::min(v, c0 + s.tile_cols);
      int64_t tile_max = INT64_MIN;
      uint32_t live = 0;
      for (uint32_t j = c0; j < c1; ++j) {
        const bool masked = src[j] == fx::kMaskMarker;
        const int64_t scaled = masked ? INT64_MIN : fx::round_shift(int64_t{f.wrap(src[j])} * s.scale, score_frac);
        x[j] = scaled;
        tile_max = std::max(tile_max, scaled);
        live += !masked;
      }
      o.tile_unmasked[(i / s.tile_rows) * col_tiles + t] += live;
      row_max = std::max(row_max, tile_max);
    }
    // Pass 2, per tile: exponentials and partial sums; the partial sums meet in a tree.
    int64_t row_sum = 0;
    for (uint32_t t = 0; t < col_tiles; ++t) {
      const uint32_t c0 = t * s.tile_cols, c1 = std::min(v, c0 + s.tile_cols);
      if (c0 < c1) row_sum += fx::exp_neg_row_at(&x[c0], row_max, INT64_MIN, &e[c0], c1 - c0, x_frac);
    }
    // Pass 3: normalise with one reciprocal per row; masked columns are 0.
    // e (Q0.16) x recip (2^40 / sum) is the probability in units of 2^-40; the format keeps n bits.
    const int64_t recip = row_sum > 0 ? ((int64_t{1} << 40) + row_sum / 2) / row_sum : 0;
    const int out_shift = 40 - out_frac;
    for (uint32_t j = 0; j < v; ++j) {
      const int64_t p = (int64_t{e[j]} * recip + (int64_t{1} << (out_shift - 1))) >> out_shift;
      dst[j] = f.saturate_counted(p, saturated);
    }
    for (uint32_t j = v; j < s.cols; ++j) dst[j] = 0;
    // Top-k on the probabilities, then DynaTran.
    if (s.topk > 0 && s.topk < v) {
      const QuickSelect q = quick_select(std::vector<int32_t>(dst, dst + v), s.topk, s.topk_parallelism);
      o.row_topk_cycles[i] = q.cycles;
      uint32_t ties_kept = 0, greater = 0;
      for (uint32_t j = 0; j < v; ++j) greater += dst[j] > q.kth;
      for (uint32_t j = 0; j < v; ++j) {
        bool keep = dst[j] > q.kth;
        if (!keep && s.topk_exact && dst[j] == q.kth && greater + ties_kept < s.topk) keep = true, ++ties_kept;
        if (!keep) {
          o.topk_dropped += dst[j] != 0;
          dst[j] = 0;
        }
      }
    }
    if (s.prune)
      for (uint32_t j = 0; j < v; ++j) {
        const int32_t kept = prune(dst[j]);
        o.pruned += dst[j] != 0 && kept == 0;
        dst[j] = kept;
      }
  }
  o.saturated = saturated;
  return o;
}

// Cloned, with the format in a local copy and local counts: with the process's format read through
// the output pointer's possible alias, GCC left every loop scalar.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
LayerNormOutcome layernorm_rows(const MatrixRef& in, const MatrixRef& out, const int32_t* gamma, const int32_t* beta,
                                const LayerNormSpec& s) {
  const fx::Format f = fx::format();
  const uint32_t col_tiles = ceil_div(s.cols, s.tile_cols), row_tiles = ceil_div(s.rows, s.tile_rows);
  LayerNormOutcome o;
  o.tile_zeros.assign(uint64_t{row_tiles} * col_tiles, 0);
  uint64_t saturated = 0;
  for (uint32_t i = 0; i < s.rows; ++i) {
    const int32_t* x = in.base + i * in.stride;
    int32_t* y = out.base + i * out.stride;
    // Per-tile partial sums, combined: mean, then variance. With 20-bit words (the widest) every square is
    // below 2^40 and a row has at most 2^26 words: the sum of squares needs more than 64 bits.
    int64_t sum = 0;
    for (uint32_t t = 0; t < col_tiles; ++t) {
      int64_t partial = 0;
      uint32_t zeros = 0;
      const uint32_t c0 = t * s.tile_cols, c1 = std::min(s.cols, c0 + s.tile_cols);
      for (uint32_t j = c0; j < c1; ++j) {
        const int32_t v = f.wrap(x[j]);
        partial += v;
        zeros += v == 0;
      }
      o.tile_zeros[(i / s.tile_rows) * col_tiles + t] += zeros;
      sum += partial;
    }
    const int64_t mean = fx::div_round(sum, s.cols);
    __int128 squares = 0;
    for (uint32_t t = 0; t < col_tiles; ++t) {
      int64_t partial = 0;  // below 2^40 per word, 2^48 per tile
      const uint32_t c0 = t * s.tile_cols, c1 = std::min(s.cols, c0 + s.tile_cols);
      for (uint32_t j = c0; j < c1; ++j) {
        const int64_t dev = f.wrap(x[j]) - mean;
        partial += dev * dev;
      }
      squares += partial;
    }
    const uint64_t sd = fx::isqrt(static_cast<uint64_t>(fx::div_round(squares, s.cols)) + s.eps);
    if (s.scaled) {  // per-tensor formats: the normalised value in Q.16, one narrowing to the output's scale
      const int64_t inv16 = sd > 0 ? static_cast<int64_t>(((uint64_t{1} << 40) + sd / 2) / sd) : 0;
      const int shift = 16 + s.gamma_frac - s.out_frac;
      for (uint32_t j = 0; j < s.cols; ++j) {
        const int64_t norm = fx::round_shift((f.wrap(x[j]) - mean) * inv16, 24);
        const int64_t wide = norm * f.wrap(gamma[j]) + fx::align_up(f.wrap(beta[j]), shift);
        y[j] = f.saturate_counted(fx::round_shift(wide, shift), saturated);
      }
      continue;
    }
    // 1/sd in units of 2^-24 (sd is in units of 2^-n): below 2^(n+24), and |x - mean| * inv below 2^62.
    const int64_t inv = sd > 0 ? static_cast<int64_t>(((uint64_t{1} << (f.frac_bits() + 24)) + sd / 2) / sd) : 0;
    // x may be y (in place): every input of the row has been read above.
    for (uint32_t j = 0; j < s.cols; ++j) {
      const int64_t norm = fx::round_shift((f.wrap(x[j]) - mean) * inv, 24);
      const int64_t v = fx::round_shift(norm * f.wrap(gamma[j]), f.frac_bits()) + f.wrap(beta[j]);
      y[j] = f.saturate_counted(v, saturated);
    }
  }
  o.saturated = saturated;
  return o;
}

// Cloned, the format in a local copy and the counts local, tile by tile, so that the sum vectorises
// (GCC unswitches the scaling): it had kept the loop scalar, the process's format possibly aliased
// by the output.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
AddOutcome add_tiles(const MatrixRef& a, const MatrixRef& b, const MatrixRef& c, uint32_t rows, uint32_t cols, uint32_t tile_rows,
                     uint32_t tile_cols, const AddScales& sc) {
  const fx::Format f = fx::format();
  const int top = std::max({sc.a_frac, sc.b_frac, sc.c_frac});
  const uint32_t col_tiles = ceil_div(cols, tile_cols), row_tiles = ceil_div(rows, tile_rows);
  AddOutcome o;
  o.tile_active.assign(uint64_t{row_tiles} * col_tiles, 0);
  uint64_t saturated = 0;
  for (uint32_t i = 0; i < rows; ++i) {
    const int32_t *x = a.base + i * a.stride, *y = b.base + i * b.stride;
    int32_t* z = c.base + i * c.stride;
    uint32_t* act = &o.tile_active[(i / tile_rows) * col_tiles];
    for (uint32_t j0 = 0, t = 0; j0 < cols; j0 += tile_cols, ++t) {
      const uint32_t j1 = std::min(cols, j0 + tile_cols);
      uint32_t active = 0;
      for (uint32_t j = j0; j < j1; ++j) {
        const int32_t u = f.wrap(x[j]), v = f.wrap(y[j]);
        active += (u | v) != 0;
        const int64_t sum = sc.scaled ? fx::round_shift(fx::align_up(u, top - sc.a_frac) + fx::align_up(v, top - sc.b_frac), top - sc.c_frac)
                                      : int64_t{u} + v;
        z[j] = f.saturate_counted(sum, saturated);
      }
      act[t] += active;
    }
  }
  o.saturated = saturated;
  return o;
}

}  // namespace acc
