#include "hazard.hpp"

#include <algorithm>
#include <utility>

namespace acc {

namespace {

bool contiguous(const Region& r) { return r.rows == 1 || r.stride == r.cols; }

// Does any run of y intersect [s, e)?
bool runs_hit(const Region& y, uint64_t s, uint64_t e) {
  if (e <= y.base || s >= y.end()) return false;
  if (contiguous(y)) return true;
  // Runs r with y.base + r*stride < e and y.base + r*stride + cols > s.
  const uint64_t r_max = std::min<uint64_t>(y.rows - 1, (e - 1 - y.base) / y.stride);
  const uint64_t r_min = (s + 1 > y.base + y.cols) ? (s + 1 - y.base - y.cols + y.stride - 1) / y.stride : 0;
  return r_min <= r_max;
}

}  // namespace

bool regions_overlap(const Region& x, const Region& y) {
  if (x.space != y.space || x.space == Space::None) return false;
  if (x.end() <= y.base || y.end() <= x.base) return false;
  if (contiguous(x)) return runs_hit(y, x.base, x.end());
  if (contiguous(y)) return runs_hit(x, y.base, y.end());
  // Same stride and rows that do not wrap: two rectangles in a (row, column) grid.
  if (x.stride == y.stride && x.cols <= x.stride && y.cols <= y.stride) {
    const uint64_t st = x.stride;
    const uint64_t xr = x.base / st, xc = x.base % st, yr = y.base / st, yc = y.base % st;
    if (xc + x.cols <= st && yc + y.cols <= st)
      return xr < yr + y.rows && yr < xr + x.rows && xc < yc + y.cols && yc < xc + x.cols;
  }
  const Region& few = x.rows <= y.rows ? x : y;
  const Region& many = x.rows <= y.rows ? y : x;
  for (uint64_t r = 0; r < few.rows; ++r) {
    const uint64_t s = few.base + r * few.stride;
    if (runs_hit(many, s, s + few.cols)) return true;
  }
  return false;
}

}  // namespace acc
