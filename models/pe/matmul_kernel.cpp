#include "matmul_kernel.hpp"

#include <cblas.h>
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "blas_kernels.hpp"
#include "fixed_point.hpp"
#include "fork_join.hpp"
#include "fx_math.hpp"
#include "nm.hpp"
#include "scratch_buffer.hpp"

namespace acc {

namespace {

// Rows of A up to which the direct integer path runs.
constexpr uint64_t kDirectRows = 4;

// Runs of rows per part that a large GEMM's epilogue is cut into: the parts take them one at a
// time, and the calling thread first runs the caller's work on the profile (profile_ready).
constexpr unsigned kRowRunsPerPart = 8;

// The sparsity profile is counted in the same pass over A and B as the values (null: not asked).
void start_profile(SparsityProfile* p, const MatmulShape& s, uint32_t tile_rows, uint32_t tile_cols) {
  p->k = s.k;
  p->row_blocks = (s.m + tile_rows - 1) / tile_rows;
  p->col_blocks = (s.n + tile_cols - 1) / tile_cols;
  p->a_col_nnz.assign(uint64_t{p->row_blocks} * s.k, 0);
  p->b_row_nnz.assign(uint64_t{s.k} * p->col_blocks, 0);
}

// count_b_row's blocks of 16 words where the CPU has AVX2 but not AVX-512: per 8 words a compare,
// a mask and a popcount. GCC's AVX2 clone of the loop in count_b_row gathers eight blocks at a time
// with permutes, which on a Zen 1 core took 4.5 times as long for rows streamed from memory and 30
// times for rows in cache.
__attribute__((target("avx2,popcnt")))
uint64_t count_blocks16_avx2(const fx::Format& f, const int32_t* row, uint64_t blocks, uint32_t* counts) {
  const __m256i word = _mm256_set1_epi32(static_cast<int32_t>((uint64_t{1} << f.word_bits()) - 1)), zero = _mm256_setzero_si256();
  uint64_t total = 0;
  for (uint64_t b = 0; b < blocks; ++b, row += 16) {
    const __m256i lo = _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row)), word);
    const __m256i hi = _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 8)), word);
    const int zero_lo = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(lo, zero)));
    const int zero_hi = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(hi, zero)));
    const uint32_t count = 16 - static_cast<uint32_t>(_mm_popcnt_u32(static_cast<uint32_t>(zero_lo | zero_hi << 8)));
    counts[b] += count;
    total += count;
  }
  return total;
}

// acc[j] += x * word(row[j]) for j < w, where the CPU has AVX2 but not AVX-512: GCC leaves this loop
// of direct_columns scalar in its AVX2 clone (no 64-bit vector multiply), though the products are
// 32 x 32 -> 64 bits, which vpmuldq makes four at a time.
__attribute__((target("avx2")))
void add_scaled_row_avx2(const fx::Format& f, int64_t* acc, const int32_t* row, uint64_t w, int32_t x) {
  const __m256i xs = _mm256_set1_epi64x(x);  // vpmuldq reads each lane's low 32 bits, signed
  const __m128i unused = _mm_cvtsi32_si128(32 - f.word_bits());
  uint64_t j = 0;
  for (; j + 4 <= w; j += 4) {
    const __m128i words = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + j));
    const __m128i values = _mm_sra_epi32(_mm_sll_epi32(words, unused), unused);  // Format::wrap
    const __m256i products = _mm256_mul_epi32(_mm256_cvtepi32_epi64(values), xs);
    auto* sums = reinterpret_cast<__m256i*>(acc + j);
    _mm256_storeu_si256(sums, _mm256_add_epi64(_mm256_loadu_si256(sums), products));
  }
  for (; j < w; ++j) acc[j] += int64_t{x} * f.wrap(row[j]);
}

// Whether the CPU has AVX2 and not AVX-512: it then runs the AVX2 functions above in place of the
// loops GCC vectorised poorly for it (on AVX-512 the x86-64-v4 clones are the faster).
bool use_avx2_kernels() {
  static const bool avx2 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") && !cpu_runs_avx512_kernels();
  }();
  return avx2;
}

