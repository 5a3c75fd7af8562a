// Values the datapath clipped to the number format's range, per rounding site: the PE cluster counts them
// (saturation.* statistics) and a job's result line shows them beside "bit-exact", which is true
// of clipped values too. Plain C++.
#pragma once

#include <cstdint>
#include <string>

namespace acc {

struct Saturation {
  uint64_t matmul = 0;      // MATMUL accumulators narrowed to Q4.16
  uint64_t score = 0;       // SCORE descriptors' surviving scores narrowed to Q4.16
  uint64_t activation = 0;  // GELU / tanh results (GELU(x) <= x, |tanh| <= 1: none can be clipped)
  uint64_t softmax = 0;     // probabilities (at most 1: none can be clipped)
  uint64_t layernorm = 0;   // layer-norm outputs
  uint64_t add = 0;         // ADD sums (the residual connections)
  uint64_t total() const { return matmul + score + activation + softmax + layernorm + add; }
  // "no value saturated", or the total and each site that clipped ("10234 values saturated to
  // +-8 (add 10234)"); `weights` and `inputs` (embeddings, pixels): values clipped when they were
  // loaded, appended when non-zero.
  std::string describe(uint64_t weights = 0, uint64_t inputs = 0) const;
};

}  // namespace acc
