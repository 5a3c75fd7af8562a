#include <gtest/gtest.h>

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
