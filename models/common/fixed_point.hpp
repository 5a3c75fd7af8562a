// AccelTran's number format: signed fixed point Q4.16 (4 integer bits including the sign, 16
// fraction bits, 20 bits in all), held in an int32_t. These scalar primitives are the only code
// the accelerator models share with the reference model.
//
// Rounding rule of every narrowing step: round to nearest, ties toward +infinity (add half an
// LSB, then shift right arithmetically), then saturate to the 20-bit range.
#pragma once

#include <cmath>
#include <cstdint>

namespace acc::fx {

constexpr int kFracBits = 16;
constexpr int kWordBits = 20;
constexpr int32_t kMax = (1 << (kWordBits - 1)) - 1;  //  7.99998...
constexpr int32_t kMin = -(1 << (kWordBits - 1));     // -8.0
constexpr int32_t kOne = 1 << kFracBits;

inline int32_t saturate(int64_t v) { return v > kMax ? kMax : (v < kMin ? kMin : static_cast<int32_t>(v)); }

inline bool saturates(int64_t v) { return v > kMax || v < kMin; }

// Narrows a wide value with `shift` extra fraction bits to Q4.16.
inline int64_t round_shift(int64_t v, int shift) {
  return shift == 0 ? v : (v + (int64_t{1} << (shift - 1))) >> shift;
}

// A matmul accumulator holds Q8.32 products summed; the output is Q4.16.
inline int32_t narrow_product_sum(int64_t acc) { return saturate(round_shift(acc, kFracBits)); }

inline int32_t from_double(double x) {
  const double scaled = std::floor(x * kOne + 0.5);
  if (scaled >= kMax) return kMax;
  if (scaled <= kMin) return kMin;
  return static_cast<int32_t>(scaled);
}

inline double to_double(int32_t q) { return static_cast<double>(q) / kOne; }

// The 20-bit word a 32-bit DRAM container carries: its low 20 bits, sign-extended.
inline int32_t wrap20(int32_t raw) {
  return static_cast<int32_t>(static_cast<uint32_t>(raw) << (32 - kWordBits)) >> (32 - kWordBits);
}

// A MASKED element (docs/pruning.md: a score pruned to -infinity, not to zero). The hardware keeps a
// mask bit beside the word; in the 32-bit container the VP writes this marker, whose 20-bit value
// is 0 (so zero-free transfers and sparsity counts see an absent value).
constexpr int32_t kMaskMarker = INT32_MIN;

// DynaTran's rule (the AccelTran paper, Tuli & Jha 2023): keep x only if x > tau or x < -tau.
inline int32_t dynatran(int32_t x, int32_t tau) { return (x > tau || x < -tau) ? x : 0; }

}  // namespace acc::fx