// Non-zeros of one row of a non-transposed B (n words), per column block into `blocks` (may be null).
// The first pass over a weight row that streams from memory: vectorised per clone.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
uint64_t count_b_row(const fx::Format& f, const int32_t* row, uint64_t n, uint32_t tile_cols, uint32_t* blocks) {
  if (!blocks) return f.count_nonzero(row, n);
  uint64_t total = 0, j0 = 0, cb = 0;
  if (tile_cols == 16 && use_avx2_kernels()) {
    cb = n / 16, j0 = cb * 16;
    total = count_blocks16_avx2(f, row, cb, blocks);
  } else if (tile_cols == 16) {  // both presets' tiles: a constant count per block, one vector compare each
    for (; j0 + 16 <= n; ++cb, j0 += 16) {
      uint32_t count = 0;
      for (uint32_t t = 0; t < 16; ++t) count += f.word_nonzero(row[j0 + t]);
      blocks[cb] += count;
      total += count;
    }
  }
  for (; j0 < n; ++cb, j0 += tile_cols) {  // block by block: no division per word
    const uint64_t count = f.count_nonzero(row + j0, std::min<uint64_t>(tile_cols, n - j0));
    blocks[cb] += static_cast<uint32_t>(count);
    total += count;
  }
  return total;
}

// A transposed B's rows [j0, j1) (n x k, rows are C's columns), by column block: `row(j, counts)`
// handles row j and returns its non-zeros, adding each word's to counts[p]. The profile is p-major
// (b_row_nnz[p * col_blocks + block]): the counts of kGroup blocks are gathered first, then added to
// the profile a cache line per p, not scattered a word at a time (GPT-2's LM head has 3,141 blocks).
template <typename RowFn>
uint64_t transposed_blocks(uint64_t j0, uint64_t j1, uint64_t k, SparsityProfile* prof, uint32_t tile_cols, RowFn row) {
  constexpr uint64_t kGroup = 16;
  thread_local std::vector<uint32_t> counts;  // [block in group][p]
  counts.assign(kGroup * k, 0);
  uint64_t nonzero = 0;
  for (uint64_t jb = j0; jb < j1;) {
    const uint64_t first = jb / tile_cols;
    uint64_t blocks = 0;
    for (; blocks < kGroup && jb < j1; ++blocks) {
      const uint64_t je = std::min(j1, (first + blocks + 1) * tile_cols);
      for (uint64_t j = jb; j < je; ++j) nonzero += row(j, &counts[blocks * k]);
      jb = je;
    }
    if (!prof) continue;
    for (uint64_t p = 0; p < k; ++p) {
      uint32_t* line = &prof->b_row_nnz[p * prof->col_blocks + first];
      for (uint64_t g = 0; g < blocks; ++g) line[g] += counts[g * k + p], counts[g * k + p] = 0;
    }
  }
  return nonzero;
}

// One row of a transposed B (k words) against the m rows of A's words: m dot products into
// `dots`, and the row's non-zeros, each added to counts[p]. Cloned: GPT-2's LM head streams the
// whole token-embedding table through here at every decode step.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
uint64_t transposed_row(const fx::Format& f, const int32_t* a_words, uint64_t m, const int32_t* row, uint64_t k, uint32_t* counts,
                        int64_t* dots) {
  for (uint64_t i = 0; i < m; ++i) {
    const int32_t* x = &a_words[i * k];
    int64_t dot = 0;
    for (uint64_t p = 0; p < k; ++p) dot += int64_t{x[p]} * f.wrap(row[p]);
    dots[i] = dot;
  }
  uint64_t nonzero = 0;
  for (uint64_t p = 0; p < k; ++p) {
    const uint32_t nz = f.word_nonzero(row[p]);
    counts[p] += nz;
    nonzero += nz;
  }
  return nonzero;
}

// The columns [j0, j1) of C that one part of a split computes (ColumnSplit).
struct Columns {
  uint64_t j0, j1;
  uint64_t width() const { return j1 - j0; }
};

