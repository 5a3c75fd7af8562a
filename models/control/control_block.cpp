#include "control_block.hpp"

#include <algorithm>
#include <cstring>

#include "command.hpp"
#include "fixed_point.hpp"
#include "nm.hpp"
#include "regmap.hpp"
#include "tlm_util.hpp"
#include "trace_recorder.hpp"

namespace acc {

namespace {
constexpr uint32_t kRegWindow = ACC_MAP_ACC_REGS_SIZE;

uint32_t lo(uint64_t v) { return static_cast<uint32_t>(v); }
uint32_t hi(uint64_t v) { return static_cast<uint32_t>(v >> 32); }
uint32_t clip32(uint64_t v) { return v > 0xFFFFFFFFull ? 0xFFFFFFFFu : static_cast<uint32_t>(v); }
}  // namespace

ControlBlock::ControlBlock(sc_core::sc_module_name name, const HwConfig& cfg, const Clock& clock)
    : sc_module(name),
      regs("regs"),
      fetch("fetch"),
      dma("dma"),
      pe("pe"),
      irq("irq"),
      cfg_(cfg),
      clock_(clock),
      bank_(cfg, kRegWindow),
      window_(cfg.queue_window) {
  regs.register_b_transport(this, &ControlBlock::reg_b_transport);
  regs.register_transport_dbg(this, &ControlBlock::reg_transport_dbg);

  // Effects of a register write start at the time the initiator wrote it (its annotated delay),
  // not at the SystemC time it runs at: an initiator may be up to a quantum ahead.
  bank_.on_write(ACC_REG_QUEUE_TAIL, [this](uint32_t o, uint32_t, uint32_t) {
    doorbell_cycle_ = std::max(doorbell_cycle_, clock_.cycle_at_or_after(sc_core::sc_time_stamp() + write_delay_));
    // While the engine works, a TAIL outside the ring it latched would never be reached: the
    // engine would cycle the ring forever. It stops the queue instead (an idle engine checks TAIL
    // against QUEUE_SIZE when the next busy period begins).
    const uint32_t tail = bank_.get(o);
    if (busy_ && !stopping_ && tail >= ring_size_) stop_on_error(ACC_ERR_QUEUE_CONFIG, next_, tail, doorbell_cycle_);
    doorbell_ev_.notify(write_delay_);
  });
  bank_.on_write(ACC_REG_CTRL, [this](uint32_t, uint32_t, uint32_t written) {
    if (written & ACC_CTRL_QUEUE_RESET) {
      if (busy_)
        reset_pending_ = true;  // applied when in-flight work has drained
      else
        apply_queue_reset();
    }
    // ENABLE may have been set with work waiting: then it is the doorbell, at its own time.
    if (!busy_) doorbell_cycle_ = std::max(doorbell_cycle_, clock_.cycle_at_or_after(sc_core::sc_time_stamp() + write_delay_));
    doorbell_ev_.notify(write_delay_);
  });
  auto irq_changed = [this](uint32_t, uint32_t, uint32_t) { irq_ev_.notify(write_delay_); };
  bank_.on_write(ACC_REG_IRQ_ENABLE, irq_changed);
  bank_.on_write(ACC_REG_IRQ_STATUS, irq_changed);

  // Pruning units: the register file the PE cluster reads at issue.
  auto field = [](uint32_t v, uint32_t mask, uint32_t shift) { return (v & mask) >> shift; };
  bank_.on_write(ACC_REG_LEOPARD_KEY_BITS, [this](uint32_t o, uint32_t, uint32_t) { pruning_.leopard_key_bits = bank_.get(o); });
  bank_.on_write(ACC_REG_LEOPARD_TH_LO, [this](uint32_t o, uint32_t, uint32_t) { th_lo_ = bank_.get(o); });
  bank_.on_write(ACC_REG_LEOPARD_TH_HI, [this](uint32_t o, uint32_t, uint32_t) {
    const uint32_t index = bank_.get(ACC_REG_LEOPARD_TH_INDEX);
    pruning_.leopard_th[index] = static_cast<int64_t>((uint64_t{bank_.get(o)} << 32) | th_lo_);
    bank_.set(ACC_REG_LEOPARD_TH_INDEX, (index + 1) % PruningConfig::kThresholds);
  });
  auto entry = [this] { return static_cast<uint64_t>(pruning_.leopard_th[bank_.get(ACC_REG_LEOPARD_TH_INDEX)]); };
  bank_.on_read(ACC_REG_LEOPARD_TH_LO, [entry] { return lo(entry()); });
  bank_.on_read(ACC_REG_LEOPARD_TH_HI, [entry] { return hi(entry()); });
  bank_.on_write(ACC_REG_HDP_FRAC_BITS, [this](uint32_t o, uint32_t, uint32_t) { pruning_.hdp.frac_bits = bank_.get(o); });
  bank_.on_write(ACC_REG_HDP_HEAD_CTRL, [this, field](uint32_t o, uint32_t, uint32_t) {
    pruning_.hdp.head_importance = field(bank_.get(o), ACC_HDP_HEAD_CTRL_IMPORTANCE, ACC_HDP_HEAD_CTRL_IMPORTANCE_SHIFT);
    pruning_.hdp.head_threshold = field(bank_.get(o), ACC_HDP_HEAD_CTRL_THRESHOLD, ACC_HDP_HEAD_CTRL_THRESHOLD_SHIFT);
  });
  bank_.on_write(ACC_REG_HDP_HEAD_PARAM, [this](uint32_t o, uint32_t, uint32_t) { pruning_.hdp.head_param = bank_.get(o); });
  bank_.on_write(ACC_REG_HDP_BLOCK_CTRL, [this, field](uint32_t o, uint32_t, uint32_t) {
    pruning_.hdp.block_rows = field(bank_.get(o), ACC_HDP_BLOCK_CTRL_ROWS, ACC_HDP_BLOCK_CTRL_ROWS_SHIFT);
    pruning_.hdp.block_cols = field(bank_.get(o), ACC_HDP_BLOCK_CTRL_COLS, ACC_HDP_BLOCK_CTRL_COLS_SHIFT);
    pruning_.hdp.block_threshold = field(bank_.get(o), ACC_HDP_BLOCK_CTRL_THRESHOLD, ACC_HDP_BLOCK_CTRL_THRESHOLD_SHIFT);
  });
  bank_.on_write(ACC_REG_HDP_BLOCK_PARAM, [this](uint32_t o, uint32_t, uint32_t) { pruning_.hdp.block_param = bank_.get(o); });
  bank_.on_write(ACC_REG_NM_CFG, [this, field](uint32_t o, uint32_t, uint32_t) {
    pruning_.nm_n = field(bank_.get(o), ACC_NM_CFG_N, ACC_NM_CFG_N_SHIFT);
    pruning_.nm_m = field(bank_.get(o), ACC_NM_CFG_M, ACC_NM_CFG_M_SHIFT);
  });

  bank_.on_read(ACC_REG_QUEUE_HEAD, [this] { return retired_by(read_cycle_); });
  bank_.on_read(ACC_REG_PERF_CYCLES_LO, [this] { return lo(active_cycles_); });
  bank_.on_read(ACC_REG_PERF_CYCLES_HI, [this] { return hi(active_cycles_); });
  bank_.on_read(ACC_REG_PERF_DESC_DONE, [this] { return lo(desc_done_); });
  bank_.on_read(ACC_REG_PERF_TILE_OPS_LO, [this] { return lo(tile_ops_); });
  bank_.on_read(ACC_REG_PERF_TILE_OPS_HI, [this] { return hi(tile_ops_); });
  bank_.on_read(ACC_REG_PERF_MACS_LO, [this] { return lo(macs_); });
  bank_.on_read(ACC_REG_PERF_MACS_HI, [this] { return hi(macs_); });
  bank_.on_read(ACC_REG_PERF_EFF_MACS_LO, [this] { return lo(eff_macs_); });
  bank_.on_read(ACC_REG_PERF_EFF_MACS_HI, [this] { return hi(eff_macs_); });
  bank_.on_read(ACC_REG_PERF_DRAM_RD_LO, [this] { return lo(dram_rd_bits_ / 8); });
  bank_.on_read(ACC_REG_PERF_DRAM_RD_HI, [this] { return hi(dram_rd_bits_ / 8); });
  bank_.on_read(ACC_REG_PERF_DRAM_WR_LO, [this] { return lo(dram_wr_bits_ / 8); });
  bank_.on_read(ACC_REG_PERF_DRAM_WR_HI, [this] { return hi(dram_wr_bits_ / 8); });
  bank_.on_read(ACC_REG_PERF_STALL_DEP, [this] { return lo(stall_dep_); });
  bank_.on_read(ACC_REG_PERF_STALL_FETCH, [this] { return lo(stall_fetch_); });
  bank_.on_read(ACC_REG_PERF_STALL_WINDOW, [this] { return lo(stall_window_); });

  SC_HAS_PROCESS(ControlBlock);
  SC_THREAD(engine);
  SC_METHOD(irq_method);
  sensitive << irq_ev_;
  dont_initialize();
}

// ---------------------------------------------------------------------------------------------
// Registers

void ControlBlock::reg_b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
  if (!check_word_access(t)) return;
  const uint32_t offset = static_cast<uint32_t>(t.get_address());
  uint32_t v = 0;
  bool ok;
  read_cycle_ = clock_.to_cycles(sc_core::sc_time_stamp() + delay);
  if (t.is_read()) {
    ok = bank_.read(offset, v);
    if (ok) std::memcpy(t.get_data_ptr(), &v, 4);
  } else {
    std::memcpy(&v, t.get_data_ptr(), 4);
    write_delay_ = delay;
    RegisterBank::Misuse misuse;
    ok = bank_.write(offset, v, &misuse);
    MmioNoteExt* note = nullptr;
    t.get_extension(note);
    if (note) note->read_only = misuse.read_only, note->reserved_bits = misuse.reserved_bits;  // refused when strict
  }
  t.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

unsigned int ControlBlock::reg_transport_dbg(tlm::tlm_generic_payload& t) {
  // Debug reads have no side effects; debug writes are refused (they would run callbacks).
  if (!t.is_read() || t.get_data_length() != 4 || t.get_address() % 4) return 0;
  uint32_t v = 0;
  read_cycle_ = clock_.now();
  if (!bank_.read(static_cast<uint32_t>(t.get_address()), v)) return 0;
  std::memcpy(t.get_data_ptr(), &v, 4);
  return 4;
}

void ControlBlock::irq_method() {
  irq.write((bank_.get(ACC_REG_IRQ_STATUS) & bank_.get(ACC_REG_IRQ_ENABLE)) != 0);
}

uint32_t ControlBlock::retired_by(uint64_t cycle) const {
  if (!busy_ || ring_size_ == 0) return bank_.get(ACC_REG_QUEUE_HEAD);
  const auto n = static_cast<uint64_t>(std::upper_bound(retire_.begin(), retire_.end(), cycle) - retire_.begin());
  return static_cast<uint32_t>((period_head_ + n) % ring_size_);
}

void ControlBlock::apply_queue_reset() {
  reset_pending_ = false;
  error_ = false;
  next_ = 0;
  fetched_.clear();
  bank_.set(ACC_REG_QUEUE_HEAD, 0);
  bank_.set(ACC_REG_QUEUE_TAIL, 0);
  bank_.set(ACC_REG_STATUS, 0);
  bank_.set(ACC_REG_ERR_CODE, 0);
  bank_.set(ACC_REG_ERR_DESC, 0);
  bank_.set(ACC_REG_ERR_INFO, 0);
}

// ---------------------------------------------------------------------------------------------
// Validation

namespace {

struct Checker {
  const HwConfig& cfg;
  uint32_t info = 0;

