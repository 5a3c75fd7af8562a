// The reference model: a plain, obviously correct implementation of the accelerator's
// arithmetic, sharing only the scalar primitives (fixed_point.hpp, fx_math.hpp) with the models.
// Tests compare the platform's results with it bit for bit. No tiling, no BLAS, no cleverness.
#pragma once

#include <cstdint>
#include <vector>

namespace acc::ref {

using Tensor = std::vector<int32_t>;  // row-major Q4.16 words

enum class Act { None, Gelu, Tanh };

// C[m x n] = act(prune(A[m x k] . B[k x n] + bias)) (B given n x k if transpose_b). Each output is the
// exact sum of products (plus bias << 16) narrowed once; DynaTran (|c| <= tau -> 0) when prune is set.
Tensor matmul(const Tensor& a, const Tensor& b, uint32_t m, uint32_t k, uint32_t n, bool transpose_b = false,
              bool prune = false, int32_t tau = 0, const Tensor* bias = nullptr, Act act = Act::None);

struct SoftmaxParams {
  uint32_t valid_cols;  // columns from here on are MASKED
  int32_t scale;        // Q4.16
  uint32_t topk = 0;    // 0: off
  bool topk_exact = false;
  bool prune = false;
  int32_t tau = 0;
};
// Row-wise softmax of scores[rows x cols] (see SOFTMAX in docs/registers.md).
Tensor softmax(const Tensor& scores, uint32_t rows, uint32_t cols, const SoftmaxParams& p);

// Row-wise layer normalisation of x[rows x cols]; eps in units of 2^-32.
Tensor layernorm(const Tensor& x, uint32_t rows, uint32_t cols, const Tensor& gamma, const Tensor& beta, uint32_t eps);

// Elementwise saturating sum.
Tensor add(const Tensor& a, const Tensor& b);

}  // namespace acc::ref