// A GEMM's columns cut into `parts` runs of whole column blocks, so that every part counts its own
// entries of the sparsity profile. Large GEMMs only: a split costs a wake-up of the helpers. A few
// rows' GEMM (the direct path) is bound by streaming B from memory, so its size is B's: a decode
// step's 768 x 768 and 768 x 2,304 weights are split, though they have fewer MACs than kMinMacs.
struct ColumnSplit {
  static constexpr uint64_t kMinMacs = uint64_t{1} << 21, kMinOutputs = uint64_t{1} << 16, kMinDirectWords = uint64_t{1} << 18;
  unsigned parts;
  uint64_t n, block, blocks;
  ColumnSplit(const MatmulShape& s, uint32_t tile_cols, unsigned available)
      : n(s.n), block(tile_cols ? tile_cols : 1), blocks((s.n + block - 1) / block) {
    const bool small = s.m <= kDirectRows ? uint64_t{s.k} * s.n < kMinDirectWords : uint64_t{s.m} * s.k * s.n < kMinMacs;
    parts = small ? 1u : static_cast<unsigned>(std::min<uint64_t>(available, blocks));
  }
  Columns operator[](unsigned part) const {
    return {std::min(n, blocks * part / parts * block), std::min(n, blocks * (part + 1) / parts * block)};
  }
};

// A few rows (a decoder's token): exact 64-bit sums straight from the words, one pass over B with
// no copy of it (for such shapes, converting B and calling BLAS costs more than the products).
// Each step over a row of B is a widening 32 x 32 -> 64-bit multiply-add that vectorises with
// AVX2 or AVX-512 (hence the clones): a decode step streams every weight through here once.
// `a_words` are A's words, wrapped (m x k).
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void direct_columns(const int32_t* a_words, const MatrixRef& b, const MatmulShape& s, Columns cols, double* cd,
                    uint64_t& b_nonzero, SparsityProfile* prof, uint32_t tile_cols) {
  const fx::Format f = fx::format();
  const uint64_t m = s.m, k = s.k, n = s.n, w = cols.width();
  thread_local std::vector<int64_t> sums;
  sums.assign(m * w, 0);
  if (s.transpose_b) {  // each output is a dot product of an A row and a B row
    b_nonzero += transposed_blocks(cols.j0, cols.j1, k, prof, tile_cols, [&](uint64_t j, uint32_t* counts) {
      int64_t dots[kDirectRows];
      const uint64_t nonzero = transposed_row(f, a_words, m, b.base + j * b.stride, k, counts, dots);
      for (uint64_t i = 0; i < m; ++i) sums[i * w + (j - cols.j0)] = dots[i];
      return nonzero;
    });
  } else {
    const uint64_t first_block = cols.j0 / tile_cols;
    for (uint64_t p = 0; p < k; ++p) {
      const int32_t* row = b.base + p * b.stride + cols.j0;
      b_nonzero += count_b_row(f, row, w, tile_cols, prof ? &prof->b_row_nnz[p * prof->col_blocks + first_block] : nullptr);
      for (uint64_t i = 0; i < m; ++i) {
        const int32_t x = a_words[i * k + p];
        if (x == 0) continue;  // a zero activation adds nothing (DynaTran's zeros are common)
        int64_t* acc = &sums[i * w];
        if (use_avx2_kernels()) {
          add_scaled_row_avx2(f, acc, row, w, x);
          continue;
        }
        for (uint64_t j = 0; j < w; ++j) acc[j] += int64_t{x} * f.wrap(row[j]);
      }
    }
  }
  // Below 2^53 (HW_MAX_K bounds the depth): exact as doubles, as the BLAS path's sums are.
  for (uint64_t i = 0; i < m; ++i)
    for (uint64_t j = 0; j < w; ++j) cd[i * n + cols.j0 + j] = static_cast<double>(sums[i * w + j]);
}

// Rows of a non-transposed B that the BLAS path converts and multiplies at a time (the dgemm's
// own depth blocking is of this order): converted, a panel is still in the core's cache when the
// dgemm packs it. Converting the whole B first wrote it to memory and read it back (BERT-Base: 680
// MB of doubles each way) into fresh pages. Each panel's dgemm adds to C, exactly (integer sums).
constexpr uint64_t kBPanelRows = 256;

// The doubles the BLAS path's B takes in `bd`: all of a transposed B, a panel of rows of another.
uint64_t b_doubles_rows(const MatmulShape& s) { return s.transpose_b ? s.k : std::min<uint64_t>(s.k, kBPanelRows); }

