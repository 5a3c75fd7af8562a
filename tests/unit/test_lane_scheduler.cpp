#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "lane_scheduler.hpp"

using acc::LaneScheduler;

TEST(LaneScheduler, FillsTheEarliestLanesOfThePe) {
  LaneScheduler s(2, 3);
  EXPECT_EQ(s.earliest_pe(), 0u);
  unsigned lane = 9;
  EXPECT_EQ(s.run_on(0, 10, 5, lane), 15u);
  EXPECT_EQ(lane, 0u);
  EXPECT_EQ(s.run_on(0, 10, 7, lane), 17u);
  EXPECT_EQ(lane, 1u);
  EXPECT_EQ(s.run_on(0, 10, 1, lane), 11u);
  EXPECT_EQ(lane, 2u);
  EXPECT_EQ(s.run_on(0, 0, 4, lane), 15u);  // lane 2 frees first, at 11
  EXPECT_EQ(lane, 2u);
  s.refresh(0);
  EXPECT_EQ(s.earliest_pe(), 1u);  // PE 1 is entirely free
}

TEST(LaneScheduler, PicksThePeWithTheEarliestLaneLowestIndexOnTies) {
  LaneScheduler s(5, 2);
  unsigned lane;
  for (unsigned p = 0; p < 5; ++p) {
    s.run_on(p, 0, 100 - p, lane);
    s.run_on(p, 0, 100 - p, lane);
    s.refresh(p);
  }
  EXPECT_EQ(s.earliest_pe(), 4u);
  s.run_on(4, 0, 50, lane);
  s.run_on(4, 0, 50, lane);
  s.refresh(4);
  EXPECT_EQ(s.earliest_pe(), 3u);
  s.run_on(3, 0, 1, lane);
  s.run_on(3, 0, 2, lane);
  s.refresh(3);  // PE 3: lanes free at 98 and 99
  s.run_on(2, 0, 0, lane);
  s.refresh(2);  // PE 2: lanes free at 98, 98
  EXPECT_EQ(s.earliest_pe(), 2u);  // tie at 98 between PEs 2 and 3: lowest index
}

// The lane chosen is the first of the PE's earliest-free lanes, for lane counts that fill whole
// vectors and that leave a partial one (the AVX-512 search's masked tail), with many ties.
TEST(LaneScheduler, ChoosesTheFirstEarliestLaneForAnyLaneCount) {
  for (unsigned lanes : {1u, 3u, 8u, 13u, 32u, 37u}) {
    LaneScheduler s(2, lanes);
    std::vector<uint64_t> free(lanes, 0);  // the same schedule, kept by hand
    uint64_t seed = 12345;
    for (unsigned step = 0; step < 400; ++step) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      const uint64_t cycles = (seed >> 33) % 4, earliest = (seed >> 40) % 8 + step / 4;
      unsigned expected = 0;
      for (unsigned l = 1; l < lanes; ++l) expected = free[l] < free[expected] ? l : expected;
      unsigned lane = lanes;
      const uint64_t end = s.run_on(1, earliest, cycles, lane);
      ASSERT_EQ(lane, expected) << lanes << " lanes, step " << step;
      free[expected] = std::max(free[expected], earliest) + cycles;
      ASSERT_EQ(end, free[expected]);
    }
  }
}
