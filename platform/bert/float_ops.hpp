// The double-precision models' operations (BERT's and GPT-2's float check): the network's ops on
// real values, with DynaTran and N:M by the same rules as the datapath, and no rounding or
// saturation of their own.
#pragma once

#include <cstdint>
#include <vector>

namespace acc::bert::float_ops {

using Vec = std::vector<double>;
using Tensor = std::vector<int32_t>;

Vec to_real(const Tensor& t);
// A weight tensor's real values: the file's values before rounding when the loader kept them
// (`original` not null), else its words (synthetic weights are defined in the number format).
Vec real(const Tensor& q, const std::vector<float>* original);
double prune(double x, bool on, double tau);
// Dynamic N:M on real values: per row, in every M consecutive columns keep the N largest |x|.
void nm_rows(Vec& x, uint64_t rows, uint64_t cols, unsigned N, unsigned M);
// act(N:M(prune(a . b + bias))); b given n x k if transpose; act 1: GELU (erf), 2: tanh.
Vec linear(const Vec& a, const Vec& b, uint64_t m, uint64_t k, uint64_t n, bool transpose, const Vec* bias, bool pr, double tau,
           int act = 0, unsigned nm_n = 0, unsigned nm_m = 0);
Vec layernorm(const Vec& x, uint64_t rows, uint64_t cols, const Vec& g, const Vec& b, double eps);
// One row of n scores in place: softmax of s / divisor (sqrt(d)) over the first `valid` (the rest
// 0), then top-k (strictly greater than the k-th, or exactly k by lowest index), then DynaTran.
void softmax_row(double* row, uint64_t n, uint64_t valid, double divisor, uint32_t topk, bool topk_exact, bool pr, double tau);
// N:M on the columns of a k x n matrix (the rule of ref::nm_weights).
Vec nm_columns(const Vec& w, uint64_t k, uint64_t n, unsigned N, unsigned M);

}  // namespace acc::bert::float_ops