// Every other shape: the words as doubles (exact: the sums stay below 2^53), dgemms per part.
// `ad` holds A's words (m x k); this part converts its columns of B into its own slice of `bd`,
// a loop that vectorises per clone (int32 to double).
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void blas_columns(const double* ad, const MatrixRef& b, const MatmulShape& s, Columns cols, double* bd, double* cd,
                  uint64_t& b_nonzero, SparsityProfile* prof, uint32_t tile_cols) {
  const fx::Format f = fx::format();
  const uint64_t m = s.m, k = s.k, n = s.n, w = cols.width();
  double* part_b = bd + b_doubles_rows(s) * cols.j0;  // this part's B: w x k (transposed) or a panel x w, contiguous
  if (s.transpose_b) {  // B's rows as they are (n x k); the dgemm transposes
    b_nonzero += transposed_blocks(cols.j0, cols.j1, k, prof, tile_cols, [&](uint64_t j, uint32_t* counts) {
      const int32_t* row = b.base + j * b.stride;
      double* dst = &bd[j * k];
      uint64_t nonzero = 0;
      for (uint64_t p = 0; p < k; ++p) {
        dst[p] = f.wrap(row[p]);
        counts[p] += f.word_nonzero(row[p]);
        nonzero += f.word_nonzero(row[p]);
      }
      return nonzero;
    });
    // Any order of the exact sums gives the same doubles (every partial sum is an integer below 2^53).
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(w), static_cast<int>(k), 1.0, ad,
                static_cast<int>(k), part_b, static_cast<int>(k), 0.0, cd + cols.j0, static_cast<int>(n));
    return;
  }
  const uint64_t first_block = cols.j0 / tile_cols;
  for (uint64_t p0 = 0; p0 < k; p0 += kBPanelRows) {
    const uint64_t depth = std::min(kBPanelRows, k - p0);
    for (uint64_t p = p0; p < p0 + depth; ++p) {
      const int32_t* row = b.base + p * b.stride + cols.j0;
      double* dst = &part_b[(p - p0) * w];
      for (uint64_t j = 0; j < w; ++j) dst[j] = f.wrap(row[j]);
      b_nonzero += count_b_row(f, row, w, tile_cols, prof ? &prof->b_row_nnz[p * prof->col_blocks + first_block] : nullptr);
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(w), static_cast<int>(depth), 1.0,
                ad + p0, static_cast<int>(k), part_b, static_cast<int>(w), p0 ? 1.0 : 0.0, cd + cols.j0, static_cast<int>(n));
  }
}

// A's words, wrapped, into `out` (as int32 or double), with A's non-zero counts.
template <typename T>
void convert_a(const MatrixRef& a, const MatmulShape& s, T* out, MatmulOutcome& outcome, SparsityProfile* prof, uint32_t tile_rows) {
  const fx::Format f = fx::format();
  const uint64_t k = s.k;
  for (uint64_t i = 0; i < s.m; ++i) {
    const int32_t* row = a.base + i * a.stride;
    T* dst = &out[i * k];
    uint32_t* a_cols = prof ? &prof->a_col_nnz[(i / tile_rows) * k] : nullptr;
    for (uint64_t p = 0; p < k; ++p) {
      dst[p] = static_cast<T>(f.wrap(row[p]));
      outcome.a_nonzero += f.word_nonzero(row[p]);
    }
    if (a_cols)
      for (uint64_t p = 0; p < k; ++p) a_cols[p] += f.word_nonzero(row[p]);
  }
}

// The activation and the non-zero count of a finished output row.
void activate_row(int32_t* row, uint64_t n, const MatmulEpilogue& epi, MatmulOutcome& out) {
  for (uint64_t j = 0; j < n; ++j) {
    if (epi.act == Activation::Gelu) row[j] = epi.scaled ? fx::gelu_at(row[j], epi.out_frac, out.activation_saturated) : fx::gelu(row[j], out.activation_saturated);
    if (epi.act == Activation::Tanh) row[j] = epi.scaled ? fx::tanh_at(row[j], epi.out_frac, out.activation_saturated) : fx::tanh_fx(row[j], out.activation_saturated);
    out.out_nonzero += row[j] != 0;
  }
}

