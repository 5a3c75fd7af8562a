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

class Clock {
 public:
  explicit Clock(double freq_hz = 700e6) : hz_(static_cast<uint64_t>(freq_hz + 0.5)) {
    const uint64_t g = std::gcd(kPsPerSecond, hz_);
    ps_per_g_ = kPsPerSecond / g, hz_per_g_ = hz_ / g, half_hz_per_g_ = hz_ / 2 / g, half_second_per_g_ = kPsPerSecond / 2 / g;
  }

  uint64_t hz() const { return hz_; }
  double period_ns() const { return 1e9 / static_cast<double>(hz_); }

  // Both conversions divide numerator and divisor by their gcd first (floor((a g + b) / (c g)) =
  // floor((a + floor(b / g)) / c)): the same result in 64-bit arithmetic while it fits, instead of
  // a 128-bit division, which every bus transaction paid twice.
  sc_core::sc_time to_time(uint64_t cycles) const {
    const uint64_t ps = cycles <= (UINT64_MAX - half_hz_per_g_) / ps_per_g_
                            ? (cycles * ps_per_g_ + half_hz_per_g_) / hz_per_g_
                            : static_cast<uint64_t>((static_cast<unsigned __int128>(cycles) * kPsPerSecond + hz_ / 2) / hz_);
    return sc_core::sc_time::from_value(static_cast<sc_dt::uint64>(ps) * ps_to_value());
  }

  uint64_t to_cycles(const sc_core::sc_time& t) const {
    const uint64_t ps = t.value() / ps_to_value();
    if (hz_per_g_ && ps <= (UINT64_MAX - half_second_per_g_) / hz_per_g_) return (ps * hz_per_g_ + half_second_per_g_) / ps_per_g_;
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
  uint64_t hz_;
  uint64_t ps_per_g_, hz_per_g_, half_hz_per_g_, half_second_per_g_;  // the fractions above, reduced
};

}  // namespace acc
