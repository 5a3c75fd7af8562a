// The attention-score engine of the pruning units (the SCORE descriptor): for every head of one
// sequence, S_h = Q_h . K_h^T through the enabled stages, in this order (LeOPArd, HDP: docs/references.md; composition: docs/pruning.md):
//
//   1. HDP integer pass   Qi = Q >> F, Ki = K >> F, S_int = Qi . Ki^T (whenever an HDP stage is on)
//   2. HDP heads          importance of each head from S_int; a pruned head's scores are MASKED
//   3. HDP blocks         row-balanced: per block row, blocks below the threshold are MASKED
//   4. LeOPArd            keys keep their B most significant bits; the bit-serial engine streams
//                         them MSB first and MASKS a score as soon as partial + P_pos (2^b - 1) < Th
//                         (exact and conservative); survivors are q . k_B
//   5. value              survivors: q . k_B (LeOPArd), or HDP's approximation
//                         (Qi.Ki^T << 2F) + ((Qi.Kf^T + Qf.Ki^T) << F), or the exact q . k
//   6. DynaTran           survivors with |s| <= tau become 0 (ZERO)
//
// Q and K words are read as the words their containers carry (fx::wrap).
// Each pruned score is attributed to the first stage that pruned it. The engine also returns what
// the timing model needs: per output tile, the effectual work of each pass.
#pragma once

#include <cstdint>
#include <vector>

#include "fixed_point.hpp"
#include "matmul_kernel.hpp"
#include "pruning_config.hpp"

namespace acc {

struct ScoreSpec {
  uint32_t rows, cols, heads, head_dim;
  bool leopard, leopard_per_head, hdp_heads, hdp_blocks, hdp_approx, prune;
  uint32_t th_index;
  int32_t tau;
  uint32_t tile_rows, tile_cols;  // output tiles of the timing model
};

struct ScoreOutcome {
  // Scores pruned by each stage (first stage wins).
  uint64_t hdp_head_masked = 0, hdp_block_masked = 0, leopard_masked = 0, dynatran_zeroed = 0;
  uint32_t heads_pruned = 0;
  uint64_t saturated = 0;  // surviving scores clipped to the format when narrowed
  // The work done in multiply-accumulate equivalents: pairs of non-zero operands, weighted by the
  // bit products of each pass (integer part I^2/400, HDP approximation 2IF/400, LeOPArd the share
  // of the B bit planes it processed, exact 1).
  double mac_equivalents = 0;
  std::vector<uint64_t> leopard_bits;  // histogram: scores that used b bit-planes, b = 1..B (index b)
  // Per head, per output tile (row-major over the tile grid), per k-step of tile_cols depth:
  // effectual multiplies of the integer pass and of the value pass (0 for masked scores).
  std::vector<uint64_t> int_effectual, value_effectual;
  // Per head, per output tile, per tile row: bit-planes the LeOPArd engine processed.
  std::vector<uint64_t> leopard_row_bits;
  uint32_t row_tiles = 0, col_tiles = 0, ksteps = 0;
};

// Q (rows x d per head, head h at column h*d), K (cols x d per head), S (head h at h*rows*s_stride).
ScoreOutcome score_heads(const MatrixRef& q, const MatrixRef& k, const MatrixRef& s, const ScoreSpec& spec,
                         const PruningConfig& cfg);

// The B most significant bits of a key word (B <= the format's width) as a B-bit two's-complement integer.
inline int32_t leopard_key(int32_t k, unsigned key_bits) { return k >> (fx::word_bits() - static_cast<int>(key_bits)); }

}  // namespace acc
