// N:M sparsity (Fang, Zhou & Wang 2022; docs/references.md: N:M): in every group of M consecutive values along the reduction
// dimension keep the N largest magnitudes (ties: the lower index wins).
//
// Compressed weights (the NM_WEIGHTS operand of a MATMUL, LOAD with NM_META): a k x n dense matrix
// becomes ceil(k/M)*N rows; row g*N + s holds, for every column, the s-th kept value of group g
// (kept values in ascending index order) in the low bits of its container (the format's word) and its index within the
// group in bits 23:20. A group shorter than M (the last, when M does not divide k) still has N rows;
// the missing values are zeros.
#pragma once

#include <cstdint>
#include <vector>

#include "fixed_point.hpp"

namespace acc::nm {

inline int32_t pack(int32_t value, unsigned index) {
  const uint32_t word_mask = (uint32_t{1} << fx::word_bits()) - 1;  // the format's word, at most 20 bits
  return static_cast<int32_t>((static_cast<uint32_t>(value) & word_mask) | (static_cast<uint32_t>(index) << 20));
}
inline int32_t value(int32_t word) { return fx::wrap(word); }
inline unsigned index(int32_t word) { return (static_cast<uint32_t>(word) >> 20) & 0xFu; }

inline uint32_t compressed_rows(uint32_t k, unsigned n, unsigned m) { return (k + m - 1) / m * n; }
inline unsigned index_bits(unsigned m) {
  unsigned b = 0;
  while ((1u << b) < m) ++b;
  return b;
}

// Dense k x n (row-major) to the compressed format.
std::vector<int32_t> compress(const std::vector<int32_t>& dense, uint32_t k, uint32_t n, unsigned N, unsigned M);

// The compressed operand (rows g*N + s, `stride` words apart) back to a dense k x n matrix.
void decompress(const int32_t* c, uint64_t stride, uint32_t k, uint32_t n, unsigned N, unsigned M, std::vector<int32_t>& dense);

// Dynamic N:M on activations: in every M consecutive values of the row keep the N largest |x|.
// Returns how many non-zero values it set to zero.
uint64_t prune_row(int32_t* row, uint32_t cols, unsigned N, unsigned M);

}  // namespace acc::nm