// The per-tensor formats' epilogue: the same steps with the descriptor's shifts.
MatmulOutcome scaled_epilogue(const MatrixRef& c, const MatmulShape& s, const MatmulEpilogue& epi, const double* cd, MatmulOutcome out) {
  const fx::Format f = fx::format();
  for (uint64_t i = 0; i < s.m; ++i) {
    int32_t* row = c.base + i * c.stride;
    for (uint64_t j = 0; j < s.n; ++j) {
      int64_t acc = static_cast<int64_t>(cd[i * s.n + j]);
      if (epi.bias) acc += fx::align_up(f.wrap(epi.bias[j]), epi.bias_shift);
      const int64_t narrowed = fx::round_shift(acc, epi.out_shift);
      int32_t v = f.saturate_counted(narrowed, out.saturated);
      if (epi.prune) {
        const int32_t kept = fx::dynatran_scaled(v, epi.tau, epi.out_frac);
        out.pruned += (v != 0 && kept == 0);
        v = kept;
      }
      row[j] = v;
    }
    if (epi.nm_n) out.nm_pruned += nm::prune_row(row, static_cast<uint32_t>(s.n), epi.nm_n, epi.nm_m);
    activate_row(row, s.n, epi, out);
  }
  return out;
}

// One output row's exact sums narrowed to words: the bias, rounding, saturation and DynaTran,
// with the counts of saturated and pruned outputs. Specialised per option, and counted with & (no
// branch), so that the clones vectorise it (x86-64-v4 converts doubles to 64-bit integers and
// compares them eight at a time); with the options as branches in the loop, GCC left it scalar.
// Inlined into each clone of its caller.
template <bool kBias, bool kPrune>
[[gnu::always_inline]] inline void narrow_row(const fx::Format f, const double* src, const int32_t* bias, int32_t tau, int32_t* row, uint64_t n, MatmulOutcome& out) {
  uint64_t saturated = 0, pruned = 0;
  for (uint64_t j = 0; j < n; ++j) {
    int64_t acc = static_cast<int64_t>(src[j]);
    if (kBias) acc += int64_t{f.wrap(bias[j])} * f.one();
    const int64_t narrowed = fx::round_shift(acc, f.frac_bits());
    int32_t v = f.saturate_counted(narrowed, saturated);
    if (kPrune) {  // fx::dynatran, with its test kept for the count
      const bool drop = (int64_t{v} <= tau) & (int64_t{v} >= -int64_t{tau});
      pruned += drop & (v != 0);
      v = drop ? 0 : v;
    }
    row[j] = v;
  }
  out.saturated += saturated, out.pruned += pruned;
}

// Bias, narrowing with saturation, DynaTran, dynamic N:M, the activation, per output.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
MatmulOutcome epilogue(const MatrixRef& c, const MatmulShape& s, const MatmulEpilogue& epi, const double* cd, MatmulOutcome out) {
  if (epi.scaled) return scaled_epilogue(c, s, epi, cd, out);
  const fx::Format f = fx::format();
  const uint64_t m = s.m, n = s.n;
  for (uint64_t i = 0; i < m; ++i) {
    int32_t* row = c.base + i * c.stride;
    const double* src = &cd[i * n];
    if (epi.bias && epi.prune)
      narrow_row<true, true>(f, src, epi.bias, epi.tau, row, n, out);
    else if (epi.bias)
      narrow_row<true, false>(f, src, epi.bias, epi.tau, row, n, out);
    else if (epi.prune)
      narrow_row<false, true>(f, src, epi.bias, epi.tau, row, n, out);
    else
      narrow_row<false, false>(f, src, epi.bias, epi.tau, row, n, out);
    if (epi.nm_n) out.nm_pruned += nm::prune_row(row, static_cast<uint32_t>(n), epi.nm_n, epi.nm_m);
    activate_row(row, n, epi, out);
  }
  return out;
}

}  // namespace

