// BackgroundFill: regions written on a thread, in order; waits for, and DMI grants around, what is
// not written yet.
#include <gtest/gtest.h>

#include <signal.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "background_fill.hpp"

using acc::BackgroundFill;

namespace {
// A region's write that blocks until released, then writes its marker.
struct Gate {
  std::promise<void> open;
  std::shared_future<void> opened = open.get_future().share();
  std::atomic<bool> wrote{false};
  std::function<void()> write(std::vector<int>& mem, size_t begin, size_t end, int marker) {
    return [this, &mem, begin, end, marker] {
      opened.wait();
      for (size_t i = begin; i < end; ++i) mem[i] = marker;
      wrote = true;
    };
  }
};
}  // namespace

TEST(BackgroundFill, AWaitReturnsOnceTheRegionsItOverlapsAreWritten) {
  std::vector<int> mem(400, 0);
  Gate first, second;
  BackgroundFill fill;
  fill.queue(0, 100, first.write(mem, 0, 100, 1));
  fill.queue(200, 300, second.write(mem, 200, 300, 2));
  fill.wait(100, 200);  // between the regions: returns while both wait for their gates
  fill.wait(350, 400);
  EXPECT_FALSE(first.wrote);
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    first.open.set_value();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    second.open.set_value();
  });
  fill.wait(250, 251);  // the second region; written after the first (in order)
  EXPECT_TRUE(first.wrote);
  EXPECT_TRUE(second.wrote);
  EXPECT_EQ(mem[0], 1);
  EXPECT_EQ(mem[299], 2);
  fill.wait_all();
  release.join();
}

TEST(BackgroundFill, WrittenAroundIsTheGapBetweenPendingRegions) {
  std::vector<int> mem(400, 0);
  Gate first, second;
  BackgroundFill fill;
  fill.queue(100, 200, first.write(mem, 100, 200, 1));
  fill.queue(300, 400, second.write(mem, 300, 400, 2));
  EXPECT_EQ(fill.written_around(250), std::make_pair(uint64_t{200}, uint64_t{300}));
  EXPECT_EQ(fill.written_around(0), std::make_pair(uint64_t{0}, uint64_t{100}));
  first.open.set_value();
  // Inside the first region: waits for it, then the gap reaches up to the second.
  EXPECT_EQ(fill.written_around(150), std::make_pair(uint64_t{0}, uint64_t{300}));
  second.open.set_value();
  fill.wait_all();
  EXPECT_EQ(fill.written_around(150), std::make_pair(uint64_t{0}, UINT64_MAX));
}

TEST(BackgroundFill, ARegionQueuedAfterAWaitIsWaitedFor) {
  // A wait remembers the clear range it found ([200, end) here); a region queued later inside it
  // must still be waited for.
  std::vector<int> mem(600, 0);
  Gate first, second;
  BackgroundFill fill;
  fill.queue(100, 200, first.write(mem, 100, 200, 1));
  fill.wait(300, 310);
  fill.queue(400, 500, second.write(mem, 400, 500, 2));
  std::thread release([&] {
    first.open.set_value();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    second.open.set_value();
  });
  fill.wait(450, 451);
  EXPECT_TRUE(second.wrote);
  EXPECT_EQ(mem[450], 2);
  release.join();
}

TEST(BackgroundFill, DestroyingItAbandonsTheRegionsNotStarted) {
  std::vector<int> mem(400, 0);
  Gate first, second;
  std::promise<void> started;
  std::thread release;
  {
    BackgroundFill fill;
    fill.queue(0, 100, [&] {
      started.set_value();
      first.write(mem, 0, 100, 1)();
    });
    fill.queue(100, 200, second.write(mem, 100, 200, 2));
    started.get_future().wait();
    release = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      first.open.set_value();
    });
  }  // waits for the first region's write, which has started, and no more
  release.join();
  second.open.set_value();
  EXPECT_TRUE(first.wrote);
  EXPECT_FALSE(second.wrote);
  EXPECT_EQ(mem[100], 0);
}

TEST(BackgroundFill, AWaiterIsNotStarvedByBusyCores) {
  // The thread writes at the lowest priority (SCHED_IDLE), and at the waiter's while someone waits:
  // with every core busy in other processes, 20 ms of writing still ends in about that time (at
  // SCHED_IDLE alone it would get a fraction of a percent of a core: seconds).
  BackgroundFill fill;
  fill.queue(0, 1, [] {});  // the thread starts, at its own priority, with no one waiting
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::vector<pid_t> busy;
  for (unsigned i = 0; i < std::max(1u, std::thread::hardware_concurrency()); ++i) {
    const pid_t pid = fork();
    if (pid == 0)
      for (volatile uint64_t spins = 0;; spins = spins + 1) {  // until killed
      }
    busy.push_back(pid);
  }
  std::atomic<bool> wrote{false};
  fill.queue(100, 200, [&] {  // 20 ms of the thread's own CPU time
    auto cpu_seconds = [] {
      timespec t{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
      return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
    };
    for (const double until = cpu_seconds() + 0.02; cpu_seconds() < until;) {
    }
    wrote = true;
  });
  const auto start = std::chrono::steady_clock::now();
  fill.wait(100, 200);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (pid_t pid : busy) kill(pid, SIGKILL), waitpid(pid, nullptr, 0);
  EXPECT_TRUE(wrote);
  EXPECT_LT(seconds, 1.0);
}
