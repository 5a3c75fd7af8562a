// The datapath's number format: signed fixed point Qm.n (m integer bits including the sign, n
// fraction bits, m + n bits in all), held in an int32_t. AccelTran's Q4.16 (20 bits) is the
// default; the hardware configuration's `number_format` key chooses another (docs/configuration.md,
// "Number formats"). These scalar primitives are the only code the accelerator models share with the
// reference model.
//
// The format is a per-process setting (one simulation per process): the VP sets it from the
// configuration before it builds the platform or reads any weight (fx::set_format), and every
// primitive below reads it. The widest format is 20 bits, AccelTran's: the accumulators are exact
// for it (a product below 2^38, a sum of 2^14 of them below 2^52, exact in a double and an int64),
// and N:M's index bits sit above the word, in bits 23:20 of the container.
//
// Rounding rule of every narrowing step: round to nearest, ties toward +infinity (add half an
// LSB, then shift right arithmetically), then saturate to the format's range.
//
// Per-tensor-scaled formats (`int8`, `int16`): the word is a w-bit signed integer and each tensor
// has its own power-of-two scale 2^-f (f its fraction bits, 0..max_tensor_frac()); the compute
// descriptors carry the fraction bits and shifts of their operands (docs/registers.md), so that
// rescaling is an arithmetic shift at each narrowing, with the same rounding rule. The format's own
// frac_bits() (w - 2, a probability's) is what the primitives below use; the scaled kernels pass
// each tensor's explicitly.
//
// Every function here is defined for every argument (no signed overflow, no shift of a negative
// value): firmware can put any 32-bit value in a buffer word, and the compute units read it as
// the word it carries (wrap), so the kernels' intermediates stay bounded.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

namespace acc::fx {

// A fixed-point format Qm.n: `word_bits` = m + n bits, `frac_bits` = n of them after the point.
class Format {
 public:
  static constexpr int kMaxWordBits = 20;  // the accumulators' exactness bound (above)
  static constexpr int kMinWordBits = 4;
  constexpr Format() : Format(20, 16) {}
  constexpr Format(int word_bits, int frac_bits, bool per_tensor = false)
      : word_bits_(word_bits),
        frac_bits_(frac_bits),
        per_tensor_(per_tensor),
        max_((int32_t{1} << (word_bits - 1)) - 1),
        min_(-(int32_t{1} << (word_bits - 1))),
        one_(int32_t{1} << frac_bits),
        word_mask_((uint32_t{1} << word_bits) - 1) {}
  constexpr int word_bits() const { return word_bits_; }
  constexpr int frac_bits() const { return frac_bits_; }
  constexpr int int_bits() const { return word_bits_ - frac_bits_; }
  // int8/int16: each tensor has its own fraction bits (descriptor fields), at most max_tensor_frac().
  constexpr bool per_tensor() const { return per_tensor_; }
  constexpr int max_tensor_frac() const { return 2 * word_bits_ - 2; }
  constexpr int32_t max() const { return max_; }
  constexpr int32_t min() const { return min_; }
  constexpr int32_t one() const { return one_; }
  double max_value() const { return static_cast<double>(max_) / one_; }  // the largest value, 7.99998 for Q4.16
  double range() const { return -static_cast<double>(min_) / one_; }    // the magnitude of the most negative, 8 for Q4.16
  std::string name() const {
    return per_tensor_ ? "int" + std::to_string(word_bits_) : "q" + std::to_string(int_bits()) + "." + std::to_string(frac_bits_);
  }
  // The word a 32-bit container carries (fx::wrap), and whether it is non-zero: members so that a
  // hot loop can use a local copy of the format (kept in registers) rather than the process's.
  int32_t wrap(int32_t raw) const {
    const int unused = 32 - word_bits_;
    return static_cast<int32_t>(static_cast<uint32_t>(raw) << unused) >> unused;
  }
  bool word_nonzero(int32_t raw) const { return (static_cast<uint32_t>(raw) & word_mask_) != 0; }
  // Non-zero words among `n` containers: inlined into the kernels' vectorised clones.
  uint64_t count_nonzero(const int32_t* p, uint64_t n) const {
    uint64_t nz = 0;
    for (uint64_t i = 0; i < n; ++i) nz += word_nonzero(p[i]);
    return nz;
  }
  int32_t saturate(int64_t v) const { return v > max_ ? max_ : (v < min_ ? min_ : static_cast<int32_t>(v)); }
  bool saturates(int64_t v) const { return (v > max_) | (v < min_); }  // |, not ||: no branch in a vectorised loop
  // Saturates, and counts the values that had to be clipped (the saturation.* statistics); with
  // `clipped` a local of the caller, its loop still vectorises.
  int32_t saturate_counted(int64_t v, uint64_t& clipped) const {
    clipped += saturates(v);
    return saturate(v);
  }
  bool operator==(const Format& o) const {
    return word_bits_ == o.word_bits_ && frac_bits_ == o.frac_bits_ && per_tensor_ == o.per_tensor_;
  }
  bool operator!=(const Format& o) const { return !(*this == o); }

