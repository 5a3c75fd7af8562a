// Main memory (LP-DDR3, RRAM or HBM): one data channel of the configured bandwidth, a first-access
// latency per burst, and energy per 64-element block transferred (REFERENCE §1.2).
#pragma once

#include <map>

#include "clock.hpp"
#include "hw_config.hpp"
#include "memory_target.hpp"
#include "stats.hpp"
#include "timeline.hpp"

namespace acc {

class Dram : public MemoryTarget {
 public:
  Dram(sc_core::sc_module_name name, const HwConfig& cfg, const Clock& clock);

  // Cycles the channel needs for `bits` (rounded up, exact integer arithmetic).
  uint64_t transfer_cycles(uint64_t bits) const;
  uint64_t latency_cycles() const { return latency_; }

  void collect_stats(Stats& s, const StatsContext& ctx) const;
  void attribute(const StatsContext& ctx, Attribution& a) const;

 protected:
  uint64_t schedule(bool write, uint64_t start, uint64_t bits, uint64_t words, uint64_t nonzero, uint32_t tag) override;

 private:
  uint64_t bw_bits_per_s_;  // bandwidth in bits per second
  uint64_t latency_;        // cycles
  Timeline channel_;
  uint64_t reads_ = 0, writes_ = 0, read_bits_ = 0, write_bits_ = 0, blocks_ = 0;
  uint64_t words_ = 0, nonzero_ = 0;
  struct TagTraffic {
    uint64_t bits = 0, blocks = 0;
  };
  std::map<uint32_t, TagTraffic> by_tag_;
};

}  // namespace acc
