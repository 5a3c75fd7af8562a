// The values of a MATMUL and the sparsity profile its timing needs. Plain C++ (no SystemC), so
// tests can drive it directly.
//
// Values: A and B are words of the number format (each container read as the word it carries, fx::wrap);
// C = narrow(sum_p A[i][p] * B[p][j]) with the sum held exactly
// (wide accumulator) and narrowed once (fx::narrow_product_sum). The exact sum is computed with a
// double-precision GEMM of the raw integers: every product of words of at most 20 bits is below 2^38 and, with K <= 2^14, every
// partial sum below 2^52, so each is an exactly representable integer (a double's significand has 53 bits).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace acc {

struct MatrixRef {
  int32_t* base;
  uint64_t stride;  // words between rows
};

struct MatmulShape {
  uint32_t m, k, n;
  bool transpose_b;  // B stored n x k
};

enum class Activation { None, Gelu, Tanh };

// What happens to each output after the accumulation: bias (added inside the accumulator, as
// bias << 16), one rounding, DynaTran, then the non-linearity.
struct MatmulEpilogue {
  const int32_t* bias = nullptr;  // 1 x n, or null
  bool prune = false;
  int32_t tau = 0;
  unsigned nm_n = 0, nm_m = 0;  // dynamic N:M on the output (after DynaTran), when nm_n > 0
  Activation act = Activation::None;
  // Per-tensor formats (int8, int16): the accumulator has fa + fb fraction bits; the bias enters it
  // shifted left by bias_shift, the sum is narrowed by out_shift to the output's out_frac, at which
  // DynaTran (tau in units of 2^-16) and the activation work.
  bool scaled = false;
  int out_shift = 0, out_frac = 0, bias_shift = 0;
};

struct MatmulOutcome {
  uint64_t saturated = 0;    // outputs clipped to the format's range when the accumulator is narrowed
  uint64_t activation_saturated = 0;  // GELU / tanh results clipped to the format's range
  uint64_t pruned = 0;       // non-zero outputs DynaTran set to zero
  uint64_t nm_pruned = 0;    // non-zero outputs dynamic N:M set to zero
  uint64_t out_nonzero = 0;  // non-zero outputs written
  uint64_t a_nonzero = 0, b_nonzero = 0;
  MatmulOutcome& operator+=(const MatmulOutcome& o) {
    saturated += o.saturated, activation_saturated += o.activation_saturated, pruned += o.pruned, nm_pruned += o.nm_pruned;
    out_nonzero += o.out_nonzero, a_nonzero += o.a_nonzero, b_nonzero += o.b_nonzero;
    return *this;
  }
};

// Non-zero counts the timing model needs:
//   a_col_nnz[rb * k + p]   non-zeros of A column p within row block rb (rows rb*R .. rb*R+R-1)
//   b_row_nnz[p * nb + cb]  non-zeros of B row p within column block cb (cols cb*C .. cb*C+C-1)
// so the effectual multiplies of tile (rb, cb, kb) are sum over p in kb of a_col_nnz * b_row_nnz.
struct SparsityProfile {
  uint32_t row_blocks = 0, col_blocks = 0, k = 0;
  std::vector<uint32_t> a_col_nnz, b_row_nnz;
};

// Computes C. A, B and C must not overlap. With `profile`, also the sparsity profile of A and B
// for tiles of tile_rows x tile_cols, counted in the same pass over them (equal to sparsity_profile's).
// `profile_ready`, if given, is called once on the calling thread as soon as the profile is complete,
// before C is: a large GEMM computes its products on the other cores meanwhile. It must not
// write A or B, nor touch C.
MatmulOutcome matmul_values(const MatrixRef& a, const MatrixRef& b, const MatrixRef& c, const MatmulShape& s,
                            const MatmulEpilogue& epi = {}, SparsityProfile* profile = nullptr, uint32_t tile_rows = 1,
                            uint32_t tile_cols = 1, const std::function<void()>& profile_ready = {});

// Effectual multiplies of every output tile's k-steps: entry [(rb * ksteps + kb) * col_blocks + cb]
// is the sum over the k-step's rows p (kb * depth .. kb * depth + depth - 1, below k) of
// a_col_nnz[rb][p] * b_row_nnz[p][cb]. Row by row of B's counts, so that the sums vectorise.
std::vector<uint64_t> effectual_per_kstep(const SparsityProfile& p, uint32_t depth);

SparsityProfile sparsity_profile(const MatrixRef& a, const MatrixRef& b, const MatmulShape& s, uint32_t tile_rows,
                                 uint32_t tile_cols);

}  // namespace acc
