// Busy-until times of every MAC lane, grouped by PE, with the PE whose earliest lane frees up
// first found in O(log PEs) (a min segment tree). Compute commands issue in time order, so a
// lane's single busy-until time is enough (no gaps to fill).
#pragma once

#include <cstdint>
#include <vector>

namespace acc {

class LaneScheduler {
 public:
  LaneScheduler(unsigned pes, unsigned lanes_per_pe);

  // PE whose earliest lane is free first (lowest index on ties).
  unsigned earliest_pe() const { return tree_[1]; }

  // Runs `cycles` on the earliest-free lane of PE `pe`, starting no earlier than `earliest`.
  // Returns the end cycle; `lane` receives the lane index within the PE. Call refresh(pe) after
  // the last run_on() of a batch for that PE.
  uint64_t run_on(unsigned pe, uint64_t earliest, uint64_t cycles, unsigned& lane);
  void refresh(unsigned pe);

  // What run_tiles did: the first start and last end of its tiles, how many distinct lanes ran
  // them, and the sum of their cycles.
  struct TileRun {
    uint64_t start = UINT64_MAX, end = 0;
    unsigned lanes = 0;
    uint64_t cycles = 0;
  };
  // run_on for each of `n` tiles in order, tile i of cycles[i] starting no earlier than
  // first + (handed + i) / batch + fill (a dispatcher handing out `batch` tiles per cycle); a
  // tile of zero cycles is handed out but runs nowhere. Then refresh(pe).
  TileRun run_tiles(unsigned pe, const uint64_t* cycles, size_t n, uint64_t first, uint64_t handed, uint64_t batch, uint64_t fill);

  unsigned pes() const { return pes_; }
  unsigned lanes_per_pe() const { return lanes_; }

 private:
  uint64_t pe_min(unsigned pe) const;
  unsigned pes_, lanes_, leaves_;
  std::vector<uint64_t> free_;     // per lane, PE-major
  std::vector<uint64_t> pe_free_;  // per PE: min over its lanes
  std::vector<unsigned> tree_;     // segment tree of PE indices (argmin)
  std::vector<uint64_t> used_;     // run_tiles: a bit per lane of the PE
};

}  // namespace acc
