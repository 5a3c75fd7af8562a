// Deterministic pseudo-random test data (an LCG: the same on every host).
#pragma once

#include <cstdint>
#include <vector>

namespace acc::test {

inline uint64_t lcg(uint64_t& s) {
  s = s * 6364136223846793005ull + 1442695040888963407ull;
  return s >> 33;
}

// n integers (Q4.16 words when range <= 2^19) uniform in [-range, range], each zero with
// probability `zeros`.
inline std::vector<int32_t> random_q(uint64_t n, uint64_t seed, int32_t range, double zeros = 0) {
  std::vector<int32_t> v(n);
  for (auto& x : v) {
    const bool zero = double(lcg(seed) % 1000) < zeros * 1000;
    x = zero ? 0 : static_cast<int32_t>(lcg(seed) % (2 * uint64_t(range) + 1)) - range;
  }
  return v;
}

}  // namespace acc::test
