#include <gtest/gtest.h>

#include <thread>

#include "test_data.hpp"

#include "fixed_point.hpp"
#include "matmul_kernel.hpp"
#include "reference.hpp"

using namespace acc;
using acc::test::lcg;
using acc::test::random_q;


TEST(MatmulKernel, BitExactAgainstTheReferenceForRaggedShapes) {
  // {9, 700, 33}: the BLAS path's B in panels of rows, the last one partial.
  for (auto [m, k, n] : {std::tuple{1u, 1u, 1u}, {17u, 33u, 5u}, {64u, 200u, 48u}, {3u, 1000u, 7u}, {9u, 700u, 33u}}) {
    const auto a = random_q(uint64_t{m} * k, m * 7 + k, fx::one());
    const auto b = random_q(uint64_t{k} * n, n * 13 + k, fx::one());
    std::vector<int32_t> c(uint64_t{m} * n, 0x7777);
    matmul_values({const_cast<int32_t*>(a.data()), k}, {const_cast<int32_t*>(b.data()), n}, {c.data(), n}, {m, k, n, false});
    EXPECT_EQ(c, ref::matmul(a, b, m, k, n)) << m << "x" << k << "x" << n;
  }
}

TEST(MatmulKernel, FullRangeOperandsAtMaximumDepthStayExact) {
  // |a|,|b| up to 2^19 and K = 16384: partial sums up to 2^52, still exact in a double, on the
  // few-rows path (2 rows) and on the BLAS path (8 rows), whose dgemms add B's panels of rows to C.
  for (uint32_t m : {2u, 8u}) {
    const uint32_t k = 16384, n = 3;
    std::vector<int32_t> a(uint64_t{m} * k, fx::min_word()), b(uint64_t{k} * n, fx::min_word());
    for (uint64_t i = 0; i < b.size(); i += 3) b[i] = fx::max_word();
    std::vector<int32_t> c(uint64_t{m} * n);
    const auto out = matmul_values({a.data(), k}, {b.data(), n}, {c.data(), n}, {m, k, n, false});
    EXPECT_EQ(c, ref::matmul(a, b, m, k, n)) << m;
    EXPECT_EQ(out.saturated, uint64_t{m} * n) << m;
  }
}

TEST(MatmulKernel, TransposedBAndStridesMatchTheReference) {
  const uint32_t m = 20, k = 40, n = 24, lda = 50, ldb = 45, ldc = 30;
  auto a = random_q(uint64_t{m} * lda, 1, fx::one() / 2);
  auto bt = random_q(uint64_t{n} * ldb, 2, fx::one() / 2);
  std::vector<int32_t> c(uint64_t{m} * ldc, 0);
  matmul_values({a.data(), lda}, {bt.data(), ldb}, {c.data(), ldc}, {m, k, n, true});
  std::vector<int32_t> ad(uint64_t{m} * k), bd(uint64_t{n} * k);
  for (uint32_t i = 0; i < m; ++i)
    for (uint32_t p = 0; p < k; ++p) ad[i * k + p] = a[i * lda + p];
  for (uint32_t j = 0; j < n; ++j)
    for (uint32_t p = 0; p < k; ++p) bd[j * k + p] = bt[j * ldb + p];
  const auto r = ref::matmul(ad, bd, m, k, n, true);
  for (uint32_t i = 0; i < m; ++i)
    for (uint32_t j = 0; j < n; ++j) ASSERT_EQ(c[i * ldc + j], r[i * n + j]) << i << "," << j;
}

TEST(MatmulKernel, DynatranAtTheOutputMatchesTheReferenceAndCounts) {
  const uint32_t m = 32, k = 64, n = 32;
  const auto a = random_q(uint64_t{m} * k, 5, fx::one() / 4), b = random_q(uint64_t{k} * n, 6, fx::one() / 4);
  std::vector<int32_t> c(uint64_t{m} * n), dense(uint64_t{m} * n);
  const int32_t tau = fx::from_double(0.05);
  const auto out = matmul_values({const_cast<int32_t*>(a.data()), k}, {const_cast<int32_t*>(b.data()), n}, {c.data(), n},
                                 {m, k, n, false}, {nullptr, true, tau});
  EXPECT_EQ(c, ref::matmul(a, b, m, k, n, false, true, tau));
  matmul_values({const_cast<int32_t*>(a.data()), k}, {const_cast<int32_t*>(b.data()), n}, {dense.data(), n}, {m, k, n, false});
  uint64_t pruned = 0, nonzero = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    pruned += dense[i] != 0 && c[i] == 0;
    nonzero += c[i] != 0;
  }
  EXPECT_GT(pruned, 0u);
  EXPECT_EQ(out.pruned, pruned);
  EXPECT_EQ(out.out_nonzero, nonzero);
}

