#include "pe_cluster.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "energy.hpp"
#include "fixed_point.hpp"
#include "matmul_kernel.hpp"
#include "nm.hpp"
#include "pruning_config.hpp"
#include "regmap.hpp"
#include "score_engine.hpp"
#include "tlm_util.hpp"
#include "vector_kernels.hpp"

namespace acc {

namespace {

unsigned ceil_log2(uint64_t x) {
  unsigned r = 0;
  while ((uint64_t{1} << r) < x) ++r;
  return r;
}
uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

uint32_t tag_class(uint32_t tag) { return (tag >> ACC_TAG_CLASS_SHIFT) & ACC_TAG_CLASS_MAX; }
uint32_t tag_seq(uint32_t tag) { return (tag >> ACC_TAG_SEQ_SHIFT) & ACC_TAG_SEQ_MAX; }

// The tensor classes DynaTran prunes (the AccelTran paper, Tuli & Jha 2023): their zeros make up the reported sparsity.
bool pruned_class(uint32_t c) {
  switch (c) {
    case ACC_TAG_Q: case ACC_TAG_K: case ACC_TAG_V: case ACC_TAG_SCORES: case ACC_TAG_PROBS: case ACC_TAG_CONTEXT:
    case ACC_TAG_ATTN_OUT: case ACC_TAG_FFN1: case ACC_TAG_FFN2: case ACC_TAG_POOLER:
      return true;
    default:
      return false;
  }
}

}  // namespace

PeCluster::PeCluster(sc_core::sc_module_name name, const HwConfig& cfg, const Clock& clock)
    : sc_module(name),
      cmd("cmd"),
      bus("bus"),
      cfg_(cfg),
      clock_(clock),
      lanes_{LaneScheduler(cfg.pe, cfg.lanes_per_pe), TraceRecorder::Unit::Lanes},
      softmax_units_{LaneScheduler(cfg.pe, cfg.softmax_per_pe), TraceRecorder::Unit::Softmax},
      layernorm_units_{LaneScheduler(cfg.pe, cfg.layernorm_per_pe), TraceRecorder::Unit::LayerNorm},
      score_lanes_{LaneScheduler(cfg.pe, cfg.score_engine_lanes_per_pe), TraceRecorder::Unit::ScoreEngine},
      pe_busy_until_(cfg.pe, 0) {
  cmd.register_b_transport(this, &PeCluster::b_transport);
  cmd.register_transport_dbg(this, &PeCluster::transport_dbg);
  bus.register_invalidate_direct_mem_ptr(this, &PeCluster::invalidate_direct_mem_ptr);
}

void PeCluster::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
  const uint64_t bases[2] = {ACC_MAP_ACT_BUF_BASE, ACC_MAP_WGT_BUF_BASE};
  for (unsigned b = 0; b < 2; ++b) {
    BufferView& v = views_[b];
    if (v.words && start <= bases[b] + 4 * v.size - 1 && end >= bases[b]) v = BufferView{};  // asked again at next use
  }
}

unsigned int PeCluster::transport_dbg(tlm::tlm_generic_payload& t) { return no_debug(t); }

PeCluster::BufferView& PeCluster::view(uint32_t buf) {
  BufferView& v = views_[buf];
  if (!v.words) {
    tlm::tlm_generic_payload t;
    tlm::tlm_dmi dmi;
    const uint64_t base = buf == ACC_BUF_ACT ? ACC_MAP_ACT_BUF_BASE : ACC_MAP_WGT_BUF_BASE;
    t.set_address(base);
    t.set_command(tlm::TLM_WRITE_COMMAND);  // the units write their results through it too
    ++dmi_requests_;
    if (!bus->get_direct_mem_ptr(t, dmi) || !dmi.is_read_write_allowed() || dmi.get_start_address() != base)
      SC_REPORT_FATAL(name(), "buffer refuses DMI: the PE cluster needs direct access to its operands");
    v.words = reinterpret_cast<int32_t*>(dmi.get_dmi_ptr());
    v.size = (dmi.get_end_address() - base + 1) / 4;
  }
  return v;
}

uint64_t PeCluster::port_access(const Operand& o, bool write, uint64_t words, uint64_t nonzero, uint32_t tag, uint64_t earliest,
                                uint64_t stream_end, uint64_t spread_end) {
  BufferView& v = view(o.buf);
  PortAccessExt ext;
  ext.write = write, ext.words = words, ext.nonzero = nonzero, ext.tag = tag, ext.stream_end = stream_end;
  ext.spread_end = spread_end;
  const uint64_t extent = (o.rows - 1) * o.stride + o.cols;
  tlm::tlm_generic_payload t;
  t.set_command(tlm::TLM_IGNORE_COMMAND);  // the data go through DMI; this reserves the port
  t.set_address((o.buf == ACC_BUF_ACT ? ACC_MAP_ACT_BUF_BASE : ACC_MAP_WGT_BUF_BASE) + 4ull * o.addr);
  t.set_data_ptr(reinterpret_cast<unsigned char*>(v.words + o.addr));
  t.set_data_length(static_cast<unsigned>(4 * extent));
  t.set_streaming_width(static_cast<unsigned>(4 * extent));
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  t.set_extension(&ext);
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  sc_core::sc_time delay = clock_.to_time(earliest) - now;
  bus->b_transport(t, delay);
  t.clear_extension(&ext);
  if (!t.is_response_ok()) SC_REPORT_FATAL(name(), "a buffer refused a port access of a validated operand");
  return clock_.to_cycles(now + delay);
}

uint64_t PeCluster::port_read(const Operand& o, uint64_t nonzero, uint32_t tag, uint64_t earliest, uint64_t until) {
  return port_access(o, false, o.rows * o.cols, nonzero, tag, earliest, 0, until);
}

uint64_t PeCluster::port_write(const Operand& o, uint64_t nonzero, uint32_t tag, uint64_t earliest, uint64_t stream_end) {
  return port_access(o, true, o.rows * o.cols, nonzero, tag, earliest, stream_end, stream_end);
}

uint64_t PeCluster::kstep_cycles(uint64_t effectual) const { return ceil_div(effectual, cfg_.mac_per_lane); }

uint64_t PeCluster::work(uint64_t measured, uint64_t dense) const {
  const double s = cfg_.compat.global_sparsity;
  return s < 0 ? measured : static_cast<uint64_t>(std::ceil(static_cast<double>(dense) * (1.0 - s) - 1e-9));
}