  uint32_t fail(uint32_t code, uint64_t detail) {
    info = clip32(detail);
    return code;
  }
  uint64_t buffer_words(uint32_t buf) const { return buf == ACC_BUF_ACT ? cfg.act_buffer_words() : cfg.weight_buffer_words(); }

  // A buffer operand of rows x cols words: its buffer id, stride and extent. The extent is
  // computed in 128 bits: rows may be a product of two 32-bit fields (a SCORE's heads x rows).
  uint32_t buffer(uint32_t buf, uint64_t addr, uint64_t rows, uint64_t cols, uint64_t stride) {
    if (buf != ACC_BUF_ACT && buf != ACC_BUF_WGT) return fail(ACC_ERR_BAD_BUFFER, buf);
    if (rows > 1 && stride < cols) return fail(ACC_ERR_BAD_SHAPE, stride);
    const unsigned __int128 last = addr + static_cast<unsigned __int128>(rows - 1) * stride + cols - 1;
    if (last >= buffer_words(buf)) return fail(ACC_ERR_BUFFER_OVERFLOW, last > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(last));
    return ACC_ERR_NONE;
  }
  uint32_t dram(uint64_t addr, uint64_t rows, uint64_t cols, uint64_t stride) {
    if (addr % 4 || stride % 4) return fail(ACC_ERR_DRAM_RANGE, addr);
    if (rows > 1 && stride < 4 * cols) return fail(ACC_ERR_BAD_SHAPE, stride);
    const uint64_t base = ACC_MAP_DRAM_BASE, end = base + cfg.dram_bytes();
    const unsigned __int128 last = addr + static_cast<unsigned __int128>(rows - 1) * stride + 4 * cols;  // one past
    if (addr < base || last > end) return fail(ACC_ERR_DRAM_RANGE, addr);
    return ACC_ERR_NONE;
  }
};

}  // namespace

uint32_t ControlBlock::validate(const acc_desc_t& d, uint32_t& info) const {
  Checker c{cfg_};
  const uint32_t op = d.w[0] & ACC_DESC_OPCODE_MASK, flags = d.w[0] & ~ACC_DESC_OPCODE_MASK;
  auto flags_ok = [&](uint32_t valid) { return (flags & ~valid) == 0; };
  // An elementwise output may be exactly one of its inputs (in place), never partly overlap one.
  auto in_place_ok = [](const Region& out, const Region& in) {
    return !regions_overlap(out, in) ||
           (out.space == in.space && out.base == in.base && out.rows == in.rows && out.cols == in.cols && out.stride == in.stride);
  };
  uint32_t err = ACC_ERR_NONE;
  const Operands o = operands(d);
  switch (op) {
    case ACC_OP_NOP:
    case ACC_OP_FENCE:
      if (flags) err = c.fail(ACC_ERR_BAD_FLAGS, d.w[0]);
      break;
    case ACC_OP_LOAD:
    case ACC_OP_STORE: {
      const auto& x = d.load;
      const bool broadcast = op == ACC_OP_LOAD && x.dram_stride == 0;  // one DRAM row repeated
      if (op == ACC_OP_LOAD ? !flags_ok(ACC_LOAD_VALID_FLAGS) : flags != 0) {
        err = c.fail(ACC_ERR_BAD_FLAGS, d.w[0]);
      } else if (!x.rows || !x.cols) {
        err = c.fail(ACC_ERR_BAD_SHAPE, x.rows ? x.cols : x.rows);
      } else if ((err = c.buffer(x.buf, x.buf_addr, x.rows, x.cols, x.buf_stride)) == ACC_ERR_NONE) {
        err = c.dram(x.dram_addr, broadcast ? 1 : x.rows, x.cols, x.dram_stride);
      }
      break;
    }
    case ACC_OP_MATMUL: {
      const auto& x = d.matmul;
      const bool tb = x.header & ACC_MATMUL_TRANSPOSE_B;
      const bool nm_w = x.header & ACC_MATMUL_NM_WEIGHTS;
      const uint32_t b_rows = nm_w && pruning_.nm_m ? nm::compressed_rows(x.k, pruning_.nm_n, pruning_.nm_m) : x.k;
      if (!flags_ok(ACC_MATMUL_VALID_FLAGS) || ((flags & ACC_MATMUL_GELU) && (flags & ACC_MATMUL_TANH)) || (tb && nm_w)) {
        err = c.fail(ACC_ERR_BAD_FLAGS, d.w[0]);
      } else if (!x.m || !x.k || !x.n) {
        err = c.fail(ACC_ERR_BAD_SHAPE, !x.m ? x.m : !x.k ? x.k : x.n);
      } else if (x.k > cfg_.max_k) {
        err = c.fail(ACC_ERR_BAD_SHAPE, x.k);
      } else if (const uint32_t reg = bad_pruning_register(d)) {
        err = c.fail(ACC_ERR_BAD_CONFIG, reg);
      } else if ((err = c.buffer(x.a_buf, x.a_addr, x.m, x.k, x.a_stride)) == ACC_ERR_NONE &&
                 (err = c.buffer(x.b_buf, x.b_addr, tb ? x.n : b_rows, tb ? x.k : x.n, x.b_stride)) == ACC_ERR_NONE &&
                 (err = c.buffer(x.c_buf, x.c_addr, x.m, x.n, x.c_stride)) == ACC_ERR_NONE &&
                 (!(flags & ACC_MATMUL_BIAS) || (err = c.buffer(x.bias_buf, x.bias_addr, 1, x.n, x.n)) == ACC_ERR_NONE)) {
        for (const Region& r : o.reads)
          if (regions_overlap(o.write, r)) err = c.fail(ACC_ERR_OPERAND_OVERLAP, x.c_addr);
      }
      break;
    }
    case ACC_OP_SOFTMAX: {
      const auto& x = d.softmax;
      if (!flags_ok(ACC_SOFTMAX_VALID_FLAGS)) {
        err = c.fail(ACC_ERR_BAD_FLAGS, d.w[0]);
      } else if (!x.rows || !x.cols) {
        err = c.fail(ACC_ERR_BAD_SHAPE, x.rows ? x.cols : x.rows);
      } else if (x.valid_cols == 0 || x.valid_cols > x.cols) {
        err = c.fail(ACC_ERR_BAD_SHAPE, x.valid_cols);
      } else if ((x.header & ACC_SOFTMAX_CAUSAL) && x.rows > x.cols) {  // a causal row is one of the cols positions
        err = c.fail(ACC_ERR_BAD_SHAPE, x.rows);
      } else if ((err = c.buffer(x.in_buf, x.in_addr, x.rows, x.cols, x.in_stride)) == ACC_ERR_NONE &&
                 (err = c.buffer(x.out_buf, x.out_addr, x.rows, x.cols, x.out_stride)) == ACC_ERR_NONE) {
        if (!in_place_ok(o.write, o.reads[0])) err = c.fail(ACC_ERR_OPERAND_OVERLAP, x.out_addr);
      }
      break;
    }
    case ACC_OP_LAYERNORM: {
      const auto& x = d.layernorm;
      if (!flags_ok(ACC_LAYERNORM_VALID_FLAGS)) {
        err = c.fail(ACC_ERR_BAD_FLAGS, d.w[0]);
      } else if (!x.rows || !x.cols) {
        err = c.fail(ACC_ERR_BAD_SHAPE, x.rows ? x.cols : x.rows);
      } else if ((err = c.buffer(x.in_buf, x.in_addr, x.rows, x.cols, x.in_stride)) == ACC_ERR_NONE &&
                 (err = c.buffer(x.out_buf, x.out_addr, x.rows, x.cols, x.out_stride)) == ACC_ERR_NONE &&
                 (err = c.buffer(x.gamma_buf, x.gamma_addr, 1, x.cols, x.cols)) == ACC_ERR_NONE &&
                 (err = c.buffer(x.beta_buf, x.beta_addr, 1, x.cols, x.cols)) == ACC_ERR_NONE) {
        if (!in_place_ok(o.write, o.reads[0]) || regions_overlap(o.write, o.reads[1]) || regions_overlap(o.write, o.reads[2]))
          err = c.fail(ACC_ERR_OPERAND_OVERLAP, x.out_addr);
      }
      break;
    }
    case ACC_OP_ADD: {
      const auto& x = d.add;
      if (!flags_ok(ACC_ADD_VALID_FLAGS)) {
        err = c.fail(ACC_ERR_BAD_FLAGS, d.w[0]);
      } else if (!x.rows || !x.cols) {
        err = c.fail(ACC_ERR_BAD_SHAPE, x.rows ? x.cols : x.rows);
      } else if ((err = c.buffer(x.a_buf, x.a_addr, x.rows, x.cols, x.a_stride)) == ACC_ERR_NONE &&
                 (err = c.buffer(x.b_buf, x.b_addr, x.rows, x.cols, x.b_stride)) == ACC_ERR_NONE &&
                 (err = c.buffer(x.c_buf, x.c_addr, x.rows, x.cols, x.c_stride)) == ACC_ERR_NONE) {
        if (!in_place_ok(o.write, o.reads[0]) || !in_place_ok(o.write, o.reads[1])) err = c.fail(ACC_ERR_OPERAND_OVERLAP, x.c_addr);
      }
      break;
    }
    case ACC_OP_SCORE: {
      const auto& x = d.score;
      const uint64_t width = uint64_t{x.heads} * x.head_dim;
      if (!flags_ok(ACC_SCORE_VALID_FLAGS) || ((flags & ACC_SCORE_LEOPARD) && (flags & ACC_SCORE_HDP_APPROX))) {
        err = c.fail(ACC_ERR_BAD_FLAGS, d.w[0]);
      } else if (!x.rows || !x.cols || !x.heads || !x.head_dim) {
        err = c.fail(ACC_ERR_BAD_SHAPE, !x.rows ? x.rows : !x.cols ? x.cols : !x.heads ? x.heads : x.head_dim);
      } else if (x.head_dim > cfg_.max_k || width > 0xFFFFFFFFull) {
        err = c.fail(ACC_ERR_BAD_SHAPE, x.head_dim);
      } else if ((flags & ACC_SCORE_LEOPARD) &&
                 uint64_t{x.th_index} + ((flags & ACC_SCORE_LEOPARD_PER_HEAD) ? x.heads - 1 : 0) >= PruningConfig::kThresholds) {
        err = c.fail(ACC_ERR_BAD_SHAPE, x.th_index);
      } else if (const uint32_t reg = bad_pruning_register(d)) {
        err = c.fail(ACC_ERR_BAD_CONFIG, reg);
      } else if ((err = c.buffer(x.q_buf, x.q_addr, x.rows, width, x.q_stride)) == ACC_ERR_NONE &&
                 (err = c.buffer(x.k_buf, x.k_addr, x.cols, width, x.k_stride)) == ACC_ERR_NONE &&
                 (err = c.buffer(x.out_buf, x.out_addr, uint64_t{x.heads} * x.rows, x.cols, x.out_stride)) == ACC_ERR_NONE) {
        if (regions_overlap(o.write, o.reads[0]) || regions_overlap(o.write, o.reads[1])) err = c.fail(ACC_ERR_OPERAND_OVERLAP, x.out_addr);
      }
      break;
    }
    default:
      err = c.fail(ACC_ERR_BAD_OPCODE, d.w[0]);
  }
  if (err == ACC_ERR_NONE && bad_scale_fields(d)) err = c.fail(ACC_ERR_BAD_CONFIG, d.w[0]);
  if (err == ACC_ERR_NONE && op == ACC_OP_LOAD && (flags & ACC_LOAD_NM_META))
    if (const uint32_t reg = bad_pruning_register(d)) err = c.fail(ACC_ERR_BAD_CONFIG, reg);
  info = c.info;
  return err;
}

bool ControlBlock::bad_scale_fields(const acc_desc_t& d) {
  const uint32_t op = d.w[0] & ACC_DESC_OPCODE_MASK, h = d.w[0];
  const fx::Format& f = fx::format();
  auto field = [h](uint32_t mask, uint32_t shift) { return static_cast<int>((h & mask) >> shift); };
  uint32_t scale_bits = 0;  // the opcode's scale fields
  switch (op) {
    case ACC_OP_MATMUL: scale_bits = ACC_MATMUL_OUT_SHIFT_MASK | ACC_MATMUL_OUT_FRAC_MASK | ACC_MATMUL_BIAS_SHIFT_MASK; break;
    case ACC_OP_SOFTMAX: scale_bits = ACC_SOFTMAX_IN_FRAC_MASK | ACC_SOFTMAX_OUT_FRAC_MASK; break;
    case ACC_OP_LAYERNORM: scale_bits = ACC_LAYERNORM_GAMMA_FRAC_MASK | ACC_LAYERNORM_OUT_FRAC_MASK; break;
    case ACC_OP_ADD: scale_bits = ACC_ADD_A_FRAC_MASK | ACC_ADD_B_FRAC_MASK | ACC_ADD_C_FRAC_MASK; break;
    case ACC_OP_SCORE: return f.per_tensor();  // the pruning units compute in the qM.N formats only
    default: return false;
  }
  if (!f.per_tensor()) return (h & scale_bits) != 0;
  const int L = f.max_tensor_frac();
  switch (op) {
    case ACC_OP_MATMUL:
      return field(ACC_MATMUL_OUT_SHIFT_MASK, ACC_MATMUL_OUT_SHIFT_SHIFT) > 2 * L || field(ACC_MATMUL_OUT_FRAC_MASK, ACC_MATMUL_OUT_FRAC_SHIFT) > L;
    case ACC_OP_SOFTMAX:
      return field(ACC_SOFTMAX_IN_FRAC_MASK, ACC_SOFTMAX_IN_FRAC_SHIFT) > L || field(ACC_SOFTMAX_OUT_FRAC_MASK, ACC_SOFTMAX_OUT_FRAC_SHIFT) > L;
    case ACC_OP_LAYERNORM: {
      const int g = field(ACC_LAYERNORM_GAMMA_FRAC_MASK, ACC_LAYERNORM_GAMMA_FRAC_SHIFT);
      const int y = field(ACC_LAYERNORM_OUT_FRAC_MASK, ACC_LAYERNORM_OUT_FRAC_SHIFT);
      return g > L || y > L || y > 16 + g;
    }
    default:  // ADD
      return field(ACC_ADD_A_FRAC_MASK, ACC_ADD_A_FRAC_SHIFT) > L || field(ACC_ADD_B_FRAC_MASK, ACC_ADD_B_FRAC_SHIFT) > L ||
             field(ACC_ADD_C_FRAC_MASK, ACC_ADD_C_FRAC_SHIFT) > L;
  }
}

uint32_t ControlBlock::bad_pruning_register(const acc_desc_t& d) const {
  const uint32_t op = d.w[0] & ACC_DESC_OPCODE_MASK, flags = d.w[0];
  const PruningConfig& p = pruning_;
  const bool nm = (op == ACC_OP_MATMUL && (flags & (ACC_MATMUL_NM_WEIGHTS | ACC_MATMUL_NM_ACT))) ||
                  (op == ACC_OP_LOAD && (flags & ACC_LOAD_NM_META));
  if (nm && (p.nm_m < 2 || p.nm_m > 16 || p.nm_n < 1 || p.nm_n > p.nm_m)) return ACC_REG_NM_CFG;
  if (op != ACC_OP_SCORE) return 0;
  // Keys keep at most the word's bits; HDP's integer part keeps at least one (20 and 16 in Q4.16).
  const unsigned word = static_cast<unsigned>(fx::word_bits());
  if ((flags & ACC_SCORE_LEOPARD) && (p.leopard_key_bits < 1 || p.leopard_key_bits > word)) return ACC_REG_LEOPARD_KEY_BITS;
  if ((flags & (ACC_SCORE_HDP_HEADS | ACC_SCORE_HDP_BLOCKS | ACC_SCORE_HDP_APPROX)) && (p.hdp.frac_bits < 1 || p.hdp.frac_bits > std::min(16u, word - 1)))
    return ACC_REG_HDP_FRAC_BITS;
  if ((flags & ACC_SCORE_HDP_HEADS) && (p.hdp.head_importance >= ACC_HDP_HEAD_CTRL_IMPORTANCE_COUNT || p.hdp.head_threshold >= ACC_HDP_HEAD_CTRL_THRESHOLD_COUNT)) return ACC_REG_HDP_HEAD_CTRL;
  if ((flags & ACC_SCORE_HDP_BLOCKS) && (p.hdp.block_rows < 1 || p.hdp.block_cols < 1 || p.hdp.block_threshold >= ACC_HDP_BLOCK_CTRL_THRESHOLD_COUNT))
    return ACC_REG_HDP_BLOCK_CTRL;
  return 0;
}

ControlBlock::Operands ControlBlock::operands(const acc_desc_t& d) const {
  auto space = [](uint32_t buf) { return buf == ACC_BUF_ACT ? Space::Act : buf == ACC_BUF_WGT ? Space::Wgt : Space::None; };
  auto row = [&](uint32_t buf, uint32_t addr, uint32_t n) { return Region{space(buf), addr, 1, n, n}; };
  Operands o;
  switch (d.w[0] & ACC_DESC_OPCODE_MASK) {
    case ACC_OP_LOAD:
    case ACC_OP_STORE: {
      const auto& x = d.load;
      const Region buf{space(x.buf), x.buf_addr, x.rows, x.cols, x.buf_stride};
      const bool load = (d.w[0] & ACC_DESC_OPCODE_MASK) == ACC_OP_LOAD;
      const bool broadcast = load && x.dram_stride == 0;
      const Region dram{Space::Dram, x.dram_addr, broadcast ? 1 : x.rows, 4ull * x.cols, broadcast ? 4ull * x.cols : x.dram_stride};
      o.reads[0] = load ? dram : buf;
      o.write = load ? buf : dram;
      break;
    }
    case ACC_OP_MATMUL: {
      const auto& x = d.matmul;
      const bool tb = x.header & ACC_MATMUL_TRANSPOSE_B;
      const uint32_t b_rows = (x.header & ACC_MATMUL_NM_WEIGHTS) && pruning_.nm_m >= 2 && pruning_.nm_n >= 1
                                  ? nm::compressed_rows(x.k, pruning_.nm_n, pruning_.nm_m)
                                  : x.k;
      o.reads[0] = {space(x.a_buf), x.a_addr, x.m, x.k, x.a_stride};
      o.reads[1] = {space(x.b_buf), x.b_addr, tb ? x.n : b_rows, tb ? x.k : x.n, x.b_stride};
      if (x.header & ACC_MATMUL_BIAS) o.reads[2] = row(x.bias_buf, x.bias_addr, x.n);
      o.write = {space(x.c_buf), x.c_addr, x.m, x.n, x.c_stride};
      break;
    }
    case ACC_OP_SCORE: {
      const auto& x = d.score;
      const uint64_t width = uint64_t{x.heads} * x.head_dim;
      o.reads[0] = {space(x.q_buf), x.q_addr, x.rows, width, x.q_stride};
      o.reads[1] = {space(x.k_buf), x.k_addr, x.cols, width, x.k_stride};
      o.write = {space(x.out_buf), x.out_addr, uint64_t{x.heads} * x.rows, x.cols, x.out_stride};
      break;
    }
    case ACC_OP_SOFTMAX: {
      const auto& x = d.softmax;
      o.reads[0] = {space(x.in_buf), x.in_addr, x.rows, x.cols, x.in_stride};
      o.write = {space(x.out_buf), x.out_addr, x.rows, x.cols, x.out_stride};
      break;
    }
    case ACC_OP_LAYERNORM: {
      const auto& x = d.layernorm;
      o.reads[0] = {space(x.in_buf), x.in_addr, x.rows, x.cols, x.in_stride};
      o.reads[1] = row(x.gamma_buf, x.gamma_addr, x.cols);
      o.reads[2] = row(x.beta_buf, x.beta_addr, x.cols);
      o.write = {space(x.out_buf), x.out_addr, x.rows, x.cols, x.out_stride};
      break;
    }
    case ACC_OP_ADD: {
      const auto& x = d.add;
      o.reads[0] = {space(x.a_buf), x.a_addr, x.rows, x.cols, x.a_stride};
      o.reads[1] = {space(x.b_buf), x.b_addr, x.rows, x.cols, x.b_stride};
      o.write = {space(x.c_buf), x.c_addr, x.rows, x.cols, x.c_stride};
      break;
    }
    case ACC_OP_FENCE:
      o.fence = true;
      break;
    default:
      break;
  }
  return o;
}

bool ControlBlock::conflict(const Operands& a, const Operands& b) {
  if (a.fence || b.fence) return true;
  for (const Region& r : a.reads)
    if (regions_overlap(r, b.write)) return true;  // read after write
  for (const Region& r : b.reads)
    if (regions_overlap(a.write, r)) return true;  // write after read
  return regions_overlap(a.write, b.write);        // write after write
}

// ---------------------------------------------------------------------------------------------
// Engine

bool ControlBlock::has_work() const {
  return (bank_.get(ACC_REG_CTRL) & ACC_CTRL_ENABLE) && !error_ && !reset_pending_ && next_ != bank_.get(ACC_REG_QUEUE_TAIL);
}

uint64_t ControlBlock::next_fetch_cycle() const { return std::max({doorbell_cycle_, last_fetch_done_, batch_consumed_at_}); }

void ControlBlock::set_local(uint64_t cycle) {
  // The engine's next transaction is an issue at or after `cycle` (issues happen in time order)
  // or a descriptor fetch, which the prefetch may start before `cycle`. Synchronising no further
  // than the earlier of the two keeps every transaction's delay non-negative and the timing
  // independent of where quantum boundaries fall (and so of the host CPU's speed).
  const sc_core::sc_time t = clock_.to_time(std::min(cycle, next_fetch_cycle())), now = sc_core::sc_time_stamp();
  qk_.set(t > now ? t - now : sc_core::SC_ZERO_TIME);
  if (qk_.need_sync()) qk_.sync();
}

void ControlBlock::stop_on_error(uint32_t code, uint32_t desc_index, uint32_t info, uint64_t at) {
  // One stop per busy period; a later call names an older descriptor that failed in execution
  // after a younger one failed validation (the oldest error is the one reported).
  if (!stopping_) ++errors_;
  stopping_ = true;  // decode stops; what is in flight completes, then the engine reports
  stop_head_ = desc_index;
  bank_.set(ACC_REG_ERR_CODE, code);
  bank_.set(ACC_REG_ERR_DESC, desc_index);
  bank_.set(ACC_REG_ERR_INFO, info);
  last_error_ = {code, desc_index, info};
  last_done_ = std::max(last_done_, at);
}

bool ControlBlock::fetch_batch(uint64_t now) {
  const uint32_t tail = bank_.get(ACC_REG_QUEUE_TAIL);
  // A burst never wraps around the end of the ring.
  const uint32_t first = next_;
  uint32_t n = 0;
  for (uint32_t i = first; n < cfg_.fetch_batch && i != tail && i < ring_size_; ++i) ++n;
  if (n == 0) {
    stop_on_error(ACC_ERR_QUEUE_CONFIG, first, tail, now);
    return false;
  }
  // Double-buffered prefetch: a burst starts once decode works on the previous one.
  const uint64_t earliest = next_fetch_cycle();
  std::vector<acc_desc_t> buf(n);
  tlm::tlm_generic_payload t;
  const uint64_t addr = uint64_t{ring_base_} + uint64_t{first} * ACC_DESC_BYTES;
  t.set_command(tlm::TLM_READ_COMMAND);
  t.set_address(addr);
  t.set_data_ptr(reinterpret_cast<unsigned char*>(buf.data()));
  t.set_data_length(n * ACC_DESC_BYTES);
  t.set_streaming_width(n * ACC_DESC_BYTES);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  PriorityExt priority;  // descriptor fetches go ahead of queued bulk transfers
  t.set_extension(&priority);
  const sc_core::sc_time t_now = sc_core::sc_time_stamp();
  sc_core::sc_time delay = clock_.to_time(earliest) - t_now;
  fetch->b_transport(t, delay);
  t.clear_extension(&priority);
  if (!t.is_response_ok()) {
    stop_on_error(ACC_ERR_FETCH, first, clip32(addr), earliest);
    return false;
  }
  ++fetch_bursts_;
  last_fetch_done_ = clock_.to_cycles(t_now + delay);
  if (trace_) trace_->fetch(earliest, last_fetch_done_, first, n);
  for (uint32_t i = 0; i < n; ++i) fetched_.push_back({buf[i], last_fetch_done_, i == 0});
  return true;
}

ControlBlock::Execution ControlBlock::dispatch(tlm_utils::simple_initiator_socket<ControlBlock>& socket, const Decoded& d,
                                                uint64_t issue) {
  DispatchExt ext;
  ext.tau = static_cast<int32_t>(bank_.get(ACC_REG_DYNATRAN_TAU));
  ext.pruning = &pruning_;
  ext.index = d.index;
  ext.id = d.seq;
  ext.start = issue;
  acc_desc_t copy = d.desc;
  tlm::tlm_generic_payload t;
  t.set_command(tlm::TLM_WRITE_COMMAND);
  t.set_address(0);
  t.set_data_ptr(reinterpret_cast<unsigned char*>(&copy));
  t.set_data_length(sizeof copy);
  t.set_streaming_width(sizeof copy);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  t.set_extension(&ext);
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  sc_core::sc_time delay = clock_.to_time(issue) - now;
  socket->b_transport(t, delay);
  t.clear_extension(&ext);
  tile_ops_ += ext.tile_ops;
  macs_ += ext.dense_macs;
  eff_macs_ += ext.effectual_macs;
  dram_rd_bits_ += ext.dram_read_bits;
  dram_wr_bits_ += ext.dram_write_bits;
  Execution e;
  e.deferred = ext.deferred;
  e.start = std::max(issue, ext.start);
  e.macs = ext.effectual_macs;
  e.bytes = (ext.dram_read_bits + ext.dram_write_bits + 7) / 8;
  if (!t.is_response_ok()) {
    e.error = ext.error ? ext.error : ACC_ERR_BUS;
    e.info = ext.info;
    e.done = issue;
  } else {
    e.done = clock_.to_cycles(now + delay);
  }
  return e;
}

bool ControlBlock::decode_next(uint64_t before) {
  if (stopping_ || !has_work()) return false;
  const uint64_t seq = seq_;
  const uint32_t window = cfg_.queue_window;
  // A window slot frees when descriptor seq - window retires, which is known once it has issued.
  uint64_t slot_free = period_start_;
  if (seq >= window) {
    if (seq - window >= retire_.size()) return false;
    slot_free = retire_[seq - window];
  }
  if (fetched_.empty() && !fetch_batch(last_decode_)) return false;
  const Fetched& f = fetched_.front();

  // One descriptor per cycle, once it has arrived and a window slot is free.
  const uint64_t base = last_decode_ + 1;
  const uint64_t arrived = std::max(base, f.ready), t = std::max(arrived, slot_free);
  if (t > before) return false;  // an issue comes first
  stall_fetch_ += arrived - base;
  stall_window_ += t - arrived;
  last_decode_ = t;
  if (f.first) batch_consumed_at_ = t;
  const acc_desc_t desc = f.desc;
  fetched_.pop_front();

  uint32_t info = 0;
  const uint32_t err = validate(desc, info);
  if (err != ACC_ERR_NONE) {
    stop_on_error(err, next_, info, t);
    return false;
  }
  Decoded d{desc, next_, seq, t, {}};
  const Operands& ops = window_[seq % window] = operands(desc);
  for (uint64_t s = seq >= window ? seq - window + 1 : 0; s < seq; ++s)
    if (done_[s] > t && conflict(ops, window_[s % window])) d.deps.push_back(s);
  done_.push_back(UINT64_MAX);
  issued_.push_back(UINT64_MAX);
  if (!earliest_stale_) earliest_ = std::min(earliest_, ready_cycle(d));
  waiting_.push_back(std::move(d));
  ++seq_;
  next_ = (next_ + 1) % ring_size_;
  return true;
}

uint64_t ControlBlock::ready_cycle(const Decoded& d) const {
  uint64_t r = d.decode;
  for (uint64_t s : d.deps) {
    if (done_[s] == UINT64_MAX) return UINT64_MAX;
    r = std::max(r, done_[s]);
  }
  return r;
}

uint64_t ControlBlock::earliest_issue() {
  // Cached: it changes only when a descriptor is decoded, issues or completes.
  if (earliest_stale_) {
    earliest_ = UINT64_MAX;
    for (const Decoded& d : waiting_) earliest_ = std::min(earliest_, ready_cycle(d));
    earliest_stale_ = false;
  }
  return earliest_;
}

void ControlBlock::issue_next() {
  // The descriptor that can issue first; the oldest on ties.
  size_t pick = 0;
  uint64_t t = UINT64_MAX;
  for (size_t i = 0; i < waiting_.size(); ++i) {
    const uint64_t r = ready_cycle(waiting_[i]);
    if (r < t) t = r, pick = i;
  }
  Decoded d = std::move(waiting_[pick]);
  waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(pick));
  earliest_stale_ = true;
  if (pick > 0) ++out_of_order_;  // an older descriptor still waits
  stall_dep_ += t - d.decode;
  issued_[d.seq] = t;
  last_issue_ = t;
  const uint32_t op = d.desc.w[0] & ACC_DESC_OPCODE_MASK;

