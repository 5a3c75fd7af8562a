#include "pe_cluster.hpp"

#include <cstring>

#include "command.hpp"
#include "energy.hpp"
#include "matmul_kernel.hpp"

namespace acc {

namespace {
unsigned ceil_log2(uint64_t x) {
  unsigned r = 0;
  while ((uint64_t{1} << r) < x) ++r;
  return r;
}
}  // namespace

PeCluster::PeCluster(sc_core::sc_module_name name, const HwConfig& cfg, const Clock& clock)
    : sc_module(name),
      cmd("cmd"),
      bus("bus"),
      cfg_(cfg),
      clock_(clock),
      lanes_(cfg.pe, cfg.lanes_per_pe),
      pe_busy_until_(cfg.pe, 0),
      lane_mark_(cfg.total_lanes(), UINT32_MAX) {
  cmd.register_b_transport(this, &PeCluster::b_transport);
  cmd.register_transport_dbg(this, &PeCluster::transport_dbg);
}

unsigned int PeCluster::transport_dbg(tlm::tlm_generic_payload& t) { return no_debug(t); }

PeCluster::BufferView& PeCluster::view(uint32_t buf) {
  BufferView& v = views_[buf];
  if (!v.words) {
    tlm::tlm_generic_payload t;
    tlm::tlm_dmi dmi;
    const uint64_t base = buf == ACC_BUF_ACT ? ACC_MAP_ACT_BUF_BASE : ACC_MAP_WGT_BUF_BASE;
    t.set_address(base);
    t.set_command(tlm::TLM_READ_COMMAND);
    if (!bus->get_direct_mem_ptr(t, dmi) || dmi.get_start_address() != base)
      SC_REPORT_FATAL(name(), "buffer refuses DMI: the PE cluster needs direct access to its operands");
    v.words = reinterpret_cast<int32_t*>(dmi.get_dmi_ptr());
    v.size = (dmi.get_end_address() - base + 1) / 4;
  }
  return v;
}

void PeCluster::note(uint32_t buf, bool write, uint64_t words, uint64_t nonzero) {
  if (hooks_[buf]) hooks_[buf](write, words, nonzero);
}

uint64_t PeCluster::kstep_cycles(uint64_t effectual) const {
  const uint64_t c = (effectual + cfg_.mac_per_lane - 1) / cfg_.mac_per_lane;
  return c ? c : 1;  // an all-zero k-step still passes through the lane
}

void PeCluster::b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
  if (!check_dispatch(t, sizeof(acc_desc_t))) return;
  acc_desc_t d;
  std::memcpy(&d, t.get_data_ptr(), sizeof d);
  DispatchExt local;
  DispatchExt* ext = &local;
  t.get_extension(ext);
  if (!ext) ext = &local;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const uint64_t issue = clock_.to_cycles(now + delay);
  uint64_t done = issue;
  switch (d.w[0] & ACC_DESC_OPCODE_MASK) {
    case ACC_OP_MATMUL:
      done = matmul(d.matmul, issue, *ext);
      break;
    default:
      ext->error = ACC_ERR_BAD_OPCODE, ext->info = d.w[0];
      t.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
      return;
  }
  delay = clock_.to_time(done) - now;
  t.set_response_status(tlm::TLM_OK_RESPONSE);
}

