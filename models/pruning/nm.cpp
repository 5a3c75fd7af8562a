#include "nm.hpp"

#include <algorithm>
#include <array>

namespace acc::nm {

namespace {
// Positions (within a group of `size`) of the N largest |x| in ascending order; ties keep the lower
// index. Returns how many were kept (min(N, size)).
unsigned kept_positions(const int32_t* group, uint64_t step, unsigned size, unsigned N, std::array<unsigned, 16>& pos) {
  std::array<unsigned, 16> order{};
  for (unsigned i = 0; i < size; ++i) order[i] = i;
  auto mag = [&](unsigned i) {
    const int64_t v = group[i * step];
    return v < 0 ? -v : v;
  };
  std::stable_sort(order.begin(), order.begin() + size, [&](unsigned a, unsigned b) { return mag(a) > mag(b); });
  const unsigned kept = std::min(N, size);
  std::copy(order.begin(), order.begin() + kept, pos.begin());
  std::sort(pos.begin(), pos.begin() + kept);
  return kept;
}
}  // namespace

std::vector<int32_t> compress(const std::vector<int32_t>& dense, uint32_t k, uint32_t n, unsigned N, unsigned M) {
  const uint32_t groups = (k + M - 1) / M;
  std::vector<int32_t> out(uint64_t{groups} * N * n, 0);
  std::array<unsigned, 16> pos{};
  for (uint32_t g = 0; g < groups; ++g) {
    const unsigned size = std::min<uint32_t>(M, k - g * M);
    for (uint32_t j = 0; j < n; ++j) {
      const unsigned kept = kept_positions(&dense[uint64_t{g} * M * n + j], n, size, N, pos);
      for (unsigned s = 0; s < kept; ++s)
        out[(uint64_t{g} * N + s) * n + j] = pack(dense[(uint64_t{g} * M + pos[s]) * n + j], pos[s]);
    }
  }
  return out;
}

void decompress(const int32_t* c, uint64_t stride, uint32_t k, uint32_t n, unsigned N, unsigned M, std::vector<int32_t>& dense) {
  dense.assign(uint64_t{k} * n, 0);
  const uint32_t groups = (k + M - 1) / M;
  for (uint32_t g = 0; g < groups; ++g)
    for (unsigned s = 0; s < N; ++s) {
      const int32_t* row = c + (uint64_t{g} * N + s) * stride;
      for (uint32_t j = 0; j < n; ++j) {
        const int32_t v = value(row[j]);
        const uint64_t p = uint64_t{g} * M + index(row[j]);
        if (v != 0 && p < k) dense[p * n + j] = v;
      }
    }
}

uint64_t prune_row(int32_t* row, uint32_t cols, unsigned N, unsigned M) {
  uint64_t zeroed = 0;
  std::array<unsigned, 16> pos{};
  for (uint32_t g0 = 0; g0 < cols; g0 += M) {
    const unsigned size = std::min<uint32_t>(M, cols - g0);
    const unsigned kept = kept_positions(row + g0, 1, size, N, pos);
    std::array<bool, 16> keep{};
    for (unsigned s = 0; s < kept; ++s) keep[pos[s]] = true;
    for (unsigned i = 0; i < size; ++i)
      if (!keep[i]) {
        zeroed += row[g0 + i] != 0;
        row[g0 + i] = 0;
      }
  }
  return zeroed;
}

}  // namespace acc::nm