void PeCluster::b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
  if (!check_dispatch(t, sizeof(acc_desc_t))) return;
  acc_desc_t d;
  std::memcpy(&d, t.get_data_ptr(), sizeof d);
  DispatchExt local;
  DispatchExt* ext = nullptr;
  t.get_extension(ext);
  if (!ext) ext = &local;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const uint64_t issue = clock_.to_cycles(now + delay);
  const uint32_t op = d.w[0] & ACC_DESC_OPCODE_MASK;
  op_index_ = ext->index, op_code_ = op, op_tag_ = d.w[ACC_DESC_WORDS - 1];
  uint64_t done;
  switch (op) {
    case ACC_OP_MATMUL: done = matmul(d, issue, *ext); break;
    case ACC_OP_SOFTMAX: done = softmax(d, issue, *ext); break;
    case ACC_OP_LAYERNORM: done = layernorm(d, issue, *ext); break;
    case ACC_OP_ADD: done = add(d, issue, *ext); break;
    case ACC_OP_SCORE: done = score(d, issue, *ext); break;
    default:
      ext->error = ACC_ERR_BAD_OPCODE, ext->info = d.w[0];
      t.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
      return;
  }
  ++ops_[op];
  ++tag_stats(d.w[ACC_DESC_WORDS - 1]).ops;
  op_spans_.emplace_back(issue, done);
  delay = clock_.to_time(done) - now;
  t.set_response_status(tlm::TLM_OK_RESPONSE);
}

uint64_t PeCluster::run_blocks(Pool& pool, uint64_t issue, uint64_t fill, uint64_t drain, size_t blocks, const BlockCosts& costs,
                               TagStats& ts, uint64_t& tile_ops, uint64_t& dispatched, bool reduce) {
  std::vector<uint64_t> tiles;
  const uint64_t first = std::max(issue, pool.dispatch_free);  // the dispatcher finishes older ops first
  dispatched = first;
  uint64_t done_all = first, handed_out = 0;
  // For the timeline: the span of the op on each group of PEs.
  std::vector<std::pair<uint64_t, uint64_t>> group_span(trace_ ? TraceRecorder::kPeGroups : 0, {UINT64_MAX, 0});
  for (size_t b = 0; b < blocks; ++b) {
    tiles.clear();
    uint64_t tail = 0;
    costs(b, tiles, tail);
    const unsigned pe = pool.sched.earliest_pe();
    // A tile with no effectual work is handed out, and the pre-sparsity logic drops it.
    const auto [start, end, units, cycles] =
        pool.sched.run_tiles(pe, tiles.data(), tiles.size(), first, handed_out, cfg_.compute_dispatch_batch, fill);
    handed_out += tiles.size();
    pool.busy += cycles;
    if (units == 0) continue;  // nothing to compute (all masked or all zero)
    // Partial results of the units meet in a reduction tree; then the block's tail and drain.
    const uint64_t done = end + (reduce ? ceil_log2(units) : 0) + tail + drain;
    const uint64_t overlap_from = std::max(start, std::min(done, pe_busy_until_[pe]));
    pe_busy_ += done - overlap_from;
    ts.pe_busy += done - overlap_from;
    pe_busy_until_[pe] = std::max(pe_busy_until_[pe], done);
    done_all = std::max(done_all, done);
    if (trace_) {
      auto& g = group_span[trace_->pe_group(pe)];
      g.first = std::min(g.first, start), g.second = std::max(g.second, done);
    }
  }
  tile_ops += handed_out;
  pool.dispatch_free = first + ceil_div(handed_out, cfg_.compute_dispatch_batch);
  for (unsigned g = 0; g < group_span.size(); ++g)
    if (group_span[g].second) trace_->unit(pool.kind, g, group_span[g].first, group_span[g].second, op_index_, op_code_, op_tag_);
  return done_all;
}

void PeCluster::count_output(uint32_t tag, const int32_t* base, uint64_t stride, uint32_t rows, uint32_t cols, TagStats& ts) {
  const uint32_t cls = tag_class(tag), seq = tag_seq(tag);
  const bool known = validity_.seq_len > 0 && cls != ACC_TAG_POOLER;
  const bool token_cols = cls == ACC_TAG_SCORES || cls == ACC_TAG_PROBS;
  uint64_t zeros = 0, valid = 0, valid_zeros = 0;
  for (uint32_t r = 0; r < rows; ++r) {
    const int32_t* row = base + r * stride;
    uint32_t row_valid_cols = cols;  // how many leading columns of this row are valid
    if (known) {
      uint32_t n = validity_.seq_len;
      bool row_ok;
      if (seq == ACC_TAG_SEQ_MAX) {  // rows are the tokens of the whole batch
        const uint32_t s = r / validity_.seq_len;
        n = s < validity_.valid_len.size() ? validity_.valid_len[s] : validity_.seq_len;
        row_ok = r % validity_.seq_len < n;
      } else {
        n = seq < validity_.valid_len.size() ? validity_.valid_len[seq] : validity_.seq_len;
        row_ok = r < n;
      }
      row_valid_cols = row_ok ? (token_cols ? std::min(n, cols) : cols) : 0;
    }
    uint32_t z = 0, zv = 0;
    for (uint32_t c = 0; c < cols; ++c) {
      const bool zero = !fx::word_nonzero(row[c]);  // a MASK marker is an absent value
      z += zero;
      zv += zero && c < row_valid_cols;
    }
    zeros += z;
    valid += row_valid_cols;
    valid_zeros += zv;
  }
  ts.outputs += uint64_t{rows} * cols;
  ts.zeros += zeros;
  ts.valid_outputs += valid;
  ts.valid_zeros += valid_zeros;
  outputs_ += uint64_t{rows} * cols;
  zero_outputs_ += zeros;
}