uint64_t PeCluster::matmul(const acc_desc_matmul_t& d, uint64_t issue, DispatchExt& ext) {
  const MatmulShape shape{d.m, d.k, d.n, (d.header & ACC_MATMUL_TRANSPOSE_B) != 0};
  const MatrixRef a{view(d.a_buf).words + d.a_addr, d.a_stride};
  const MatrixRef b{view(d.b_buf).words + d.b_addr, d.b_stride};
  const MatrixRef c{view(d.c_buf).words + d.c_addr, d.c_stride};
  const uint32_t R = cfg_.tile_b * cfg_.tile_x, C = cfg_.tile_y, D = cfg_.tile_y;

  const SparsityProfile prof = sparsity_profile(a, b, shape, R, C);
  const MatmulOutcome out = matmul_values(a, b, c, shape, (d.header & ACC_MATMUL_PRUNE_OUT) != 0, ext.tau);

  const uint32_t mt = prof.row_blocks, nt = prof.col_blocks, kt = (d.k + D - 1) / D;
  const uint64_t fill = cfg_.buffer_latency_cycles + 1;   // operand read + pre-sparsity
  const uint64_t drain = 1 + cfg_.buffer_latency_cycles;  // post-sparsity + result write
  const bool i_outer = cfg_.outer_loop_order().find('i') < cfg_.outer_loop_order().find('j');
  uint64_t op_index = 0, cmd_done = issue;
  const uint64_t eff_before = effectual_macs_;
  for (uint32_t o = 0; o < mt * nt; ++o) {
    const uint32_t i = i_outer ? o / nt : o % mt;
    const uint32_t j = i_outer ? o % nt : o / mt;
    const unsigned pe = lanes_.earliest_pe();
    const uint32_t tile_id = static_cast<uint32_t>(output_tiles_++);
    uint64_t tile_start = UINT64_MAX, tile_end = 0;
    unsigned lanes_used = 0;
    for (uint32_t kb = 0; kb < kt; ++kb) {
      uint64_t eff = 0;
      const uint32_t p_end = std::min<uint32_t>(d.k, (kb + 1) * D);
      const uint32_t* an = &prof.a_col_nnz[uint64_t{i} * d.k];
      for (uint32_t p = kb * D; p < p_end; ++p) eff += uint64_t{an[p]} * prof.b_row_nnz[uint64_t{p} * nt + j];
      const uint64_t cyc = kstep_cycles(eff);
      const uint64_t dispatch = issue + op_index++ / cfg_.compute_dispatch_batch;
      unsigned lane = 0;
      const uint64_t end = lanes_.run_on(pe, dispatch + fill, cyc, lane);
      tile_start = std::min(tile_start, end - cyc);
      tile_end = std::max(tile_end, end);
      uint32_t& mark = lane_mark_[uint64_t{pe} * cfg_.lanes_per_pe + lane];
      if (mark != tile_id) mark = tile_id, ++lanes_used;
      lane_busy_ += cyc;
      effectual_macs_ += eff;
    }
    lanes_.refresh(pe);
    // Partial sums of the lanes meet in an adder tree, then post-sparsity and write-back.
    const uint64_t done = tile_end + ceil_log2(lanes_used) + drain;
    pe_busy_ += done - std::max(tile_start, std::min(done, pe_busy_until_[pe]));
    pe_busy_until_[pe] = std::max(pe_busy_until_[pe], done);
    cmd_done = std::max(cmd_done, done);
  }

  // Buffer traffic: each k-step reads its A and B tiles; every output is written once.
  note(d.a_buf, false, uint64_t{nt} * d.m * d.k, uint64_t{nt} * out.a_nonzero);
  note(d.b_buf, false, uint64_t{mt} * d.k * d.n, uint64_t{mt} * out.b_nonzero);
  note(d.c_buf, true, uint64_t{d.m} * d.n, out.out_nonzero);

  ext.tile_ops = op_index;
  ext.dense_macs = uint64_t{d.m} * d.k * d.n;
  ext.effectual_macs = effectual_macs_ - eff_before;
  ++matmuls_;
  tile_ops_ += op_index;
  dense_macs_ += uint64_t{d.m} * d.k * d.n;
  saturated_ += out.saturated;
  pruned_ += out.pruned;
  outputs_ += uint64_t{d.m} * d.n;
  zero_outputs_ += uint64_t{d.m} * d.n - out.out_nonzero;
  matmul_cycles_ += cmd_done - issue;
  return cmd_done;
}

