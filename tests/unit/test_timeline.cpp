#include <gtest/gtest.h>

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
