#include "fx_math.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "fixed_point.hpp"

namespace acc::fx {

// ------------------------------------------------------------------------------------------
// Deterministic reference functions: Taylor series with basic operations only.

double series_exp_neg(double y) {
  // e^-y = (e^-1)^n * e^-r with n = floor(y), r in [0, 1).
  auto taylor = [](double r) {  // e^-r for r in [0, 1]
    double term = 1.0, sum = 1.0;
    for (int k = 1; k < 30; ++k) {
      term *= -r / k;
      sum += term;
    }
    return sum;
  };
  const double e1 = taylor(1.0);
  const int n = static_cast<int>(y);
  double v = taylor(y - n);
  for (int i = 0; i < n; ++i) v *= e1;
  return v;
}

double series_erf(double x) {
  // erf(x) = 2/sqrt(pi) * e^-x^2 * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)): all terms positive.
  const double a = x < 0 ? -x : x;
  const double two_over_sqrt_pi = 1.1283791670955126;
  double term = a, sum = a;
  for (int n = 1; n < 400 && term > 1e-18 * sum; ++n) {
    term *= 2.0 * a * a / (2.0 * n + 1.0);
    sum += term;
  }
  const double v = two_over_sqrt_pi * series_exp_neg(a * a) * sum;
  const double clipped = v > 1.0 ? 1.0 : v;
  return x < 0 ? -clipped : clipped;
}

double series_tanh(double x) {
  const double a = x < 0 ? -x : x;
  const double e = series_exp_neg(2.0 * a);
  const double v = (1.0 - e) / (1.0 + e);
  return x < 0 ? -v : v;
}

// ------------------------------------------------------------------------------------------
// Tables: entry i is f(x0 + i / 256) in Q0.16 / Q4.16, for i = 0 .. 4096.

namespace {

constexpr int kEntries = 4097;  // 16 units of 1/256, plus the end point
using Table = std::array<int32_t, kEntries>;

int32_t to_q16(double v) { return static_cast<int32_t>(std::floor(v * 65536.0 + 0.5)); }

const Table& exp_table() {  // e^-(i/256), i/256 in [0, 16]
  static const Table t = [] {
    Table r{};
    for (int i = 0; i < kEntries; ++i) r[i] = to_q16(series_exp_neg(i / 256.0));
    return r;
  }();
  return t;
}

const Table& gelu_table() {  // gelu(-8 + i/256)
  static const Table t = [] {
    Table r{};
    const double inv_sqrt2 = 0.7071067811865476;
    for (int i = 0; i < kEntries; ++i) {
      const double x = -8.0 + i / 256.0;
      r[i] = to_q16(0.5 * x * (1.0 + series_erf(x * inv_sqrt2)));
    }
    return r;
  }();
  return t;
}

const Table& tanh_table() {  // tanh(-8 + i/256)
  static const Table t = [] {
    Table r{};
    for (int i = 0; i < kEntries; ++i) r[i] = to_q16(series_tanh(-8.0 + i / 256.0));
    return r;
  }();
  return t;
}

// Linear interpolation between entries i and i+1 at fraction f / 2^fbits.
int32_t lerp(const Table& t, uint32_t i, uint32_t f, int fbits) {
  const int64_t a = t[i], b = t[i + 1];
  return fbits == 0 ? static_cast<int32_t>(a) : static_cast<int32_t>(a + (((b - a) * static_cast<int64_t>(f) + (int64_t{1} << (fbits - 1))) >> fbits));
}

// A table value at u / 2^n past the table's start (u >= 0, n = the format's fraction bits): the
// entry u / 2^(n-8) and the rest as the interpolation fraction (none when n < 8).
int32_t lookup(const Table& t, uint64_t u, int n) {
  if (n < 8) return lerp(t, static_cast<uint32_t>(u << (8 - n)), 0, 0);
  return lerp(t, static_cast<uint32_t>(u >> (n - 8)), static_cast<uint32_t>(u & ((uint64_t{1} << (n - 8)) - 1)), n - 8);
}

// A Q.16 table value in the format's n fraction bits (exact when n >= 16, rounded when fewer).
int64_t from_q16(int64_t v, int n) { return n >= 16 ? v * (int64_t{1} << (n - 16)) : round_shift(v, 16 - n); }

// x over [-8, 8) through the table, f(x) outside it from `below` and `above` (formats with more
// than 4 integer bits). The result is saturated and `clipped` counts it (GELU and tanh stay in
// range: the interpolation towards f(8) ends at the largest word).
template <class Below, class Above>
int32_t over_signed_domain(const Table& t, int32_t x, int n, uint64_t& clipped, Below below, Above above) {
  const int64_t eight = int64_t{8} << n;
  if (x >= eight) return saturate_counted(above(x), clipped);
  if (x < -eight) return saturate_counted(below(x), clipped);
  return saturate_counted(from_q16(lookup(t, static_cast<uint64_t>(x + eight), n), n), clipped);
}

// Q4.16 (and Q3.16, Q2.16): the tables' own grid, the common case kept short.
int32_t over_q16_domain(const Table& t, int32_t x, uint64_t& clipped) {
  const int32_t in_domain = x < -(1 << 19) ? -(1 << 19) : (x > (1 << 19) - 1 ? (1 << 19) - 1 : x);
  const uint32_t u = static_cast<uint32_t>(in_domain + (1 << 19));  // 0 .. 2^20 - 1
  return saturate_counted(lerp(t, u >> 8, u & 0xFF, 8), clipped);
}

}  // namespace

int32_t exp_neg(int64_t d) { return exp_neg_at(d, frac_bits()); }

int32_t exp_neg_at(int64_t d, int n) {
  if (d >= 0) return 65536;
  if (d <= -(int64_t{16} << n)) return 0;  // before the negation: -INT64_MIN overflows
  const int64_t y = -d;
  if (n == 16) return lerp(exp_table(), static_cast<uint32_t>(y >> 8), static_cast<uint32_t>(y & 0xFF), 8);
  return lookup(exp_table(), static_cast<uint64_t>(y), n);
}

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
int64_t exp_neg_row_at(const int64_t* x, int64_t max, int64_t masked, int32_t* __restrict out, uint64_t count, int n) {
  int64_t sum = 0;
  if (n != 16) {
    for (uint64_t j = 0; j < count; ++j) sum += out[j] = x[j] == masked ? 0 : exp_neg_at(x[j] - max, n);
    return sum;
  }
  // exp_neg_at's Q.16 case in two loops without branches, each of which vectorises (GCC 12 gathers
  // 32-bit table entries by 32-bit indices only): first y = max - x[j] >= 0 into `out`, kEnd where
  // the result is 0 (masked, or beyond the table); then the table, whose first entry is e^0 = 65536
  // exactly. The interpolation fits 32 bits: adjacent entries differ by at most 256.
  constexpr int32_t kEnd = 16 << 16;
  for (uint64_t j = 0; j < count; ++j) {
    const int64_t y = x[j] == masked ? kEnd : max - x[j];
    out[j] = static_cast<int32_t>(y < kEnd ? y : kEnd);
  }
  const int32_t* __restrict t = exp_table().data();
  for (uint64_t j = 0; j < count; ++j) {
    const int32_t y = out[j], in_table = y < kEnd ? y : kEnd - 1;
    const int32_t a = t[in_table >> 8], b = t[(in_table >> 8) + 1];
    out[j] = y == kEnd ? 0 : a + (((b - a) * (in_table & 0xFF) + 128) >> 8);
    sum += out[j];
  }
  return sum;
}

// Beyond the tables: GELU(x) = x above 8 and 0 below -8, tanh = +-1 (both within 1e-6 of the
// function, below half an LSB of every format's 18 fraction bits at most).
int32_t gelu(int32_t x, uint64_t& clipped) {
  if (frac_bits() == 16) return over_q16_domain(gelu_table(), x, clipped);
  return gelu_at(x, frac_bits(), clipped);
}
int32_t gelu_at(int32_t x, int n, uint64_t& clipped) {
  return over_signed_domain(gelu_table(), x, n, clipped, [](int32_t) { return int64_t{0}; }, [](int32_t v) { return int64_t{v}; });
}
int32_t tanh_fx(int32_t x, uint64_t& clipped) {
  if (frac_bits() == 16) return over_q16_domain(tanh_table(), x, clipped);
  return tanh_at(x, frac_bits(), clipped);
}
int32_t tanh_at(int32_t x, int n, uint64_t& clipped) {
  const int64_t unit = int64_t{1} << n;
  return over_signed_domain(tanh_table(), x, n, clipped, [unit](int32_t) { return -unit; }, [unit](int32_t) { return unit; });
}
int32_t gelu(int32_t x) {
  uint64_t ignored = 0;
  return gelu(x, ignored);
}
int32_t tanh_fx(int32_t x) {
  uint64_t ignored = 0;
  return tanh_fx(x, ignored);
}

uint64_t isqrt(uint64_t v) {
  // The root is below 2^32: capping the estimate keeps r * r and (r + 1) * (r + 1) from wrapping.
  constexpr uint64_t kRootMax = 0xFFFFFFFFull;
  uint64_t r = std::min<uint64_t>(kRootMax, static_cast<uint64_t>(std::sqrt(static_cast<double>(v))));
  while (r > 0 && r * r > v) --r;
  while (r < kRootMax && (r + 1) * (r + 1) <= v) ++r;
  return r;
}

int64_t div_round(__int128 a, int64_t b) {
  const __int128 n = 2 * a + b, d = 2 * static_cast<__int128>(b);
  __int128 q = n / d;
  if ((n % d != 0) && (n < 0)) --q;  // floor for negative numerators
  if (q > INT64_MAX) return INT64_MAX;
  if (q < INT64_MIN) return INT64_MIN;
  return static_cast<int64_t>(q);
}

}  // namespace acc::fx
