// A shared resource's reservations in cycles ("busy until", with gaps).
//
// Initiators that run ahead in local time (temporal decoupling) may ask for a slot that starts
// earlier than a slot somebody else reserved before them; the timeline then places the request in
// the first gap that fits instead of queueing it behind everything, so the order in which the
// host happens to process requests does not change the simulated schedule more than necessary.
#pragma once

#include <cstdint>
#include <iterator>
#include <map>

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
    auto it = busy_.upper_bound(start);
    if (it != busy_.begin()) {
      auto prev = std::prev(it);
      if (prev->second > start) start = prev->second;
    }
    while (it != busy_.end() && it->first < start + duration) {
      start = std::max(start, it->second);
      ++it;
    }
    return start;
  }

  // Forgets reservations that end at or before `cycle` (no request can start earlier any more).
  void forget_before(uint64_t cycle) {
    auto it = busy_.begin();
    while (it != busy_.end() && it->second <= cycle) it = busy_.erase(it);
  }

  uint64_t busy_cycles() const { return busy_cycles_; }
  uint64_t last_end() const { return busy_.empty() ? 0 : busy_.rbegin()->second; }

 private:
  // Coalesces with the neighbours it touches in place: a saturated channel's bursts each extend
  // the last interval, with no node allocated or freed.
  void insert(uint64_t s, uint64_t e) {
    auto next = busy_.lower_bound(s);
    const bool joins_next = next != busy_.end() && next->first == e;
    if (next != busy_.begin()) {
      auto prev = std::prev(next);
      if (prev->second == s) {  // the interval ending where this one starts grows to cover it
        prev->second = joins_next ? next->second : e;
        if (joins_next) busy_.erase(next);
        return;
      }
    }
    if (joins_next) {  // ... or the one starting where this one ends (keys are const: re-key it)
      e = next->second;
      next = busy_.erase(next);
    }
    busy_.emplace_hint(next, s, e);
  }

  std::map<uint64_t, uint64_t> busy_;  // start -> end, disjoint
  uint64_t busy_cycles_ = 0;
};

}  // namespace acc
