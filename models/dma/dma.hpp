// DMA engine: executes LOAD (DRAM -> buffer) and STORE (buffer -> DRAM) descriptors as strided
// bursts over the interconnect. Rows that are contiguous on both sides merge into one burst.
// A burst is store-and-forward: read from the source, then written to the destination; the
// bursts of a command are issued back to back, so the memory channel pipelines them.
// Data move in the zero-free format: DRAM and buffers charge 20 bits per non-zero word plus one
// mask bit per word.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <map>
#include <vector>

#include "clock.hpp"
#include "hw_config.hpp"
#include "stats.hpp"
#include "tlm_util.hpp"

namespace acc {

class Dma : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Dma> cmd;     // descriptors from the control block
  tlm_utils::simple_initiator_socket<Dma> bus;  // to DRAM and buffers

  Dma(sc_core::sc_module_name name, const HwConfig& cfg, const Clock& clock);
  void collect_stats(Stats& s, const StatsContext& ctx) const;
  void attribute(const StatsContext& ctx, Attribution& a) const;

 private:
  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& t);
  // One bus transaction starting no earlier than `earliest`; returns its completion cycle.
  bool burst(bool write, uint64_t addr, int32_t* data, uint64_t words, uint64_t earliest, uint64_t& done, ZeroFreeExt& info);
  std::map<uint32_t, uint64_t> busy_by_tag_;

  const HwConfig& cfg_;
  const Clock& clock_;
  std::vector<int32_t> staging_;
  uint64_t last_start_ = 0;
  unsigned started_in_last_ = 0;
  uint64_t loads_ = 0, stores_ = 0, bursts_ = 0, words_ = 0, nonzero_ = 0, busy_ = 0;
};

}  // namespace acc