void PeCluster::collect_stats(Stats& s, const StatsContext& ctx) const {
  const auto& cfg = ctx.cfg;
  s.put("pe.matmuls", matmuls_, "commands", "MATMUL descriptors executed");
  s.put("pe.tile_ops", tile_ops_, "ops", "Tiled matmul ops (k-steps) executed on MAC lanes");
  s.put("pe.lane_busy_cycles", lane_busy_, "lane-cycles", "Sum over lanes of cycles spent on tiled ops");
  s.put("pe.pe_busy_cycles", pe_busy_, "PE-cycles", "Sum over PEs of cycles with at least one output tile in flight");
  s.put("pe.dense_macs", dense_macs_, "MACs", "Multiply-accumulates of the dense matmuls (m*k*n)");
  s.put("pe.effectual_macs", effectual_macs_, "MACs", "Multiplies whose operands were both non-zero (the work done)");
  s.put("pe.saturated_outputs", saturated_, "values", "Matmul outputs clipped to the Q4.16 range");
  s.put("pe.pruned_outputs", pruned_, "values", "Non-zero matmul outputs DynaTran set to zero");
  s.put("pe.outputs", outputs_, "values", "Matmul outputs written");
  s.put("pe.zero_outputs", zero_outputs_, "values", "Matmul outputs that are zero (natural or pruned)");
  s.put("pe.matmul_cycles", matmul_cycles_, "cycles", "Sum over MATMULs of issue-to-completion cycles");
  const double active = static_cast<double>(ctx.active_cycles);
  const double lanes = static_cast<double>(cfg.total_lanes());
  s.put_real("pe.lane_utilisation", active > 0 ? static_cast<double>(lane_busy_) / (lanes * active) : 0.0, "fraction",
             "Lane busy cycles / (lanes x active cycles)");
  s.put_real("pe.mac_utilisation",
             active > 0 ? static_cast<double>(effectual_macs_) / (static_cast<double>(cfg.total_multipliers()) * active) : 0.0,
             "fraction", "Effectual MACs / (multipliers x active cycles)");

  const double lane_busy = static_cast<double>(lane_busy_), ops = static_cast<double>(tile_ops_);
  const auto lane = ctx.energy.mac_lane(cfg);
  const auto& pre = ctx.energy.module("pre_sparsity");
  const auto& post = ctx.energy.module("post_sparsity");
  const auto& fifo = ctx.energy.module("fifo");
  const auto& flow = ctx.energy.module("dataflow");
  s.put_real("energy.mac_lanes.dynamic_nj", EnergyTable::dynamic_nj(lane, lane_busy, cfg), "nJ", "MAC lanes, busy cycles");
  s.put_real("energy.mac_lanes.leakage_nj", EnergyTable::leakage_nj(lane.leakage_mw * lanes, ctx.active_cycles, cfg), "nJ",
             "MAC lanes, leakage");
  s.put_real("energy.pre_sparsity.dynamic_nj", EnergyTable::dynamic_nj(pre, ops, cfg), "nJ", "Pre-sparsity, 1 cycle per tiled op");
  s.put_real("energy.pre_sparsity.leakage_nj", EnergyTable::leakage_nj(pre.leakage_mw * lanes, ctx.active_cycles, cfg), "nJ",
             "Pre-sparsity, leakage");
  s.put_real("energy.post_sparsity.dynamic_nj", EnergyTable::dynamic_nj(post, ops, cfg), "nJ", "Post-sparsity, 1 cycle per tiled op");
  s.put_real("energy.post_sparsity.leakage_nj", EnergyTable::leakage_nj(post.leakage_mw * lanes, ctx.active_cycles, cfg), "nJ",
             "Post-sparsity, leakage");
  s.put_real("energy.fifo.dynamic_nj", EnergyTable::dynamic_nj(fifo, lane_busy, cfg), "nJ", "Lane FIFOs, active with their lane");
  s.put_real("energy.fifo.leakage_nj", EnergyTable::leakage_nj(fifo.leakage_mw * lanes, ctx.active_cycles, cfg), "nJ",
             "Lane FIFOs, leakage");
  s.put_real("energy.dataflow.dynamic_nj", EnergyTable::dynamic_nj(flow, static_cast<double>(pe_busy_), cfg), "nJ",
             "PE dataflow control, busy PE-cycles");
  s.put_real("energy.dataflow.leakage_nj", EnergyTable::leakage_nj(flow.leakage_mw * cfg.pe, ctx.active_cycles, cfg), "nJ",
             "PE dataflow control, leakage");
  // Softmax and layer-norm units are powered and leak even while no op uses them.
  const auto sm = ctx.energy.softmax(cfg);
  const auto ln = ctx.energy.layernorm(cfg);
  s.put_real("energy.softmax.leakage_nj",
             EnergyTable::leakage_nj(sm.leakage_mw * cfg.pe * cfg.softmax_per_pe, ctx.active_cycles, cfg), "nJ",
             "Softmax units, leakage");
  s.put_real("energy.layernorm.leakage_nj",
             EnergyTable::leakage_nj(ln.leakage_mw * cfg.pe * cfg.layernorm_per_pe, ctx.active_cycles, cfg), "nJ",
             "Layer-norm units, leakage");
}

}  // namespace acc
