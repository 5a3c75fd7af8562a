#include "reference.hpp"

#include "fixed_point.hpp"

namespace acc::ref {

Tensor matmul(const Tensor& a, const Tensor& b, uint32_t m, uint32_t k, uint32_t n, bool transpose_b, bool prune, int32_t tau) {
  Tensor c(uint64_t{m} * n);
  for (uint64_t i = 0; i < m; ++i)
    for (uint64_t j = 0; j < n; ++j) {
      int64_t acc = 0;
      for (uint64_t p = 0; p < k; ++p) {
        const int64_t bv = transpose_b ? b[j * k + p] : b[p * n + j];
        acc += int64_t{a[i * k + p]} * bv;
      }
      int32_t v = fx::narrow_product_sum(acc);
      if (prune) v = fx::dynatran(v, tau);
      c[i * n + j] = v;
    }
  return c;
}

}  // namespace acc::ref
