// Operand regions of descriptors and the overlap test the control block's hazard tracking uses.
// A region is `rows` runs of `cols` units, `stride` apart, in one address space (a buffer, in
// words, or DRAM, in bytes). Two descriptors conflict when a region one writes overlaps a region
// the other reads or writes; the test is exact for strided regions (column slices of one matrix,
// e.g. the heads of an attention layer, do not conflict).
#pragma once

#include <cstdint>

namespace acc {

enum class Space : uint8_t { None, Act, Wgt, Dram };

struct Region {
  Space space = Space::None;
  uint64_t base = 0, rows = 0, cols = 0, stride = 0;

  uint64_t end() const { return base + (rows - 1) * stride + cols; }  // one past the last unit
};

bool regions_overlap(const Region& x, const Region& y);

}  // namespace acc
