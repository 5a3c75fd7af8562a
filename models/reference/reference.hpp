// The reference model: a plain, obviously correct implementation of the accelerator's
// arithmetic, sharing only the scalar primitives of fixed_point.hpp with the models. Tests compare
// the platform's results with it bit for bit. No tiling, no BLAS, no cleverness.
#pragma once

#include <cstdint>
#include <vector>

namespace acc::ref {

using Tensor = std::vector<int32_t>;  // row-major Q4.16 words

// C[m x n] = A[m x k] . B[k x n] (B given n x k if transpose_b), each output the exact sum of
// products narrowed once; DynaTran at the output when prune is set.
Tensor matmul(const Tensor& a, const Tensor& b, uint32_t m, uint32_t k, uint32_t n, bool transpose_b = false,
              bool prune = false, int32_t tau = 0);

}  // namespace acc::ref
