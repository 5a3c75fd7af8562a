#include "fork_join.hpp"

#include <sched.h>

#include <algorithm>

namespace acc {

ForkJoin& ForkJoin::shared() {
  static ForkJoin pool([] {
    // The cores this process may run on (taskset, a batch system's cgroup), not all the machine's.
    cpu_set_t set;
    const unsigned cores = sched_getaffinity(0, sizeof set, &set) == 0 ? static_cast<unsigned>(CPU_COUNT(&set)) : std::thread::hardware_concurrency();
    return std::clamp(cores, 1u, kMaxParts);
  }());
  return pool;
}

ForkJoin::ForkJoin(unsigned parts) {
  for (unsigned p = 1; p < parts; ++p) helpers_.emplace_back([this, p] { helper(p); });
}

ForkJoin::~ForkJoin() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
  }
  start_.notify_all();
  for (auto& t : helpers_) t.join();
}

void ForkJoin::helper(unsigned part) {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(m_);
  for (;;) {
    start_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    if (part >= parts_now_) continue;
    const auto* fn = fn_;
    lock.unlock();
    std::exception_ptr failed;
    try {
      (*fn)(part);
    } catch (...) {  // for the caller (out of memory, say), not std::terminate
      failed = std::current_exception();
    }
    lock.lock();
    if (failed && !failed_) failed_ = failed;
    if (--pending_ == 0) done_.notify_one();
  }
}

void ForkJoin::run(unsigned parts, const std::function<void(unsigned)>& fn) {
  parts = std::min(parts, this->parts());
  std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
  if (parts <= 1 || !busy.owns_lock()) {
    for (unsigned p = 0; p < parts; ++p) fn(p);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(m_);
    fn_ = &fn, parts_now_ = parts, pending_ = parts - 1;
    ++generation_;
  }
  start_.notify_all();
  std::exception_ptr failed;
  try {
    fn(0);
  } catch (...) {
    failed = std::current_exception();
  }
  std::unique_lock<std::mutex> lock(m_);
  done_.wait(lock, [&] { return pending_ == 0; });  // the helpers use fn: wait for them in any case
  if (!failed) failed = failed_;
  failed_ = nullptr;
  if (failed) std::rethrow_exception(failed);
}

}  // namespace acc
