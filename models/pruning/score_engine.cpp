#include "score_engine.hpp"

#include <cblas.h>

#include <algorithm>
#include <numeric>

#include "acceltran_regs.h"
#include "fixed_point.hpp"

namespace acc {

namespace {

enum Mask : uint8_t { kKept = 0, kHead = 1, kBlock = 2, kLeopard = 3 };

// C[m x n] = A[m x k] . B[n x k]^T, exact for the integer magnitudes involved (see models/pe/matmul_kernel.hpp).
void gemm_nt(const std::vector<double>& a, const std::vector<double>& b, uint32_t m, uint32_t n, uint32_t k, std::vector<double>& c) {
  c.assign(uint64_t{m} * n, 0.0);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0, a.data(),
              static_cast<int>(k), b.data(), static_cast<int>(k), 0.0, c.data(), static_cast<int>(n));
}

// Bit masks of the non-zero entries of each row: per k-step of `depth` entries (tile.tile_y, up to
// 256), ceil(depth / 64) words.
struct NonzeroMasks {
  uint32_t ksteps = 0, words = 0;  // words per k-step
  std::vector<uint64_t> bits;
  const uint64_t* at(uint64_t row, uint32_t kstep) const { return &bits[(row * ksteps + kstep) * words]; }
};
NonzeroMasks nonzero_masks(const std::vector<int32_t>& x, uint32_t rows, uint32_t d, uint32_t depth, uint32_t ksteps) {
  NonzeroMasks m{ksteps, (depth + 63) / 64, {}};
  m.bits.assign(uint64_t{rows} * ksteps * m.words, 0);
  for (uint32_t r = 0; r < rows; ++r)
    for (uint32_t i = 0; i < d; ++i)
      if (x[uint64_t{r} * d + i] != 0) {
        const uint32_t kb = i / depth, bit = i % depth;
        m.bits[(uint64_t{r} * ksteps + kb) * m.words + bit / 64] |= uint64_t{1} << (bit % 64);
      }
  return m;
}
// Pairs of non-zero operands of row r of one side and row c of the other in k-step kb.
uint64_t common_nonzeros(const NonzeroMasks& a, uint64_t r, const NonzeroMasks& b, uint64_t c, uint32_t kb) {
  const uint64_t *x = a.at(r, kb), *y = b.at(c, kb);
  uint64_t n = 0;
  for (uint32_t w = 0; w < a.words; ++w) n += static_cast<uint64_t>(__builtin_popcountll(x[w] & y[w]));
  return n;
}

// Importance of a head, or of a block, from integer-part scores (fn: ACC_HDP_HEAD_CTRL_IMPORTANCE_*).
// Each score is below 2^52; their sum can pass 2^63 (small F, large heads): it is accumulated
// exactly and saturates to the 64-bit range (docs/pruning.md).
int64_t importance(const double* s, uint64_t n, unsigned fn, uint64_t stride = 0, uint64_t width = 0) {
  __int128 acc = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const double* p = width ? s + (i / width) * stride + i % width : s + i;
    const int64_t v = static_cast<int64_t>(*p);
    if (fn == ACC_HDP_HEAD_CTRL_IMPORTANCE_SUM)
      acc += v;
    else if (fn == ACC_HDP_HEAD_CTRL_IMPORTANCE_MAX_ABS)
      acc = std::max<__int128>(acc, v < 0 ? -v : v);
    else
      acc += v < 0 ? -v : v;
  }
  return fx::saturate_int64(acc);
}

// Indices of the `keep` largest values (ties: the lowest index first).
std::vector<bool> keep_largest(const std::vector<int64_t>& v, uint64_t keep) {
  std::vector<uint32_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0u);
  std::stable_sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return v[a] > v[b]; });
  std::vector<bool> kept(v.size(), false);
  for (uint64_t i = 0; i < std::min<uint64_t>(keep, v.size()); ++i) kept[idx[i]] = true;
  return kept;
}

}  // namespace

