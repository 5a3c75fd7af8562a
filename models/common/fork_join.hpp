// Splits a simulator kernel's work (the PE cluster's GEMMs) over the host's cores: part 0 runs on
// the calling thread, the others on helper threads that sleep between calls. The helpers block
// instead of spinning: under a hypervisor, OpenBLAS's own idle threads spin in sched_yield and
// cost more system time than their share of the work saves.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace acc {

class ForkJoin {
 public:
  // The process's pool: one part per core the process may run on (its CPU affinity), at most kMaxParts.
  static ForkJoin& shared();
  explicit ForkJoin(unsigned parts);
  ~ForkJoin();
  ForkJoin(const ForkJoin&) = delete;
  ForkJoin& operator=(const ForkJoin&) = delete;

  unsigned parts() const { return static_cast<unsigned>(helpers_.size()) + 1; }
  // fn(part) for every part in [0, parts), which is at most parts(); returns when all are done, and
  // rethrows the first exception a part threw. A call made while another thread's is running runs
  // its parts in turn on its own thread.
  void run(unsigned parts, const std::function<void(unsigned part)>& fn);

  static constexpr unsigned kMaxParts = 8;

 private:
  void helper(unsigned part);

  std::mutex busy_;  // one call at a time uses the helpers
  std::mutex m_;
  std::condition_variable start_, done_;
  const std::function<void(unsigned)>* fn_ = nullptr;
  unsigned parts_now_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::exception_ptr failed_;  // a helper's part threw
  std::vector<std::thread> helpers_;
};

}  // namespace acc
