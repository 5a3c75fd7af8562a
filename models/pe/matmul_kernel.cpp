#include "matmul_kernel.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "fixed_point.hpp"
#include "fx_math.hpp"
#include "nm.hpp"

namespace acc {

namespace {

// Rows of A up to which the direct integer path runs.
constexpr uint64_t kDirectRows = 4;

// A few rows (a decoder's token): exact 64-bit sums straight from the words, one pass over B with
// no copy of it (for such shapes, converting B and calling BLAS costs more than the products).
void direct_sums(const MatrixRef& a, const MatrixRef& b, const MatmulShape& s, double* cd, MatmulOutcome& out) {
  const fx::Format f = fx::format();
  const uint64_t m = s.m, k = s.k, n = s.n;
  thread_local std::vector<int64_t> a_words, sums;
  a_words.resize(m * k);
  sums.assign(m * n, 0);
  for (uint64_t i = 0; i < m; ++i)
    for (uint64_t p = 0; p < k; ++p) {
      const int32_t w = a.base[i * a.stride + p];
      a_words[i * k + p] = f.wrap(w);
      out.a_nonzero += f.word_nonzero(w);
    }
  if (s.transpose_b) {
    for (uint64_t j = 0; j < n; ++j) {
      const int32_t* row = b.base + j * b.stride;
      for (uint64_t p = 0; p < k; ++p) {
        const int64_t w = f.wrap(row[p]);
        out.b_nonzero += f.word_nonzero(row[p]);
        for (uint64_t i = 0; i < m; ++i) sums[i * n + j] += a_words[i * k + p] * w;
      }
    }
  } else {
    for (uint64_t p = 0; p < k; ++p) {
      const int32_t* row = b.base + p * b.stride;
      for (uint64_t j = 0; j < n; ++j) out.b_nonzero += f.word_nonzero(row[j]);
      for (uint64_t i = 0; i < m; ++i) {
        const int64_t x = a_words[i * k + p];
        int64_t* acc = &sums[i * n];
        for (uint64_t j = 0; j < n; ++j) acc[j] += x * f.wrap(row[j]);
      }
    }
  }
  // Below 2^53 (HW_MAX_K bounds the depth): exact as doubles, as the BLAS path's sums are.
  for (uint64_t i = 0; i < m * n; ++i) cd[i] = static_cast<double>(sums[i]);
}

// Every other shape: the words as doubles (exact: the sums stay below 2^53), one dgemm.
void blas_sums(const MatrixRef& a, const MatrixRef& b, const MatmulShape& s, std::vector<double>& ad, std::vector<double>& bd,
               std::vector<double>& cd, MatmulOutcome& out) {
  const fx::Format f = fx::format();
  const uint64_t m = s.m, k = s.k, n = s.n;
  for (uint64_t i = 0; i < m; ++i) {
    const int32_t* row = a.base + i * a.stride;
    double* dst = &ad[i * k];
    for (uint64_t p = 0; p < k; ++p) {
      dst[p] = f.wrap(row[p]);
      out.a_nonzero += f.word_nonzero(row[p]);
    }
  }
  if (s.transpose_b) {
    for (uint64_t j = 0; j < n; ++j) {
      const int32_t* row = b.base + j * b.stride;
      for (uint64_t p = 0; p < k; ++p) {
        bd[p * n + j] = f.wrap(row[p]);
        out.b_nonzero += f.word_nonzero(row[p]);
      }
    }
  } else {
    for (uint64_t p = 0; p < k; ++p) {
      const int32_t* row = b.base + p * b.stride;
      double* dst = &bd[p * n];
      for (uint64_t j = 0; j < n; ++j) {
        dst[j] = f.wrap(row[j]);
        out.b_nonzero += f.word_nonzero(row[j]);
      }
    }
  }
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0,
              ad.data(), static_cast<int>(k), bd.data(), static_cast<int>(n), 0.0, cd.data(), static_cast<int>(n));
}

// The activation and the non-zero count of a finished output row.
void activate_row(int32_t* row, uint64_t n, const MatmulEpilogue& epi, MatmulOutcome& out) {
  for (uint64_t j = 0; j < n; ++j) {
    if (epi.act == Activation::Gelu) row[j] = epi.scaled ? fx::gelu_at(row[j], epi.out_frac, out.activation_saturated) : fx::gelu(row[j], out.activation_saturated);
    if (epi.act == Activation::Tanh) row[j] = epi.scaled ? fx::tanh_at(row[j], epi.out_frac, out.activation_saturated) : fx::tanh_fx(row[j], out.activation_saturated);
    out.out_nonzero += row[j] != 0;
  }
}

// The per-tensor formats' epilogue: the same steps with the descriptor's shifts.
MatmulOutcome scaled_epilogue(const MatrixRef& c, const MatmulShape& s, const MatmulEpilogue& epi, const std::vector<double>& cd,
                              MatmulOutcome out) {
  const fx::Format f = fx::format();
  for (uint64_t i = 0; i < s.m; ++i) {
    int32_t* row = c.base + i * c.stride;
    for (uint64_t j = 0; j < s.n; ++j) {
      int64_t acc = static_cast<int64_t>(cd[i * s.n + j]);
      if (epi.bias) acc += fx::align_up(f.wrap(epi.bias[j]), epi.bias_shift);
      const int64_t narrowed = fx::round_shift(acc, epi.out_shift);
      out.saturated += f.saturates(narrowed);
      int32_t v = f.saturate(narrowed);
      if (epi.prune) {
        const int32_t kept = fx::dynatran_scaled(v, epi.tau, epi.out_frac);
        out.pruned += (v != 0 && kept == 0);
        v = kept;
      }
      row[j] = v;
    }
    if (epi.nm_n) out.nm_pruned += nm::prune_row(row, static_cast<uint32_t>(s.n), epi.nm_n, epi.nm_m);
    activate_row(row, s.n, epi, out);
  }
  return out;
}

// Bias, narrowing with saturation, DynaTran, dynamic N:M, the activation, per output.
MatmulOutcome epilogue(const MatrixRef& c, const MatmulShape& s, const MatmulEpilogue& epi, const std::vector<double>& cd, MatmulOutcome out) {
  if (epi.scaled) return scaled_epilogue(c, s, epi, cd, out);
  const fx::Format f = fx::format();
  const uint64_t m = s.m, n = s.n;
  for (uint64_t i = 0; i < m; ++i) {
    int32_t* row = c.base + i * c.stride;
    const double* src = &cd[i * n];
    for (uint64_t j = 0; j < n; ++j) {
      int64_t acc = static_cast<int64_t>(src[j]);
      if (epi.bias) acc += int64_t{f.wrap(epi.bias[j])} * f.one();
      const int64_t narrowed = fx::round_shift(acc, f.frac_bits());
      out.saturated += f.saturates(narrowed);
      int32_t v = f.saturate(narrowed);
      if (epi.prune) {
        const int32_t kept = fx::dynatran(v, epi.tau);
        out.pruned += (v != 0 && kept == 0);
        v = kept;
      }
      row[j] = v;
    }
    if (epi.nm_n) out.nm_pruned += nm::prune_row(row, static_cast<uint32_t>(n), epi.nm_n, epi.nm_m);
    activate_row(row, n, epi, out);
  }
  return out;
}

}  // namespace

