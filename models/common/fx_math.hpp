// Non-linear scalar primitives of the datapath, shared by the PE models and the reference model
// (the only code they share, with fixed_point.hpp), in the active number format (fx::format()).
// Every function is integer arithmetic on tables; the tables are computed once from series that use
// only IEEE basic operations (no libm), so every host builds the same tables and every run gives the
// same bits.
//
//   exp_neg(d)   e^d for d <= 0, the format in (any int64), Q0.16 out in [0, 65536]; 0 below -16
//   gelu(x)      x * Phi(x) (the erf form BERT uses), the format in and out
//   tanh_fx(x)   tanh(x), the format in and out
// Tables hold the function every 1/256 on [-8, 8] (exp: [0, 16]) in Q.16; values in between are
// interpolated linearly with all the input's fraction bits (error below half an LSB of Q4.16 for
// all three). The units keep 16 fraction bits inside whatever the format: a format with fewer
// rounds their results to its own, one with more (up to 18) gets Q.16 results shifted.
#pragma once

#include <cstdint>

namespace acc::fx {

int32_t exp_neg(int64_t d);
int32_t gelu(int32_t x);
int32_t tanh_fx(int32_t x);
// The same, adding 1 to `clipped` when the result saturated to the format's range.
int32_t gelu(int32_t x, uint64_t& clipped);
int32_t tanh_fx(int32_t x, uint64_t& clipped);

// The same at an explicit number of fraction bits n (0..30) of the input (exp: of d) and of the
// result (exp: Q0.16 as above), for the per-tensor-scaled formats, where each tensor has its own.
int32_t exp_neg_at(int64_t d, int n);
int32_t gelu_at(int32_t x, int n, uint64_t& clipped);
int32_t tanh_at(int32_t x, int n, uint64_t& clipped);

// out[j] = exp_neg_at(x[j] - max, n) for j < count, and 0 where x[j] is `masked`; returns the sum
// of out. Every x[j] that is not masked is at most max. A softmax row's exponentials, vectorised
// (table lookups as gathers) at n = 16.
int64_t exp_neg_row_at(const int64_t* x, int64_t max, int64_t masked, int32_t* out, uint64_t count, int n);

// floor(sqrt(v)), for every v.
uint64_t isqrt(uint64_t v);

// Rounded integer division, ties toward +infinity: floor((2a + b) / 2b), b > 0. The numerator is
// 128 bits wide (a layer norm's sum of squares can exceed 2^63); a quotient beyond the int64
// range saturates.
int64_t div_round(__int128 a, int64_t b);

// The deterministic double-precision functions the tables come from (exposed for tests).
double series_exp_neg(double y);  // e^-y, y >= 0
double series_erf(double x);
double series_tanh(double x);

}  // namespace acc::fx
