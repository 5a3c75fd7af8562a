#include "lane_scheduler.hpp"

#include <immintrin.h>

#include <limits>

#include "blas_kernels.hpp"

namespace acc {

LaneScheduler::LaneScheduler(unsigned pes, unsigned lanes_per_pe)
    : pes_(pes), lanes_(lanes_per_pe), leaves_(1), free_(uint64_t{pes} * lanes_per_pe, 0), pe_free_(pes, 0) {
  while (leaves_ < pes_) leaves_ *= 2;
  tree_.assign(2 * leaves_, 0);
  for (unsigned i = 0; i < leaves_; ++i) tree_[leaves_ + i] = i < pes_ ? i : pes_;  // pes_ = sentinel "none"
  for (unsigned i = leaves_ - 1; i >= 1; --i) {
    const unsigned a = tree_[2 * i], b = tree_[2 * i + 1];
    tree_[i] = (b != pes_ && (a == pes_ || pe_free_[b] < pe_free_[a])) ? b : a;
  }
}

namespace {
// The first of n values that is the smallest: the minimum in a loop that vectorises (hence the
// clones), then its first position. Every tile of every op asks it of a PE's lanes.
__attribute__((target_clones("arch=x86-64-v3", "default")))
unsigned first_minimum_portable(const uint64_t* v, unsigned n) {
  uint64_t least = v[0];
  for (unsigned i = 1; i < n; ++i) least = v[i] < least ? v[i] : least;
  unsigned i = 0;
  while (v[i] != least) ++i;
  return i;
}

// The same with AVX-512, eight lanes per step and the position from a compare mask: GCC's
// x86-64-v4 clone of the loop above finds the position a value at a time, which took BERT-Base
// 4% of its time (a call per tile and k-step, a branch per lane).
__attribute__((target("avx512f,bmi")))
unsigned first_minimum_avx512(const uint64_t* v, unsigned n) {
  __m512i least = _mm512_set1_epi64(-1);
  for (unsigned i = 0; i < n; i += 8) {
    const __mmask8 live = static_cast<__mmask8>(n - i >= 8 ? 0xFF : (1u << (n - i)) - 1);
    least = _mm512_mask_min_epu64(least, live, least, _mm512_maskz_loadu_epi64(live, v + i));
  }
  alignas(64) uint64_t lanes[8];  // not _mm512_reduce_min_epu64: GCC 12 warns inside its header
  _mm512_store_si512(lanes, least);
  uint64_t smallest = lanes[0];
  for (uint64_t x : lanes) smallest = x < smallest ? x : smallest;
  const __m512i all = _mm512_set1_epi64(static_cast<long long>(smallest));
  for (unsigned i = 0;; i += 8) {
    const __mmask8 live = static_cast<__mmask8>(n - i >= 8 ? 0xFF : (1u << (n - i)) - 1);
    const unsigned hits = _mm512_mask_cmpeq_epu64_mask(live, _mm512_maskz_loadu_epi64(live, v + i), all);
    if (hits) return i + static_cast<unsigned>(__builtin_ctz(hits));
  }
}

unsigned first_minimum(const uint64_t* v, unsigned n) {
  static const bool avx512 = cpu_runs_avx512_kernels();
  return avx512 ? first_minimum_avx512(v, n) : first_minimum_portable(v, n);
}
}  // namespace

uint64_t LaneScheduler::run_on(unsigned pe, uint64_t earliest, uint64_t cycles, unsigned& lane) {
  uint64_t* lanes = &free_[uint64_t{pe} * lanes_];
  const unsigned best = first_minimum(lanes, lanes_);
  const uint64_t start = lanes[best] > earliest ? lanes[best] : earliest;
  lanes[best] = start + cycles;
  lane = best;
  return start + cycles;
}

uint64_t LaneScheduler::pe_min(unsigned pe) const {
  const uint64_t* lanes = &free_[uint64_t{pe} * lanes_];
  uint64_t m = std::numeric_limits<uint64_t>::max();
  for (unsigned l = 0; l < lanes_; ++l) m = lanes[l] < m ? lanes[l] : m;
  return m;
}

void LaneScheduler::refresh(unsigned pe) {
  pe_free_[pe] = pe_min(pe);
  for (unsigned i = (leaves_ + pe) / 2; i >= 1; i /= 2) {
    const unsigned a = tree_[2 * i], b = tree_[2 * i + 1];
    tree_[i] = (b != pes_ && (a == pes_ || pe_free_[b] < pe_free_[a])) ? b : a;
  }
}

}  // namespace acc