  Execution e;  // NOP and FENCE take one cycle
  e.start = t, e.done = t + 1;
  if (op == ACC_OP_LOAD || op == ACC_OP_STORE)
    e = dispatch(dma, d, t);
  else if (op == ACC_OP_MATMUL || op == ACC_OP_SOFTMAX || op == ACC_OP_LAYERNORM || op == ACC_OP_ADD || op == ACC_OP_SCORE)
    e = dispatch(pe, d, t);
  if (e.deferred && e.error == ACC_ERR_NONE)
    at_dma_.emplace(d.seq, std::move(d));  // the DMA reports its completion when it gets there
  else
    complete(d, e);
  set_local(t);
}

void ControlBlock::step_dma() {
  const uint64_t at = dma_unit_->next_step();
  completions_.clear();
  dma_unit_->step(completions_);
  for (const Completion& c : completions_) {
    auto it = at_dma_.find(c.id);
    if (it == at_dma_.end()) continue;  // not this busy period's (cannot happen)
    Execution e;
    e.start = c.start, e.done = c.done, e.error = c.error, e.info = c.info;
    e.bytes = (c.dram_read_bits + c.dram_write_bits + 7) / 8;
    dram_rd_bits_ += c.dram_read_bits;
    dram_wr_bits_ += c.dram_write_bits;
    const Decoded d = std::move(it->second);
    at_dma_.erase(it);
    complete(d, e);
  }
  set_local(at);
}