uint64_t PeCluster::matmul(const acc_desc_t& desc, uint64_t issue, DispatchExt& ext) {
  const acc_desc_matmul_t& d = desc.matmul;
  TagStats& ts = tag_stats(d.tag);
  const bool nm_weights = (d.header & ACC_MATMUL_NM_WEIGHTS) != 0;
  const unsigned N = ext.pruning ? ext.pruning->nm_n : 2, M = ext.pruning ? ext.pruning->nm_m : 4;
  const MatmulShape shape{d.m, d.k, d.n, (d.header & ACC_MATMUL_TRANSPOSE_B) != 0};
  const MatrixRef a{view(d.a_buf).words + d.a_addr, d.a_stride};
  MatrixRef b{view(d.b_buf).words + d.b_addr, d.b_stride};
  const MatrixRef c{view(d.c_buf).words + d.c_addr, d.c_stride};
  MatmulEpilogue epi;
  if (d.header & ACC_MATMUL_BIAS) epi.bias = view(d.bias_buf).words + d.bias_addr;
  epi.prune = (d.header & ACC_MATMUL_PRUNE_OUT) != 0;
  epi.tau = ext.tau;
  if (d.header & ACC_MATMUL_NM_ACT) epi.nm_n = N, epi.nm_m = M;
  epi.act = (d.header & ACC_MATMUL_GELU) ? Activation::Gelu : (d.header & ACC_MATMUL_TANH) ? Activation::Tanh : Activation::None;
  if (fx::format().per_tensor()) {  // the descriptor's scale fields (validated at decode)
    epi.scaled = true;
    epi.out_shift = static_cast<int>((d.header & ACC_MATMUL_OUT_SHIFT_MASK) >> ACC_MATMUL_OUT_SHIFT_SHIFT);
    epi.out_frac = static_cast<int>((d.header & ACC_MATMUL_OUT_FRAC_MASK) >> ACC_MATMUL_OUT_FRAC_SHIFT);
    epi.bias_shift = static_cast<int>((d.header & ACC_MATMUL_BIAS_SHIFT_MASK) >> ACC_MATMUL_BIAS_SHIFT_SHIFT);
  }
  const uint32_t R = cfg_.tile_b * cfg_.tile_x, C = cfg_.tile_y, D = cfg_.tile_y;

  // N:M weights: the engine reads k*N/M compressed rows; values come from their dense equivalent.
  std::vector<int32_t> dense_b;
  const uint32_t b_rows = nm_weights ? nm::compressed_rows(d.k, N, M) : d.k;
  if (nm_weights) {
    nm::decompress(b.base, b.stride, d.k, d.n, N, M, dense_b);
    b = {dense_b.data(), d.n};
  }
  // The tiles' timing needs only the sparsity profile: it runs while the host's other cores compute
  // the products (matmul_values' profile_ready).
  SparsityProfile prof;
  const uint64_t drain = sparsity_stage();  // post-sparsity (the result write is a port access)
  uint64_t eff_total = 0, lane_busy = 0, tile_ops = 0, start = 0, computed = 0;
  auto schedule_tiles = [&] {
    const uint32_t mt = prof.row_blocks, nt = prof.col_blocks, kt = static_cast<uint32_t>(ceil_div(b_rows, D));
    // Effectual multiplies per (output tile, k-step). Dense: from the profile, D rows per k-step.
    // N:M: each compressed word multiplies the activation its index selects; a k-step is D
    // compressed rows (D*M/N dense rows).
    std::vector<uint64_t> nm_eff;
    if (nm_weights) {
      nm_eff.assign(uint64_t{mt} * nt * kt, 0);
      const int32_t* cb = view(d.b_buf).words + d.b_addr;
      for (uint32_t r = 0; r < b_rows; ++r)
        for (uint32_t j = 0; j < d.n; ++j) {
          const int32_t w = cb[uint64_t{r} * d.b_stride + j];
          const uint64_t p = uint64_t{r / N} * M + nm::index(w);
          if (nm::value(w) == 0 || p >= d.k) continue;
          for (uint32_t i = 0; i < mt; ++i) nm_eff[(uint64_t{i} * nt + j / C) * kt + r / D] += prof.a_col_nnz[uint64_t{i} * d.k + p];
        }
    }
    const std::vector<uint64_t> dense_eff = nm_weights ? std::vector<uint64_t>{} : effectual_per_kstep(prof, D);
    const bool i_outer = cfg_.outer_loop_order().find('i') < cfg_.outer_loop_order().find('j');
    auto costs = [&](size_t o, std::vector<uint64_t>& tiles, uint64_t& tail) {
      const uint32_t i = static_cast<uint32_t>(i_outer ? o / nt : o % mt);
      const uint32_t j = static_cast<uint32_t>(i_outer ? o % nt : o / mt);
      for (uint32_t kb = 0; kb < kt; ++kb) {
        const uint32_t p_end = std::min<uint32_t>(b_rows, (kb + 1) * D);
        const uint64_t eff = nm_weights ? nm_eff[(uint64_t{i} * nt + j) * kt + kb] : dense_eff[(uint64_t{i} * kt + kb) * nt + j];
        const uint64_t dense = uint64_t{std::min(R, d.m - i * R)} * std::min(C, d.n - j * C) * (p_end - kb * D);
        const uint64_t cyc = kstep_cycles(work(eff, dense));
        tiles.push_back(cyc);
        eff_total += eff;
        lane_busy += cyc;
      }
      tail = epi.act != Activation::None ? 1 : 0;  // the non-linearity: one cycle per tile
    };
    const uint64_t fill = cfg_.buffer_latency_cycles + sparsity_stage();  // operand read + pre-sparsity
    computed = run_blocks(lanes_, issue, fill, drain, uint64_t{mt} * nt, costs, ts, tile_ops, start);
  };
  const MatmulOutcome out = matmul_values(a, b, c, shape, epi, &prof, R, C, schedule_tiles);
  ext.start = start;

  // The PEs read A, B (and the bias) once and write C once through the buffers' ports; the last
  // results wait for the last operands.
  uint64_t reads = port_read({d.a_buf, d.a_addr, d.m, d.k, d.a_stride}, out.a_nonzero, d.tag, start, computed);
  reads = std::max(reads, port_read({d.b_buf, d.b_addr, shape.transpose_b ? d.n : b_rows, shape.transpose_b ? d.k : d.n, d.b_stride},
                                    out.b_nonzero, d.tag, start, computed));
  if (epi.bias) reads = std::max(reads, port_read({d.bias_buf, d.bias_addr, 1, d.n, d.n}, d.n, d.tag, start, computed));
  const uint64_t done = port_write({d.c_buf, d.c_addr, d.m, d.n, d.c_stride}, out.out_nonzero, d.tag, start,
                                   std::max(computed, reads + drain));
  count_output(d.tag, c.base, c.stride, d.m, d.n, ts);

  const uint64_t dense = uint64_t{d.m} * b_rows * d.n;  // N:M: k*N/M MACs per output
  ext.tile_ops = tile_ops;
  ext.dense_macs = dense;
  ext.effectual_macs = eff_total;
  ts.lane_busy += lane_busy;
  ts.tile_ops += tile_ops;
  ts.dense_macs += dense;
  ts.effectual_macs += eff_total;
  ts.pruned += out.pruned + out.nm_pruned;
  tile_ops_ += tile_ops;
  dense_macs_ += dense;
  effectual_macs_ += eff_total;
  saturation_.matmul += out.saturated;
  saturation_.activation += out.activation_saturated;
  pruned_ += out.pruned;
  nm_pruned_ += out.nm_pruned;
  nm_weight_matmuls_ += nm_weights;
  matmul_cycles_ += done - issue;
  return done;
}