MatmulOutcome matmul_values(const MatrixRef& a, const MatrixRef& b, const MatrixRef& c, const MatmulShape& s,
                            const MatmulEpilogue& epi) {
  thread_local std::vector<double> ad, bd, cd;
  const uint64_t m = s.m, k = s.k, n = s.n;
  // Grown, never shrunk: resize() would zero the part past a smaller op's size on every op, and
  // every element used is written below.
  for (auto [v, size] : {std::pair{&ad, m * k}, {&bd, k * n}, {&cd, m * n}})
    if (v->size() < size) v->resize(size);
  MatmulOutcome out;
  if (m <= kDirectRows) {
    direct_sums(a, b, s, cd.data(), out);
  } else {
    blas_sums(a, b, s, ad, bd, cd, out);
  }
  return epilogue(c, s, epi, cd, out);
}

SparsityProfile sparsity_profile(const MatrixRef& a, const MatrixRef& b, const MatmulShape& s, uint32_t tile_rows,
                                 uint32_t tile_cols) {
  const fx::Format f = fx::format();
  SparsityProfile p;
  p.k = s.k;
  p.row_blocks = (s.m + tile_rows - 1) / tile_rows;
  p.col_blocks = (s.n + tile_cols - 1) / tile_cols;
  p.a_col_nnz.assign(uint64_t{p.row_blocks} * s.k, 0);
  p.b_row_nnz.assign(uint64_t{s.k} * p.col_blocks, 0);
  for (uint64_t i = 0; i < s.m; ++i) {
    const int32_t* row = a.base + i * a.stride;
    uint32_t* acc = &p.a_col_nnz[(i / tile_rows) * s.k];
    for (uint64_t q = 0; q < s.k; ++q) acc[q] += f.word_nonzero(row[q]);
  }
  if (s.transpose_b) {
    for (uint64_t j = 0; j < s.n; ++j) {
      const int32_t* row = b.base + j * b.stride;
      const uint64_t cb = j / tile_cols;
      for (uint64_t q = 0; q < s.k; ++q) p.b_row_nnz[q * p.col_blocks + cb] += f.word_nonzero(row[q]);
    }
  } else {
    for (uint64_t q = 0; q < s.k; ++q) {
      const int32_t* row = b.base + q * b.stride;
      uint32_t* acc = &p.b_row_nnz[q * p.col_blocks];
      for (uint64_t cb = 0, j0 = 0; j0 < s.n; ++cb, j0 += tile_cols) {  // block by block: no division per word
        uint32_t count = 0;
        for (uint64_t j = j0; j < std::min<uint64_t>(j0 + tile_cols, s.n); ++j) count += f.word_nonzero(row[j]);
        acc[cb] += count;
      }
    }
  }
  return p;
}

}  // namespace acc