void ControlBlock::complete(const Decoded& d, const Execution& e) {
  earliest_stale_ = true;  // descriptors waiting on this one may be ready now
  const uint64_t t = issued_[d.seq];
  const uint32_t op = d.desc.w[0] & ACC_DESC_OPCODE_MASK;
  stall_unit_ += e.start - t;
  if (e.error != ACC_ERR_NONE) {
    done_[d.seq] = e.done;
    last_done_ = std::max(last_done_, e.done);
    if (d.seq > stop_seq_) return;  // an older descriptor already stopped the queue
    // Nothing younger that has not issued yet executes; what issued out of order completes.
    stop_on_error(e.error, d.index, e.info, e.done);
    stop_seq_ = d.seq;
    waiting_.erase(std::remove_if(waiting_.begin(), waiting_.end(), [&](const Decoded& w) { return w.seq > d.seq; }), waiting_.end());
    return;
  }
  const uint64_t done = e.done;
  done_[d.seq] = done;
  last_done_ = std::max(last_done_, done);
  const uint32_t tag = d.desc.w[ACC_DESC_WORDS - 1];
  if (trace_) {
    trace_->descriptor(d.index, op, tag, t, done, e.bytes, e.macs);
    const Operands& ops = operands(d.desc);
    for (const Region* r : {&ops.reads[0], &ops.reads[1], &ops.reads[2], &ops.write})
      if (r->space == Space::Act || r->space == Space::Wgt)
        trace_->buffer_use(r->space == Space::Act ? ACC_BUF_ACT : ACC_BUF_WGT, t, done, r->rows * r->cols);
  }
  ClassTotals& ct = by_class_[(tag >> ACC_TAG_CLASS_SHIFT) & ACC_TAG_CLASS_MAX];
  ++ct.descriptors;
  ct.cycles += done - t;
  if ((tag & ACC_TAG_CLASS_MAX) != ACC_TAG_NONE) {  // an untagged descriptor belongs to no layer
    // A layer runs from its first compute op: its weights may be loaded while the previous one computes.
    LayerSpan& ls = by_layer_[(tag >> ACC_TAG_LAYER_SHIFT) & ACC_TAG_LAYER_MAX];
    if (op != ACC_OP_LOAD && op != ACC_OP_STORE) ls.first_issue = std::min(ls.first_issue, t);
    ls.last_done = std::max(ls.last_done, done);
    ++ls.descriptors;
  }
  ++by_opcode_[op];
  // Retire in order: the prefix of completed descriptors.
  while (retire_.size() < seq_ && retire_.size() < stop_seq_ && done_[retire_.size()] != UINT64_MAX) {
    last_retire_ = std::max(last_retire_, done_[retire_.size()]);
    retire_.push_back(last_retire_);
  }
}

