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
  // compat.busy_leakage: only while transferring, as AccelTran's simulator charges it.
  s.put_real("energy.mask_buffer.leakage_nj",
             EnergyTable::leakage_nj(f.leakage_mw_per_mb * mb_, ctx.cfg.compat.busy_leakage ? transferring_.cycles : ctx.active_cycles, ctx.cfg),
             "nJ", "Mask buffer leakage over the active time");
}

Buffer::Buffer(sc_core::sc_module_name name, const std::string& kind, double size_mb, const HwConfig& cfg, const Clock& clock,
               MaskBuffer& mask)
    : MemoryTarget(name, cfg.words_of_mb(size_mb) * 4, clock),
      kind_(kind),
      mb_(size_mb),
      words_(cfg.words_of_mb(size_mb)),
      latency_(cfg.buffer_latency_cycles),
      ports_(static_cast<uint64_t>(std::llround(cfg.bits_per_second(cfg.buffer_bandwidth_gbps))) * cfg.buffer_ports, clock.hz()),
      ports_count_(cfg.buffer_ports),
      mask_(mask) {
  global_sparsity_ = cfg.compat.global_sparsity;
}

void Buffer::count(bool write, uint64_t words, uint64_t nonzero, uint32_t tag) {
  (write ? words_written_ : words_read_) += words;
  (write ? nonzero_written_ : nonzero_read_) += nonzero;
  const uint64_t blocks = (nonzero + 63) / 64;  // zero-free: only non-zero values are stored and accessed
  blocks_ += blocks;
  blocks_by_tag_[tag] += blocks;
  mask_.note_access(words, tag);
}

// A block is 64 words: its access energy follows the word's width (docs/configuration.md, "Number formats").
double Buffer::nj_per_block(const StatsContext& ctx) const {
  return ctx.energy.buffer(kind_).access_nj_sqrt_mb * std::sqrt(mb_) * ctx.cfg.width_ratio();
}

void Buffer::attribute(const StatsContext& ctx, Attribution& a) const {
  for (const auto& [key, blocks] : blocks_by_tag_) a.add(key, static_cast<double>(blocks) * nj_per_block(ctx));
}

MemoryTarget::Timing Buffer::schedule(const Transfer& x) {
  ++(x.pe_access ? pe_accesses_ : transfers_);
  count(x.write, x.words ? x.words : x.bits / 32, x.words ? x.nonzero : x.bits / 32, x.tag);
  // The ports work as one channel of their summed bandwidth (accesses interleave over the banks),
  // except that one DMA burst goes through one port: it lasts as long as its bits take at one
  // port's rate.
  uint64_t first = UINT64_MAX, last = 0;
  if (x.pe_access && x.spread_end > x.start) {
    // The PEs take an operand (give a result) as they compute: in kSpreadChunks pieces evenly
    // spaced until spread_end, so that DMA bursts interleave with them.
    const uint64_t span = x.spread_end - x.start;
    for (uint64_t c = 0; c < kSpreadChunks; ++c) {
      const uint64_t bits = x.bits / kSpreadChunks + (c < x.bits % kSpreadChunks ? 1 : 0);
      const BandwidthChannel::Slot slot = ports_.reserve(x.start + span * c / kSpreadChunks, bits, c + 1 == kSpreadChunks ? x.stream_end : 0);
      first = std::min(first, slot.start), last = std::max(last, slot.end);
    }
  } else {
    const BandwidthChannel::Slot slot = ports_.reserve(x.start, x.bits, x.stream_end, x.pe_access ? 1 : ports_count_);
    first = slot.start, last = slot.end;
  }
  if (!x.pe_access) {  // a DMA burst is in progress from its request (the source data starting) to its end
    transferring_.add(x.start, last);
    mask_.note_transfer(x.start, last);
  }
  ports_.forget_before(clock_.now());
  // Reads deliver their first word after the access latency; writes are visible after it.
  return {first + (x.write ? 0 : latency_), last + latency_};
}

sc_core::sc_time Buffer::dmi_latency() const { return clock_.to_time(latency_); }

void Buffer::collect_stats(Stats& s, const StatsContext& ctx) const {
  const std::string p = "buffers." + kind_ + ".";
  s.put(p + "words_read", words_read_, "words", "Words read (DMA and PEs)");
  s.put(p + "words_written", words_written_, "words", "Words written (DMA and PEs)");
  s.put(p + "nonzero_read", nonzero_read_, "words", "Non-zero words read");
  s.put(p + "nonzero_written", nonzero_written_, "words", "Non-zero words written");
  s.put(p + "blocks", blocks_, "blocks", "64-element blocks accessed (zero-free: non-zero values only)");
  s.put(p + "dma_transfers", transfers_, "transactions", "Transactions on the buffer ports (DMA and host CPU)");
  s.put(p + "pe_accesses", pe_accesses_, "accesses", "Operand reads and result writes of the PE cluster on the buffer ports");
  s.put(p + "port_busy_cycles", static_cast<uint64_t>(std::llround(ports_.busy_cycles() * ports_count_)), "port-cycles",
        "Sum over the ports of the cycles they were transferring");
  s.put(p + "transfer_cycles", transferring_.cycles, "cycles", "Cycles with a DMA transfer to or from the buffer in progress");
  const auto& f = ctx.energy.buffer(kind_);
  s.put_real("energy." + kind_ + "_buffer.dynamic_nj", static_cast<double>(blocks_) * nj_per_block(ctx), "nJ",
             "Buffer access energy (blocks x figure x sqrt(MB))");
  // compat.busy_leakage: only while transferring, as AccelTran's simulator charges it.
  s.put_real("energy." + kind_ + "_buffer.leakage_nj",
             EnergyTable::leakage_nj(f.leakage_mw_per_mb * mb_, ctx.cfg.compat.busy_leakage ? transferring_.cycles : ctx.active_cycles, ctx.cfg),
             "nJ", "Buffer leakage over the active time");
}

}  // namespace acc
