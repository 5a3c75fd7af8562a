#include "buffer.hpp"

#include <cmath>

#include "energy.hpp"

namespace acc {

double MaskBuffer::nj_per_block(const StatsContext& ctx) const {
  return ctx.energy.buffer("mask").access_nj_sqrt_mb * std::sqrt(mb_);
}

void MaskBuffer::attribute(const StatsContext& ctx, Attribution& a) const {
  for (const auto& [key, blocks] : by_tag_) a.add(key, static_cast<double>(blocks) * nj_per_block(ctx));
}

void MaskBuffer::collect_stats(Stats& s, const StatsContext& ctx) const {
  const auto& f = ctx.energy.buffer("mask");
  s.put("buffers.mask.blocks", blocks_, "blocks", "64-bit mask blocks accessed (one mask bit per data word accessed)");
  s.put_real("energy.mask_buffer.dynamic_nj", static_cast<double>(blocks_) * nj_per_block(ctx), "nJ", "Mask buffer access energy");
  s.put_real("energy.mask_buffer.leakage_nj", EnergyTable::leakage_nj(f.leakage_mw_per_mb * mb_, ctx.active_cycles, ctx.cfg),
             "nJ", "Mask buffer leakage over the active time");
}

Buffer::Buffer(sc_core::sc_module_name name, const std::string& kind, double size_mb, const HwConfig& cfg, const Clock& clock,
               MaskBuffer& mask)
    : MemoryTarget(name, HwConfig::words_of_mb(size_mb) * 4, clock),
      kind_(kind),
      mb_(size_mb),
      words_(HwConfig::words_of_mb(size_mb)),
      bits_per_s_(static_cast<uint64_t>(std::llround(cfg.buffer_bandwidth_gbps * 8e9))),
      latency_(cfg.buffer_latency_cycles),
      ports_(cfg.buffer_ports),
      mask_(mask) {}

void Buffer::count(bool write, uint64_t words, uint64_t nonzero, uint32_t tag) {
  (write ? words_written_ : words_read_) += words;
  (write ? nonzero_written_ : nonzero_read_) += nonzero;
  const uint64_t blocks = (nonzero + 63) / 64;  // zero-free: only non-zero values are stored and accessed
  blocks_ += blocks;
  blocks_by_tag_[tag_key(tag)] += blocks;
  mask_.note_access(words, tag);
}

double Buffer::nj_per_block(const StatsContext& ctx) const { return ctx.energy.buffer(kind_).access_nj_sqrt_mb * std::sqrt(mb_); }

void Buffer::attribute(const StatsContext& ctx, Attribution& a) const {
  for (const auto& [key, blocks] : blocks_by_tag_) a.add(key, static_cast<double>(blocks) * nj_per_block(ctx));
}

uint64_t Buffer::schedule(bool write, uint64_t start, uint64_t bits, uint64_t words, uint64_t nonzero, uint32_t tag) {
  // Earliest-free port; the transfer occupies it for ceil(bits / port bandwidth) cycles.
  Timeline* port = &ports_[0];
  for (auto& p : ports_)
    if (p.last_end() < port->last_end()) port = &p;
  const unsigned __int128 num = static_cast<unsigned __int128>(bits) * clock_.hz();
  const uint64_t dur = static_cast<uint64_t>((num + bits_per_s_ - 1) / bits_per_s_);
  const uint64_t s = port->reserve(start, dur);
  port->forget_before(clock_.now());
  ++transfers_;
  count(write, words ? words : bits / 32, words ? nonzero : bits / 32, tag);
  return s + dur + latency_;
}

sc_core::sc_time Buffer::dmi_latency() const { return clock_.to_time(latency_); }

void Buffer::note_direct_access(bool write, uint64_t words, uint64_t nonzero, uint32_t tag) { count(write, words, nonzero, tag); }

void Buffer::collect_stats(Stats& s, const StatsContext& ctx) const {
  const std::string p = "buffers." + kind_ + ".";
  s.put(p + "words_read", words_read_, "words", "Words read (DMA and PEs)");
  s.put(p + "words_written", words_written_, "words", "Words written (DMA and PEs)");
  s.put(p + "nonzero_read", nonzero_read_, "words", "Non-zero words read");
  s.put(p + "nonzero_written", nonzero_written_, "words", "Non-zero words written");
  s.put(p + "blocks", blocks_, "blocks", "64-element blocks accessed (zero-free: non-zero values only)");
  s.put(p + "dma_transfers", transfers_, "transactions", "Transactions on the buffer ports");
  const auto& f = ctx.energy.buffer(kind_);
  s.put_real("energy." + kind_ + "_buffer.dynamic_nj", static_cast<double>(blocks_) * nj_per_block(ctx), "nJ",
             "Buffer access energy (blocks x figure x sqrt(MB))");
  s.put_real("energy." + kind_ + "_buffer.leakage_nj", EnergyTable::leakage_nj(f.leakage_mw_per_mb * mb_, ctx.active_cycles, ctx.cfg),
             "nJ", "Buffer leakage over the active time");
}

}  // namespace acc
