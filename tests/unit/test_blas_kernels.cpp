#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

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