void ControlBlock::run_period() {
  // Everything happens in simulated-time order: decode what could issue no later than the next
  // event; then either the DMA takes its next step or the first ready descriptor issues.
  for (;;) {
    const uint64_t dma_next = dma_unit_ ? dma_unit_->next_step() : UINT64_MAX;
    while (decode_next(std::min(earliest_issue(), dma_next))) {
    }
    const uint64_t issue_at = earliest_issue();
    if (issue_at == UINT64_MAX && dma_next == UINT64_MAX) {
      if (!waiting_.empty()) SC_REPORT_FATAL(name(), "descriptors wait on a unit that has nothing to do");
      return;
    }
    if (dma_next < issue_at)
      step_dma();
    else
      issue_next();
  }
}

void ControlBlock::engine() {
  for (;;) {
    while (!has_work()) sc_core::wait(doorbell_ev_);

    // A busy period begins, at the first clock edge after the doorbell. The engine may have been
    // woken by an earlier write (CTRL) while the QUEUE_TAIL write it now sees is still ahead of
    // SystemC time (its writer runs ahead in its quantum): the period starts at the doorbell's time.
    const uint64_t start = std::max(clock_.cycle_at_or_after(sc_core::sc_time_stamp()), doorbell_cycle_);
    busy_ = true;
    stopping_ = false;
    ++busy_periods_;
    bank_.set(ACC_REG_STATUS, ACC_STATUS_BUSY);
    ring_base_ = bank_.get(ACC_REG_QUEUE_BASE);
    ring_size_ = bank_.get(ACC_REG_QUEUE_SIZE);
    period_start_ = start;
    period_head_ = next_;
    doorbell_cycle_ = start;
    last_decode_ = start;
    last_issue_ = start;
    last_retire_ = start;
    last_done_ = start;
    last_fetch_done_ = start;
    batch_consumed_at_ = start;
    seq_ = 0;
    stop_seq_ = UINT64_MAX;
    waiting_.clear();
    earliest_stale_ = true;
    done_.clear();
    retire_.clear();
    issued_.clear();
    at_dma_.clear();
    fetched_.clear();
    window_.assign(cfg_.queue_window, Operands{});
    qk_.reset();

    const uint32_t tail = bank_.get(ACC_REG_QUEUE_TAIL);
    const uint64_t ring_end = uint64_t{ring_base_} + uint64_t{ring_size_} * ACC_DESC_BYTES;
    if (ring_size_ < 2 || ring_size_ > 65536 || ring_base_ % ACC_DESC_BYTES || ring_base_ < ACC_MAP_DRAM_BASE ||
        ring_end > ACC_MAP_DRAM_BASE + cfg_.dram_bytes()) {
      stop_on_error(ACC_ERR_QUEUE_CONFIG, next_, ring_size_ < 2 || ring_size_ > 65536 ? ring_size_ : ring_base_, start);
    } else if (tail >= ring_size_ || next_ >= ring_size_) {
      stop_on_error(ACC_ERR_QUEUE_CONFIG, next_, tail, start);
    }

    // Decode and issue everything up to TAIL; a doorbell while work is in flight extends the period.
    for (;;) {
      run_period();
      if (stopping_ || reset_pending_) break;
      qk_.sync();
      const uint64_t now = clock_.now();
      if (now >= last_done_ && !has_work()) break;
      // A doorbell may have rung while the engine synchronised: then there is no need to wait.
      if (now < last_done_ && !has_work()) sc_core::wait(clock_.to_time(last_done_) - sc_core::sc_time_stamp(), doorbell_ev_);
      const uint32_t new_tail = bank_.get(ACC_REG_QUEUE_TAIL);
      if (!stopping_ && new_tail >= ring_size_) stop_on_error(ACC_ERR_QUEUE_CONFIG, next_, new_tail, clock_.now());
    }

    // Drain what is in flight, then report.
    qk_.sync();
    if (clock_.now() < last_done_) sc_core::wait(clock_.to_time(last_done_) - sc_core::sc_time_stamp());
    const uint64_t end = std::max(last_retire_, last_done_);
    active_cycles_ += end - period_start_;
    peak_in_flight_ = std::max(peak_in_flight_, peak_in_flight());
    desc_done_ += retire_.size();
    bank_.set(ACC_REG_QUEUE_HEAD, stopping_ ? stop_head_ : next_);
    busy_ = false;
    uint32_t irq_bits;
    error_ = stopping_;
    if (error_) {
      bank_.set(ACC_REG_STATUS, ACC_STATUS_ERROR);
      irq_bits = ACC_IRQ_STATUS_ERROR;
    } else {
      bank_.set(ACC_REG_STATUS, 0);
      irq_bits = ACC_IRQ_STATUS_DONE;
    }
    bank_.set(ACC_REG_IRQ_STATUS, bank_.get(ACC_REG_IRQ_STATUS) | irq_bits);
    irq_ev_.notify(sc_core::SC_ZERO_TIME);
    if (reset_pending_) apply_queue_reset();
  }
}