uint64_t PeCluster::score(const acc_desc_t& desc, uint64_t issue, DispatchExt& ext) {
  const acc_desc_score_t& d = desc.score;
  TagStats& ts = tag_stats(d.tag);
  static const PruningConfig kDefaults;
  const PruningConfig& pc = ext.pruning ? *ext.pruning : kDefaults;
  const uint32_t R = cfg_.tile_b * cfg_.tile_x, C = cfg_.tile_y;
  const ScoreSpec spec{d.rows, d.cols, d.heads, d.head_dim,
                       (d.header & ACC_SCORE_LEOPARD) != 0, (d.header & ACC_SCORE_LEOPARD_PER_HEAD) != 0,
                       (d.header & ACC_SCORE_HDP_HEADS) != 0, (d.header & ACC_SCORE_HDP_BLOCKS) != 0,
                       (d.header & ACC_SCORE_HDP_APPROX) != 0, (d.header & ACC_SCORE_PRUNE_OUT) != 0,
                       d.th_index, ext.tau, R, C};
  const MatrixRef q{view(d.q_buf).words + d.q_addr, d.q_stride};
  const MatrixRef k{view(d.k_buf).words + d.k_addr, d.k_stride};
  const MatrixRef s{view(d.out_buf).words + d.out_addr, d.out_stride};
  const ScoreOutcome o = score_heads(q, k, s, spec, pc);

  const uint64_t tiles = uint64_t{o.row_tiles} * o.col_tiles;
  const unsigned W = static_cast<unsigned>(fx::word_bits()), F = pc.hdp.frac_bits, I = W - F;  // F < W (the control block checks)
  const bool hdp = spec.hdp_heads || spec.hdp_blocks || spec.hdp_approx;
  uint64_t tile_ops = 0, lane_busy = 0, int_cycles = 0, score_lane_busy = 0;
  const uint64_t fill = cfg_.buffer_latency_cycles + sparsity_stage(), drain = sparsity_stage();  // the result write is a port access
  // Work in bit products of a W x W multiplier (400 in Q4.16): the integer pass I x I, the HDP
  // approximation's two cross terms 2 x I x F, an exact product all W x W.
  auto kstep = [&](uint64_t pairs, uint64_t bit_products) { return ceil_div(pairs * bit_products, uint64_t{W} * W * cfg_.mac_per_lane); };
  uint64_t t = issue, start = issue, value_start = 0;
  if (hdp) {  // the integer-part pass, then the head and block decisions
    auto int_costs = [&](size_t b, std::vector<uint64_t>& cyc, uint64_t&) {
      for (uint32_t kb = 0; kb < o.ksteps; ++kb) {
        const uint64_t c = kstep(o.int_effectual[b * o.ksteps + kb], uint64_t{I} * I);
        cyc.push_back(c);
        int_cycles += c;
      }
    };
    t = run_blocks(lanes_, issue, fill, 0, d.heads * tiles, int_costs, ts, tile_ops, start) + (spec.hdp_heads || spec.hdp_blocks ? 2 : 0);
  }
  auto value_costs = [&](size_t b, std::vector<uint64_t>& cyc, uint64_t&) {
    if (spec.leopard) {  // one bit plane of one score per cycle per engine lane; a tile's rows in parallel
      for (uint32_t r = 0; r < R; ++r) cyc.push_back(o.leopard_row_bits[b * R + r]);
      for (uint64_t c : cyc) score_lane_busy += c;
    } else {
      for (uint32_t kb = 0; kb < o.ksteps; ++kb) cyc.push_back(kstep(o.value_effectual[b * o.ksteps + kb], spec.hdp_approx ? 2ull * I * F : uint64_t{W} * W));
      for (uint64_t c : cyc) lane_busy += c;
    }
  };
  const uint64_t computed =
      run_blocks(spec.leopard ? score_lanes_ : lanes_, t, fill, drain, d.heads * tiles, value_costs, ts, tile_ops, value_start, !spec.leopard);
  if (!hdp) start = value_start;
  ext.start = start;

  for (uint32_t h = 0; h < d.heads; ++h) count_output(d.tag, s.base + uint64_t{h} * d.rows * d.out_stride, d.out_stride, d.rows, d.cols, ts);
  const uint64_t A = uint64_t{d.heads} * d.head_dim;
  uint64_t reads = port_read({d.q_buf, d.q_addr, d.rows, A, d.q_stride}, uint64_t{d.rows} * A, d.tag, start, computed);
  reads = std::max(reads, port_read({d.k_buf, d.k_addr, d.cols, A, d.k_stride}, uint64_t{d.cols} * A, d.tag, start, computed));
  const uint64_t kept = uint64_t{d.heads} * d.rows * d.cols - o.hdp_head_masked - o.hdp_block_masked - o.leopard_masked;
  const uint64_t done = port_write({d.out_buf, d.out_addr, uint64_t{d.heads} * d.rows, d.cols, d.out_stride}, kept, d.tag, start,
                                   std::max(computed, reads + drain));

  const uint64_t dense = uint64_t{d.heads} * d.rows * d.cols * d.head_dim;
  const auto work = static_cast<uint64_t>(o.mac_equivalents + 0.5);
  ext.tile_ops = tile_ops;
  ext.dense_macs = dense;
  ext.effectual_macs = work;
  ts.lane_busy += lane_busy + int_cycles;
  ts.score_lane_busy += score_lane_busy;
  ts.tile_ops += tile_ops;
  ts.dense_macs += dense;
  ts.effectual_macs += work;
  ts.pruned += o.hdp_head_masked + o.hdp_block_masked + o.leopard_masked + o.dynatran_zeroed;
  tile_ops_ += tile_ops;
  dense_macs_ += dense;
  effectual_macs_ += work;
  pruned_ += o.dynatran_zeroed;
  hdp_head_masked_ += o.hdp_head_masked;
  hdp_block_masked_ += o.hdp_block_masked;
  leopard_masked_ += o.leopard_masked;
  score_dynatran_zeroed_ += o.dynatran_zeroed;
  saturation_.score += o.saturated;
  heads_pruned_ += o.heads_pruned;
  hdp_int_cycles_ += int_cycles;
  ++score_ops_;
  scores_ += uint64_t{d.heads} * d.rows * d.cols;
  if (leopard_bits_.size() < o.leopard_bits.size()) leopard_bits_.resize(o.leopard_bits.size(), 0);
  for (size_t i = 0; i < o.leopard_bits.size(); ++i) leopard_bits_[i] += o.leopard_bits[i];
  matmul_cycles_ += done - issue;
  return done;
}

