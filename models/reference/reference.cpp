#include "reference.hpp"

#include <algorithm>
#include <numeric>

#include "fixed_point.hpp"
#include "fx_math.hpp"

namespace acc::ref {

Tensor matmul(const Tensor& a, const Tensor& b, uint32_t m, uint32_t k, uint32_t n, bool transpose_b, bool prune, int32_t tau,
              const Tensor* bias, Act act) {
  Tensor c(uint64_t{m} * n);
  for (uint64_t i = 0; i < m; ++i)
    for (uint64_t j = 0; j < n; ++j) {
      int64_t acc = bias ? int64_t{(*bias)[j]} * fx::kOne : 0;
      for (uint64_t p = 0; p < k; ++p) {
        const int64_t bv = transpose_b ? b[j * k + p] : b[p * n + j];
        acc += int64_t{a[i * k + p]} * bv;
      }
      int32_t v = fx::narrow_product_sum(acc);
      if (prune) v = fx::dynatran(v, tau);
      if (act == Act::Gelu) v = fx::gelu(v);
      if (act == Act::Tanh) v = fx::tanh_fx(v);
      c[i * n + j] = v;
    }
  return c;
}

Tensor softmax(const Tensor& s, uint32_t rows, uint32_t cols, const SoftmaxParams& p) {
  Tensor out(uint64_t{rows} * cols, 0);
  const uint32_t v = std::min(p.valid_cols, cols);
  for (uint64_t i = 0; i < rows; ++i) {
    const int32_t* row = &s[i * cols];
    int32_t* o = &out[i * cols];
    std::vector<int64_t> x(v);
    for (uint32_t j = 0; j < v; ++j) x[j] = fx::round_shift(int64_t{row[j]} * p.scale, fx::kFracBits);
    if (v == 0) continue;
    const int64_t mx = *std::max_element(x.begin(), x.end());
    std::vector<int64_t> e(v);
    int64_t sum = 0;
    for (uint32_t j = 0; j < v; ++j) sum += e[j] = fx::exp_neg(x[j] - mx);
    const int64_t recip = ((int64_t{1} << 40) + sum / 2) / sum;
    for (uint32_t j = 0; j < v; ++j) o[j] = static_cast<int32_t>((e[j] * recip + (int64_t{1} << 23)) >> 24);
    if (p.topk > 0 && p.topk < v) {
      // Sort a copy; the k-th largest value decides.
      std::vector<uint32_t> idx(v);
      std::iota(idx.begin(), idx.end(), 0u);
      std::stable_sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return o[a] > o[b]; });
      const int32_t kth = o[idx[p.topk - 1]];
      if (p.topk_exact) {
        std::vector<bool> keep(v, false);
        for (uint32_t r = 0; r < p.topk; ++r) keep[idx[r]] = true;  // stable: ties by lowest index
        for (uint32_t j = 0; j < v; ++j)
          if (!keep[j]) o[j] = 0;
      } else {
        for (uint32_t j = 0; j < v; ++j)
          if (!(o[j] > kth)) o[j] = 0;
      }
    }
    if (p.prune)
      for (uint32_t j = 0; j < v; ++j) o[j] = fx::dynatran(o[j], p.tau);
  }
  return out;
}

Tensor layernorm(const Tensor& x, uint32_t rows, uint32_t cols, const Tensor& gamma, const Tensor& beta, uint32_t eps) {
  Tensor y(uint64_t{rows} * cols);
  for (uint64_t i = 0; i < rows; ++i) {
    const int32_t* r = &x[i * cols];
    int64_t sum = 0;
    for (uint32_t j = 0; j < cols; ++j) sum += r[j];
    const int64_t mean = fx::div_round(sum, cols);
    int64_t sq = 0;
    for (uint32_t j = 0; j < cols; ++j) sq += (r[j] - mean) * (r[j] - mean);
    const uint64_t var = static_cast<uint64_t>(fx::div_round(sq, cols)) + eps;
    const uint64_t sd = fx::isqrt(var);  // standard deviation in units of 2^-16
    for (uint32_t j = 0; j < cols; ++j) {
      int64_t norm = 0;
      if (sd > 0) {
        const int64_t inv = static_cast<int64_t>(((uint64_t{1} << 40) + sd / 2) / sd);  // 1/sd in units of 2^-24
        norm = fx::round_shift((r[j] - mean) * inv, 24);
      }
      y[i * cols + j] = fx::saturate(fx::round_shift(norm * gamma[j], fx::kFracBits) + beta[j]);
    }
  }
  return y;
}

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor c(a.size());
  for (size_t i = 0; i < a.size(); ++i) c[i] = fx::saturate(int64_t{a[i]} + b[i]);
  return c;
}

}  // namespace acc::ref
