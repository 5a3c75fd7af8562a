#include <gtest/gtest.h>

#include <cblas.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "blas_kernels.hpp"
#include "fixed_point.hpp"
#include "matmul_kernel.hpp"
#include "reference.hpp"
#include "test_data.hpp"

using namespace acc;

namespace {
bool avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}
}  // namespace

TEST(BlasKernels, AUsersCoretypeIsKept) {
  setenv("OPENBLAS_CORETYPE", "Haswell", 1);
  const std::string before = blas_kernels();
  EXPECT_EQ(choose_blas_kernels(), before);
}

TEST(BlasKernels, AvxTwoKernelsOnAnAvx512CpuBecomeSkylakeXAndStayExact) {
  unsetenv("OPENBLAS_CORETYPE");
  const std::string before = blas_kernels();
  const std::string chosen = choose_blas_kernels();
  EXPECT_EQ(chosen, blas_kernels());
  if ((before == "Haswell" || before == "Zen") && avx512())
    EXPECT_EQ(chosen, "SkylakeX");
  else
    EXPECT_EQ(chosen, before);
  EXPECT_EQ(std::getenv("OPENBLAS_CORETYPE"), nullptr);  // not passed on to child processes
  // The GEMMs after the switch: full-range words, the reference's outputs.
  const uint32_t m = 40, k = 500, n = 60;
  const auto a = test::random_q(uint64_t{m} * k, 31, 8 * fx::one() - 1), b = test::random_q(uint64_t{k} * n, 32, 8 * fx::one() - 1);
  std::vector<int32_t> c(uint64_t{m} * n);
  matmul_values({const_cast<int32_t*>(a.data()), k}, {const_cast<int32_t*>(b.data()), n}, {c.data(), n}, {m, k, n, false});
  EXPECT_EQ(c, ref::matmul(a, b, m, k, n));
}

TEST(BlasKernels, DgemmOnTwoThreadsAtOnceGivesExactSums) {
  // The PE cluster's GEMM parts call dgemm on the pool's threads at once (gemm_pool): the OpenBLAS
  // linked must give every call its exact sums then too. Integer-valued operands: the sums are exact.
  const int m = 128, k = 768, n = 384;
  auto operand = [](int rows, int cols, int seed) {
    std::vector<double> v(size_t(rows) * cols);
    for (size_t i = 0; i < v.size(); ++i) v[i] = double(int((i * 2654435761u + seed) % 2001) - 1000);
    return v;
  };
  const std::vector<double> a = operand(m, k, 1), b = operand(k, n, 2);
  std::vector<double> want(size_t(m) * n, 0.0);
  for (int i = 0; i < m; ++i)
    for (int p = 0; p < k; ++p)
      for (int j = 0; j < n; ++j) want[size_t(i) * n + j] += a[size_t(i) * k + p] * b[size_t(p) * n + j];
  std::atomic<int> wrong{0}, arrived{0};
  auto work = [&] {
    std::vector<double> c(size_t(m) * n);
    for (int round = 0; round < 8; ++round) {
      // Both calls start together, as the pool's parts do.
      for (arrived++; arrived.load() < 2 * (round + 1);) {
      }
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, a.data(), k, b.data(), n, 0.0, c.data(), n);
      wrong += c != want;
    }
  };
  std::thread other(work);
  work();
  other.join();
  EXPECT_EQ(wrong.load(), 0);
}
