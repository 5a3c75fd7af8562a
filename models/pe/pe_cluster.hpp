// The PE clusters: `pe` PEs, each with `lanes_per_pe` MAC lanes of `mac_per_lane` multipliers,
// softmax and layer-norm units, and pre-/post-sparsity logic. Executes compute descriptors on
// operands in the on-chip buffers (reached through DMI), computing every value, and times them
// tile by tile from the measured sparsity of each tile (docs/timing-model.md):
//
//   * a MATMUL is cut into output tiles of (tile_b*tile_x) x tile_y, walked in the configured loop
//     order; each output tile goes to the PE whose earliest lane frees first, and its k-steps
//     (reductions of depth tile_y) to that PE's earliest-free lanes;
//   * a k-step costs max(1, ceil(effectual multiplies / mac_per_lane)) lane cycles, where the
//     effectual multiplies are the pairs whose operands are both non-zero (pre-sparsity);
//   * the dispatcher hands out compute_dispatch_batch tiled ops per cycle.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <functional>

#include "acceltran_regs.h"
#include "clock.hpp"
#include "command.hpp"
#include "hw_config.hpp"
#include "lane_scheduler.hpp"
#include "stats.hpp"

namespace acc {

class PeCluster : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<PeCluster> cmd;     // descriptors from the control block
  tlm_utils::simple_initiator_socket<PeCluster> bus;  // DMI to the buffers

  // Reports accesses made through DMI to a buffer's energy accounting: write?, words, non-zero.
  using AccessHook = std::function<void(bool, uint64_t, uint64_t)>;

  PeCluster(sc_core::sc_module_name name, const HwConfig& cfg, const Clock& clock);

  void set_access_hook(uint32_t buf, AccessHook hook) { hooks_[buf] = std::move(hook); }

  // Cycles of a tiled matmul k-step with `effectual` effectual multiplies.
  uint64_t kstep_cycles(uint64_t effectual) const;

  void collect_stats(Stats& s, const StatsContext& ctx) const;

 private:
  struct BufferView {
    int32_t* words = nullptr;
    uint64_t size = 0;
  };
  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& t);
  uint64_t matmul(const acc_desc_matmul_t& d, uint64_t issue, DispatchExt& ext);
  BufferView& view(uint32_t buf);
  void note(uint32_t buf, bool write, uint64_t words, uint64_t nonzero);

  const HwConfig& cfg_;
  const Clock& clock_;
  LaneScheduler lanes_;
  BufferView views_[2];
  AccessHook hooks_[2];
  std::vector<uint64_t> pe_busy_until_;
  std::vector<uint32_t> lane_mark_;  // output tile id that last used each lane (distinct-lane count)

  // Statistics.
  uint64_t matmuls_ = 0, tile_ops_ = 0, lane_busy_ = 0, pe_busy_ = 0, output_tiles_ = 0;
  uint64_t dense_macs_ = 0, effectual_macs_ = 0, saturated_ = 0, pruned_ = 0, outputs_ = 0, zero_outputs_ = 0;
  uint64_t matmul_cycles_ = 0;
};

}  // namespace acc
