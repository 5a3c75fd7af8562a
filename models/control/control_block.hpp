// Control block: the register bank the firmware programs, and the engine that walks the
// descriptor ring in DRAM.
//
// Pipeline per descriptor (all in accelerator cycles, see docs/timing-model.md):
//   fetch   descriptors arrive in bursts of vp.fetch_batch from the ring (one DRAM read each),
//           the next burst starting as soon as decode begins on the previous one;
//   decode  in program order, one descriptor per cycle, into one of vp.queue_window in-flight
//           slots (descriptor i waits for the retirement of i - window); a descriptor that fails
//           validation stops the queue with an error code and its index (nothing after it
//           executes; what is in flight completes);
//   issue   out of order among the decoded descriptors: a descriptor issues as soon as every
//           older in-flight descriptor it conflicts with (an overlapping region, one side
//           writing) has completed, even while an older one still waits; a FENCE conflicts with
//           everything. The oldest of the ready descriptors goes first;
//   execute on the DMA (LOAD, STORE) or the PE cluster (compute), which start it when they have a
//           free channel or dispatcher and return the completion cycle;
//   retire  in order; HEAD advances; when HEAD reaches TAIL the DONE interrupt is raised.
// The engine runs ahead of SystemC time (temporal decoupling) and synchronises on the quantum.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <array>
#include <deque>
#include <map>
#include <unordered_map>
#include <vector>

#include "acceltran_regs.h"
#include "clock.hpp"
#include "command.hpp"
#include "hazard.hpp"
#include "hw_config.hpp"
#include "pruning_config.hpp"
#include "register_bank.hpp"
#include "stats.hpp"

namespace acc {

class TraceRecorder;

class ControlBlock : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<ControlBlock> regs;      // MMIO from the host
  tlm_utils::simple_initiator_socket<ControlBlock> fetch;  // descriptor fetch over the interconnect
  tlm_utils::simple_initiator_socket<ControlBlock> dma;    // LOAD / STORE
  tlm_utils::simple_initiator_socket<ControlBlock> pe;     // compute
  sc_core::sc_out<bool> irq;

  ControlBlock(sc_core::sc_module_name name, const HwConfig& cfg, const Clock& clock);

  // Cycles the accelerator was active (doorbell to drain, summed over busy periods).
  uint64_t active_cycles() const { return active_cycles_; }
  bool busy() const { return busy_; }
  void collect_stats(Stats& s, const StatsContext& ctx) const;
  void set_trace(TraceRecorder* trace) { trace_ = trace; }
  // The DMA, which completes its commands later: the engine steps it in time order.
  void set_dma_unit(DeferredUnit* dma) { dma_unit_ = dma; }

  // The last error stop, as ERR_CODE / ERR_DESC / ERR_INFO held it when the queue stopped (a
  // later QUEUE_RESET clears the registers, not this record); code ACC_ERR_NONE if none.
  struct ErrorRecord {
    uint32_t code = ACC_ERR_NONE, desc = 0, info = 0;
  };
  const ErrorRecord& last_error() const { return last_error_; }
  uint64_t error_stops() const { return errors_; }

  // Validation of one descriptor against the configuration: ACC_ERR_NONE, or the error code
  // with its detail in `info`. Public for unit tests.
  uint32_t validate(const acc_desc_t& d, uint32_t& info) const;

 private:
  struct Operands {
    std::array<Region, 3> reads;
    Region write;
    bool fence = false;  // conflicts with every other descriptor
  };
  struct Fetched {
    acc_desc_t desc;
    uint64_t ready;  // cycle the descriptor is in the fetch buffer
    bool first;      // first of its fetch burst
  };
  struct Decoded {  // a descriptor waiting in the window to issue
    acc_desc_t desc;
    uint32_t index;               // ring index
    uint64_t seq;                 // program order within the busy period
    uint64_t decode;              // cycle it was decoded
    std::vector<uint64_t> deps;   // older in-flight descriptors it conflicts with (sequence numbers)
  };

  struct Execution {  // what a unit reports back for an issued descriptor
    bool deferred = false;         // the unit (the DMA) reports its completion later
    uint64_t start = 0, done = 0;  // the unit began (after waiting for a free channel or dispatcher); completed
    uint64_t macs = 0, bytes = 0;  // effectual MACs, DRAM bytes moved
    uint32_t error = 0, info = 0;  // ACC_ERR_* if the unit refused it
  };

  void reg_b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  unsigned int reg_transport_dbg(tlm::tlm_generic_payload& t);
  void engine();
  void irq_method();