uint64_t PeCluster::softmax(const acc_desc_t& desc, uint64_t issue, DispatchExt& ext) {
  const acc_desc_softmax_t& d = desc.softmax;
  TagStats& ts = tag_stats(d.tag);
  const uint32_t R = cfg_.tile_b * cfg_.tile_x, C = cfg_.tile_y;
  const MatrixRef in{view(d.in_buf).words + d.in_addr, d.in_stride};
  const MatrixRef out{view(d.out_buf).words + d.out_addr, d.out_stride};
  const SoftmaxSpec spec{d.rows, d.cols, d.valid_cols, static_cast<int32_t>(d.scale), d.topk,
                         (d.header & ACC_SOFTMAX_TOPK_EXACT) != 0, (d.header & ACC_SOFTMAX_PRUNE_OUT) != 0, ext.tau, R, C,
                         cfg_.topk_parallelism, (d.header & ACC_SOFTMAX_CAUSAL) != 0,
                         fx::format().per_tensor(),
                         static_cast<int>((d.header & ACC_SOFTMAX_IN_FRAC_MASK) >> ACC_SOFTMAX_IN_FRAC_SHIFT),
                         static_cast<int>((d.header & ACC_SOFTMAX_OUT_FRAC_MASK) >> ACC_SOFTMAX_OUT_FRAC_SHIFT)};
  const SoftmaxOutcome o = softmax_rows(in, out, spec);
  const uint32_t col_tiles = static_cast<uint32_t>(ceil_div(d.cols, C)), row_blocks = static_cast<uint32_t>(ceil_div(d.rows, R));
  uint64_t busy = 0, tile_ops = 0, unmasked = 0;
  auto costs = [&](size_t rb, std::vector<uint64_t>& tiles, uint64_t& tail) {
    for (uint32_t t = 0; t < col_tiles; ++t) {
      const uint32_t u = o.tile_unmasked[rb * col_tiles + t];
      if (u == 0) continue;  // a fully masked tile costs no exponential
      const uint64_t dense = uint64_t{std::min(R, d.rows - static_cast<uint32_t>(rb) * R)} * std::min(C, d.cols - t * C);
      const uint64_t cyc = std::max<uint64_t>(1, work(u, dense));  // one exponential per cycle: ceil(tx * ty * (1 - s))
      tiles.push_back(cyc);
      busy += cyc;
      unmasked += u;
    }
    for (uint32_t r = static_cast<uint32_t>(rb) * R; r < std::min(d.rows, static_cast<uint32_t>(rb + 1) * R); ++r) tail += o.row_topk_cycles[r];
  };
  const uint64_t fill = cfg_.buffer_latency_cycles;
  const uint64_t drain = sparsity_stage();  // post-sparsity (the result write is a port access)
  uint64_t start = 0;
  const uint64_t computed = run_blocks(softmax_units_, issue, fill, drain, row_blocks, costs, ts, tile_ops, start);
  ext.start = start;

  uint64_t topk_cycles = 0, topk_rows = 0;
  for (uint32_t c : o.row_topk_cycles) topk_cycles += c, topk_rows += c > 0;
  // Masked entries are not read (their mask bits are); every output is written.
  const Operand in_op{d.in_buf, d.in_addr, d.rows, d.cols, d.in_stride};
  const uint64_t reads = port_access(in_op, false, unmasked, unmasked, d.tag, start, 0, computed);
  const uint64_t done = port_write({d.out_buf, d.out_addr, d.rows, d.cols, d.out_stride}, unmasked - o.pruned - o.topk_dropped, d.tag,
                                   start, std::max(computed, reads + drain));
  count_output(d.tag, out.base, out.stride, d.rows, d.cols, ts);
  ext.tile_ops = tile_ops;
  ts.softmax_busy += busy;
  ts.tile_ops += tile_ops;
  ts.pruned += o.pruned;
  ts.topk_dropped += o.topk_dropped;
  tile_ops_ += tile_ops;
  pruned_ += o.pruned;
  topk_rows_ += topk_rows;
  topk_cycles_ += topk_cycles;
  topk_dropped_ += o.topk_dropped;
  saturation_.softmax += o.saturated;
  return done;
}

uint64_t PeCluster::layernorm(const acc_desc_t& desc, uint64_t issue, DispatchExt& ext) {
  const acc_desc_layernorm_t& d = desc.layernorm;
  TagStats& ts = tag_stats(d.tag);
  const uint32_t R = cfg_.tile_b * cfg_.tile_x, C = cfg_.tile_y;
  const MatrixRef in{view(d.in_buf).words + d.in_addr, d.in_stride};
  const MatrixRef out{view(d.out_buf).words + d.out_addr, d.out_stride};
  const int32_t* gamma = view(d.gamma_buf).words + d.gamma_addr;
  const int32_t* beta = view(d.beta_buf).words + d.beta_addr;
  const LayerNormOutcome ln = layernorm_rows(in, out, gamma, beta,
                                             {d.rows, d.cols, d.eps, R, C, fx::format().per_tensor(),
                                              static_cast<int>((d.header & ACC_LAYERNORM_GAMMA_FRAC_MASK) >> ACC_LAYERNORM_GAMMA_FRAC_SHIFT),
                                              static_cast<int>((d.header & ACC_LAYERNORM_OUT_FRAC_MASK) >> ACC_LAYERNORM_OUT_FRAC_SHIFT)});
  const std::vector<uint32_t>& zeros = ln.tile_zeros;
  saturation_.layernorm += ln.saturated;
  const uint32_t col_tiles = static_cast<uint32_t>(ceil_div(d.cols, C)), row_blocks = static_cast<uint32_t>(ceil_div(d.rows, R));
  uint64_t busy = 0, tile_ops = 0, nonzero_in = 0;
  auto costs = [&](size_t rb, std::vector<uint64_t>& tiles, uint64_t&) {
    const uint64_t r = std::min<uint64_t>(R, d.rows - rb * R);
    for (uint32_t t = 0; t < col_tiles; ++t) {
      const uint64_t c = std::min<uint64_t>(C, d.cols - uint64_t{t} * C);
      const uint64_t nz = r * c - zeros[rb * col_tiles + t];
      // ceil(tb * (tx + ty) * (1 - s)) with s the tile's zero fraction, at least one cycle.
      const uint64_t cyc = std::max<uint64_t>(1, cfg_.compat.global_sparsity < 0 ? ceil_div((r + c) * nz, r * c) : work(0, r + c));
      tiles.push_back(cyc);
      busy += cyc;
      nonzero_in += nz;
    }
  };
  uint64_t start = 0;
  const uint64_t computed = run_blocks(layernorm_units_, issue, cfg_.buffer_latency_cycles, 0, row_blocks, costs, ts, tile_ops, start);
  ext.start = start;
  uint64_t reads = port_read({d.in_buf, d.in_addr, d.rows, d.cols, d.in_stride}, nonzero_in, d.tag, start, computed);
  reads = std::max(reads, port_read({d.gamma_buf, d.gamma_addr, 1, d.cols, d.cols}, d.cols, d.tag, start, computed));
  reads = std::max(reads, port_read({d.beta_buf, d.beta_addr, 1, d.cols, d.cols}, d.cols, d.tag, start, computed));
  count_output(d.tag, out.base, out.stride, d.rows, d.cols, ts);
  const uint64_t done = port_write({d.out_buf, d.out_addr, d.rows, d.cols, d.out_stride}, uint64_t{d.rows} * d.cols, d.tag, start,
                                   std::max(computed, reads));
  ext.tile_ops = tile_ops;
  ts.layernorm_busy += busy;
  ts.tile_ops += tile_ops;
  tile_ops_ += tile_ops;
  return done;
}

