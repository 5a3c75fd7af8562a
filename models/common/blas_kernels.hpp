// Which of OpenBLAS's kernels compute the PE cluster's exact GEMMs (models/pe/matmul_kernel.hpp).
//
// OpenBLAS picks its kernels by CPU model when it loads. Debian bookworm's 0.3.21 does not know
// AMD's Zen 4 and gives it its AVX2 (Haswell) kernels, although the CPU and the OS support
// AVX-512; there, its AVX-512 (SkylakeX) kernels run dgemm about 1.6 times as fast. The sums the
// VP asks of dgemm are exact in any order (docs/validation.md), so the kernels change the
// simulator's speed, never a result.
#pragma once

#include <string>

namespace acc {

class ForkJoin;

// Whether the CPU and the OS support the AVX-512 subsets (F, CD, BW, DQ, VL) that OpenBLAS's
// SkylakeX kernels use, as do the simulator's own x86-64-v4 clones.
bool cpu_runs_avx512_kernels();

// Switches OpenBLAS to its SkylakeX kernels when it chose Haswell or Zen ones on a CPU with
// AVX-512 (F, CD, BW, DQ, VL: what they use) and the library can re-select (a DYNAMIC_ARCH build).
// A user's OPENBLAS_CORETYPE is left as it is. Call it before the first BLAS call, on one thread.
// Returns the name of the kernels in use ("SkylakeX", "Haswell", ...).
std::string choose_blas_kernels();

// The name of the kernels in use.
std::string blas_kernels();

// Keeps OpenBLAS to the calling thread and stops the workers its pthread build started as it
// loaded: each spins in sched_yield for about 0.1 s before it sleeps, on the cores the simulator's
// start-up needs, and the simulator never gives them work (its GEMM parts call dgemm on their own
// threads). Call it early, before other threads call BLAS.
void single_threaded_blas();

// The pool the PE cluster's GEMMs are split over (ForkJoin::shared()); OpenBLAS runs each part's
// dgemm on the part's thread (single_threaded_blas).
ForkJoin& gemm_pool();

}  // namespace acc