TEST(MatmulKernel, SparsityProfileGivesTheEffectualPairs) {
  const uint32_t m = 40, k = 50, n = 35, R = 16, C = 16;
  auto a = random_q(uint64_t{m} * k, 8, 1000, 0.4), b = random_q(uint64_t{k} * n, 9, 1000, 0.3);
  const auto p = sparsity_profile({a.data(), k}, {b.data(), n}, {m, k, n, false}, R, C);
  ASSERT_EQ(p.row_blocks, 3u);
  ASSERT_EQ(p.col_blocks, 3u);
  // Effectual multiplies of every (row block, col block, p) counted directly.
  uint64_t total = 0, direct = 0;
  for (uint32_t rb = 0; rb < p.row_blocks; ++rb)
    for (uint32_t cb = 0; cb < p.col_blocks; ++cb)
      for (uint32_t q = 0; q < k; ++q) {
        total += uint64_t{p.a_col_nnz[rb * k + q]} * p.b_row_nnz[q * p.col_blocks + cb];
        for (uint32_t i = rb * R; i < std::min(m, rb * R + R); ++i)
          for (uint32_t j = cb * C; j < std::min(n, cb * C + C); ++j) direct += a[i * k + q] != 0 && b[q * n + j] != 0;
      }
  EXPECT_EQ(total, direct);
  // Effectual MACs (docs/pruning.md): sum over p of nnz(X[:,p]) * nnz(W[p,:]).
  uint64_t formula = 0;
  for (uint32_t q = 0; q < k; ++q) {
    uint64_t col = 0, row = 0;
    for (uint32_t i = 0; i < m; ++i) col += a[i * k + q] != 0;
    for (uint32_t j = 0; j < n; ++j) row += b[q * n + j] != 0;
    formula += col * row;
  }
  EXPECT_EQ(total, formula);
}

TEST(MatmulKernel, FewRowsTakeTheDirectPathWithTheSameResultsAndCounts) {
  // Up to 4 rows (a decoder's token) are summed in 64-bit integers without BLAS: the same outputs
  // and the same operand counts as the reference and as a fifth row run through BLAS.
  const uint32_t k = 300, n = 37;
  for (bool transpose : {false, true}) {
    const auto a5 = random_q(uint64_t{5} * k, 3, 8 * fx::one() - 1, 0.3);
    const auto b = random_q(uint64_t{k} * n, 4, 8 * fx::one() - 1, 0.2);
    for (uint32_t m : {1u, 2u, 4u, 5u}) {
      const std::vector<int32_t> a(a5.begin(), a5.begin() + uint64_t{m} * k);
      std::vector<int32_t> c(uint64_t{m} * n, 0x7777);
      const auto out = matmul_values({const_cast<int32_t*>(a.data()), k}, {const_cast<int32_t*>(b.data()), transpose ? k : n},
                                     {c.data(), n}, {m, k, n, transpose});
      EXPECT_EQ(c, ref::matmul(a, b, m, k, n, transpose)) << m << " " << transpose;
      uint64_t a_nz = 0, b_nz = 0;
      for (int32_t v : a) a_nz += v != 0;
      for (int32_t v : b) b_nz += v != 0;
      EXPECT_EQ(out.a_nonzero, a_nz);
      EXPECT_EQ(out.b_nonzero, b_nz);
    }
  }
}

TEST(MatmulKernel, TheProfileCountedWithTheValuesIsTheStandaloneProfile) {
  // The PE cluster takes the sparsity profile from the pass that computes the values: it must be
  // sparsity_profile's, on both paths (few rows and BLAS), with B as rows or transposed, and with
  // partial tiles at the edges.
  const uint32_t k = 70, n = 45, R = 16, C = 8;
  for (bool transpose : {false, true})
    for (uint32_t m : {1u, 3u, 4u, 5u, 40u}) {
      const auto a = random_q(uint64_t{m} * k, 11 + m, 1000, 0.4), b = random_q(uint64_t{k} * n, 12, 1000, 0.3);
      const MatmulShape shape{m, k, n, transpose};
      std::vector<int32_t> c(uint64_t{m} * n);
      SparsityProfile fused;
      matmul_values({const_cast<int32_t*>(a.data()), k}, {const_cast<int32_t*>(b.data()), transpose ? k : n}, {c.data(), n}, shape, {},
                    &fused, R, C);
      const auto alone = sparsity_profile({const_cast<int32_t*>(a.data()), k}, {const_cast<int32_t*>(b.data()), transpose ? k : n}, shape, R, C);
      EXPECT_EQ(fused.row_blocks, alone.row_blocks) << m << " " << transpose;
      EXPECT_EQ(fused.col_blocks, alone.col_blocks) << m << " " << transpose;
      EXPECT_EQ(fused.k, alone.k);
      EXPECT_EQ(fused.a_col_nnz, alone.a_col_nnz) << m << " " << transpose;
      EXPECT_EQ(fused.b_row_nnz, alone.b_row_nnz) << m << " " << transpose;
    }
}

