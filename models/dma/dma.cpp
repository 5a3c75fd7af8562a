#include "dma.hpp"

#include <cstring>

#include "acceltran_regs.h"
#include "command.hpp"
#include "energy.hpp"
#include "fixed_point.hpp"
#include "nm.hpp"
#include "pruning_config.hpp"
#include "tlm_util.hpp"

namespace acc {

Dma::Dma(sc_core::sc_module_name name, const HwConfig& cfg, const Clock& clock)
    : sc_module(name), cmd("cmd"), bus("bus"), cfg_(cfg), clock_(clock) {
  cmd.register_b_transport(this, &Dma::b_transport);
  cmd.register_transport_dbg(this, &Dma::transport_dbg);
}

unsigned int Dma::transport_dbg(tlm::tlm_generic_payload& t) { return no_debug(t); }

bool Dma::burst(bool write, uint64_t addr, int32_t* data, uint64_t words, uint64_t earliest, uint64_t& done, ZeroFreeExt& zf) {
  tlm::tlm_generic_payload t;
  t.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  t.set_address(addr);
  t.set_data_ptr(reinterpret_cast<unsigned char*>(data));
  t.set_data_length(static_cast<unsigned>(words * 4));
  t.set_streaming_width(static_cast<unsigned>(words * 4));
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  t.set_extension(&zf);
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  sc_core::sc_time delay = clock_.to_time(earliest) - now;
  bus->b_transport(t, delay);
  t.clear_extension(&zf);
  if (!t.is_response_ok()) return false;
  done = clock_.to_cycles(now + delay);
  ++bursts_;
  return true;
}

void Dma::b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
  if (!check_dispatch(t, sizeof(acc_desc_t))) return;
  DispatchExt local;
  DispatchExt* ext = nullptr;
  t.get_extension(ext);
  if (!ext) ext = &local;
  acc_desc_t d;
  std::memcpy(&d, t.get_data_ptr(), sizeof d);
  const uint32_t op = d.w[0] & ACC_DESC_OPCODE_MASK;
  if (op != ACC_OP_LOAD && op != ACC_OP_STORE) {
    ext->error = ACC_ERR_BAD_OPCODE, ext->info = d.w[0];
    t.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  const bool store = op == ACC_OP_STORE;
  const auto& x = d.load;  // LOAD and STORE share the layout

  const sc_core::sc_time now = sc_core::sc_time_stamp();
  uint64_t start = clock_.to_cycles(now + delay);
  // At most memory_dispatch_batch commands start per cycle.
  if (start <= last_start_) {
    start = last_start_;
    if (++started_in_last_ > cfg_.memory_dispatch_batch) ++start, started_in_last_ = 1;
  } else {
    started_in_last_ = 1;
  }
  last_start_ = start;

  const uint64_t buf_base = (x.buf == ACC_BUF_ACT ? ACC_MAP_ACT_BUF_BASE : ACC_MAP_WGT_BUF_BASE) + 4ull * x.buf_addr;
  const bool broadcast = !store && x.dram_stride == 0 && x.rows > 1;  // one DRAM row, read once, written to every row
  const bool contiguous = x.rows == 1 || (x.dram_stride == 4ull * x.cols && x.buf_stride == x.cols);
  const uint64_t rows_per_burst = contiguous ? x.rows : 1;
  const uint64_t words = rows_per_burst * x.cols;
  if (staging_.size() < words) staging_.resize(words);

  const uint32_t tag = d.w[ACC_DESC_WORDS - 1];
  // N:M compressed weights keep their index bits (23:20) and are charged 20 + log2(M) bits a word.
  const uint32_t nm_bits = (d.w[0] & ACC_LOAD_NM_META) && ext->pruning ? nm::index_bits(ext->pruning->nm_m) : 0;
  auto fail = [&](uint64_t addr) {
    ext->error = ACC_ERR_BUS, ext->info = static_cast<uint32_t>(addr);
    t.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
  };
  uint64_t done = start, src_done = start;
  for (uint64_t r = 0; r < x.rows; r += rows_per_burst) {
    const uint64_t dram = x.dram_addr + r * x.dram_stride;
    const uint64_t buf = buf_base + 4ull * r * x.buf_stride;
    const uint64_t src = store ? buf : dram, dst = store ? dram : buf;
    ZeroFreeExt src_info, dst_info;
    src_info.tag = dst_info.tag = tag;
    src_info.nm_index_bits = dst_info.nm_index_bits = nm_bits;
    if (!broadcast || r == 0) {
      if (!burst(false, src, staging_.data(), words, start, src_done, src_info)) return fail(src);
      if (!store && !nm_bits)  // a 32-bit DRAM container carries one 20-bit word
        for (uint64_t i = 0; i < words; ++i) staging_[i] = fx::wrap20(staging_[i]);
      if (!store) ext->dram_read_bits += src_info.modelled_bits;
      nonzero_ += src_info.nonzero;
    }
    uint64_t dst_done = 0;
    if (!burst(true, dst, staging_.data(), words, src_done, dst_done, dst_info)) return fail(dst);
    if (store) ext->dram_write_bits += dst_info.modelled_bits;
    done = std::max(done, dst_done);
  }
  (store ? stores_ : loads_)++;
  words_ += uint64_t{x.rows} * x.cols;
  busy_ += done - start;
  busy_by_tag_[tag_key(tag)] += done - start;
  delay = clock_.to_time(done) - now;
  t.set_response_status(tlm::TLM_OK_RESPONSE);
}

void Dma::attribute(const StatsContext& ctx, Attribution& a) const {
  const double per_cycle = EnergyTable::dynamic_nj(ctx.energy.module("dma"), 1, ctx.cfg);
  for (const auto& [key, busy] : busy_by_tag_) a.add(key, static_cast<double>(busy) * per_cycle);
}

void Dma::collect_stats(Stats& s, const StatsContext& ctx) const {
  s.put("dma.loads", loads_, "commands", "LOAD descriptors executed");
  s.put("dma.stores", stores_, "commands", "STORE descriptors executed");
  s.put("dma.bursts", bursts_, "transactions", "Bus transactions issued (one read and one write per burst)");
  s.put("dma.words", words_, "words", "Tensor words moved");
  s.put("dma.nonzero_words", nonzero_, "words", "Non-zero words among them");
  s.put("dma.busy_cycles", busy_, "cycles", "Sum over commands of start-to-completion cycles");
  const auto& f = ctx.energy.module("dma");
  s.put_real("energy.dma.dynamic_nj", EnergyTable::dynamic_nj(f, static_cast<double>(busy_), ctx.cfg), "nJ",
             "DMA energy over its busy cycles");
  s.put_real("energy.dma.leakage_nj", EnergyTable::leakage_nj(f.leakage_mw * ctx.cfg.pe, ctx.active_cycles, ctx.cfg), "nJ",
             "Leakage of the DMA units (one per PE) over the active time");
}

}  // namespace acc
