// An exact cycle count, with its arithmetic written out (docs/timing-model.md explains each term).
#include <gtest/gtest.h>

#include <cmath>

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
  // The DRAM channel and the ports count in fractions of a cycle; a time is rounded up where a
  // transfer ends and down where its data start.
  auto dram = [](double bits) { return bits * 7 / 2048; };
  auto up = [](double c) { return uint64_t(std::ceil(c - 1e-9)); };
  const uint64_t bus = 1, lat = 32, buf_lat = 1;
  const double tile_bits = 256 * 20 + 256;  // zero-free: 20 bits per non-zero word + a mask bit per word

  // Fetch: one burst of 4 x 512 bits, requested at 0, served ahead of bulk transfers.
  const uint64_t fetched = bus + lat + up(dram(4 * 512));
  EXPECT_EQ(fetched, 40u);
  // Decode, one descriptor a cycle: LOAD B at 40, LOAD A at 41, MATMUL at 42, STORE C at 43.
  // LOAD B issues at 40: its one burst reads DRAM [73, 91.375); the buffer is written as the data
  // arrive (cut-through): its 1.27 port cycles end with the data, then the buffer latency.
  const double b_data = lat + bus + 40, b_end = b_data + dram(tile_bits);
  const uint64_t load_b_done = up(b_end) + buf_lat;
  EXPECT_EQ(load_b_done, 93u);
  // LOAD A issues at 41; its burst queues on the DRAM channel behind LOAD B's: [91.375, 109.75).
  const double a_end = b_end + dram(tile_bits);
  const uint64_t load_a_done = up(a_end) + buf_lat;
  EXPECT_EQ(load_a_done, 111u);
  // MATMUL waits for both loads (data hazards). One output tile, one k-step of 16x16x16 = 4096
  // effectual multiplies on a lane of 16 multipliers: 256 cycles, after the operand read (1) and
  // pre-sparsity (1); then post-sparsity (1); then the last result written to the buffer (1).
  // The PEs' operand reads and result writes on the ports (5376 bits each, spread over the op)
  // fit within it.
  const uint64_t matmul_done = load_a_done + (buf_lat + 1) + 4096 / 16 + 1 + buf_lat;
  EXPECT_EQ(matmul_done, 371u);
  // STORE C waits for the MATMUL: its burst reads the buffer (bus, the first word after the
  // buffer latency) and writes DRAM as the words come: the bus, the DRAM latency, then its data
  // (the port's 1.27 cycles end long before).
  ASSERT_EQ(stat(out.stats, "pe.zero_outputs"), 0);
  const uint64_t store_done = up(matmul_done + bus + buf_lat + bus + lat + dram(tile_bits));
  EXPECT_EQ(store_done, 425u);

  EXPECT_EQ(stat(out.stats, "control.active_cycles"), double(store_done));
  EXPECT_EQ(stat(out.stats, "control.stall_fetch_cycles"), double(fetched - 1));
  // Issue waited, from decode: the MATMUL (decoded at 42) for the loads, the STORE (43) for the MATMUL.
  EXPECT_EQ(stat(out.stats, "control.stall_dependency_cycles"), double((load_a_done - 42) + (matmul_done - 43)));
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