ScoreOutcome score_heads(const MatrixRef& q, const MatrixRef& k, const MatrixRef& s, const ScoreSpec& sp, const PruningConfig& cfg) {
  const uint32_t R = sp.rows, C = sp.cols, d = sp.head_dim, H = sp.heads;
  const unsigned F = cfg.hdp.frac_bits, B = cfg.leopard_key_bits;
  const bool hdp = sp.hdp_heads || sp.hdp_blocks || sp.hdp_approx;
  ScoreOutcome o;
  o.row_tiles = (R + sp.tile_rows - 1) / sp.tile_rows;
  o.col_tiles = (C + sp.tile_cols - 1) / sp.tile_cols;
  const uint32_t depth = sp.tile_cols;  // a k-step reduces tile_y values
  o.ksteps = (d + depth - 1) / depth;
  const uint64_t tiles = uint64_t{o.row_tiles} * o.col_tiles;
  o.int_effectual.assign(uint64_t{H} * tiles * o.ksteps, 0);
  o.value_effectual.assign(uint64_t{H} * tiles * o.ksteps, 0);
  o.leopard_row_bits.assign(uint64_t{H} * tiles * sp.tile_rows, 0);
  o.leopard_bits.assign(B + 1, 0);

  // Gather every head's operands; the integer pass needs all heads before the head decision.
  std::vector<std::vector<int32_t>> qh(H), kh(H), qi(H), ki(H);
  std::vector<std::vector<double>> s_int(H);
  std::vector<int64_t> head_importance(H, 0);
  for (uint32_t h = 0; h < H; ++h) {
    qh[h].resize(uint64_t{R} * d);
    kh[h].resize(uint64_t{C} * d);
    for (uint32_t r = 0; r < R; ++r)
      for (uint32_t i = 0; i < d; ++i) qh[h][uint64_t{r} * d + i] = fx::wrap(q.base[r * q.stride + uint64_t{h} * d + i]);
    for (uint32_t c = 0; c < C; ++c)
      for (uint32_t i = 0; i < d; ++i) kh[h][uint64_t{c} * d + i] = fx::wrap(k.base[c * k.stride + uint64_t{h} * d + i]);
    if (!hdp) continue;
    qi[h].resize(qh[h].size());
    ki[h].resize(kh[h].size());
    for (size_t i = 0; i < qh[h].size(); ++i) qi[h][i] = qh[h][i] >> F;
    for (size_t i = 0; i < kh[h].size(); ++i) ki[h][i] = kh[h][i] >> F;
    gemm_nt(std::vector<double>(qi[h].begin(), qi[h].end()), std::vector<double>(ki[h].begin(), ki[h].end()), R, C, d, s_int[h]);
    head_importance[h] = importance(s_int[h].data(), uint64_t{R} * C, cfg.hdp.head_importance);
  }

  // HDP heads: which survive.
  std::vector<bool> head_kept(H, true);
  if (sp.hdp_heads) {
    const int64_t top = *std::max_element(head_importance.begin(), head_importance.end());
    if (cfg.hdp.head_threshold == ACC_HDP_HEAD_CTRL_THRESHOLD_TOP) {
      head_kept = keep_largest(head_importance, cfg.hdp.head_param);
    } else {
      for (uint32_t h = 0; h < H; ++h)
        head_kept[h] = cfg.hdp.head_threshold == ACC_HDP_HEAD_CTRL_THRESHOLD_RATIO
                           ? static_cast<__int128>(head_importance[h]) * 65536 >= static_cast<__int128>(cfg.hdp.head_param) * top
                           : head_importance[h] >= static_cast<int64_t>(cfg.hdp.head_param);
    }
  }

  std::vector<uint8_t> mask(uint64_t{R} * C), planes(uint64_t{R} * C);  // planes: LeOPArd's bit planes per score
  std::vector<double> exact, cross1, cross2;
  for (uint32_t h = 0; h < H; ++h) {
    std::fill(mask.begin(), mask.end(), head_kept[h] ? kKept : kHead);
    if (!head_kept[h]) ++o.heads_pruned;
    // HDP blocks, row-balanced: every block row keeps its blocks above its own threshold.
    if (sp.hdp_blocks && head_kept[h]) {
      const uint32_t br = cfg.hdp.block_rows, bc = cfg.hdp.block_cols;
      const uint32_t nbr = (R + br - 1) / br, nbc = (C + bc - 1) / bc;
      for (uint32_t rb = 0; rb < nbr; ++rb) {
        std::vector<int64_t> imp(nbc);
        for (uint32_t cb = 0; cb < nbc; ++cb) {
          const uint32_t r0 = rb * br, c0 = cb * bc, nr = std::min(br, R - r0), nc = std::min(bc, C - c0);
          imp[cb] = importance(&s_int[h][uint64_t{r0} * C + c0], uint64_t{nr} * nc, ACC_HDP_HEAD_CTRL_IMPORTANCE_SUM_ABS, C, nc);
        }
        std::vector<bool> keep(nbc, true);
        const int64_t mx = *std::max_element(imp.begin(), imp.end());
        const __int128 sum = std::accumulate(imp.begin(), imp.end(), __int128{0});
        for (uint32_t cb = 0; cb < nbc; ++cb) {
          if (cfg.hdp.block_threshold == ACC_HDP_BLOCK_CTRL_THRESHOLD_TOP) break;
          if (cfg.hdp.block_threshold == ACC_HDP_BLOCK_CTRL_THRESHOLD_MEAN)  // B >= mean + a (max - mean), scaled by n * 65536
            keep[cb] = static_cast<__int128>(imp[cb]) * nbc * 65536 >= sum * 65536 + static_cast<__int128>(cfg.hdp.block_param) * (static_cast<__int128>(mx) * nbc - sum);
          else
            keep[cb] = static_cast<__int128>(imp[cb]) * 65536 >= static_cast<__int128>(cfg.hdp.block_param) * mx;
        }
        if (cfg.hdp.block_threshold == ACC_HDP_BLOCK_CTRL_THRESHOLD_TOP) keep = keep_largest(imp, cfg.hdp.block_param);
        for (uint32_t cb = 0; cb < nbc; ++cb)
          if (!keep[cb])
            for (uint32_t r = rb * br; r < std::min(R, rb * br + br); ++r)
              for (uint32_t c = cb * bc; c < std::min(C, cb * bc + bc); ++c) mask[uint64_t{r} * C + c] = kBlock;
      }
    }

    // Values: LeOPArd's q . k_B with its decisions, HDP's approximation, or the exact product.
    std::vector<int32_t> kq;
    std::vector<int64_t> p_pos(R, 0);
    if (sp.leopard) {
      kq.resize(kh[h].size());
      for (size_t i = 0; i < kq.size(); ++i) kq[i] = leopard_key(kh[h][i], B);
      for (uint32_t r = 0; r < R; ++r)
        for (uint32_t i = 0; i < d; ++i) p_pos[r] += std::max(qh[h][uint64_t{r} * d + i], 0);
      // The bit-serial partials from whole bit planes: partial after the planes B-1..b is
      // q . k_B minus q . (the low b bits of k_B), computed for every b at once with GEMMs.
      gemm_nt(std::vector<double>(qh[h].begin(), qh[h].end()), std::vector<double>(kq.begin(), kq.end()), R, C, d, exact);
    } else if (sp.hdp_approx) {
      std::vector<double> qf(qh[h].size()), kf(kh[h].size());
      for (size_t i = 0; i < qf.size(); ++i) qf[i] = qh[h][i] - int64_t{qi[h][i]} * (int64_t{1} << F);
      for (size_t i = 0; i < kf.size(); ++i) kf[i] = kh[h][i] - int64_t{ki[h][i]} * (int64_t{1} << F);
      gemm_nt(std::vector<double>(qi[h].begin(), qi[h].end()), kf, R, C, d, cross1);
      gemm_nt(qf, std::vector<double>(ki[h].begin(), ki[h].end()), R, C, d, cross2);
    } else {
      gemm_nt(std::vector<double>(qh[h].begin(), qh[h].end()), std::vector<double>(kh[h].begin(), kh[h].end()), R, C, d, exact);
    }
    std::vector<std::vector<double>> low_bits;  // low_bits[b] = q . (k_B & (2^b - 1)), b = 1 .. B-1
    if (sp.leopard) {
      low_bits.resize(B);
      for (unsigned b = 1; b < B; ++b) {
        std::vector<double> lk(kq.size());
        for (size_t i = 0; i < kq.size(); ++i) lk[i] = static_cast<double>(static_cast<uint32_t>(kq[i]) & ((1u << b) - 1u));
        gemm_nt(std::vector<double>(qh[h].begin(), qh[h].end()), lk, R, C, d, low_bits[b]);
      }
    }
    const int64_t th = sp.leopard ? cfg.leopard_th[(uint64_t{sp.th_index} + (sp.leopard_per_head ? h : 0)) % PruningConfig::kThresholds] : 0;
    int32_t* out = s.base + uint64_t{h} * R * s.stride;
    for (uint32_t r = 0; r < R; ++r)
      for (uint32_t c = 0; c < C; ++c) {
        const uint64_t at = uint64_t{r} * C + c;
        int32_t& dst = out[r * s.stride + c];
        if (mask[at] != kKept) {
          dst = fx::kMaskMarker;
          continue;
        }
        int64_t wide;
        if (sp.leopard) {
          const auto full = static_cast<int64_t>(exact[at]);
          unsigned n_planes = B;
          bool pruned = full < th;
          for (unsigned b = B - 1; b >= 1; --b) {
            const int64_t partial = full - static_cast<int64_t>(low_bits[b][at]);
            if (partial + p_pos[r] * ((int64_t{1} << b) - 1) < th) {
              pruned = true;
              n_planes = B - b;
              break;
            }
          }
          ++o.leopard_bits[n_planes];
          planes[at] = static_cast<uint8_t>(n_planes);
          o.leopard_row_bits[(uint64_t{h} * tiles + (r / sp.tile_rows) * o.col_tiles + c / sp.tile_cols) * sp.tile_rows + r % sp.tile_rows] += n_planes;
          if (pruned) {
            mask[at] = kLeopard;
            dst = fx::kMaskMarker;
            continue;
          }
          wide = full * (int64_t{1} << (fx::word_bits() - static_cast<int>(B)));
        } else if (sp.hdp_approx) {
          wide = static_cast<int64_t>(s_int[h][at]) * (int64_t{1} << (2 * F)) +
                 (static_cast<int64_t>(cross1[at]) + static_cast<int64_t>(cross2[at])) * (int64_t{1} << F);
        } else {
          wide = static_cast<int64_t>(exact[at]);
        }
        int32_t v = fx::saturate_counted(fx::round_shift(wide, fx::frac_bits()), o.saturated);
        if (sp.prune) {
          const int32_t kept = fx::dynatran(v, sp.tau);
          o.dynatran_zeroed += v != 0 && kept == 0;
          v = kept;
        }
        dst = v;
      }
    for (uint8_t m : mask) {
      o.hdp_head_masked += m == kHead;
      o.hdp_block_masked += m == kBlock;
      o.leopard_masked += m == kLeopard;
    }

    // Work of the passes per output tile and k-step: pairs of non-zero operands (popcounts of
    // per-row masks); the value pass only for the scores that survived HDP (and, off LeOPArd, all
    // of its stages: LeOPArd's own work is its bit planes).
    const auto qm = nonzero_masks(qh[h], R, d, depth, o.ksteps), km = nonzero_masks(kh[h], C, d, depth, o.ksteps);
    NonzeroMasks qim, kim;
    if (hdp) qim = nonzero_masks(qi[h], R, d, depth, o.ksteps), kim = nonzero_masks(ki[h], C, d, depth, o.ksteps);
    const double W = fx::word_bits(), I = W - F;  // bit products relative to a W x W multiplier
    const double int_weight = I * I / (W * W), value_weight = sp.hdp_approx ? 2.0 * I * F / (W * W) : 1.0;
    uint64_t int_pairs = 0, value_pairs = 0;
    double leopard_work = 0;
    for (uint32_t r = 0; r < R; ++r)
      for (uint32_t c = 0; c < C; ++c) {
        const uint64_t tile = (r / sp.tile_rows) * o.col_tiles + c / sp.tile_cols;
        const uint64_t base = (uint64_t{h} * tiles + tile) * o.ksteps;
        const uint8_t m = mask[uint64_t{r} * C + c];
        const bool value_pass = !sp.leopard && m != kHead && m != kBlock;
        uint64_t pairs = 0;
        for (uint32_t kb = 0; kb < o.ksteps; ++kb) {
          if (hdp) {
            const uint64_t e = common_nonzeros(qim, r, kim, c, kb);
            o.int_effectual[base + kb] += e;
            int_pairs += e;
          }
          const uint64_t e = common_nonzeros(qm, r, km, c, kb);
          pairs += e;
          if (value_pass) o.value_effectual[base + kb] += e;
        }
        if (value_pass) value_pairs += pairs;
        if (sp.leopard && m != kHead && m != kBlock) leopard_work += double(pairs) * planes[uint64_t{r} * C + c] / B;
      }
    o.mac_equivalents += int_weight * double(int_pairs) + value_weight * double(value_pairs) + leopard_work;
  }
  return o;
}

}  // namespace acc
