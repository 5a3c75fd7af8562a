#include "lane_scheduler.hpp"

#include <immintrin.h>

#include <algorithm>
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
// clones), then its first position.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
unsigned first_minimum(const uint64_t* v, unsigned n) {
  uint64_t least = v[0];
  for (unsigned i = 1; i < n; ++i) least = v[i] < least ? v[i] : least;
  unsigned i = 0;
  while (v[i] != least) ++i;
  return i;
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

namespace {
// run_tiles with AVX-512 for PEs of up to 8 * NV lanes: the lanes' busy-until times stay in NV
// registers across the tiles, and each tile's lane is found and updated there (a search through
// memory stalled on forwarding the previous tile's update, and took 6 % of BERT-Base's time).
// Lanes beyond the PE's read as never free. Masked forms throughout: GCC 12's unmasked
// min/shuffle intrinsics warn inside its own header.
template <int NV>
__attribute__((target("avx512f,bmi,bmi2")))
LaneScheduler::TileRun run_tiles_avx512(uint64_t* lanes, unsigned n_lanes, const uint64_t* cycles, size_t n, uint64_t first,
                                        uint64_t handed, uint64_t batch, uint64_t fill) {
  constexpr __mmask8 kAll = 0xFF;
  __m512i v[NV];
  for (int k = 0; k < NV; ++k) {
    const unsigned left = n_lanes - 8 * k;
    const __mmask8 live = static_cast<__mmask8>(left >= 8 ? 0xFF : (1u << left) - 1);
    v[k] = _mm512_mask_loadu_epi64(_mm512_set1_epi64(-1), live, lanes + 8 * k);
  }
  LaneScheduler::TileRun r;
  uint64_t used = 0;
  for (size_t i = 0; i < n; ++i, ++handed) {
    const uint64_t cyc = cycles[i];
    if (cyc == 0) continue;
    __m512i m = v[0];
    for (int k = 1; k < NV; ++k) m = _mm512_mask_min_epu64(m, kAll, m, v[k]);
    m = _mm512_mask_min_epu64(m, kAll, m, _mm512_mask_shuffle_i64x2(m, kAll, m, m, 0x4E));  // halves swapped
    m = _mm512_mask_min_epu64(m, kAll, m, _mm512_mask_shuffle_i64x2(m, kAll, m, m, 0xB1));  // quarters swapped
    m = _mm512_mask_min_epu64(m, kAll, m, _mm512_mask_shuffle_epi32(m, 0xFFFF, m, _MM_PERM_BADC));  // words swapped
    uint64_t hits = 0;  // the lanes holding the minimum, a bit each
    for (int k = 0; k < NV; ++k) hits |= uint64_t{_mm512_mask_cmpeq_epu64_mask(kAll, v[k], m)} << (8 * k);
    const unsigned lane = static_cast<unsigned>(__builtin_ctzll(hits));
    const uint64_t least = static_cast<uint64_t>(_mm_cvtsi128_si64(_mm512_maskz_extracti32x4_epi32(0xF, m, 0)));
    const uint64_t ready = first + handed / batch + fill;
    const uint64_t start = least > ready ? least : ready, end = start + cyc;
    const __m512i ends = _mm512_set1_epi64(static_cast<long long>(end));
    for (int k = 0; k < NV; ++k) v[k] = _mm512_mask_mov_epi64(v[k], static_cast<__mmask8>(lane >> 3 == unsigned(k) ? 1u << (lane & 7) : 0), ends);
    used |= uint64_t{1} << lane;
    r.cycles += cyc;
    r.start = start < r.start ? start : r.start;
    r.end = end > r.end ? end : r.end;
  }
  for (int k = 0; k < NV; ++k) {
    const unsigned left = n_lanes - 8 * k;
    _mm512_mask_storeu_epi64(lanes + 8 * k, static_cast<__mmask8>(left >= 8 ? 0xFF : (1u << left) - 1), v[k]);
  }
  r.lanes = static_cast<unsigned>(__builtin_popcountll(used));
  return r;
}
}  // namespace

LaneScheduler::TileRun LaneScheduler::run_tiles(unsigned pe, const uint64_t* cycles, size_t n, uint64_t first, uint64_t handed,
                                                uint64_t batch, uint64_t fill) {
  static const bool avx512 = cpu_runs_avx512_kernels();
  uint64_t* lanes = &free_[uint64_t{pe} * lanes_];
  TileRun r;
  if (avx512 && lanes_ <= 32) {
    r = lanes_ <= 8    ? run_tiles_avx512<1>(lanes, lanes_, cycles, n, first, handed, batch, fill)
        : lanes_ <= 16 ? run_tiles_avx512<2>(lanes, lanes_, cycles, n, first, handed, batch, fill)
                       : run_tiles_avx512<4>(lanes, lanes_, cycles, n, first, handed, batch, fill);
  } else {
    used_.assign((lanes_ + 63) / 64, 0);
    for (size_t i = 0; i < n; ++i, ++handed) {
      if (cycles[i] == 0) continue;
      unsigned lane = 0;
      const uint64_t end = run_on(pe, first + handed / batch + fill, cycles[i], lane);
      r.start = std::min(r.start, end - cycles[i]);
      r.end = std::max(r.end, end);
      r.cycles += cycles[i];
      uint64_t& bit = used_[lane / 64];
      r.lanes += (bit >> (lane % 64) & 1) == 0;
      bit |= uint64_t{1} << (lane % 64);
    }
  }
  refresh(pe);
  return r;
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
