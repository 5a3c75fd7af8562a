// The reference model: a plain, obviously correct implementation of the accelerator's
// arithmetic, sharing only the scalar primitives (fixed_point.hpp, fx_math.hpp) and the HDP
// settings (pruning_config.hpp: register values, no code) with the models.
// Tests compare the platform's results with it bit for bit. No tiling, no BLAS, no cleverness.
// Every input word is read as the word it carries (fx::wrap), as the compute units read
// their operands; SOFTMAX recognises the MASK marker first.
#pragma once

#include <cstdint>
#include <vector>

#include "pruning_config.hpp"

namespace acc::ref {

using Tensor = std::vector<int32_t>;  // row-major words of the number format (fx::format())

enum class Act { None, Gelu, Tanh };

// C[m x n] = act(prune(A[m x k] . B[k x n] + bias)) (B given n x k if transpose_b). Each output is the
// exact sum of products (plus bias << 16) narrowed once; DynaTran (|c| <= tau -> 0) when prune is set.
// With nm_n > 0, dynamic N:M (nm_n of every nm_m columns) runs on the output after DynaTran.
Tensor matmul(const Tensor& a, const Tensor& b, uint32_t m, uint32_t k, uint32_t n, bool transpose_b = false,
              bool prune = false, int32_t tau = 0, const Tensor* bias = nullptr, Act act = Act::None, unsigned nm_n = 0,
              unsigned nm_m = 0);

// Per-tensor-scaled formats (int8, int16): the fraction bits of A, B, the output C and the bias
// (bias <= a + b: the bias enters the accumulator shifted left). C = narrow(sum A.B + bias) to c
// bits; DynaTran compares with tau in units of 2^-16; GELU/tanh at c bits.
struct MatmulFracs {
  int a = 0, b = 0, c = 0, bias = 0;
};
Tensor matmul_scaled(const Tensor& a, const Tensor& b, uint32_t m, uint32_t k, uint32_t n, const MatmulFracs& f, bool transpose_b = false,
                     bool prune = false, int32_t tau_q16 = 0, const Tensor* bias = nullptr, Act act = Act::None, unsigned nm_n = 0,
                     unsigned nm_m = 0);

struct SoftmaxParams {
  uint32_t valid_cols;  // columns from here on are MASKED
  int32_t scale;        // in the number format
  uint32_t topk = 0;    // 0: off
  bool topk_exact = false;
  bool prune = false;
  int32_t tau = 0;
  bool causal = false;  // row i masks columns j > i + cols - rows (rows <= cols)
  // Per-tensor formats: the scores' and probabilities' fraction bits; scale is then Q.16 and tau
  // in units of 2^-16.
  bool scaled = false;
  int in_frac = 0, out_frac = 0;
};
// Row-wise softmax of scores[rows x cols] (see SOFTMAX in docs/registers.md).
Tensor softmax(const Tensor& scores, uint32_t rows, uint32_t cols, const SoftmaxParams& p);

// Row-wise layer normalisation of x[rows x cols]; eps in units of 2^-32.
Tensor layernorm(const Tensor& x, uint32_t rows, uint32_t cols, const Tensor& gamma, const Tensor& beta, uint32_t eps);

// Per-tensor formats: gamma's fraction bits, the output's (and beta's); eps in units of 2^-2fx (x's variance).
Tensor layernorm_scaled(const Tensor& x, uint32_t rows, uint32_t cols, const Tensor& gamma, const Tensor& beta, uint32_t eps,
                        int gamma_frac, int out_frac);

// Elementwise saturating sum.
Tensor add(const Tensor& a, const Tensor& b);
// Per-tensor formats: A, B and C with their own fraction bits.
Tensor add_scaled(const Tensor& a, const Tensor& b, int a_frac, int b_frac, int c_frac);

// The SCORE descriptor (docs/pruning.md): scores of `heads` heads with the pruning stages on.
struct ScoreParams {
  bool leopard = false, leopard_per_head = false, hdp_heads = false, hdp_blocks = false, hdp_approx = false, prune = false;
  int32_t tau = 0;
  unsigned key_bits = 12;
  std::vector<int64_t> thresholds;  // LeOPArd thresholds, by head (or one for every head)
  HdpSettings hdp;
};
struct ScoreCounts {
  uint64_t hdp_head_masked = 0, hdp_block_masked = 0, leopard_masked = 0, dynatran_zeroed = 0;
  std::vector<uint64_t> leopard_bits;  // scores that used b bit planes, index b
};
// q: rows x (heads*d), k: cols x (heads*d); returns heads x rows x cols scores (MASKED = the marker).
Tensor scores(const Tensor& q, const Tensor& k, uint32_t rows, uint32_t cols, uint32_t heads, uint32_t d, const ScoreParams& p,
              ScoreCounts* counts = nullptr);

// LeOPArd's bit-serial decision for one score, one bit plane at a time (LeOPArd, Li et al. 2022).
struct LeopardResult {
  bool pruned;
  unsigned bits_used;
  int64_t score;  // q . k_B, complete when bits_used == key_bits
};
LeopardResult leopard(const int32_t* q, const int32_t* k, uint32_t d, unsigned key_bits, int64_t threshold);

// N:M on dense weights k x n: per column, in every M consecutive rows keep the N largest |w|
// (ties: the lower index); the rest become 0.
Tensor nm_weights(const Tensor& w, uint32_t k, uint32_t n, unsigned N, unsigned M);
// Dynamic N:M on activations: per row, in every M consecutive columns keep the N largest |x|.
Tensor nm_activations(const Tensor& x, uint32_t rows, uint32_t cols, unsigned N, unsigned M);

}  // namespace acc::ref
