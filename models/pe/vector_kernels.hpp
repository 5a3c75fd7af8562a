// Values of the PE cluster's non-matmul ops, computed tile by tile as the units walk them, and
// the per-tile measurements their timing needs. Plain C++ (no SystemC). Independent of the
// reference model (models/reference), which tests compare them with bit for bit. Every input word
// is read as the word its container carries (fx::wrap; SOFTMAX first recognises the MASK
// marker), and every result is saturated to the number format and counted when it had to be.
#pragma once

#include <cstdint>
#include <vector>

#include "matmul_kernel.hpp"

namespace acc {

struct SoftmaxSpec {
  uint32_t rows, cols, valid_cols;
  int32_t scale;   // in the number format
  uint32_t topk;   // 0: off
  bool topk_exact;
  bool prune;
  int32_t tau;
  uint32_t tile_rows, tile_cols;
  uint32_t topk_parallelism;  // comparators of the top-k engine
  bool causal = false;        // row i masks columns j > i + cols - rows
  // Per-tensor formats (int8, int16): the scores have in_frac fraction bits and the scale is Q.16
  // (scale * s narrowed to Q.16 for the exponential); the probabilities get out_frac; tau is in
  // units of 2^-16.
  bool scaled = false;
  int in_frac = 0, out_frac = 0;
};

struct SoftmaxOutcome {
  // Per tile (row block major): entries that are not MASKED, i.e. that cost an exponential.
  std::vector<uint32_t> tile_unmasked;
  // Per row: cycles of the quick-select top-k engine (0 when top-k is off or bypassed).
  std::vector<uint32_t> row_topk_cycles;
  uint64_t pruned = 0;        // probabilities DynaTran set to zero
  uint64_t topk_dropped = 0;  // probabilities top-k set to zero
  uint64_t saturated = 0;     // probabilities clipped to the format (none can be: they are at most 1)
};

SoftmaxOutcome softmax_rows(const MatrixRef& in, const MatrixRef& out, const SoftmaxSpec& s);

struct LayerNormSpec {
  uint32_t rows, cols, eps;
  uint32_t tile_rows, tile_cols;
  // Per-tensor formats: gamma has gamma_frac fraction bits, beta and the output out_frac; the
  // normalised value is kept in Q.16 (its scale does not depend on x's).
  bool scaled = false;
  int gamma_frac = 0, out_frac = 0;
};
struct LayerNormOutcome {
  std::vector<uint32_t> tile_zeros;  // per tile, the zero inputs (the layer-norm unit skips them in its sums)
  uint64_t saturated = 0;            // outputs clipped to the format
};
LayerNormOutcome layernorm_rows(const MatrixRef& in, const MatrixRef& out, const int32_t* gamma, const int32_t* beta,
                                const LayerNormSpec& s);

// C = A + B elementwise (saturating). Per-tensor formats: A, B and C have their own fraction bits;
// the sum is aligned to the largest of the three and narrowed once.
struct AddScales {
  bool scaled = false;
  int a_frac = 0, b_frac = 0, c_frac = 0;
};
struct AddOutcome {
  std::vector<uint32_t> tile_active;  // per tile, the positions where A or B is non-zero
  uint64_t saturated = 0;             // sums clipped to the format
};
AddOutcome add_tiles(const MatrixRef& a, const MatrixRef& b, const MatrixRef& c, uint32_t rows, uint32_t cols, uint32_t tile_rows,
                     uint32_t tile_cols, const AddScales& scales = {});

// The k-th largest of `values` (1-based k <= n) by quick-select (pivot: the middle candidate),
// and the top-k engine's cycles: ceil(n/P) to fill, per iteration ceil(n_i/P) + 4, ceil(k/P) out.
struct QuickSelect {
  int32_t kth;
  uint32_t cycles;
  uint32_t iterations;
};
QuickSelect quick_select(std::vector<int32_t> values, uint32_t k, uint32_t parallelism);

}  // namespace acc
