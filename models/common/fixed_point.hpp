// AccelTran's number format: signed fixed point Q4.16 (4 integer bits including the sign, 16
// fraction bits, 20 bits in all), held in an int32_t. These scalar primitives are the only code
// the accelerator models share with the reference model.
//
// Rounding rule of every narrowing step: round to nearest, ties toward +infinity (add half an
// LSB, then shift right arithmetically), then saturate to the 20-bit range.
//
// Every function here is defined for every argument (no signed overflow, no shift of a negative
// value): firmware can put any 32-bit value in a buffer word, and the compute units read it as
// the 20-bit word it carries (wrap20), so the kernels' intermediates stay bounded.
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

// A 128-bit accumulator clipped to the int64 range.
inline int64_t saturate_int64(__int128 v) { return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : static_cast<int64_t>(v); }

// Saturates, and counts the values that had to be clipped (the saturation.* statistics).
inline int32_t saturate_counted(int64_t v, uint64_t& clipped) {
  clipped += saturates(v);
  return saturate(v);
}

// Narrows a wide value with `shift` (0..62) extra fraction bits: floor(v / 2^shift + 1/2), computed
// as the arithmetic shift plus the first bit shifted out, which cannot overflow (v + 2^(shift-1)
// could, for v near INT64_MAX).
inline int64_t round_shift(int64_t v, int shift) {
  return shift == 0 ? v : (v >> shift) + ((v >> (shift - 1)) & 1);
}

// A matmul accumulator holds Q8.32 products summed; the output is Q4.16.
inline int32_t narrow_product_sum(int64_t acc) { return saturate(round_shift(acc, kFracBits)); }

// Rounds to nearest and saturates; NaN (which has no nearest value) becomes 0. Readers of files
// reject NaN before they get here; this keeps the conversion itself defined.
inline int32_t from_double(double x) {
  if (std::isnan(x)) return 0;
  const double scaled = std::floor(x * kOne + 0.5);
  if (scaled >= kMax) return kMax;
  if (scaled <= kMin) return kMin;
  return static_cast<int32_t>(scaled);
}

// Whether from_double(x) clips x to the range (rather than rounding it to its nearest word).
inline bool from_double_saturates(double x) {
  const double scaled = std::floor(x * kOne + 0.5);
  return scaled > kMax || scaled < kMin;
}

inline double to_double(int32_t q) { return static_cast<double>(q) / kOne; }

// The 20-bit word a 32-bit container carries: its low 20 bits, sign-extended. The DMA stores this in
// the buffers; the compute units read every operand word through it (a word the host CPU wrote
// into a buffer may have any upper bits, and a MASK marker reads as 0).
inline int32_t wrap20(int32_t raw) {
  return static_cast<int32_t>(static_cast<uint32_t>(raw) << (32 - kWordBits)) >> (32 - kWordBits);
}

// A MASKED element (docs/pruning.md: a score pruned to -infinity, not to zero). The hardware keeps a
// mask bit beside the word; in the 32-bit container the VP writes this marker, whose 20-bit value
// is 0 (so zero-free transfers and sparsity counts see an absent value).
constexpr int32_t kMaskMarker = INT32_MIN;

// DynaTran's rule (the AccelTran paper, Tuli & Jha 2023): keep x only if x > tau or x < -tau.
// (In 64 bits: -tau of INT32_MIN would overflow.)
inline int32_t dynatran(int32_t x, int32_t tau) { return (x > tau || int64_t{x} < -int64_t{tau}) ? x : 0; }

}  // namespace acc::fx