uint64_t PeCluster::add(const acc_desc_t& desc, uint64_t issue, DispatchExt& ext) {
  const acc_desc_add_t& d = desc.add;
  TagStats& ts = tag_stats(d.tag);
  const uint32_t R = cfg_.tile_b * cfg_.tile_x, C = cfg_.tile_y;
  const MatrixRef a{view(d.a_buf).words + d.a_addr, d.a_stride};
  const MatrixRef b{view(d.b_buf).words + d.b_addr, d.b_stride};
  const MatrixRef c{view(d.c_buf).words + d.c_addr, d.c_stride};
  const AddScales scales{fx::format().per_tensor(), static_cast<int>((d.header & ACC_ADD_A_FRAC_MASK) >> ACC_ADD_A_FRAC_SHIFT),
                         static_cast<int>((d.header & ACC_ADD_B_FRAC_MASK) >> ACC_ADD_B_FRAC_SHIFT),
                         static_cast<int>((d.header & ACC_ADD_C_FRAC_MASK) >> ACC_ADD_C_FRAC_SHIFT)};
  const AddOutcome sum = add_tiles(a, b, c, d.rows, d.cols, R, C, scales);
  const std::vector<uint32_t>& active = sum.tile_active;
  saturation_.add += sum.saturated;
  uint64_t busy = 0, tile_ops = 0, adds = 0;
  auto costs = [&](size_t t, std::vector<uint64_t>& tiles, uint64_t&) {
    const uint64_t cyc = std::max<uint64_t>(1, ceil_div(this->work(active[t], uint64_t{R} * C), cfg_.mac_per_lane));  // one add per multiplier slot
    tiles.push_back(cyc);
    busy += cyc;
    adds += active[t];
  };
  uint64_t start = 0;
  const uint64_t computed = run_blocks(lanes_, issue, cfg_.buffer_latency_cycles, 0, active.size(), costs, ts, tile_ops, start);
  ext.start = start;
  uint64_t reads = port_read({d.a_buf, d.a_addr, d.rows, d.cols, d.a_stride}, adds, d.tag, start, computed);
  reads = std::max(reads, port_read({d.b_buf, d.b_addr, d.rows, d.cols, d.b_stride}, adds, d.tag, start, computed));
  count_output(d.tag, c.base, c.stride, d.rows, d.cols, ts);
  const uint64_t done = port_write({d.c_buf, d.c_addr, d.rows, d.cols, d.c_stride}, adds, d.tag, start, std::max(computed, reads));
  ext.tile_ops = tile_ops;
  ts.lane_busy += busy;
  ts.tile_ops += tile_ops;
  tile_ops_ += tile_ops;
  return done;
}

void PeCluster::attribute(const StatsContext& ctx, Attribution& a) const {
  const auto& cfg = ctx.cfg;
  const auto lane = ctx.energy.mac_lane(cfg);
  const double sub = cfg.compat.idle_submodules ? 0.0 : 1.0;  // FIFO, pre-/post-sparsity, dataflow
  const double per_lane_cycle = EnergyTable::dynamic_nj(lane, 1, cfg) + sub * EnergyTable::dynamic_nj(ctx.energy.lane_unit("fifo", cfg), 1, cfg);
  const double per_tile_op = sub * (EnergyTable::dynamic_nj(ctx.energy.lane_unit("pre_sparsity", cfg), 1, cfg) +
                                    EnergyTable::dynamic_nj(ctx.energy.lane_unit("post_sparsity", cfg), 1, cfg));
  const double per_pe_cycle = sub * EnergyTable::dynamic_nj(ctx.energy.module("dataflow"), 1, cfg);
  const double per_softmax = EnergyTable::dynamic_nj(ctx.energy.softmax(cfg), 1, cfg);
  const double per_ln = EnergyTable::dynamic_nj(ctx.energy.layernorm(cfg), 1, cfg);
  const double per_score_lane = EnergyTable::dynamic_nj(lane, 1, cfg);  // see energy.score_engine
  for (const auto& [key, t] : by_tag_)
    a.add(key, t.lane_busy * per_lane_cycle + t.tile_ops * per_tile_op + t.pe_busy * per_pe_cycle + t.softmax_busy * per_softmax +
                   t.layernorm_busy * per_ln + t.score_lane_busy * per_score_lane);
}