MatmulOutcome matmul_values(const MatrixRef& a, const MatrixRef& b, const MatrixRef& c, const MatmulShape& s,
                            const MatmulEpilogue& epi, SparsityProfile* profile, uint32_t tile_rows, uint32_t tile_cols,
                            const std::function<void()>& profile_ready) {
  // Grown, never shrunk, never zeroed: every element used is written below.
  thread_local ScratchBuffer<double> a_doubles, b_doubles, c_doubles;
  thread_local ScratchBuffer<int32_t> a_ints;
  const uint64_t m = s.m, k = s.k, n = s.n;
  double* cd = c_doubles.reserve(m * n);
  if (profile) start_profile(profile, s, tile_rows, tile_cols);
  MatmulOutcome out;
  ForkJoin& pool = gemm_pool();
  const ColumnSplit split(s, tile_cols, pool.parts());
  uint64_t b_nonzero[ForkJoin::kMaxParts] = {};
  if (m <= kDirectRows) {
    int32_t* aw = a_ints.reserve(m * k);
    convert_a(a, s, aw, out, profile, tile_rows);
    pool.run(split.parts, [&](unsigned part) { direct_columns(aw, b, s, split[part], cd, b_nonzero[part], profile, tile_cols); });
  } else {
    double* ad = a_doubles.reserve(m * k);
    double* bd = b_doubles.reserve(b_doubles_rows(s) * n);
    convert_a(a, s, ad, out, profile, tile_rows);
    pool.run(split.parts, [&](unsigned part) { blas_columns(ad, b, s, split[part], bd, cd, b_nonzero[part], profile, tile_cols); });
  }
  for (uint64_t count : b_nonzero) out.b_nonzero += count;
  // The epilogue, row by row, in runs of rows that the parts take one at a time, each run with its
  // own counts. The profile is complete: the calling thread first runs the caller's work on it,
  // meanwhile the other parts take the runs.
  const unsigned row_parts = m * n < ColumnSplit::kMinOutputs ? 1u : static_cast<unsigned>(std::min<uint64_t>(pool.parts(), m));
  const unsigned runs = static_cast<unsigned>(std::min<uint64_t>(row_parts * kRowRunsPerPart, m));
  MatmulOutcome run_counts[ForkJoin::kMaxParts * kRowRunsPerPart];
  std::atomic<unsigned> next_run{0};
  pool.run(row_parts, [&](unsigned part) {
    if (part == 0 && profile_ready) profile_ready();
    for (unsigned r; (r = next_run.fetch_add(1, std::memory_order_relaxed)) < runs;) {
      const uint64_t i0 = m * r / runs, i1 = m * (r + 1) / runs;
      const MatmulShape rows{static_cast<uint32_t>(i1 - i0), s.k, s.n, s.transpose_b};
      run_counts[r] = epilogue({c.base + i0 * c.stride, c.stride}, rows, epi, cd + i0 * n, MatmulOutcome{});
    }
  });
  for (unsigned r = 0; r < runs; ++r) out += run_counts[r];
  return out;
}

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
std::vector<uint64_t> effectual_per_kstep(const SparsityProfile& p, uint32_t depth) {
  const uint64_t k = p.k, nt = p.col_blocks, kt = (k + depth - 1) / depth;
  std::vector<uint64_t> eff(uint64_t{p.row_blocks} * kt * nt, 0);
  for (uint64_t rb = 0; rb < p.row_blocks; ++rb) {
    const uint32_t* a = &p.a_col_nnz[rb * k];
    for (uint64_t kb = 0; kb < kt; ++kb) {
      uint64_t* out = &eff[(rb * kt + kb) * nt];
      for (uint64_t q = kb * depth; q < std::min(k, (kb + 1) * depth); ++q) {
        if (a[q] == 0) continue;
        const uint32_t* b = &p.b_row_nnz[q * nt];
        for (uint64_t cb = 0; cb < nt; ++cb) out[cb] += uint64_t{a[q]} * b[cb];
      }
    }
  }
  return eff;
}

SparsityProfile sparsity_profile(const MatrixRef& a, const MatrixRef& b, const MatmulShape& s, uint32_t tile_rows,
                                 uint32_t tile_cols) {
  const fx::Format f = fx::format();
  SparsityProfile p;
  start_profile(&p, s, tile_rows, tile_cols);
  for (uint64_t i = 0; i < s.m; ++i) {
    const int32_t* row = a.base + i * a.stride;
    uint32_t* acc = &p.a_col_nnz[(i / tile_rows) * s.k];
    for (uint64_t q = 0; q < s.k; ++q) acc[q] += f.word_nonzero(row[q]);
  }
  if (s.transpose_b) {
    for (uint64_t j = 0; j < s.n; ++j) {
      const int32_t* row = b.base + j * b.stride;
      const uint64_t cb = j / tile_cols;
      for (uint64_t q = 0; q < s.k; ++q) p.b_row_nnz[q * p.col_blocks + cb] += f.word_nonzero(row[q]);
    }
  } else {
    for (uint64_t q = 0; q < s.k; ++q) count_b_row(f, b.base + q * b.stride, s.n, tile_cols, &p.b_row_nnz[q * p.col_blocks]);
  }
  return p;
}

}  // namespace acc
