#include <gtest/gtest.h>

#include <vector>

#include "timeline.hpp"

using acc::Timeline;

TEST(Timeline, BackToBackRequestsQueue) {
  Timeline t;
  EXPECT_EQ(t.reserve(10, 5), 10u);
  EXPECT_EQ(t.reserve(10, 5), 15u);
  EXPECT_EQ(t.reserve(0, 1), 0u);  // fits before the first reservation
  EXPECT_EQ(t.busy_cycles(), 11u);
  EXPECT_EQ(t.last_end(), 20u);
}

TEST(Timeline, RequestsFillGapsThatAreLongEnough) {
  Timeline t;
  t.reserve(0, 10);    // [0,10)
  t.reserve(20, 10);   // [20,30)
  EXPECT_EQ(t.reserve(5, 10), 10u);   // gap [10,20) fits exactly
  EXPECT_EQ(t.reserve(0, 3), 30u);    // no gap left before 30
  EXPECT_EQ(t.reserve(40, 2), 40u);
  EXPECT_EQ(t.reserve(31, 9), 42u);   // [33,40) is too short for 9
}

TEST(Timeline, ForgettingThePastKeepsTheFuture) {
  Timeline t;
  t.reserve(0, 10);
  t.reserve(50, 10);
  t.forget_before(20);
  EXPECT_EQ(t.reserve(20, 40), 60u);
  EXPECT_EQ(t.reserve(0, 5), 0u);  // the past interval is gone
}

TEST(Timeline, ZeroDurationTakesNoTime) {
  Timeline t;
  t.reserve(0, 10);
  EXPECT_EQ(t.reserve(3, 0), 3u);
  EXPECT_EQ(t.busy_cycles(), 10u);
}

TEST(Timeline, AgreesWithABusyBitPerCycleOverManyRequestsAndForgets) {
  // Random requests at or after a moving "now" that is forgotten before, as the memories use it:
  // every start is the first free run of the busy-bit model, over thousands of intervals (so that
  // the forgotten prefix is dropped several times) with gaps, in-place growth and joins.
  Timeline t;
  std::vector<bool> busy(120000, false);
  uint64_t now = 0, state = 12345, total = 0;
  auto next = [&state](uint64_t n) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % n;
  };
  for (int i = 0; i < 20000; ++i) {
    const uint64_t earliest = now + next(40), duration = 1 + next(6);
    uint64_t expect = earliest;
    for (;;) {
      uint64_t c = expect;
      while (c < expect + duration && !busy[c]) ++c;
      if (c == expect + duration) break;
      expect = c + 1;
    }
    ASSERT_EQ(t.reserve(earliest, duration), expect) << "request " << i;
    for (uint64_t c = expect; c < expect + duration; ++c) busy[c] = true;
    total += duration;
    t.forget_before(now += next(10));  // about 80 % busy: gaps that requests fill exactly (joins) or not
  }
  EXPECT_EQ(t.busy_cycles(), total);
  uint64_t last = 0;
  for (uint64_t c = 0; c < busy.size(); ++c)
    if (busy[c]) last = c + 1;
  EXPECT_EQ(t.last_end(), last);
}
