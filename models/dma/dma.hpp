// DMA engine: executes LOAD (DRAM -> buffer) and STORE (buffer -> DRAM) descriptors as strided
// bursts over the interconnect: one run per row (rows contiguous on both sides merge into one run),
// cut into bursts of at most `vp.dma_max_burst_words`.
//
//   * LOADs (DRAM reads) and STOREs (DRAM writes) have `vp.dma_channels` channels each, as a DMA
//     with read and write engines: commands wait in a queue per direction, and a channel takes the
//     next one as soon as it has issued every burst of its current one (at most
//     memory_dispatch_batch commands start a cycle).
//   * A channel issues one burst a cycle. The read engine (LOADs) and the write engine (STOREs)
//     each keep up to `vp.dma_outstanding` bursts in flight, so the latency of one burst overlaps
//     the data of others; a free request slot goes to the oldest command, so a large transfer
//     runs at the DRAM's pace ahead of younger ones, while small ones pipeline behind each other.
//   * Bursts are cut-through: the destination side is written as the source data arrive, so a
//     burst costs its latency plus the slower of its two sides, not their sum.
//   * The engine is a DeferredUnit: the control block steps it burst by burst in simulated-time
//     order, so the bursts of all channels reach the DRAM in the order they are issued and share
//     its bandwidth, whichever command came first.
// Data move in the zero-free format: DRAM and buffers charge 20 bits per non-zero word plus one
// mask bit per word.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <deque>
#include <map>
#include <vector>

#include "acceltran_regs.h"
#include "clock.hpp"
#include "command.hpp"
#include "hw_config.hpp"
#include "stats.hpp"
#include "tlm_util.hpp"

namespace acc {

class TraceRecorder;

class Dma : public sc_core::sc_module, public DeferredUnit {
 public:
  tlm_utils::simple_target_socket<Dma> cmd;     // descriptors from the control block
  tlm_utils::simple_initiator_socket<Dma> bus;  // to DRAM and buffers

  Dma(sc_core::sc_module_name name, const HwConfig& cfg, const Clock& clock);
  void set_trace(TraceRecorder* trace) { trace_ = trace; }
  void collect_stats(Stats& s, const StatsContext& ctx) const;
  void attribute(const StatsContext& ctx, Attribution& a) const;

  uint64_t next_step() const override;
  void step(std::vector<Completion>& completed) override;

 private:
  struct Burst {
    uint64_t done = 0, data_start = 0;
  };
  struct Command {
    acc_desc_t desc;
    uint64_t id = 0, order = 0, submitted = 0, start = 0, done = 0;
    uint32_t index = 0, nm_bits = 0;
    // Progress: the next burst is run `row` (counted in rows), words from `offset`.
    uint64_t row = 0, offset = 0, bytes = 0, read_bits = 0, write_bits = 0;
    std::vector<int32_t> row_data;  // a broadcast LOAD's DRAM row, read once, written to every row
    std::vector<Burst> row_bursts;  // ... and the timing of its bursts
  };
  struct Channel {
    bool stores = false;           // a write channel (STORE); else a read channel (LOAD)
    bool active = false;
    Command cmd;
    uint64_t free_at = 0;          // cycle it can take the next command
    uint64_t last_burst = 0;       // cycle it issued its last burst
  };

  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& t);
  // The cycle channel `c` could issue its next burst, request slots aside.
  uint64_t burst_ready(const Channel& c) const;
  // When channel `c` steps next, and whether that step takes a command from the queue.
  uint64_t channel_step(const Channel& c, bool& takes_command) const;
  // Issues the next burst of channel `c` at cycle `at`; false on a bus error (in cmd's error).
  bool issue_burst(Channel& c, uint64_t at, uint32_t& error, uint32_t& info);
  // One bus transaction starting no earlier than `earliest`; false on a bus error.
  bool burst(bool write, uint64_t addr, int32_t* data, uint64_t words, uint64_t earliest, TransferExt& info, Burst& out);
  void finish(Channel& c, uint64_t at, uint32_t error, uint32_t info, std::vector<Completion>& completed);
  // The next step (which channel, when, whether it takes a command), computed once per change of
  // state: the control block asks for it several times between two steps.
  struct NextStep {
    uint64_t at = UINT64_MAX;
    size_t channel = SIZE_MAX;
    bool takes_command = false, valid = false;
  };
  const NextStep& next() const;
  mutable NextStep next_;
  ByTag<uint64_t> busy_by_tag_;

  const HwConfig& cfg_;
  const Clock& clock_;
  TraceRecorder* trace_ = nullptr;
  std::deque<Command> queue_[2];  // LOADs, STOREs waiting for a channel
  std::vector<uint64_t> slots_[2];  // read and write engines: completion cycle of each request slot
  size_t first_free_[2] = {0, 0};  // ... and which of them frees first (the oldest on ties)
  tlm::tlm_generic_payload payload_;  // every burst's transaction
  uint64_t submitted_ = 0;        // commands accepted (their order: the older goes first)
  std::vector<Channel> channels_;
  std::vector<int32_t> staging_;
  uint64_t last_start_ = 0;
  unsigned started_in_last_ = 0;
  uint64_t loads_ = 0, stores_ = 0, bursts_ = 0, words_ = 0, nonzero_ = 0, busy_ = 0, queue_wait_ = 0, slot_wait_ = 0;
};

}  // namespace acc
