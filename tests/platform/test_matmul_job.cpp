// The matmul job end to end: firmware on the native CPU tiles C = A.B, the accelerator computes
// it, the result in DRAM is bit-exact against the reference model. Shapes cover single tiles,
// ragged edges and several double-buffered tiles in both dimensions, on both presets.
#include <gtest/gtest.h>

#include "matmul_job.hpp"
#include "vp_test.hpp"

using namespace acc;
using acc::test::stat;

namespace {

struct Case {
  const char* preset;
  uint32_t m, k, n;
  double a_zeros;
  bool prune;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.preset << "_" << c.m << "x" << c.k << "x" << c.n; }

class MatmulJobTest : public ::testing::TestWithParam<Case> {};

TEST_P(MatmulJobTest, BitExactAgainstTheReference) {
  const Case c = GetParam();
  MatmulSpec spec;
  spec.m = c.m, spec.k = c.k, spec.n = c.n, spec.seed = c.m * 31 + c.n, spec.a_zeros = c.a_zeros, spec.prune = c.prune;
  spec.tau = 0.1;
  MatmulJob job(spec);
  auto out = test::run_job(job, load_hw_config(c.preset));
  ASSERT_TRUE(out.finished) << out.fault;
  EXPECT_TRUE(out.result.ok) << out.result.message;
  EXPECT_EQ(stat(out.stats, "job.mismatches"), 0);
  EXPECT_EQ(stat(out.stats, "job.outputs"), double(c.m) * c.n);
  EXPECT_EQ(stat(out.stats, "pe.dense_macs"), double(c.m) * c.k * c.n);
  // Every output is written exactly once by a STORE: the DRAM saw all of C.
  EXPECT_GE(stat(out.stats, "dma.words"), double(c.m) * c.n + double(c.m) * c.k + double(c.k) * c.n);
  EXPECT_GT(stat(out.stats, "control.active_cycles"), 0);
  EXPECT_EQ(stat(out.stats, "control.errors"), 0);
  // The firmware read the performance counters back; they agree with the models.
  EXPECT_EQ(stat(out.stats, "job.perf.cycles"), stat(out.stats, "control.active_cycles"));
  EXPECT_EQ(stat(out.stats, "job.perf.macs"), stat(out.stats, "pe.dense_macs"));
  EXPECT_EQ(stat(out.stats, "job.perf.descriptors"), stat(out.stats, "job.descriptors"));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, MatmulJobTest,
    ::testing::Values(Case{"edge", 16, 16, 16, 0, false}, Case{"edge", 1, 1, 1, 0, false}, Case{"edge", 37, 100, 51, 0, false},
                      Case{"edge", 128, 512, 128, 0, false}, Case{"edge", 300, 700, 129, 0, false},
                      Case{"edge", 130, 64, 270, 0.5, true}, Case{"edge", 16, 4000, 16, 0, false},
                      Case{"server", 16, 16, 16, 0, false}, Case{"server", 200, 300, 129, 0, false},
                      Case{"server", 517, 768, 300, 0.3, true}, Case{"server", 3, 17, 1000, 0, false}),
    [](const ::testing::TestParamInfo<Case>& i) {
      return std::string(i.param.preset) + "_" + std::to_string(i.param.m) + "x" + std::to_string(i.param.k) + "x" +
             std::to_string(i.param.n) + (i.param.prune ? "_dynatran" : "");
    });

TEST(MatmulJob, DoubleBufferingOverlapsLoadsWithCompute) {
  // 4 x 4 tiles of 64 x 64: loads of the next A tile are issued while the current matmul runs,
  // so the job takes less than the sum of its DMA and compute times.
  MatmulSpec spec;
  spec.m = 256, spec.k = 256, spec.n = 256;
  MatmulJob job(spec);
  HwConfig cfg = load_hw_config("edge");
  auto out = test::run_job(job, cfg);
  ASSERT_TRUE(out.result.ok) << out.result.message;
  const double total = stat(out.stats, "control.active_cycles");
  const double dma = stat(out.stats, "dma.busy_cycles"), pe = stat(out.stats, "pe.matmul_cycles");
  EXPECT_LT(total, dma + pe);
  EXPECT_GT(stat(out.stats, "control.descriptors_by_op.MATMUL"), 1);
}

TEST(MatmulJob, AFullRingIsDrainedAndRefilled) {
  // Buffers of 1/16 MB (26,214 words) hold no operand whole, so the planner cuts the 512 x 64 x 512
  // GEMM into small tiles: tens of steps, about a hundred descriptors. With a ring of 8 descriptors
  // the driver fills the ring, waits for it to drain and refills it many times; the result must
  // not change.
  MatmulSpec spec;
  spec.m = 512, spec.k = 64, spec.n = 512, spec.ring_entries = 8;
  MatmulJob job(spec);
  auto out = test::run_job(job, load_hw_config("edge", {"activation_buffer_size=0.0625", "weight_buffer_size=0.0625"}));
  ASSERT_TRUE(out.finished) << out.fault;
  EXPECT_TRUE(out.result.ok) << out.result.message;
  EXPECT_GT(stat(out.stats, "job.plan.steps"), 16);
  EXPECT_GT(stat(out.stats, "job.descriptors"), 60);
  EXPECT_GT(stat(out.stats, "control.busy_periods"), 8);  // one per drain
  EXPECT_EQ(stat(out.stats, "control.descriptors"), stat(out.stats, "job.descriptors"));
}

TEST(MatmulJob, CyclesAndTrafficFollowTheMeasuredSparsity) {
  // Half of A's values are zero. The lane cycles of every k-step and the size of every transfer
  // must follow the data: recompute both from the operands, independently of the model.
  MatmulSpec spec;
  spec.a_zeros = 0.5;  // 128 x 512 x 128: one tile of each operand on Edge
  MatmulJob job(spec);
  auto out = test::run_job(job, load_hw_config("edge"));
  ASSERT_TRUE(out.result.ok) << out.result.message;
  const auto &a = job.a(), &b = job.b();
  const uint32_t m = spec.m, k = spec.k, n = spec.n, T = 16, macs = 16;
  uint64_t effectual = 0, lane_cycles = 0, nnz_a = 0, nnz_b = 0;
  for (uint32_t i0 = 0; i0 < m; i0 += T)
    for (uint32_t j0 = 0; j0 < n; j0 += T)
      for (uint32_t p0 = 0; p0 < k; p0 += T) {
        uint64_t eff = 0;
        for (uint32_t p = p0; p < p0 + T; ++p) {
          uint64_t col = 0, row = 0;
          for (uint32_t i = i0; i < i0 + T; ++i) col += a[i * k + p] != 0;
          for (uint32_t j = j0; j < j0 + T; ++j) row += b[p * n + j] != 0;
          eff += col * row;
        }
        effectual += eff;
        lane_cycles += std::max<uint64_t>(1, (eff + macs - 1) / macs);
      }
  for (int32_t v : a) nnz_a += v != 0;
  for (int32_t v : b) nnz_b += v != 0;
  EXPECT_NEAR(double(nnz_a) / a.size(), 0.5, 0.01);
  EXPECT_EQ(stat(out.stats, "pe.effectual_macs"), double(effectual));
  EXPECT_EQ(stat(out.stats, "pe.lane_busy_cycles"), double(lane_cycles));
  EXPECT_LT(lane_cycles, 256u * (m / T) * (n / T) * (k / T) * 0.6);
  // DRAM reads: A and B once each (the plan moves the least possible) in the zero-free format
  // (20 bits per non-zero, 1 mask bit per word), plus every descriptor (512 bits) once.
  EXPECT_EQ(stat(out.stats, "job.plan.dram_bytes"), stat(out.stats, "job.plan.min_dram_bytes"));
  const uint64_t bits = nnz_a * 20 + a.size() + nnz_b * 20 + b.size() + uint64_t(stat(out.stats, "control.descriptors")) * 512;
  EXPECT_EQ(stat(out.stats, "dram.read_bytes"), double((bits + 7) / 8));
}
}  // namespace

// DMI grants withdrawn during the run (IEEE 1666-2011 11.2.9): the native CPU and the PE cluster
// ask again, and the results stay exact. A ring of 8 descriptors makes the job many busy periods,
// so the invalidations fall between PE operations.
TEST(MatmulJob, HonoursDmiInvalidation) {
  MatmulSpec spec;
  spec.m = 512, spec.k = 64, spec.n = 512, spec.ring_entries = 8;
  MatmulJob job(spec);
  auto out = test::run_job(job, load_hw_config("edge", {"activation_buffer_size=0.0625", "weight_buffer_size=0.0625"}), {},
                           [](Soc& soc) { test::invalidate_dmi_periodically(soc, sc_core::sc_time(1, sc_core::SC_US), 40); });
  ASSERT_TRUE(out.finished) << out.fault << out.cpu_state;
  EXPECT_TRUE(out.result.ok) << out.result.message;
  EXPECT_EQ(stat(out.stats, "job.mismatches"), 0);
  EXPECT_GT(out.pe_dmi_requests, 2u) << "the PE cluster never asked for its buffers again";
}
