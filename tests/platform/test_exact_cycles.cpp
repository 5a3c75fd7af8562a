// An exact cycle count, with its arithmetic written out (docs/timing-model.md explains each term).
#include <gtest/gtest.h>

#include "matmul_job.hpp"
#include "vp_test.hpp"

using namespace acc;
using acc::test::stat;

TEST(ExactCycles, SixteenCubedMatmulOnEdge) {
  // C[16x16] = A[16x16] . B[16x16] on Edge; the firmware submits 4 descriptors in one doorbell:
  // LOAD B, LOAD A, MATMUL, STORE C. All inputs are non-zero (checked below). Cycles count from
  // the doorbell (cycle 0).
  MatmulSpec spec;
  spec.m = spec.k = spec.n = 16;
  MatmulJob job(spec);
  auto out = test::run_job(job, load_hw_config("edge"));
  ASSERT_TRUE(out.result.ok) << out.result.message;
  for (int32_t v : job.a()) ASSERT_NE(v, 0);
  for (int32_t v : job.b()) ASSERT_NE(v, 0);

  // Edge: DRAM 25.6 GB/s = 2048/7 bits per cycle, first-access latency ceil(45 ns * 0.7) = 32
  // cycles; bus 1 cycle; buffer port 370 GB/s = 4228.57 bits per cycle, buffer latency 1 cycle.
  auto dram_cycles = [](uint64_t bits) { return (bits * 7 + 2047) / 2048; };
  const uint64_t bus = 1, lat = 32, buf_lat = 1;
  const uint64_t tile_bits = 256 * 20 + 256;  // zero-free: 20 bits per non-zero word + a mask bit per word
  const uint64_t buf_cycles = 2;              // ceil(5376 / 4228.57)

  // Fetch: one burst of 4 x 512 bits, requested at 0: channel busy [33, 40).
  const uint64_t fetched = bus + lat + dram_cycles(4 * 512);
  EXPECT_EQ(fetched, 40u);
  // LOAD B issues when its descriptor has arrived; DRAM read [73, 92), buffer write at 93..95, +1.
  const uint64_t load_b_issue = fetched;
  const uint64_t load_b_dram = load_b_issue + bus + lat + dram_cycles(tile_bits);
  const uint64_t load_b_done = load_b_dram + bus + buf_cycles + buf_lat;
  EXPECT_EQ(load_b_done, 96u);
  // LOAD A issues one cycle later; its DRAM read queues behind LOAD B's on the channel.
  const uint64_t load_a_dram = load_b_dram + dram_cycles(tile_bits);
  const uint64_t load_a_done = load_a_dram + bus + buf_cycles + buf_lat;  // second buffer port
  EXPECT_EQ(load_a_done, 115u);
  // MATMUL waits for both loads (data hazards). One output tile, one k-step of 16x16x16 = 4096
  // effectual multiplies on a lane of 16 multipliers: 256 cycles, after the operand read (1) and
  // pre-sparsity (1); then post-sparsity (1) and the result write (1).
  const uint64_t matmul_done = load_a_done + (buf_lat + 1) + 4096 / 16 + (1 + buf_lat);
  EXPECT_EQ(matmul_done, 375u);
  // STORE C waits for the MATMUL: buffer read, then the DRAM write of C's zero-free size.
  ASSERT_EQ(stat(out.stats, "pe.zero_outputs"), 0);
  const uint64_t store_done = matmul_done + bus + buf_cycles + buf_lat + bus + lat + dram_cycles(tile_bits);
  EXPECT_EQ(store_done, 431u);

  EXPECT_EQ(stat(out.stats, "control.active_cycles"), double(store_done));
  EXPECT_EQ(stat(out.stats, "control.stall_fetch_cycles"), double(fetched - 1));
  EXPECT_EQ(stat(out.stats, "control.stall_dependency_cycles"), double((load_a_done - (fetched + 2)) + (matmul_done - (load_a_done + 1))));
  EXPECT_EQ(stat(out.stats, "pe.tile_ops"), 1);
  EXPECT_EQ(stat(out.stats, "pe.lane_busy_cycles"), 256);
}

TEST(ExactCycles, SparseKStepsCostTheirEffectualMultiplies) {
  // 16 x 32 x 16 with A's second half of columns zero: the first k-step costs 256 cycles; the
  // second has no effectual pair and is dropped by the pre-sparsity logic (0 cycles). One lane
  // did all the work, so there is no adder tree.
  MatmulSpec spec;
  spec.m = 16, spec.k = 32, spec.n = 16;
  struct HalfZeroJob : MatmulJob {
    using MatmulJob::MatmulJob;
    void load(Soc& soc) override {
      MatmulJob::load(soc);
      const fw_job_t* j = soc.dram_as<fw_job_t>(FW_JOB_PA);
      int32_t* a = soc.dram_as<int32_t>(j->args.matmul.a_pa, 16 * 32);
      for (int i = 0; i < 16; ++i)
        for (int p = 16; p < 32; ++p) a[i * 32 + p] = 0;
    }
  } job(spec);
  auto out = test::run_job(job, load_hw_config("edge"));
  ASSERT_TRUE(out.finished);
  EXPECT_EQ(stat(out.stats, "pe.tile_ops"), 2);
  EXPECT_EQ(stat(out.stats, "pe.lane_busy_cycles"), 256);
  EXPECT_EQ(stat(out.stats, "pe.effectual_macs"), 4096);
  EXPECT_EQ(stat(out.stats, "pe.dense_macs"), 8192);
  // operand read + pre-sparsity (2) + 256 + post-sparsity and write (2)
  EXPECT_EQ(stat(out.stats, "pe.matmul_cycles"), 2 + 256 + 2);
}
