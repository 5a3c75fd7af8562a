// On-chip SRAM buffers. The activation and weight buffers are word-addressed scratchpads that the
// firmware manages: `words` words of the number format, each held in a 32-bit container in the address window.
// Every access, by the DMA (transactions) or by the PE cluster (port accesses; the PEs read and
// write the data through DMI), takes the `vp.buffer_ports` ports for its zero-free bits, plus the
// access latency; the DMA and the PEs therefore contend for the ports. The ports are modelled as
// one channel of their summed bandwidth (accesses interleave over the banks); a DMA burst goes
// through one port, at one port's rate. (A burst that finds the ports busy waits for a share of
// their summed bandwidth rather than for a port of its own: the difference is at most a burst.)
// Energy is charged per 64-element block accessed (figure x sqrt(size in MB), AccelTran's simulator/constants/constants.yaml) and
// leakage per MB for the whole active time. The mask buffer holds one bit per activation and weight word
// (AccelTran's zero-free format); it is not addressable, every data access also accesses it.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "clock.hpp"
#include "hw_config.hpp"
#include "memory_target.hpp"
#include "stats.hpp"
#include "bandwidth_channel.hpp"
#include "tlm_util.hpp"

namespace acc {

// Cycles covered by intervals that arrive in increasing order of their starts (DMA bursts, as
// the DMA steps in time order): the cycles a buffer was transferring.
struct CoveredCycles {
  uint64_t until = 0, cycles = 0;
  void add(uint64_t start, uint64_t end) {
    if (end <= until) return;
    cycles += end - std::max(start, until);
    until = end;
  }
};

class MaskBuffer {
 public:
  explicit MaskBuffer(const HwConfig& cfg) : mb_(cfg.mask_buffer_mb) {}
  void note_access(uint64_t mask_bits, uint32_t tag) {
    const uint64_t b = (mask_bits + 63) / 64;
    blocks_ += b;
    by_tag_[tag] += b;
  }
  // A data buffer's DMA transfer from `start` to `end` moves its mask bits too.
  void note_transfer(uint64_t start, uint64_t end) { transferring_.add(start, end); }
  void collect_stats(Stats& s, const StatsContext& ctx) const;
  void attribute(const StatsContext& ctx, Attribution& a) const;

 private:
  double nj_per_block(const StatsContext& ctx) const;
  double mb_;
  uint64_t blocks_ = 0;
  ByTag<uint64_t> by_tag_;
  CoveredCycles transferring_;
};

class Buffer : public MemoryTarget {
 public:
  // kind: "activation" or "weight" (names the energy-table row and the statistics).
  Buffer(sc_core::sc_module_name name, const std::string& kind, double size_mb, const HwConfig& cfg, const Clock& clock,
         MaskBuffer& mask);

  uint64_t words() const { return words_; }
  int32_t* word_ptr() { return reinterpret_cast<int32_t*>(data()); }

  void collect_stats(Stats& s, const StatsContext& ctx) const;
  void attribute(const StatsContext& ctx, Attribution& a) const;

 protected:
  Timing schedule(const Transfer& x) override;
  sc_core::sc_time dmi_latency() const override;

 private:
  static constexpr uint64_t kSpreadChunks = 16;  // pieces of a PE access spread over its compute
  void count(bool write, uint64_t words, uint64_t nonzero, uint32_t tag);
  double nj_per_block(const StatsContext& ctx) const;

  std::string kind_;
  double mb_;
  uint64_t words_;
  uint64_t latency_;
  BandwidthChannel ports_;  // all ports together
  unsigned ports_count_;
  MaskBuffer& mask_;
  uint64_t words_read_ = 0, words_written_ = 0, nonzero_read_ = 0, nonzero_written_ = 0, blocks_ = 0;
  uint64_t transfers_ = 0, pe_accesses_ = 0;
  CoveredCycles transferring_;  // cycles with a DMA transfer in progress
  ByTag<uint64_t> blocks_by_tag_;
};

}  // namespace acc
