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
// vectors and that leave a partial one, with many ties.
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

// run_tiles (registers with AVX-512 up to 32 lanes, run_on beyond) does what run_on does tile by
// tile: the same start, end, distinct lanes, cycles and lanes' state afterwards, with zero-cycle tiles
// handed out but not run.
TEST(LaneScheduler, RunTilesIsRunOnTileByTile) {
  for (unsigned lanes : {1u, 3u, 8u, 13u, 16u, 32u, 37u}) {
    LaneScheduler batched(3, lanes), single(3, lanes);
    uint64_t seed = 99, first = 0, handed = 0;
    for (unsigned block = 0; block < 60; ++block) {
      std::vector<uint64_t> tiles(1 + block % 50);
      for (uint64_t& t : tiles) seed = seed * 6364136223846793005ull + 1442695040888963407ull, t = (seed >> 33) % 5;
      const uint64_t batch = 1 + block % 3, fill = block % 4;
      const unsigned pe = batched.earliest_pe();
      ASSERT_EQ(pe, single.earliest_pe());
      const LaneScheduler::TileRun got = batched.run_tiles(pe, tiles.data(), tiles.size(), first, handed, batch, fill);
      LaneScheduler::TileRun want;
      std::vector<bool> used(lanes, false);
      for (size_t i = 0; i < tiles.size(); ++i) {
        if (tiles[i] == 0) continue;
        unsigned lane = 0;
        const uint64_t end = single.run_on(pe, first + (handed + i) / batch + fill, tiles[i], lane);
        want.start = std::min(want.start, end - tiles[i]), want.end = std::max(want.end, end);
        want.lanes += !used[lane];
        want.cycles += tiles[i];
        used[lane] = true;
      }
      single.refresh(pe);
      ASSERT_EQ(got.start, want.start) << lanes << " lanes, block " << block;
      ASSERT_EQ(got.end, want.end) << lanes << " lanes, block " << block;
      ASSERT_EQ(got.lanes, want.lanes) << lanes << " lanes, block " << block;
      ASSERT_EQ(got.cycles, want.cycles) << lanes << " lanes, block " << block;
      handed += tiles.size();
      first += block % 2;
    }
    unsigned a = 0, b = 0;  // the lanes' state: the next tile on each PE lands alike
    for (unsigned pe = 0; pe < 3; ++pe) ASSERT_EQ(batched.run_on(pe, 0, 1, a), single.run_on(pe, 0, 1, b)) << lanes;
    ASSERT_EQ(a, b);
  }
}
