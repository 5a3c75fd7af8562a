// Contents of a memory written on a thread beside the simulation (synthetic weights drawn in place,
// which take as long as the weights are large), in the order they were queued, while the
// simulation runs: an access to a region not yet written waits for it. Host wall time only: what
// the simulation reads, and when in simulated time, is the same as if every region had been
// written before it started.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <vector>

namespace acc {

class BackgroundFill {
 public:
  BackgroundFill() = default;
  BackgroundFill(const BackgroundFill&) = delete;
  BackgroundFill& operator=(const BackgroundFill&) = delete;
  ~BackgroundFill();  // abandons the regions not started (nothing reads the memory any more)

  // Queues `write`, which writes bytes [begin, end) of the memory (and nothing else). The first
  // call starts the thread.
  void queue(uint64_t begin, uint64_t end, std::function<void()> write);
  // Returns once every queued region that overlaps [begin, end) is written.
  void wait(uint64_t begin, uint64_t end) const {
    if (pending_.load(std::memory_order_acquire)) wait_slow(begin, end);
  }
  void wait_all() const { wait(0, UINT64_MAX); }
  // Waits until byte `at` is written, then returns the widest range [lo, hi) around it with no
  // region left to write (for a DMI grant: it must not expose memory the thread still writes).
  std::pair<uint64_t, uint64_t> written_around(uint64_t at) const;

 private:
  struct Region {
    uint64_t begin, end;
    std::function<void()> write;
  };
  void run();
  void wait_slow(uint64_t begin, uint64_t end) const;
  // With the lock held: returns once no pending region overlaps [begin, end), with clear_ around it.
  void until_written(std::unique_lock<std::mutex>& lock, uint64_t begin, uint64_t end) const;
  bool overlaps_pending(uint64_t begin, uint64_t end) const;  // with the lock held

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<Region> regions_;  // queued, in order
  size_t written_ = 0;           // regions_[0, written_) are written
  // A range that no region left to write overlaps, found by the last wait (regions are only ever
  // written, so it stays clear until another is queued): most waits fall in it and need no search.
  mutable std::pair<uint64_t, uint64_t> clear_{0, 0};
  std::atomic<bool> pending_{false};
  bool stop_ = false;
  mutable unsigned waiters_ = 0;  // threads waiting for a region (the thread then runs at normal priority)
  std::thread worker_;
  pthread_t worker_id_{};  // set before the thread can run its loop (it takes the lock first)
};

}  // namespace acc
