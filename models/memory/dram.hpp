// Main memory (LP-DDR3, RRAM or HBM): one data channel of the configured bandwidth, a first-access
// latency per burst (bursts overlap it: the channel carries one burst's data while others wait
// out their latency), and energy per 64-element block transferred (AccelTran's simulator/constants/constants.yaml).
#pragma once

#include <map>

#include "clock.hpp"
#include "tlm_util.hpp"
#include "hw_config.hpp"
#include "memory_target.hpp"
#include "stats.hpp"
#include "trace_recorder.hpp"
#include "bandwidth_channel.hpp"

namespace acc {

class Dram : public MemoryTarget {
 public:
  Dram(sc_core::sc_module_name name, const HwConfig& cfg, const Clock& clock);

  // Cycles the channel needs for `bits` alone (rounded up; back-to-back bursts share cycles).
  uint64_t transfer_cycles(uint64_t bits) const { return channel_.cycles(bits); }
  uint64_t latency_cycles() const { return latency_; }

  void set_trace(TraceRecorder* trace) { trace_ = trace; }
  void collect_stats(Stats& s, const StatsContext& ctx) const;
  void attribute(const StatsContext& ctx, Attribution& a) const;

 protected:
  Timing schedule(const Transfer& x) override;

 private:
  TraceRecorder* trace_ = nullptr;
  uint64_t latency_;  // cycles
  BandwidthChannel channel_;
  uint64_t reads_ = 0, writes_ = 0, read_bits_ = 0, write_bits_ = 0, blocks_ = 0, read_blocks_ = 0;
  uint64_t words_ = 0, nonzero_ = 0;
  struct TagTraffic {
    uint64_t bits = 0, blocks = 0, read_blocks = 0;
  };
  ByTag<TagTraffic> by_tag_;
};

}  // namespace acc
