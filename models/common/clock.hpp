// Cycle <-> SystemC time conversion for one clock domain.
//
// Accelerator timing is computed in integer cycles (700 MHz has no exact picosecond period), and
// converted to sc_time only to synchronise with the kernel. The conversion rounds to the nearest
// picosecond, and to_cycles() inverts it exactly for any time produced by to_time().
#pragma once

#include <systemc>

#include <cstdint>
#include <numeric>

namespace acc {

// Division by a divisor fixed at run time as a multiply, an add and shifts (Granlund and Montgomery,
// "Division by Invariant Integers using Multiplication", PLDI 1994, figure 4.1): floor(n / d) for
// every 64-bit n. Every bus transaction converts times between cycles and picoseconds several
// times, and a 64-bit divide takes tens of cycles on some cores (most of MemoryTarget::b_transport's
// time on a Zen 1).
class InvariantDivisor {
 public:
  explicit InvariantDivisor(uint64_t d = 1) : one_(d == 1) {
    if (d < 2) return;
    shift_ = 64 - static_cast<unsigned>(__builtin_clzll(d - 1));  // ceil(log2 d), 1 to 64
    const unsigned __int128 two_to_shift = static_cast<unsigned __int128>(1) << shift_;
    magic_ = static_cast<uint64_t>(((two_to_shift - d) << 64) / d) + 1;  // floor(2^64 (2^shift - d) / d) + 1
  }
  uint64_t divide(uint64_t n) const {
    if (one_) return n;
    const uint64_t t = static_cast<uint64_t>((static_cast<unsigned __int128>(magic_) * n) >> 64);
    return (t + ((n - t) >> 1)) >> (shift_ - 1);
  }

 private:
  bool one_;
  unsigned shift_ = 1;
  uint64_t magic_ = 0;
};

class Clock {
 public:
  explicit Clock(double freq_hz = 700e6) : hz_(static_cast<uint64_t>(freq_hz + 0.5)) {
    const uint64_t g = std::gcd(kPsPerSecond, hz_);
    ps_per_g_ = kPsPerSecond / g, hz_per_g_ = hz_ / g, half_hz_per_g_ = hz_ / 2 / g, half_second_per_g_ = kPsPerSecond / 2 / g;
    max_fast_cycles_ = (UINT64_MAX - half_hz_per_g_) / ps_per_g_;
    max_fast_ps_ = hz_per_g_ ? (UINT64_MAX - half_second_per_g_) / hz_per_g_ : 0;
    by_hz_per_g_ = InvariantDivisor(hz_per_g_ ? hz_per_g_ : 1), by_ps_per_g_ = InvariantDivisor(ps_per_g_);
  }

  uint64_t hz() const { return hz_; }
  double period_ns() const { return 1e9 / static_cast<double>(hz_); }

  // Both conversions divide numerator and divisor by their gcd first (floor((a g + b) / (c g)) =
  // floor((a + floor(b / g)) / c)): the same result in 64-bit arithmetic while it fits, instead of
  // a 128-bit division, which every bus transaction paid twice. The divisions by the reduced
  // fractions, and the bounds of the 64-bit paths, are computed once.
  sc_core::sc_time to_time(uint64_t cycles) const {
    const uint64_t ps = cycles <= max_fast_cycles_
                            ? by_hz_per_g_.divide(cycles * ps_per_g_ + half_hz_per_g_)
                            : static_cast<uint64_t>((static_cast<unsigned __int128>(cycles) * kPsPerSecond + hz_ / 2) / hz_);
    return sc_core::sc_time::from_value(static_cast<sc_dt::uint64>(ps) * ps_to_value());
  }

  uint64_t to_cycles(const sc_core::sc_time& t) const {
    const uint64_t ps = values_per_ps().divide(t.value());
    if (ps <= max_fast_ps_) return by_ps_per_g_.divide(ps * hz_per_g_ + half_second_per_g_);
    return static_cast<uint64_t>((static_cast<unsigned __int128>(ps) * hz_ + kPsPerSecond / 2) / kPsPerSecond);
  }

  uint64_t now() const { return to_cycles(sc_core::sc_time_stamp()); }

  // The first clock edge at or after t (an event between edges takes effect at the next one).
  uint64_t cycle_at_or_after(const sc_core::sc_time& t) const {
    const uint64_t c = to_cycles(t);
    return to_time(c) < t ? c + 1 : c;
  }

 private:
  static constexpr uint64_t kPsPerSecond = 1000000000000ull;
  // The kernel's time resolution must be 1 ps or finer (SystemC's default is 1 ps).
  static sc_dt::uint64 ps_to_value() {
    static const sc_dt::uint64 v = sc_core::sc_time(1, sc_core::SC_PS).value();
    return v;
  }
  static const InvariantDivisor& values_per_ps() {  // 1 at SystemC's default resolution: no divide
    static const InvariantDivisor d(ps_to_value());
    return d;
  }
  uint64_t hz_;
  uint64_t ps_per_g_, hz_per_g_, half_hz_per_g_, half_second_per_g_;  // the fractions above, reduced
  uint64_t max_fast_cycles_, max_fast_ps_;                           // the 64-bit paths' largest inputs
  InvariantDivisor by_hz_per_g_, by_ps_per_g_;
};

}  // namespace acc