TEST(MatmulKernel, AGemmSplitOverTheHostsCoresIsItsRowsComputedApart) {
  // A large GEMM is split over the host's cores (ForkJoin::shared(): columns for the sums, runs of
  // rows for the epilogue, beside the caller's work on the profile); slices of a few rows are too
  // small to split. Both must give the reference's
  // words, the same counts (saturation, DynaTran, N:M, activation) and the standalone profile.
  const uint32_t R = 16, C = 16;
  for (bool transpose : {false, true})
    for (auto [m, k, n] : {std::tuple{256u, 64u, 320u}, {3u, 1024u, 1024u}}) {
      const auto a = random_q(uint64_t{m} * k, 21 + m, 8 * fx::one() - 1, 0.3);
      const auto b = random_q(uint64_t{k} * n, 22 + k, fx::one() / 4, 0.2);
      const auto bias = random_q(n, 23, fx::one());
      MatmulEpilogue epi{bias.data(), true, fx::from_double(0.05), 2, 4, Activation::Gelu};
      const MatrixRef bm{const_cast<int32_t*>(b.data()), transpose ? k : n};
      std::vector<int32_t> whole(uint64_t{m} * n), sliced(uint64_t{m} * n);
      SparsityProfile fused, seen;
      unsigned calls = 0;  // profile_ready: once, on this thread, with the profile complete
      const std::thread::id caller = std::this_thread::get_id();
      const MatmulOutcome big = matmul_values({const_cast<int32_t*>(a.data()), k}, bm, {whole.data(), n}, {m, k, n, transpose}, epi, &fused,
                                              R, C, [&] {
                                                ++calls, seen = fused;
                                                EXPECT_EQ(std::this_thread::get_id(), caller);
                                              });
      MatmulOutcome rows;
      uint64_t slices = 0;
      const uint32_t slice = m > 4 ? 4 : 1;
      for (uint32_t i0 = 0; i0 < m; i0 += slice, ++slices) {
        const uint32_t h = std::min(slice, m - i0);
        rows += matmul_values({const_cast<int32_t*>(a.data()) + uint64_t{i0} * k, k}, bm, {sliced.data() + uint64_t{i0} * n, n},
                              {h, k, n, transpose}, epi);
      }
      const std::string shape = std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n) + (transpose ? " B^T" : "");
      EXPECT_EQ(whole, ref::matmul(a, b, m, k, n, transpose, true, epi.tau, &bias, ref::Act::Gelu, 2, 4)) << shape;
      EXPECT_EQ(whole, sliced) << shape;
      EXPECT_EQ(big.saturated, rows.saturated) << shape;
      EXPECT_GT(big.saturated, 0u) << shape;
      EXPECT_EQ(big.activation_saturated, rows.activation_saturated) << shape;
      EXPECT_EQ(big.pruned, rows.pruned) << shape;
      EXPECT_EQ(big.nm_pruned, rows.nm_pruned) << shape;
      EXPECT_GT(big.nm_pruned, 0u) << shape;
      EXPECT_EQ(big.out_nonzero, rows.out_nonzero) << shape;
      EXPECT_EQ(big.a_nonzero, rows.a_nonzero) << shape;
      EXPECT_EQ(big.b_nonzero * slices, rows.b_nonzero) << shape;  // every slice reads all of B
      const auto alone = sparsity_profile({const_cast<int32_t*>(a.data()), k}, bm, {m, k, n, transpose}, R, C);
      EXPECT_EQ(fused.a_col_nnz, alone.a_col_nnz) << shape;
      EXPECT_EQ(fused.b_row_nnz, alone.b_row_nnz) << shape;
      EXPECT_EQ(calls, 1u) << shape;
      EXPECT_EQ(seen.a_col_nnz, alone.a_col_nnz) << shape;
      EXPECT_EQ(seen.b_row_nnz, alone.b_row_nnz) << shape;
    }
}

TEST(MatmulKernel, EffectualMultipliesPerKStepSumTheProfilesProducts) {
  // The timing's table against the sum it stands for, with a partial last k-step and zero columns.
  const uint32_t m = 40, k = 70, n = 45, R = 16, C = 8, D = 16;
  const auto a = random_q(uint64_t{m} * k, 41, 1000, 0.5), b = random_q(uint64_t{k} * n, 42, 1000, 0.3);
  const auto p = sparsity_profile({const_cast<int32_t*>(a.data()), k}, {const_cast<int32_t*>(b.data()), n}, {m, k, n, false}, R, C);
  const auto table = effectual_per_kstep(p, D);
  const uint32_t kt = (k + D - 1) / D;
  ASSERT_EQ(table.size(), uint64_t{p.row_blocks} * kt * p.col_blocks);
  uint64_t total = 0;
  for (uint32_t rb = 0; rb < p.row_blocks; ++rb)
    for (uint32_t kb = 0; kb < kt; ++kb)
      for (uint32_t cb = 0; cb < p.col_blocks; ++cb) {
        uint64_t direct = 0;  // non-zero pairs of the tile's rows and columns within the k-step
        for (uint32_t q = kb * D; q < std::min(k, kb * D + D); ++q)
          for (uint32_t i = rb * R; i < std::min(m, rb * R + R); ++i)
            for (uint32_t j = cb * C; j < std::min(n, cb * C + C); ++j) direct += a[i * k + q] != 0 && b[q * n + j] != 0;
        EXPECT_EQ(table[(uint64_t{rb} * kt + kb) * p.col_blocks + cb], direct) << rb << " " << kb << " " << cb;
        total += direct;
      }
  EXPECT_GT(total, 0u);
}
