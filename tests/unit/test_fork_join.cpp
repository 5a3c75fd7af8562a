#include <gtest/gtest.h>

#include <atomic>
#include <new>
#include <thread>

#include "fork_join.hpp"

using acc::ForkJoin;

TEST(ForkJoin, EveryPartRunsOnceAndTheCallWaitsForAll) {
  ForkJoin pool(3);
  ASSERT_EQ(pool.parts(), 3u);
  for (unsigned asked : {1u, 2u, 3u, 7u}) {  // more parts than the pool has: as many as it has
    std::atomic<unsigned> runs[8] = {};
    pool.run(asked, [&](unsigned part) {
      std::this_thread::sleep_for(std::chrono::milliseconds(part));  // the caller's part ends first
      ++runs[part];
    });
    for (unsigned p = 0; p < 8; ++p) EXPECT_EQ(runs[p].load(), p < std::min(asked, 3u) ? 1u : 0u) << asked << " " << p;
  }
}

TEST(ForkJoin, CallsFromTwoThreadsAtOnceBothRunEveryPart) {
  // The second caller finds the helpers busy and runs its parts itself.
  ForkJoin pool(2);
  std::atomic<unsigned> total{0};
  auto job = [&] {
    for (int i = 0; i < 200; ++i) pool.run(2, [&](unsigned) { ++total; });
  };
  std::thread other(job);
  job();
  other.join();
  EXPECT_EQ(total.load(), 800u);
}

TEST(ForkJoin, APartsExceptionReachesTheCallerAfterEveryPartEnded) {
  ForkJoin pool(3);
  for (unsigned thrower : {0u, 2u}) {  // the caller's part, a helper's
    std::atomic<unsigned> ended{0};
    EXPECT_THROW(pool.run(3,
                          [&](unsigned part) {
                            if (part == thrower) throw std::bad_alloc();
                            std::this_thread::sleep_for(std::chrono::milliseconds(5));
                            ++ended;
                          }),
                 std::bad_alloc);
    EXPECT_EQ(ended.load(), 2u) << thrower;
  }
  std::atomic<unsigned> runs{0};  // and the pool still works
  pool.run(3, [&](unsigned) { ++runs; });
  EXPECT_EQ(runs.load(), 3u);
}
