// Bad programming from real firmware: the hardware stops the queue with an error code naming the
// faulting descriptor and raises the error interrupt; the firmware recovers the queue and the next
// job on the same platform is bit-exact.
#include <gtest/gtest.h>

#include "fault_job.hpp"
#include "regmap.hpp"
#include "vp_test.hpp"

using namespace acc;
using acc::test::stat;

namespace {

struct FaultCase {
  const char* preset;
  const char* fault;
};

void PrintTo(const FaultCase& c, std::ostream* os) { *os << c.preset << "_" << c.fault; }

class FaultTest : public ::testing::TestWithParam<FaultCase> {};

TEST_P(FaultTest, ErrorNamesTheDescriptorAndThePlatformRecovers) {
  const auto c = GetParam();
  MatmulSpec recovery;
  recovery.m = 48, recovery.k = 64, recovery.n = 40;
  const uint32_t kind = parse_fault_kind(c.fault);
  FaultJob job(kind, recovery);
  auto out = test::run_job(job, load_hw_config(c.preset));
  ASSERT_TRUE(out.finished) << out.fault;
  const FaultOutcome& f = job.outcome();
  EXPECT_EQ(f.status, static_cast<uint32_t>(FW_ERR_ACCEL));
  EXPECT_EQ(f.err_code, expected_error(kind)) << regmap::error_name(f.err_code);
  EXPECT_EQ(f.err_desc, 1u);  // descriptor 0 is a valid LOAD, descriptor 1 the bad one
  EXPECT_EQ(f.irq_status, ACC_IRQ_STATUS_ERROR);
  EXPECT_TRUE(out.result.ok) << out.result.message;  // the recovery matmul
  EXPECT_EQ(stat(out.stats, "control.errors"), 1);
  EXPECT_NE(out.console.find("fault job: error"), std::string::npos);
  if (kind == FW_FAULT_DRAM) {
    EXPECT_EQ(f.err_info, 0xFFFFFFC0u);
  }
  if (kind == FW_FAULT_SCALE) {  // BAD_CONFIG names descriptor word 0: the opcode with the scale field
    EXPECT_EQ(f.err_info, ACC_OP_MATMUL | ACC_MATMUL_OUT_SHIFT_MASK);
  }
  if (kind == FW_FAULT_SHAPE) {
    EXPECT_EQ(f.err_info, load_hw_config(c.preset).max_k + 1);
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, FaultTest,
                         ::testing::Values(FaultCase{"edge", "opcode"}, FaultCase{"edge", "dram"}, FaultCase{"edge", "overflow"},
                                           FaultCase{"edge", "shape"}, FaultCase{"edge", "scale"}, FaultCase{"server", "opcode"}, FaultCase{"server", "dram"},
                                           FaultCase{"server", "overflow"}, FaultCase{"server", "shape"}),
                         [](const ::testing::TestParamInfo<FaultCase>& i) { return std::string(i.param.preset) + "_" + i.param.fault; });

}  // namespace
