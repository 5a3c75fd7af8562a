// The PE clusters: `pe` PEs, each with `lanes_per_pe` MAC lanes of `mac_per_lane` multipliers
// (with the non-linearity), `softmax_per_pe` softmax units, `layernorm_per_pe` layer-norm units and
// pre-/post-sparsity logic. Executes the compute descriptors (MATMUL, SOFTMAX, LAYERNORM, ADD) on
// operands in the on-chip buffers (reached through DMI), computing every value, and times them tile
// by tile from the measured sparsity of each tile (docs/timing-model.md):
//
//   * an op is cut into blocks that each need one reduction: the output tiles of a MATMUL, the row
//     blocks of a SOFTMAX or LAYERNORM, the tiles of an ADD;
//   * a block goes to the PE whose earliest unit of the needed kind frees first; its tiles (the
//     k-steps of a matmul, the column tiles of a row block) go to that PE's earliest-free units, and
//     their partial results meet in a reduction tree;
//   * a tile's cycles follow its data: effectual multiplies for the lanes, unmasked entries for the
//     softmax units, non-zero inputs for the layer-norm units;
//   * each kind of unit has a dispatcher that hands out compute_dispatch_batch tiled ops per
//     cycle, one op after another (an op waits while the dispatcher is busy with an older one);
//   * the PEs read each operand of an op once and write each result once through the buffers'
//     ports (the operands reach every unit that needs them over the PE interconnect), so their
//     accesses contend with the DMA's for the ports; an op completes no earlier than its port
//     accesses.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <functional>
#include <map>
#include <vector>

#include "acceltran_regs.h"
#include "clock.hpp"
#include "command.hpp"
#include "hw_config.hpp"
#include "lane_scheduler.hpp"
#include "saturation.hpp"
#include "stats.hpp"
#include "trace_recorder.hpp"

namespace acc {

// Which elements of a tagged output belong to valid tokens (for sparsity over valid tokens only).
// Instrumentation: the platform sets it from the job; the hardware's function does not use it.
struct TokenValidity {
  uint32_t seq_len = 0;             // 0: unknown, every element counts as valid
  std::vector<uint32_t> valid_len;  // per sequence of the batch
};

class PeCluster : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<PeCluster> cmd;     // descriptors from the control block
  tlm_utils::simple_initiator_socket<PeCluster> bus;  // DMI to the buffers

  PeCluster(sc_core::sc_module_name name, const HwConfig& cfg, const Clock& clock);

  void set_trace(TraceRecorder* trace) { trace_ = trace; }
  // Times the cluster asked a buffer for its DMI grant (again after an invalidation).
  uint64_t dmi_requests() const { return dmi_requests_; }
  void set_token_validity(TokenValidity v) { validity_ = std::move(v); }

  // Cycles of a tiled matmul k-step with `effectual` effectual multiplies.
  uint64_t kstep_cycles(uint64_t effectual) const;
  // The work of a tile: `measured` from its data, or, with compat.global_sparsity, its `dense`
  // work scaled by the global fraction (AccelTran's simulator).
  uint64_t work(uint64_t measured, uint64_t dense) const;
  // Cycles of the pre- and post-sparsity stages (compat.idle_submodules: none).
  uint64_t sparsity_stage() const { return cfg_.compat.idle_submodules ? 0 : 1; }

  void collect_stats(Stats& s, const StatsContext& ctx) const;
  void attribute(const StatsContext& ctx, Attribution& a) const;
  const Saturation& saturation() const { return saturation_; }

