// The memory check: a job's host memory is estimated from its shapes before anything large is
// allocated (tests/cli/memory_estimate.py checks the estimate against measured peaks).
#include <gtest/gtest.h>

#include "acceltran_regs.h"
#include "host_memory.hpp"
#include "input_file.hpp"
#include "jobs/bert_job.hpp"
#include "jobs/matmul_job.hpp"
#include "temp_file.hpp"

using namespace acc;

namespace {
std::string refusal(uint64_t platform, uint64_t job, uint64_t limit) {
  try {
    require_host_memory(platform, job, limit);
  } catch (const HostMemoryError& e) {
    return e.what();
  }
  return "(accepted)";
}
uint64_t bert_bytes(BertSpec s) { return BertJob(s).host_memory_bytes(); }
}  // namespace

TEST(HostMemory, SizesAndTheLimit) {
  EXPECT_EQ(parse_memory_size("8G"), uint64_t{8} << 30);
  EXPECT_EQ(parse_memory_size("512MiB"), uint64_t{512} << 20);
  EXPECT_EQ(parse_memory_size("1.5gib"), uint64_t{3} << 29);
  EXPECT_EQ(parse_memory_size("1000"), 1000u);
  for (const char* bad : {"", "G", "-1G", "8X", "nanG", "0", "16E", "99999999999T"}) EXPECT_THROW(parse_memory_size(bad), HostMemoryError) << bad;
  EXPECT_GT(physical_memory_bytes(), uint64_t{64} << 20);
  EXPECT_EQ(refusal(1 << 20, 1 << 20, 2 << 20), "(accepted)");
  EXPECT_EQ(refusal(1 << 20, 2 << 20, 2 << 20),
            "the job needs about 3 MiB of host memory, more than the 2 MiB it may use (--max-memory; default: the machine's physical memory)");
  EXPECT_NE(refusal(1 << 20, UINT64_MAX, UINT64_MAX - 1).find("needs over 16 EiB"), std::string::npos);  // the sum saturates, never wraps
  const HwConfig edge = load_hw_config("edge");
  EXPECT_GE(platform_host_bytes(edge, false), kSimulatorBaseBytes + 24 * (edge.act_buffer_words() + edge.weight_buffer_words()));
  EXPECT_EQ(platform_host_bytes(edge, true) - platform_host_bytes(edge, false), uint64_t{ACC_MAP_CPU_RAM_SIZE});
}

TEST(HostMemory, MatmulNeedsItsMatricesTwiceAndSaturates) {
  MatmulSpec s;
  s.m = 1000, s.k = 2000, s.n = 3000;
  const uint64_t dram_and_copies = 4 * (2 * (2000000ull + 6000000ull) + 3000000ull);
  EXPECT_GE(MatmulJob(s).host_memory_bytes(), dram_and_copies);
  EXPECT_LT(MatmulJob(s).host_memory_bytes(), 2 * dram_and_copies + (1 << 20));
  s.m = s.k = s.n = UINT32_MAX;
  EXPECT_EQ(MatmulJob(s).host_memory_bytes(), UINT64_MAX);
}

TEST(HostMemory, BertEstimateFollowsTheShapes) {
  BertSpec s;
  s.model = "bert-tiny", s.seq = 128, s.batch = 4, s.check = BertSpec::Check::Off;
  const uint64_t one = bert_bytes(s);
  s.batch = 8;
  const uint64_t two = bert_bytes(s);
  // bert-tiny's weights (4.4 M values) on the host and in DRAM, and per sequence at least its
  // outputs in DRAM.
  EXPECT_GT(one, 2 * 4 * 4'385'920ull);
  EXPECT_GE(two - one, 4ull * 128 * 128 * 4);
  s.check = BertSpec::Check::On;
  EXPECT_GT(bert_bytes(s), two);  // the reference models' activations
  s.batch = UINT32_MAX;
  EXPECT_GT(bert_bytes(s), uint64_t{1} << 50);
  // A model dict of enormous (but representable) sizes.
  s.batch = 1, s.model = test::temp_file(".json", R"({"l": 1, "o": [["sa_sdp_4096"]], "h": [16000000], "f": [[16000000]]})");
  EXPECT_GT(bert_bytes(s), uint64_t{1} << 50);
  // Token inputs: the batch is the file's; --seq beyond the positions is refused before anything exists.
  s.model = "bert-nano", s.tokens_file = test::temp_file(".txt", "101 102\n101 7 102\n101 102\n");
  s.seq = 8;
  EXPECT_NO_THROW(bert_bytes(s));
  s.seq = 4000000000u;
  EXPECT_THROW(bert_bytes(s), bert::InputError);
}
