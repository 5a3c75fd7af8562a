// A shared resource's reservations in cycles ("busy until", with gaps).
//
// Initiators that run ahead in local time (temporal decoupling) may ask for a slot that starts
// earlier than a slot somebody else reserved before them; the timeline then places the request in
// the first gap that fits instead of queueing it behind everything, so the order in which the
// host happens to process requests does not change the simulated schedule more than necessary.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <vector>

namespace acc {

class Timeline {
 public:
  // Reserves `duration` cycles starting at or after `earliest`; returns the start cycle.
  uint64_t reserve(uint64_t earliest, uint64_t duration) {
    busy_cycles_ += duration;
    if (duration == 0) return earliest;
    const uint64_t start = first_fit(earliest, duration);
    insert(start, start + duration);
    return start;
  }

  // The start reserve() would choose, without reserving.
  uint64_t first_fit(uint64_t earliest, uint64_t duration) const {
    if (duration == 0) return earliest;
    uint64_t start = earliest;
    // The first interval that starts after `start`. Requests come mostly after the last interval
    // (a DMA streaming ahead of simulated time keeps 10^5 of them): then without a search.
    auto it = begin() != end() && start >= busy_.back().start
                  ? end()
                  : std::upper_bound(begin(), end(), start, [](uint64_t v, const Interval& x) { return v < x.start; });
    if (it != begin() && std::prev(it)->end > start) start = std::prev(it)->end;
    while (it != end() && it->start < start + duration) {
      start = std::max(start, it->end);
      ++it;
    }
    return start;
  }

  // Forgets reservations that end at or before `cycle` (no request can start earlier any more).
  void forget_before(uint64_t cycle) {
    while (head_ < busy_.size() && busy_[head_].end <= cycle) ++head_;
    if (head_ == busy_.size()) {
      busy_.clear(), head_ = 0;
    } else if (head_ >= 64 && head_ * 2 >= busy_.size()) {  // drop the forgotten prefix now and then
      busy_.erase(busy_.begin(), busy_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  uint64_t busy_cycles() const { return busy_cycles_; }
  uint64_t last_end() const { return begin() == end() ? 0 : busy_.back().end; }

 private:
  struct Interval {
    uint64_t start, end;
  };
  using Iter = std::vector<Interval>::const_iterator;
  Iter begin() const { return busy_.begin() + static_cast<std::ptrdiff_t>(head_); }
  Iter end() const { return busy_.end(); }

  // [s, e) is free. Coalesces with the neighbours it touches: a saturated channel's bursts each
  // extend the last interval. Reservations come mostly in time order, so the insertion point is
  // at or near the end.
  void insert(uint64_t s, uint64_t e) {
    const auto at = begin() != end() && s > busy_.back().start
                        ? end()
                        : std::lower_bound(begin(), end(), s, [](const Interval& x, uint64_t v) { return x.start < v; });
    const size_t i = static_cast<size_t>(at - busy_.begin());
    const bool joins_next = i < busy_.size() && busy_[i].start == e;
    if (i > head_ && busy_[i - 1].end == s) {
      busy_[i - 1].end = joins_next ? busy_[i].end : e;
      if (joins_next) busy_.erase(busy_.begin() + static_cast<std::ptrdiff_t>(i));
    } else if (joins_next) {
      busy_[i].start = s;
    } else {
      busy_.insert(busy_.begin() + static_cast<std::ptrdiff_t>(i), Interval{s, e});
    }
  }

  std::vector<Interval> busy_;  // disjoint, in order; those before head_ are forgotten
  size_t head_ = 0;
  uint64_t busy_cycles_ = 0;
};

}  // namespace acc
