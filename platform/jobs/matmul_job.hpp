// `--job matmul`: C = A . B with synthetic A and B in DRAM, run by the firmware's tiled GEMM,
// checked bit for bit against the reference model.
#pragma once

#include "job.hpp"

namespace acc {

struct MatmulSpec {
  uint32_t m = 128, k = 512, n = 128;
  uint64_t seed = 1;
  double a_zeros = 0.0;  // fraction of A's words that are zero
  bool prune = false;    // DynaTran at the output
  double tau = 0.0;
  uint32_t ring_entries = DramLayout::kScratchBytes / 64;  // descriptor ring the firmware may use
  bool check = true;      // compare C with the reference model
  uint32_t order = 0;     // the driver's loop order, ACC_GEMM_ORDER_* (0: its planner chooses)
};

class MatmulJob : public Job {
 public:
  explicit MatmulJob(const MatmulSpec& s) : spec_(s) {}
  std::string describe() const override;
  uint64_t host_memory_bytes() override;
  void load(Soc& soc) override;
  JobResult check(Soc& soc, Stats& stats) override;

  // Inputs as loaded (for tests).
  const std::vector<int32_t>& a() const { return a_; }
  const std::vector<int32_t>& b() const { return b_; }

 private:
  MatmulSpec spec_;
  std::vector<int32_t> a_, b_;
  uint32_t c_pa_ = 0;
};

}  // namespace acc