  // "q4.16" (or "Q4.16"): m = 4 integer bits including the sign, n = 16 fraction bits. Throws
  // std::invalid_argument naming what is wrong: m >= 2 (a probability of 1 must fit), m + n
  // within kMinWordBits..kMaxWordBits. "int8" and "int16": per-tensor-scaled integers.
  static Format parse(const std::string& text);
  static constexpr Format per_tensor_int(int word_bits) { return Format(word_bits, word_bits - 2, true); }

 private:
  int word_bits_, frac_bits_;
  bool per_tensor_;
  int32_t max_, min_, one_;
  uint32_t word_mask_;  // the word's bits in its container
};

constexpr Format kQ4_16{20, 16};  // AccelTran's, the default

namespace detail {
inline Format active_format;  // fx::set_format; read through the accessors below
}
inline void set_format(const Format& f) { detail::active_format = f; }
inline const Format& format() { return detail::active_format; }
inline int frac_bits() { return detail::active_format.frac_bits(); }
inline int word_bits() { return detail::active_format.word_bits(); }
inline int32_t one() { return detail::active_format.one(); }
inline int32_t max_word() { return detail::active_format.max(); }
inline int32_t min_word() { return detail::active_format.min(); }

inline int32_t saturate(int64_t v) { return format().saturate(v); }

inline bool saturates(int64_t v) { return format().saturates(v); }

// A 128-bit accumulator clipped to the int64 range.
inline int64_t saturate_int64(__int128 v) { return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : static_cast<int64_t>(v); }

// Saturates, and counts the values that had to be clipped (the saturation.* statistics).
inline int32_t saturate_counted(int64_t v, uint64_t& clipped) { return format().saturate_counted(v, clipped); }

// Narrows a wide value with `shift` (0..62) extra fraction bits: floor(v / 2^shift + 1/2), computed
// as the arithmetic shift plus the first bit shifted out, which cannot overflow (v + 2^(shift-1)
// could, for v near INT64_MAX). That bit is bit 0 of (v << 1) >> shift, none when shift is 0: no
// branch, so that loops calling it vectorise.
inline int64_t round_shift(int64_t v, int shift) {
  return (v >> shift) + static_cast<int64_t>((static_cast<uint64_t>(v) << 1 >> shift) & 1);
}

// A matmul accumulator holds products (2n fraction bits) summed; the output has n.
inline int32_t narrow_product_sum(int64_t acc) { return saturate(round_shift(acc, frac_bits())); }

// Rounds to nearest and saturates; NaN (which has no nearest value) becomes 0. Readers of files
// reject NaN before they get here; this keeps the conversion itself defined.
inline int32_t from_double(double x) {
  if (std::isnan(x)) return 0;
  const double scaled = std::floor(x * one() + 0.5);
  if (scaled >= max_word()) return max_word();
  if (scaled <= min_word()) return min_word();
  return static_cast<int32_t>(scaled);
}

// Whether from_double(x) clips x to the range (rather than rounding it to its nearest word).
inline bool from_double_saturates(double x) {
  const double scaled = std::floor(x * one() + 0.5);
  return scaled > max_word() || scaled < min_word();
}

inline double to_double(int32_t q) { return static_cast<double>(q) / one(); }

// The word a 32-bit container carries: its low word_bits() bits, sign-extended. The DMA stores this
// in the buffers; the compute units read every operand word through it (a word the host CPU wrote
// into a buffer may have any upper bits, and a MASK marker reads as 0).
inline int32_t wrap(int32_t raw) { return format().wrap(raw); }

// Whether a container's word is non-zero (the zero-free formats count these).
inline bool word_nonzero(int32_t raw) { return format().word_nonzero(raw); }

// A MASKED element (docs/pruning.md: a score pruned to -infinity, not to zero). The hardware keeps a
// mask bit beside the word; in the 32-bit container the VP writes this marker, whose word value is
// 0 in every format (so zero-free transfers and sparsity counts see an absent value).
constexpr int32_t kMaskMarker = INT32_MIN;

// DynaTran's rule (the AccelTran paper, Tuli & Jha 2023): keep x only if x > tau or x < -tau.
// (In 64 bits: -tau of INT32_MIN would overflow.)
inline int32_t dynatran(int32_t x, int32_t tau) { return (x > tau || int64_t{x} < -int64_t{tau}) ? x : 0; }

// Per-tensor-scaled formats: DynaTran with tau in units of 2^-16 (the DYNATRAN_TAU register) on a
// word with `frac` fraction bits, compared exactly (|x| * 2^16 against tau * 2^frac: no rounding
// of tau to the tensor's scale). tau is 0..2^20-1 (the register's mask), frac at most 40.
inline int32_t dynatran_scaled(int32_t x, int32_t tau_q16, int frac) {
  const uint64_t mag = x < 0 ? uint64_t{0} - static_cast<uint64_t>(int64_t{x}) : static_cast<uint64_t>(x);
  const uint64_t tau = tau_q16 < 0 ? 0 : static_cast<uint64_t>(tau_q16);
  return (mag << 16) > (tau << frac) ? x : 0;
}

// v * 2^shift (shift 0..40, |v| below 2^22): the left-aligning shifter of a scaled sum, as a
// multiplication (a left shift of a negative value is undefined in C++17).
inline int64_t align_up(int64_t v, int shift) { return v * (int64_t{1} << shift); }

}  // namespace acc::fx