void PeCluster::collect_stats(Stats& s, const StatsContext& ctx) const {
  const auto& cfg = ctx.cfg;
  for (uint32_t op : {ACC_OP_MATMUL, ACC_OP_SOFTMAX, ACC_OP_LAYERNORM, ACC_OP_ADD, ACC_OP_SCORE})
    s.put(std::string("pe.ops.") + regmap::opcode_name(op), ops_[op], "commands", "Compute descriptors of this opcode executed");
  s.put("pe.tile_ops", tile_ops_, "ops", "Tiled ops dispatched to the units (matmul k-steps, softmax, layer-norm and add tiles)");
  s.put("pe.lane_busy_cycles", lanes_.busy, "lane-cycles", "Sum over MAC lanes of cycles spent on tiled ops");
  s.put("pe.softmax_busy_cycles", softmax_units_.busy, "unit-cycles", "Sum over softmax units of busy cycles");
  s.put("pe.layernorm_busy_cycles", layernorm_units_.busy, "unit-cycles", "Sum over layer-norm units of busy cycles");
  s.put("pe.score_engine_busy_cycles", score_lanes_.busy, "lane-cycles", "Sum over LeOPArd's bit-serial lanes of busy cycles");
  s.put("pe.pe_busy_cycles", pe_busy_, "PE-cycles", "Sum over PEs of cycles with at least one block in flight");
  s.put("pe.dense_macs", dense_macs_, "MACs", "Multiply-accumulates of the dense matmuls (m*k*n)");
  s.put("pe.effectual_macs", effectual_macs_, "MACs", "Multiplies whose operands were both non-zero (the work done)");
  s.put("pe.pruned_outputs", pruned_, "values", "Non-zero outputs DynaTran set to zero (matmuls and probabilities)");
  s.put("pe.outputs", outputs_, "values", "Outputs written by compute ops");
  s.put("pe.zero_outputs", zero_outputs_, "values", "Outputs that are zero (natural or pruned)");
  s.put("pe.matmul_cycles", matmul_cycles_, "cycles", "Sum over MATMULs of issue-to-completion cycles");
  s.put("pe.topk_rows", topk_rows_, "rows", "Probability rows the top-k engine selected on");
  s.put("pe.topk_cycles", topk_cycles_, "cycles", "Quick-select cycles of the top-k engines");
  s.put("pe.topk_dropped", topk_dropped_, "values", "Non-zero probabilities top-k set to zero");
  // Values clipped to Q4.16, per rounding site (docs/timing-model.md: the values).
  const Saturation& sat = saturation_;
  s.put("saturation.matmul", sat.matmul, "values", "MATMUL outputs clipped to the number format when the accumulator is narrowed");
  s.put("saturation.score", sat.score, "values", "SCORE descriptors' surviving scores clipped to the number format when narrowed");
  s.put("saturation.activation", sat.activation, "values", "GELU and tanh results clipped to the number format (GELU(x) <= x, abs(tanh) <= 1: always 0)");
  s.put("saturation.softmax", sat.softmax, "values", "Probabilities clipped to the number format (at most 1 by construction: always 0)");
  s.put("saturation.layernorm", sat.layernorm, "values", "Layer-norm outputs clipped to the number format");
  s.put("saturation.add", sat.add, "values", "ADD sums (the residual connections) clipped to the number format");
  s.put("saturation.total", sat.total(), "values", "Values the accelerator clipped to the number format, all sites");
  // Pruning units: what each stage pruned (first stage wins), LeOPArd's bit planes.
  s.put("pruning.dynatran.zeroed", pruned_, "values", "Non-zero values DynaTran set to zero (matmul outputs, scores, probabilities)");
  s.put("pruning.topk.zeroed", topk_dropped_, "values", "Non-zero probabilities top-k set to zero");
  s.put("pruning.nm_activations.zeroed", nm_pruned_, "values", "Non-zero outputs dynamic N:M set to zero");
  s.put("pruning.nm_weights.matmuls", nm_weight_matmuls_, "commands", "MATMULs that read N:M compressed weights");
  s.put("pruning.score_ops", score_ops_, "commands", "SCORE descriptors executed by the pruning units");
  s.put("pruning.scores", scores_, "values", "Attention scores the SCORE descriptors produced or masked");
  s.put("pruning.hdp_heads.pruned", heads_pruned_, "heads", "Heads HDP pruned (per sequence)");
  s.put("pruning.hdp_heads.masked", hdp_head_masked_, "values", "Scores masked because HDP pruned their head");
  s.put("pruning.hdp_blocks.masked", hdp_block_masked_, "values", "Scores masked by HDP block pruning");
  s.put("pruning.hdp_int_pass_cycles", hdp_int_cycles_, "lane-cycles", "Lane cycles of HDP's integer-part pass (the overhead)");
  s.put("pruning.leopard.masked", leopard_masked_, "values", "Scores masked by LeOPArd's threshold");
  s.put("pruning.dynatran_scores.zeroed", score_dynatran_zeroed_, "values", "Raw scores of SCORE descriptors DynaTran set to zero");
  uint64_t leo_scores = 0, leo_planes = 0;
  for (size_t b = 1; b < leopard_bits_.size(); ++b) {
    s.put("leopard.bits_used." + std::to_string(b), leopard_bits_[b], "scores", "Scores LeOPArd's engine decided after b bit planes");
    leo_scores += leopard_bits_[b], leo_planes += b * leopard_bits_[b];
  }
  s.put_real("leopard.mean_bits", leo_scores ? double(leo_planes) / double(leo_scores) : 0.0, "bit planes",
             "Mean bit planes LeOPArd's engine processed per score");
  // Most compute ops in flight at once (heads of a layer, independent ops overlap on the PEs).
  std::vector<std::pair<uint64_t, int>> events;
  for (const auto& [b, e] : op_spans_) events.emplace_back(b, 1), events.emplace_back(e, -1);
  std::sort(events.begin(), events.end(), [](const auto& x, const auto& y) { return x.first != y.first ? x.first < y.first : x.second < y.second; });
  int64_t in_flight = 0, peak = 0;
  for (const auto& ev : events) peak = std::max(peak, in_flight += ev.second);
  s.put("pe.peak_concurrent_ops", static_cast<uint64_t>(peak), "ops", "Most compute descriptors in execution at the same time");
  const double active = static_cast<double>(ctx.active_cycles);
  auto util = [&](double busy, double units) { return active > 0 ? busy / (units * active) : 0.0; };
  const double lanes = static_cast<double>(cfg.total_lanes());
  const double sm_units = double(cfg.pe) * cfg.softmax_per_pe, ln_units = double(cfg.pe) * cfg.layernorm_per_pe;
  s.put_real("pe.lane_utilisation", util(double(lanes_.busy), lanes), "fraction", "Lane busy cycles / (lanes x active cycles)");
  s.put_real("pe.mac_utilisation", util(double(effectual_macs_), double(cfg.total_multipliers())), "fraction",
             "Effectual MACs / (multipliers x active cycles)");
  s.put_real("pe.softmax_utilisation", util(double(softmax_units_.busy), sm_units), "fraction",
             "Softmax busy cycles / (softmax units x active cycles)");
  s.put_real("pe.layernorm_utilisation", util(double(layernorm_units_.busy), ln_units), "fraction",
             "Layer-norm busy cycles / (layer-norm units x active cycles)");

  // Per tensor class: work and sparsity (summed over layers).
  std::map<uint32_t, TagStats> by_class;
  for (const auto& [key, t] : by_tag_) {
    TagStats& c = by_class[key & ACC_TAG_CLASS_MAX];
    c.ops += t.ops, c.lane_busy += t.lane_busy, c.softmax_busy += t.softmax_busy, c.layernorm_busy += t.layernorm_busy;
    c.dense_macs += t.dense_macs, c.effectual_macs += t.effectual_macs, c.outputs += t.outputs, c.zeros += t.zeros;
    c.valid_outputs += t.valid_outputs, c.valid_zeros += t.valid_zeros, c.pruned += t.pruned, c.topk_dropped += t.topk_dropped;
  }
  uint64_t p_out = 0, p_zero = 0, p_vout = 0, p_vzero = 0;
  for (const auto& [cls, t] : by_class) {
    const std::string name = regmap::tag_class_name(cls);
    const std::string b = "by_class." + name + ".";
    s.put(b + "lane_busy_cycles", t.lane_busy, "lane-cycles", "MAC-lane cycles of the class");
    s.put(b + "softmax_busy_cycles", t.softmax_busy, "unit-cycles", "Softmax-unit cycles of the class");
    s.put(b + "layernorm_busy_cycles", t.layernorm_busy, "unit-cycles", "Layer-norm-unit cycles of the class");
    s.put(b + "dense_macs", t.dense_macs, "MACs", "Dense MACs of the class");
    s.put(b + "effectual_macs", t.effectual_macs, "MACs", "Effectual MACs of the class");
    if (t.outputs == 0) continue;
    const std::string sp = "sparsity." + name + ".";
    s.put(sp + "elements", t.outputs, "values", "Output elements of the class");
    s.put(sp + "zeros", t.zeros, "values", "Zero outputs of the class");
    s.put(sp + "pruned", t.pruned + t.topk_dropped, "values", "Outputs set to zero by pruning (DynaTran, top-k)");
    s.put_real(sp + "fraction", double(t.zeros) / double(t.outputs), "fraction", "Zeros / elements");
    s.put(sp + "valid_elements", t.valid_outputs, "values", "Output elements of valid tokens only");
    s.put_real(sp + "valid_fraction", t.valid_outputs ? double(t.valid_zeros) / double(t.valid_outputs) : 0.0, "fraction",
               "Zeros / elements over valid tokens only");
    if (pruned_class(cls)) p_out += t.outputs, p_zero += t.zeros, p_vout += t.valid_outputs, p_vzero += t.valid_zeros;
  }
  s.put_real("sparsity.pruned_tensors.fraction", p_out ? double(p_zero) / double(p_out) : 0.0, "fraction",
             "Zeros / elements over every tensor DynaTran applies to (the AccelTran paper, Tuli & Jha 2023)");
  s.put_real("sparsity.pruned_tensors.valid_fraction", p_vout ? double(p_vzero) / double(p_vout) : 0.0, "fraction",
             "The same over valid tokens only");

  const double lane_busy = static_cast<double>(lanes_.busy), ops = static_cast<double>(tile_ops_);
  const auto lane = ctx.energy.mac_lane(cfg);
  const auto pre = ctx.energy.lane_unit("pre_sparsity", cfg);
  const auto post = ctx.energy.lane_unit("post_sparsity", cfg);
  const auto fifo = ctx.energy.lane_unit("fifo", cfg);
  const auto& flow = ctx.energy.module("dataflow");
  const auto sm = ctx.energy.softmax(cfg);
  const auto ln = ctx.energy.layernorm(cfg);
  // Leakage of `units` units of `mw` each: over the active time, or (compat.busy_leakage, as
  // AccelTran's simulator) only over their busy unit-cycles. compat.idle_submodules: the FIFOs,
  // pre-/post-sparsity and dataflow units take no energy.
  auto leak = [&](double mw, double units, double busy) {
    return EnergyTable::leakage_nj(mw, cfg.compat.busy_leakage ? busy : units * double(ctx.active_cycles), cfg);
  };
  const double sub = cfg.compat.idle_submodules ? 0.0 : 1.0, pe_busy = static_cast<double>(pe_busy_);
  s.put_real("energy.mac_lanes.dynamic_nj", EnergyTable::dynamic_nj(lane, lane_busy, cfg), "nJ", "MAC lanes, busy cycles");
  s.put_real("energy.mac_lanes.leakage_nj", leak(lane.leakage_mw, lanes, lane_busy), "nJ", "MAC lanes, leakage");
  s.put_real("energy.pre_sparsity.dynamic_nj", sub * EnergyTable::dynamic_nj(pre, ops, cfg), "nJ", "Pre-sparsity, 1 cycle per tiled op");
  s.put_real("energy.pre_sparsity.leakage_nj", sub * leak(pre.leakage_mw, lanes, ops), "nJ", "Pre-sparsity, leakage");
  s.put_real("energy.post_sparsity.dynamic_nj", sub * EnergyTable::dynamic_nj(post, ops, cfg), "nJ", "Post-sparsity, 1 cycle per tiled op");
  s.put_real("energy.post_sparsity.leakage_nj", sub * leak(post.leakage_mw, lanes, ops), "nJ", "Post-sparsity, leakage");
  s.put_real("energy.fifo.dynamic_nj", sub * EnergyTable::dynamic_nj(fifo, lane_busy, cfg), "nJ", "Lane FIFOs, active with their lane");
  s.put_real("energy.fifo.leakage_nj", sub * leak(fifo.leakage_mw, lanes, lane_busy), "nJ", "Lane FIFOs, leakage");
  s.put_real("energy.dataflow.dynamic_nj", sub * EnergyTable::dynamic_nj(flow, pe_busy, cfg), "nJ", "PE dataflow control, busy PE-cycles");
  s.put_real("energy.dataflow.leakage_nj", sub * leak(flow.leakage_mw, cfg.pe, pe_busy), "nJ", "PE dataflow control, leakage");
  s.put_real("energy.softmax.dynamic_nj", EnergyTable::dynamic_nj(sm, double(softmax_units_.busy), cfg), "nJ", "Softmax units, busy cycles");
  s.put_real("energy.softmax.leakage_nj", leak(sm.leakage_mw, sm_units, double(softmax_units_.busy)), "nJ", "Softmax units, leakage");
  s.put_real("energy.layernorm.dynamic_nj", EnergyTable::dynamic_nj(ln, double(layernorm_units_.busy), cfg), "nJ",
             "Layer-norm units, busy cycles");
  s.put_real("energy.layernorm.leakage_nj", leak(ln.leakage_mw, ln_units, double(layernorm_units_.busy)), "nJ", "Layer-norm units, leakage");
  // LeOPArd's engine has no published figures: a busy bit-serial lane is charged a MAC lane's
  // dynamic energy (an upper bound); no leakage or area is added (docs/pruning.md).
  s.put_real("energy.score_engine.dynamic_nj", EnergyTable::dynamic_nj(lane, double(score_lanes_.busy), cfg), "nJ",
             "LeOPArd's bit-serial lanes, busy cycles (charged as MAC-lane cycles)");
}

}  // namespace acc
