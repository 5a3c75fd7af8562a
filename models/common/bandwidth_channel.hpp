// A bandwidth-limited resource (the DRAM data channel, a buffer port): a transfer reserves it for
// its bits at the channel's rate, in the first gap that fits (Timeline).
//
// Reservations are kept in ticks of 1/ticks_per_cycle() cycle, chosen so that both a cycle and a
// bit are whole numbers of ticks (for 25.6 GB/s at 700 MHz: 2048 ticks per cycle, 7 per bit). A
// stream of small bursts therefore costs its bits at the channel's rate, instead of every burst
// being rounded up to whole cycles on its own; only the cycles reported to the outside are rounded.
#pragma once

#include <cstdint>
#include <numeric>

#include "timeline.hpp"

namespace acc {

class BandwidthChannel {
 public:
  struct Slot {
    uint64_t start;  // cycle the first bit moves (rounded down)
    uint64_t end;    // cycle the last bit has moved (rounded up)
    double from = 0, to = 0;  // when the bits occupy the channel, in cycles, unrounded (for traces)
  };

  BandwidthChannel(uint64_t bits_per_second, uint64_t clock_hz) : bps_(bits_per_second), hz_(clock_hz) {
    const uint64_t g = std::gcd(bps_, hz_);
    if (g != 0 && bps_ / g <= kMaxExactTicks) {
      ticks_per_cycle_ = bps_ / g, ticks_per_bit_ = hz_ / g;
    } else {  // an unusual ratio: 2^16 ticks per cycle, each transfer rounded up to a tick
      ticks_per_cycle_ = uint64_t{1} << 16, ticks_per_bit_ = 0;
    }
  }

  // Reserves the channel for `bits`, starting no earlier than cycle `earliest` and, for a transfer
  // fed by a slower stream, ending no earlier than cycle `end_not_before` (cut-through: the last
  // bit cannot leave before it has arrived). A transfer that can use only 1/`share` of the
  // channel (one of `share` ports) occupies its share of the bandwidth but lasts `share` times
  // as long.
  Slot reserve(uint64_t earliest, uint64_t bits, uint64_t end_not_before = 0, uint64_t share = 1) {
    const uint64_t dur = ticks(bits), from = start_tick(earliest, share * dur, end_not_before);
    const uint64_t s = line_.reserve(from, dur);
    const double tpc = static_cast<double>(ticks_per_cycle_);
    return {s / ticks_per_cycle_, ceil_div(s + share * dur, ticks_per_cycle_), static_cast<double>(s) / tpc,
            static_cast<double>(s + dur) / tpc};
  }

  // Cycles `bits` occupy the channel (rounded up), for documentation and tests.
  uint64_t cycles(uint64_t bits) const { return ceil_div(ticks(bits), ticks_per_cycle_); }
  uint64_t ticks_per_cycle() const { return ticks_per_cycle_; }
  void forget_before(uint64_t cycle) { line_.forget_before(cycle * ticks_per_cycle_); }
  double busy_cycles() const { return static_cast<double>(line_.busy_cycles()) / static_cast<double>(ticks_per_cycle_); }

 private:
  static constexpr uint64_t kMaxExactTicks = uint64_t{1} << 24;
  static uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
  uint64_t ticks(uint64_t bits) const {
    if (ticks_per_bit_) return bits * ticks_per_bit_;
    const unsigned __int128 num = static_cast<unsigned __int128>(bits) * hz_ * ticks_per_cycle_;
    return static_cast<uint64_t>((num + bps_ - 1) / bps_);
  }
  uint64_t start_tick(uint64_t earliest, uint64_t dur, uint64_t end_not_before) const {
    const uint64_t from = earliest * ticks_per_cycle_, last = end_not_before * ticks_per_cycle_;
    return last > from + dur ? last - dur : from;
  }

  uint64_t bps_, hz_;
  uint64_t ticks_per_cycle_ = 1, ticks_per_bit_ = 0;
  Timeline line_;  // in ticks
};

}  // namespace acc
