// The timeline of a run (--timeline FILE.json): what every unit did when, in simulated time, as a
// Chrome / Perfetto trace-event file (docs/timeline.md).
//
// The models report what they did as they schedule it (all times in accelerator cycles); nothing
// is recorded unless a recorder is attached. Tracks:
//   control   descriptor fetch bursts; every descriptor from issue to completion (one row per
//             descriptor in flight), with its op, layer, class, bytes and MACs;
//   dma       one track per channel (load channels, then store channels), a slice per LOAD / STORE;
//   pe        per unit kind (MAC lanes, softmax, layer-norm, score engine) and group of PEs, a
//             slice per compute op from its first tile's start to its last tile's end there;
//   counters  DRAM bandwidth (GB/s), and the words of each buffer that in-flight descriptors use.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace acc {

class TraceRecorder {
 public:
  enum class Unit : uint8_t { Lanes, Softmax, LayerNorm, ScoreEngine };
  static constexpr unsigned kPeGroups = 8;  // PE tracks per unit kind (PEs are grouped evenly)

  TraceRecorder(double clock_hz, unsigned pes, unsigned dma_channels);

  void fetch(uint64_t start, uint64_t end, uint32_t first_index, uint32_t count);
  void descriptor(uint32_t index, uint32_t opcode, uint32_t tag, uint64_t issue, uint64_t end, uint64_t bytes, uint64_t macs);
  void dma(unsigned channel, uint64_t start, uint64_t end, uint32_t index, uint32_t opcode, uint32_t tag, uint64_t bytes);
  // Compute op `index` kept units of `kind` in PE group `group` (pe_group()) busy from `start` to `end`.
  void unit(Unit kind, unsigned group, uint64_t start, uint64_t end, uint32_t index, uint32_t opcode, uint32_t tag);
  // `bits` took the DRAM channel from `from` to `to` (cycles, fractional).
  void dram(double from, double to, uint64_t bits);
  // Words of buffer `buf` (ACC_BUF_*) that an in-flight descriptor uses, from `start` to `end`.
  void buffer_use(uint32_t buf, uint64_t start, uint64_t end, uint64_t words);

  // Writes the trace-event JSON ({"traceEvents": [...]}); times in microseconds of simulated time.
  void write(std::ostream& out) const;

  unsigned pe_group(unsigned pe) const { return pe / pes_per_group_; }

 private:
  struct Slice {
    uint32_t track;
    uint64_t start, end;
    uint32_t index, opcode, tag;
    uint64_t bytes, macs;
  };
  struct Span {
    uint64_t start, end, amount;
  };
  struct Flow {
    double from, to;
    uint64_t bits;
  };
  uint32_t track(const std::string& process, const std::string& name);

  double us_per_cycle_;
  unsigned pes_per_group_;
  std::vector<std::pair<std::string, std::string>> tracks_;  // (process, name) by track id
  uint32_t fetch_track_, desc_track_;
  std::vector<uint32_t> dma_tracks_, unit_tracks_[4];
  std::vector<Slice> slices_;
  std::vector<Flow> dram_;
  std::vector<Span> buffer_use_[2];
};

}  // namespace acc