 private:
  struct BufferView {
    int32_t* words = nullptr;
    uint64_t size = 0;
  };
  // A kind of unit (MAC lanes, softmax units, layer-norm units) and its timelines.
  struct Pool {
    LaneScheduler sched;
    TraceRecorder::Unit kind;
    uint64_t busy = 0;
    uint64_t dispatch_free = 0;  // cycle its dispatcher has handed out every tile of older ops
  };
  // An operand or result of an op in a buffer: `rows` x `cols` words, `stride` apart.
  struct Operand {
    uint32_t buf, addr;
    uint64_t rows, cols, stride;
  };
  // What one tag (layer, class) did, for the breakdowns.
  struct TagStats {
    uint64_t ops = 0, lane_busy = 0, softmax_busy = 0, layernorm_busy = 0, score_lane_busy = 0, tile_ops = 0, pe_busy = 0;
    uint64_t dense_macs = 0, effectual_macs = 0;
    uint64_t outputs = 0, zeros = 0, valid_outputs = 0, valid_zeros = 0, pruned = 0, topk_dropped = 0;
  };
  // Cycles of the tiles of block `b`, and cycles after its reduction (top-k).
  using BlockCosts = std::function<void(size_t b, std::vector<uint64_t>& tiles, uint64_t& tail)>;

  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& t);
  uint64_t matmul(const acc_desc_t& d, uint64_t issue, DispatchExt& ext);
  uint64_t softmax(const acc_desc_t& d, uint64_t issue, DispatchExt& ext);
  uint64_t layernorm(const acc_desc_t& d, uint64_t issue, DispatchExt& ext);
  uint64_t add(const acc_desc_t& d, uint64_t issue, DispatchExt& ext);
  uint64_t score(const acc_desc_t& d, uint64_t issue, DispatchExt& ext);

  // Schedules the blocks of an op on a unit pool, from when its dispatcher is free (no earlier than
  // `issue`, reported in `dispatched`); returns its completion cycle. A tile of 0 cycles is
  // dispatched but dropped by the pre-sparsity logic; a block with no work at all is skipped.
  // `reduce`: the units' partial results meet in a tree (not for LeOPArd's independent scores).
  uint64_t run_blocks(Pool& pool, uint64_t issue, uint64_t fill, uint64_t drain, size_t blocks, const BlockCosts& costs,
                      TagStats& ts, uint64_t& tile_ops, uint64_t& dispatched, bool reduce = true);
  // The PEs' read of an operand (taken evenly from `earliest` until `until`, as the units compute)
  // or write of a result (streamed out until `stream_end`) on the buffer ports, counted for
  // energy; returns the cycle it has finished.
  uint64_t port_read(const Operand& o, uint64_t nonzero, uint32_t tag, uint64_t earliest, uint64_t until);
  uint64_t port_write(const Operand& o, uint64_t nonzero, uint32_t tag, uint64_t earliest, uint64_t stream_end);
  uint64_t port_access(const Operand& o, bool write, uint64_t words, uint64_t nonzero, uint32_t tag, uint64_t earliest,
                       uint64_t stream_end, uint64_t spread_end);
  void count_output(uint32_t tag, const int32_t* base, uint64_t stride, uint32_t rows, uint32_t cols, TagStats& ts);
  BufferView& view(uint32_t buf);
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
  TagStats& tag_stats(uint32_t tag) { return by_tag_[tag & kTagKeyMask]; }

  static constexpr uint32_t kTagKeyMask = (ACC_TAG_LAYER_MAX << ACC_TAG_LAYER_SHIFT) | ACC_TAG_CLASS_MAX;

  const HwConfig& cfg_;
  const Clock& clock_;
  Pool lanes_, softmax_units_, layernorm_units_, score_lanes_;
  BufferView views_[2];
  uint64_t dmi_requests_ = 0;
  TraceRecorder* trace_ = nullptr;
  uint32_t op_index_ = 0, op_code_ = 0, op_tag_ = 0;  // the op being executed (for the trace)
  TokenValidity validity_;
  std::vector<uint64_t> pe_busy_until_;
  std::map<uint32_t, TagStats> by_tag_;
  std::vector<std::pair<uint64_t, uint64_t>> op_spans_;  // [issue, done) of every compute op

  // Totals.
  uint64_t ops_[256] = {};
  uint64_t tile_ops_ = 0, pe_busy_ = 0, dense_macs_ = 0, effectual_macs_ = 0, pruned_ = 0;
  Saturation saturation_;
  uint64_t outputs_ = 0, zero_outputs_ = 0, matmul_cycles_ = 0, topk_rows_ = 0, topk_cycles_ = 0, topk_dropped_ = 0;
  // Pruning units.
  uint64_t nm_pruned_ = 0, nm_weight_matmuls_ = 0;
  uint64_t hdp_head_masked_ = 0, hdp_block_masked_ = 0, leopard_masked_ = 0, score_dynatran_zeroed_ = 0, heads_pruned_ = 0;
  uint64_t hdp_int_cycles_ = 0, score_ops_ = 0, scores_ = 0;
  std::vector<uint64_t> leopard_bits_;  // histogram of bit planes used, index = planes
};

}  // namespace acc
