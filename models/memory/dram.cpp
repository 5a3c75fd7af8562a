#include "dram.hpp"

#include <cmath>

#include "energy.hpp"
#include "regmap.hpp"
#include "tlm_util.hpp"

namespace acc {

Dram::Dram(sc_core::sc_module_name name, const HwConfig& cfg, const Clock& clock)
    : MemoryTarget(name, cfg.dram_bytes(), clock),
      latency_(cfg.dram_latency_cycles()),
      channel_(static_cast<uint64_t>(std::llround(cfg.bits_per_second(cfg.main_memory.bandwidth_gbps))), clock.hz()) {
  global_sparsity_ = cfg.compat.global_sparsity;
}

MemoryTarget::Timing Dram::schedule(const Transfer& x) {
  // The access latency precedes the data; other bursts may use the channel meanwhile. A priority
  // request goes ahead of the queue: its data arrive after the latency, and its bits take the
  // first gap of the channel, after what was already queued.
  const BandwidthChannel::Slot reserved = channel_.reserve(x.start + latency_, x.bits, x.stream_end);
  channel_.forget_before(clock_.now());
  if (trace_) trace_->dram(reserved.from, reserved.to, x.bits);  // where the bits take the channel's bandwidth
  const BandwidthChannel::Slot slot =
      x.priority ? BandwidthChannel::Slot{x.start + latency_, x.start + latency_ + channel_.cycles(x.bits), 0, 0} : reserved;
  (x.write ? writes_ : reads_)++;
  (x.write ? write_bits_ : read_bits_) += x.bits;
  const uint64_t blocks = (x.bits + 1279) / 1280;  // a block is 64 Q4.16 words, 1280 bits, in every format
  blocks_ += blocks;
  TagTraffic& tt = by_tag_[x.tag];
  tt.bits += x.bits;
  tt.blocks += blocks;
  if (!x.write) read_blocks_ += blocks, tt.read_blocks += blocks;
  words_ += x.words;
  nonzero_ += x.nonzero;
  return {slot.start, slot.end};
}

void Dram::collect_stats(Stats& s, const StatsContext& ctx) const {
  s.put("dram.reads", reads_, "transactions", "Read bursts served by main memory");
  s.put("dram.writes", writes_, "transactions", "Write bursts served by main memory");
  s.put("dram.read_bytes", (read_bits_ + 7) / 8, "bytes", "Bytes read, at the modelled (zero-free, one word of the format each) size");
  s.put("dram.write_bytes", (write_bits_ + 7) / 8, "bytes", "Bytes written, at the modelled (zero-free, one word of the format each) size");
  s.put("dram.blocks", blocks_, "blocks", "64-element (1280-bit) blocks transferred; each costs the block energy");
  s.put("dram.busy_cycles", static_cast<uint64_t>(std::llround(channel_.busy_cycles())), "cycles",
        "Cycles the data channel was transferring");
  s.put("dram.tensor_words", words_, "words", "Tensor words moved (zero-free transfers)");
  s.put("dram.tensor_nonzero_words", nonzero_, "words", "Non-zero tensor words among them");
  s.put("dram.result_digest", written_digest(), "digest",
        "48-bit digest of DRAM from the lowest to the highest byte the accelerator wrote: equal digests, equal results");
  // compat.mask_copy_dram_energy: AccelTran's simulator charges a load's main-memory energy again
  // for the mask buffer's copy of it.
  const uint64_t charged = blocks_ + (ctx.cfg.compat.mask_copy_dram_energy ? read_blocks_ : 0);
  const double nj = static_cast<double>(charged) * ctx.energy.dram_nj_per_block(ctx.cfg);
  s.put_real("energy.dram.dynamic_nj", nj, "nJ", "Main memory access energy (blocks x energy per block)");
  std::map<uint32_t, uint64_t> by_class;
  for (const auto& [key, t] : by_tag_) by_class[key & 0x1F] += t.bits;
  for (const auto& [cls, bits] : by_class)
    s.put(std::string("by_class.") + regmap::tag_class_name(cls) + ".dram_bytes", (bits + 7) / 8, "bytes",
          "DRAM traffic of the class (modelled size)");
}

void Dram::attribute(const StatsContext& ctx, Attribution& a) const {
  const double per_block = ctx.energy.dram_nj_per_block(ctx.cfg);
  const bool twice = ctx.cfg.compat.mask_copy_dram_energy;
  for (const auto& [key, t] : by_tag_) a.add(key, static_cast<double>(t.blocks + (twice ? t.read_blocks : 0)) * per_block);
}

}  // namespace acc