uint64_t ControlBlock::peak_in_flight() const {
  std::vector<std::pair<uint64_t, int>> events;
  for (size_t s = 0; s < issued_.size(); ++s)
    if (issued_[s] != UINT64_MAX && done_[s] != UINT64_MAX) events.emplace_back(issued_[s], 1), events.emplace_back(done_[s], -1);
  std::sort(events.begin(), events.end());  // a completion before an issue in the same cycle
  int64_t now = 0, peak = 0;
  for (const auto& e : events) peak = std::max(peak, now += e.second);
  return static_cast<uint64_t>(peak);
}

void ControlBlock::collect_stats(Stats& s, const StatsContext&) const {
  s.put("control.active_cycles", active_cycles_, "cycles", "Cycles from a doorbell until the queue drained, summed");
  s.put("control.busy_periods", busy_periods_, "periods", "Doorbell-to-drain periods");
  s.put("control.descriptors", desc_done_, "descriptors", "Descriptors issued and retired");
  for (size_t i = 0; i < regmap::kNumOpcodes; ++i)
    s.put(std::string("control.descriptors_by_op.") + regmap::kOpcodes[i].name, by_opcode_[regmap::kOpcodes[i].code],
          "descriptors", "Descriptors of this opcode");
  s.put("control.fetch_bursts", fetch_bursts_, "transactions", "Descriptor fetch bursts from DRAM");
  s.put("control.stall_dependency_cycles", stall_dep_, "cycles",
        "Sum over descriptors of cycles from decode to issue, waiting for an older conflicting descriptor");
  s.put("control.stall_fetch_cycles", stall_fetch_, "cycles", "Cycles decode waited for a descriptor to arrive from DRAM");
  s.put("control.stall_window_cycles", stall_window_, "cycles", "Sum over descriptors of cycles decode waited for a free in-flight slot");
  s.put("control.stall_unit_cycles", stall_unit_, "cycles",
        "Sum over descriptors of cycles an issued descriptor waited for its unit (a DMA channel, a PE dispatcher)");
  s.put("control.issued_out_of_order", out_of_order_, "descriptors", "Descriptors that issued while an older one still waited");
  s.put("control.peak_in_flight", peak_in_flight_, "descriptors", "Most descriptors issued and not yet complete at once");
  s.put("control.errors", errors_, "stops", "Queue stops on an error");
  // The last error stop as ERR_CODE / ERR_DESC / ERR_INFO held it (a later QUEUE_RESET clears the
  // registers, not this record).
  s.put("control.error.code", last_error_.code, "code", "ERR_CODE of the last error stop (0: none)");
  s.put("control.error.descriptor", last_error_.desc, "index", "ERR_DESC of the last error stop: ring index of the faulting descriptor");
  s.put("control.error.info", last_error_.info, "value", "ERR_INFO of the last error stop: the offending value or address");
  s.put("control.registers.read_only_writes", bank_.read_only_writes(), "writes", "Writes to read-only registers (ignored)");
  s.put("control.registers.reserved_bit_writes", bank_.reserved_bit_writes(), "writes",
        "Writes that set bits outside the register's write mask and write-only fields (those bits ignored)");
  for (const auto& [cls, t] : by_class_) {
    const std::string b = std::string("by_class.") + regmap::tag_class_name(cls) + ".";
    s.put(b + "descriptors", t.descriptors, "descriptors", "Descriptors of the class");
    s.put(b + "cycles", t.cycles, "cycles", "Sum over its descriptors of issue-to-completion cycles (they overlap)");
  }
  for (const auto& [layer, l] : by_layer_) {
    if (layer == ACC_TAG_LAYER_MAX) continue;  // not in a layer
    const std::string b = "layers." + std::to_string(layer) + ".";
    if (l.first_issue == UINT64_MAX) continue;  // only transfers
    s.put(b + "cycles", l.last_done - l.first_issue, "cycles",
          "From the layer's first compute op to its last completion (layers overlap: the next one's loads run meanwhile)");
    s.put(b + "descriptors", l.descriptors, "descriptors", "Descriptors of the layer");
  }
}

}  // namespace acc
