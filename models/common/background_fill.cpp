#include "background_fill.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>

namespace acc {

BackgroundFill::~BackgroundFill() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void BackgroundFill::queue(uint64_t begin, uint64_t end, std::function<void()> write) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    regions_.push_back({begin, end, std::move(write)});
    clear_ = {0, 0};
    pending_.store(true, std::memory_order_release);
  }
  changed_.notify_all();
  if (!worker_.joinable()) {
    std::lock_guard<std::mutex> lock(mutex_);
    worker_ = std::thread([this] { run(); });
    worker_id_ = worker_.native_handle();
  }
}

void BackgroundFill::run() {
  // The lowest priority: the simulation's threads go first, and the writes fill the gaps between
  // their work. While someone waits for a region it runs at their priority (until_written): other
  // processes busy on every core would otherwise starve it, and the simulation with it.
  std::unique_lock<std::mutex> lock(mutex_);
  sched_param none{};
  if (waiters_ == 0) pthread_setschedparam(pthread_self(), SCHED_IDLE, &none);
  for (;;) {
    changed_.wait(lock, [this] { return stop_ || written_ < regions_.size(); });
    if (stop_) return;
    std::function<void()> write = std::move(regions_[written_].write);
    lock.unlock();
    write();
    lock.lock();
    ++written_;
    if (written_ == regions_.size()) pending_.store(false, std::memory_order_release);
    changed_.notify_all();
  }
}

bool BackgroundFill::overlaps_pending(uint64_t begin, uint64_t end) const {
  for (size_t i = written_; i < regions_.size(); ++i)
    if (regions_[i].begin < end && begin < regions_[i].end) return true;
  return false;
}

void BackgroundFill::until_written(std::unique_lock<std::mutex>& lock, uint64_t begin, uint64_t end) const {
  if (begin >= clear_.first && end <= clear_.second) return;
  if (overlaps_pending(begin, end)) {
    sched_param param{};
    if (waiters_++ == 0) pthread_setschedparam(worker_id_, SCHED_OTHER, &param);  // at the waiters' priority while they wait
    changed_.wait(lock, [&] { return !overlaps_pending(begin, end); });
    if (--waiters_ == 0 && written_ < regions_.size()) pthread_setschedparam(worker_id_, SCHED_IDLE, &param);
  }
  // The widest range around it with no region left to write: the next bursts of a tensor fall in it.
  clear_ = {0, UINT64_MAX};
  for (size_t i = written_; i < regions_.size(); ++i) {
    const Region& r = regions_[i];
    if (r.end <= begin) clear_.first = std::max(clear_.first, r.end);
    if (r.begin >= end) clear_.second = std::min(clear_.second, r.begin);
  }
}

void BackgroundFill::wait_slow(uint64_t begin, uint64_t end) const {
  std::unique_lock<std::mutex> lock(mutex_);
  until_written(lock, begin, end);
}

std::pair<uint64_t, uint64_t> BackgroundFill::written_around(uint64_t at) const {
  std::unique_lock<std::mutex> lock(mutex_);
  clear_ = {0, 0};  // found anew: a range found earlier may have grown since
  until_written(lock, at, at + 1);
  return clear_;
}

}  // namespace acc