  bool has_work() const;
  bool fetch_batch(uint64_t now);
  // Decodes the next descriptor into the window if it can be decoded no later than `before`;
  // false when it cannot (window full, nothing left, or later), or the queue stopped.
  bool decode_next(uint64_t before);
  // The cycle the first waiting descriptor can issue (UINT64_MAX: none can yet).
  uint64_t earliest_issue();
  // Issues the decoded descriptor that can issue first (oldest on ties).
  void issue_next();
  // The DMA's next step, and what completes with it.
  void step_dma();
  // Book-keeping of a completed descriptor: statistics, errors, in-order retirement.
  void complete(const Decoded& d, const Execution& e);
  // Decodes and issues until nothing is left of the busy period but waiting for a doorbell.
  void run_period();
  uint64_t peak_in_flight() const;
  // Cycle `d` can issue, or UINT64_MAX while an older descriptor it conflicts with has not issued.
  uint64_t ready_cycle(const Decoded& d) const;
  Execution dispatch(tlm_utils::simple_initiator_socket<ControlBlock>& socket, const Decoded& d, uint64_t issue);
  Operands operands(const acc_desc_t& d) const;
  static bool conflict(const Operands& a, const Operands& b);
  void stop_on_error(uint32_t code, uint32_t desc_index, uint32_t info, uint64_t at);
  void apply_queue_reset();
  uint32_t retired_by(uint64_t cycle) const;
  uint64_t next_fetch_cycle() const;
  void set_local(uint64_t cycle);

  // The first pruning register the descriptor uses that holds an invalid value, or 0.
  uint32_t bad_pruning_register(const acc_desc_t& d) const;
  // Whether a compute descriptor's scale fields (word 0) are wrong for the number format
  // (BAD_CONFIG): set in a qM.N format, out of range in a per-tensor one, or a SCORE there.
  static bool bad_scale_fields(const acc_desc_t& d);

  const HwConfig& cfg_;
  const Clock& clock_;
  RegisterBank bank_;
  PruningConfig pruning_;
  uint32_t th_lo_ = 0;
  tlm_utils::tlm_quantumkeeper qk_;
  sc_core::sc_event doorbell_ev_, irq_ev_;

  // Queue state.
  bool busy_ = false, error_ = false, stopping_ = false, reset_pending_ = false;
  uint32_t ring_base_ = 0, ring_size_ = 0;  // latched at the start of a busy period
  uint32_t next_ = 0;                       // next ring index to fetch/decode
  uint32_t stop_head_ = 0;                  // HEAD after an error stop: the faulting descriptor
  uint64_t doorbell_cycle_ = 0;  // the latest doorbell (QUEUE_TAIL write) of the busy period
  std::deque<Fetched> fetched_;
  uint64_t last_fetch_done_ = 0, batch_consumed_at_ = 0;

  // Issue state of the current busy period (sequence numbers count from its start).
  uint64_t period_start_ = 0, seq_ = 0, last_decode_ = 0, last_issue_ = 0, last_retire_ = 0, last_done_ = 0;
  uint64_t stop_seq_ = UINT64_MAX;   // an execution error: this descriptor and younger ones never retire
  uint32_t period_head_ = 0;
  std::vector<Decoded> waiting_;     // decoded, not yet issued, in program order
  uint64_t earliest_ = UINT64_MAX;   // earliest_issue(), while not stale
  bool earliest_stale_ = true;
  std::vector<Operands> window_;     // operands by sequence number modulo the window
  std::vector<uint64_t> done_;       // completion cycle by sequence number (UINT64_MAX: not issued)
  std::vector<uint64_t> retire_;     // retire cycle by sequence number, for the issued prefix
  std::vector<uint64_t> issued_;     // issue cycle by sequence number (UINT64_MAX: not issued)
  std::unordered_map<uint64_t, Decoded> at_dma_;  // issued to the DMA, not yet complete
  std::vector<Completion> completions_;
  DeferredUnit* dma_unit_ = nullptr;
  uint64_t read_cycle_ = 0;          // time of the register read being served
  sc_core::sc_time write_delay_;     // annotated delay of the register write being served
  TraceRecorder* trace_ = nullptr;

  ErrorRecord last_error_;  // the last error stop (statistics), kept across QUEUE_RESET

  // Counters (also behind the PERF_* registers).
  uint64_t active_cycles_ = 0, desc_done_ = 0, tile_ops_ = 0, macs_ = 0, eff_macs_ = 0;
  uint64_t dram_rd_bits_ = 0, dram_wr_bits_ = 0;
  uint64_t stall_dep_ = 0, stall_fetch_ = 0, stall_window_ = 0, stall_unit_ = 0, fetch_bursts_ = 0, busy_periods_ = 0, errors_ = 0;
  uint64_t out_of_order_ = 0, peak_in_flight_ = 0;
  std::array<uint64_t, 256> by_opcode_{};
  // Per trace tag: descriptors and issue-to-completion cycles by class; span by layer.
  struct ClassTotals {
    uint64_t descriptors = 0, cycles = 0;
  };
  struct LayerSpan {
    uint64_t first_issue = UINT64_MAX, last_done = 0, descriptors = 0;
  };
  std::map<uint32_t, ClassTotals> by_class_;
  std::map<uint32_t, LayerSpan> by_layer_;
};

}  // namespace acc
