#include "float_ops.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "fixed_point.hpp"
#include "row_products.hpp"

namespace acc::bert::float_ops {

Vec to_real(const Tensor& t) {
  Vec v(t.size());
  for (size_t i = 0; i < t.size(); ++i) v[i] = fx::to_double(t[i]);
  return v;
}

// A weight tensor's real values: the file's values before rounding when the loader kept them
// (`original` not null), else its Q4.16 words (synthetic weights are defined in Q4.16).
Vec real(const Tensor& q, const std::vector<float>* original) {
  return original ? Vec(original->begin(), original->end()) : to_real(q);
}

double prune(double x, bool on, double tau) { return on && std::fabs(x) <= tau ? 0.0 : x; }

// Dynamic N:M on real values: per row, in every M consecutive columns keep the N largest |x|.
void nm_rows(Vec& x, uint64_t rows, uint64_t cols, unsigned N, unsigned M) {
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t g0 = 0; g0 < cols; g0 += M) {
      const uint64_t size = std::min<uint64_t>(M, cols - g0);
      std::vector<uint64_t> idx(size);
      std::iota(idx.begin(), idx.end(), 0);
      std::stable_sort(idx.begin(), idx.end(), [&](uint64_t a, uint64_t b) { return std::fabs(x[r * cols + g0 + a]) > std::fabs(x[r * cols + g0 + b]); });
      for (uint64_t i = N; i < size; ++i) x[r * cols + g0 + idx[i]] = 0;
    }
}

// act(N:M(prune(a . b + bias))); b given n x k if transpose.
Vec linear(const Vec& a, const Vec& b, uint64_t m, uint64_t k, uint64_t n, bool transpose, const Vec* bias, bool pr, double tau,
           int act, unsigned nm_n, unsigned nm_m) {
  Vec c(m * n);
  // B as rows of k x n (transposed if given n x k). Each output is its bias plus x[p] * b[p][j] in
  // order of p, one rounding per operation; a row of outputs is summed at once, across j, so that
  // the compiler vectorises the additions without reordering any output's chain.
  Vec rows;
  if (transpose) {
    rows.resize(n * k);
    for (uint64_t j = 0; j < n; ++j)
      for (uint64_t p = 0; p < k; ++p) rows[p * n + j] = b[j * k + p];
  }
  const Vec& bk = transpose ? rows : b;
  Vec sums(n);
  for (uint64_t i = 0; i < m; ++i) {
    const double* x = &a[i * k];
    for (uint64_t j = 0; j < n; ++j) sums[j] = bias ? (*bias)[j] : 0.0;
    add_row_products(sums.data(), [x](uint64_t p) { return x[p]; }, bk.data(), k, n);
    for (uint64_t j = 0; j < n; ++j) c[i * n + j] = prune(sums[j], pr, tau);
  }
  if (nm_n) nm_rows(c, m, n, nm_n, nm_m);
  for (auto& s : c) {
    if (act == 1) s = 0.5 * s * (1.0 + std::erf(s / std::sqrt(2.0)));
    if (act == 2) s = std::tanh(s);
  }
  return c;
}

Vec layernorm(const Vec& x, uint64_t rows, uint64_t cols, const Vec& g, const Vec& b, double eps) {
  Vec y(x.size());
  for (uint64_t r = 0; r < rows; ++r) {
    const double* v = &x[r * cols];
    double mean = 0, var = 0;
    for (uint64_t c = 0; c < cols; ++c) mean += v[c];
    mean /= double(cols);
    for (uint64_t c = 0; c < cols; ++c) var += (v[c] - mean) * (v[c] - mean);
    var /= double(cols);
    const double inv = 1.0 / std::sqrt(var + eps);
    for (uint64_t c = 0; c < cols; ++c) y[r * cols + c] = (v[c] - mean) * inv * g[c] + b[c];
  }
  return y;
}

// N:M on the columns of a k x n matrix of real values (the rule of ref::nm_weights): per column, in
// every M consecutive rows keep the N largest |w|, ties to the lower index.
Vec nm_columns(const Vec& w, uint64_t k, uint64_t n, unsigned N, unsigned M) {
  Vec t(w.size());
  for (uint64_t r = 0; r < k; ++r)
    for (uint64_t c = 0; c < n; ++c) t[c * k + r] = w[r * n + c];
  nm_rows(t, n, k, N, M);
  Vec out(w.size());
  for (uint64_t r = 0; r < k; ++r)
    for (uint64_t c = 0; c < n; ++c) out[r * n + c] = t[c * k + r];
  return out;
}

void softmax_row(double* row, uint64_t n, uint64_t valid, double divisor, uint32_t topk, bool topk_exact, bool pr, double tau) {
  double mx = -INFINITY, sum = 0;
  for (uint64_t j = 0; j < valid; ++j) mx = std::max(mx, row[j] / divisor);
  for (uint64_t j = 0; j < n; ++j) {
    row[j] = j < valid ? std::exp(row[j] / divisor - mx) : 0.0;
    sum += row[j];
  }
  for (uint64_t j = 0; j < n; ++j) row[j] /= sum;
  if (topk > 0 && topk < valid) {
    std::vector<uint64_t> idx(valid);
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](uint64_t a, uint64_t b) { return row[a] > row[b]; });
    const double kth = row[idx[topk - 1]];
    std::vector<bool> keep(valid, false);
    for (uint64_t j = 0; j < valid; ++j) keep[j] = row[j] > kth;
    if (topk_exact)
      for (uint64_t r = 0; r < topk; ++r) keep[idx[r]] = true;
    for (uint64_t j = 0; j < valid; ++j)
      if (!keep[j]) row[j] = 0;
  }
  for (uint64_t j = 0; j < n; ++j) row[j] = prune(row[j], pr, tau);
}

}  // namespace acc::bert::float_ops
