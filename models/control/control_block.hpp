// Control block: the register bank the firmware programs, and the engine that walks the
// descriptor ring in DRAM.
//
// Pipeline per descriptor (all in accelerator cycles, see docs/timing-model.md):
//   fetch   descriptors arrive in bursts of vp.fetch_batch from the ring (one DRAM read each),
//           the next burst starting as soon as the issue stage begins on the previous one;
//   decode  one descriptor per cycle; a descriptor that fails validation stops the queue with an
//           error code and its index (nothing after it executes; what is in flight completes);
//   issue   in program order, when (a) one of vp.queue_window in-flight slots is free, (b) every
//           older descriptor it conflicts with (an overlapping region, one side writing) has
//           completed, (c) for FENCE, everything older has completed;
//   execute on the DMA (LOAD, STORE) or the PE cluster (MATMUL), which return the completion cycle;
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
#include <vector>

#include "acceltran_regs.h"
#include "clock.hpp"
#include "hazard.hpp"
#include "hw_config.hpp"
#include "pruning_config.hpp"
#include "register_bank.hpp"
#include "stats.hpp"

namespace acc {

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

  // Validation of one descriptor against the configuration: ACC_ERR_NONE, or the error code
  // with its detail in `info`. Public for unit tests.
  uint32_t validate(const acc_desc_t& d, uint32_t& info) const;

 private:
  struct Operands {
    std::array<Region, 3> reads;
    Region write;
  };
  struct Fetched {
    acc_desc_t desc;
    uint64_t ready;  // cycle the descriptor is in the fetch buffer
    bool first;      // first of its fetch burst
  };
  struct Slot {  // an issued descriptor, for hazard checks
    Operands ops;
    uint64_t done = 0;
  };

  void reg_b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  unsigned int reg_transport_dbg(tlm::tlm_generic_payload& t);
  void engine();
  void irq_method();

  bool has_work() const;
  bool fetch_batch(uint64_t now);
  bool process_one(uint64_t now);  // false: the queue stopped on an error
  uint64_t dispatch(tlm_utils::simple_initiator_socket<ControlBlock>& socket, const acc_desc_t& d, uint64_t issue,
                    uint32_t& error, uint32_t& info);
  Operands operands(const acc_desc_t& d) const;
  void stop_on_error(uint32_t code, uint32_t desc_index, uint32_t info, uint64_t at);
  void apply_queue_reset();
  uint32_t retired_by(uint64_t cycle) const;
  uint64_t next_fetch_cycle() const;
  void set_local(uint64_t cycle);

  // The first pruning register the descriptor uses that holds an invalid value, or 0.
  uint32_t bad_pruning_register(const acc_desc_t& d) const;

  const HwConfig& cfg_;
  const Clock& clock_;
  RegisterBank bank_;
  PruningConfig pruning_;
  uint32_t th_lo_ = 0;
  tlm_utils::tlm_quantumkeeper qk_;
  sc_core::sc_event doorbell_ev_, irq_ev_;

  // Queue state.
  bool busy_ = false, error_ = false, reset_pending_ = false;
  uint32_t ring_base_ = 0, ring_size_ = 0;  // latched at the start of a busy period
  uint32_t next_ = 0;                       // next ring index to fetch/decode
  uint64_t doorbell_cycle_ = 0;  // the latest doorbell (QUEUE_TAIL write) of the busy period
  std::deque<Fetched> fetched_;
  uint64_t last_fetch_done_ = 0, batch_consumed_at_ = 0;

  // Issue state of the current busy period (sequence numbers count from its start).
  uint64_t period_start_ = 0, seq_ = 0, last_issue_ = 0, last_retire_ = 0;
  uint32_t period_head_ = 0;
  std::vector<uint64_t> retire_;  // retire cycle by sequence number
  std::vector<Slot> window_;      // by sequence number modulo the window
  uint64_t read_cycle_ = 0;       // time of the register read being served
  sc_core::sc_time write_delay_;  // annotated delay of the register write being served

  // Counters (also behind the PERF_* registers).
  uint64_t active_cycles_ = 0, desc_done_ = 0, tile_ops_ = 0, macs_ = 0, eff_macs_ = 0;
  uint64_t dram_rd_bits_ = 0, dram_wr_bits_ = 0;
  uint64_t stall_dep_ = 0, stall_fetch_ = 0, stall_window_ = 0, fetch_bursts_ = 0, busy_periods_ = 0, errors_ = 0;
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
