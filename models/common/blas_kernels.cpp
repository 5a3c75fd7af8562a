#include "blas_kernels.hpp"

#include <cblas.h>
#include <dlfcn.h>
#include <strings.h>

#include <cstdlib>

#include "fork_join.hpp"

namespace acc {

bool cpu_runs_avx512_kernels() {
  __builtin_cpu_init();  // the checks below include the OS's support (XCR0), not only CPUID's
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}

std::string choose_blas_kernels() {
  const char* core = openblas_get_corename();
  const bool avx2_kernels = core && (strcasecmp(core, "Haswell") == 0 || strcasecmp(core, "Zen") == 0);
  if (avx2_kernels && !std::getenv("OPENBLAS_CORETYPE") && cpu_runs_avx512_kernels()) {
    // A DYNAMIC_ARCH build re-selects its kernels, reading OPENBLAS_CORETYPE as it does when it
    // loads; a build for one CPU has neither function, and keeps its kernels.
    using Hook = void (*)();
    const auto quit = reinterpret_cast<Hook>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit"));
    const auto init = reinterpret_cast<Hook>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init"));
    if (quit && init) {
      setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
      quit();
      init();
      unsetenv("OPENBLAS_CORETYPE");  // not for the processes this one may start
    }
  }
  return blas_kernels();
}

std::string blas_kernels() {
  const char* core = openblas_get_corename();
  return core ? core : "unknown";
}

void single_threaded_blas() {
  openblas_set_num_threads(1);
  // Only the pthread build has worker threads to stop; the function is not in cblas.h.
  using Shutdown = int (*)();
  if (const auto shutdown = reinterpret_cast<Shutdown>(dlsym(RTLD_DEFAULT, "blas_thread_shutdown_"))) shutdown();
}

ForkJoin& gemm_pool() {
  static ForkJoin& pool = [] () -> ForkJoin& {
    single_threaded_blas();
    return ForkJoin::shared();
  }();
  return pool;
}

}  // namespace acc
