// The inner loop of the row-at-a-time reference GEMMs (the integer reference's exact sums in double
// and the double-precision BERT's `linear`): one row of C accumulated row by row of B.
#pragma once

#include <cstdint>

namespace acc {

// sums[j] += x(p) * bk[p * n + j] for every p < k and j < n: B as rows of k x n, each output's
// additions in order of p, so that the compiler vectorises across j without reordering any
// output's chain. Four rows of B per pass over the sums: a quarter of their loads and stores.
template <class X>
void add_row_products(double* sums, X x, const double* bk, uint64_t k, uint64_t n) {
  uint64_t p = 0;
  for (; p + 4 <= k; p += 4) {
    const double x0 = x(p), x1 = x(p + 1), x2 = x(p + 2), x3 = x(p + 3);
    const double *y0 = &bk[p * n], *y1 = y0 + n, *y2 = y1 + n, *y3 = y2 + n;
    for (uint64_t j = 0; j < n; ++j) {
      double s = sums[j];
      s += x0 * y0[j];
      s += x1 * y1[j];
      s += x2 * y2[j];
      s += x3 * y3[j];
      sums[j] = s;
    }
  }
  for (; p < k; ++p) {
    const double xp = x(p);
    const double* y = &bk[p * n];
    for (uint64_t j = 0; j < n; ++j) sums[j] += xp * y[j];
  }
}

}  // namespace acc
