// `--job fault`: the firmware submits one bad descriptor (after a valid LOAD), reports the error
// the hardware raised, recovers the queue and then runs a matmul that must be bit-exact. Shows
// (and tests) that bad programming stops the queue with a named error and leaves the platform
// usable.
#pragma once

#include "matmul_job.hpp"

namespace acc {

uint32_t parse_fault_kind(const std::string& name);  // throws std::invalid_argument
const char* fault_kind_name(uint32_t kind);
uint32_t expected_error(uint32_t kind);  // the ACC_ERR_* the hardware must report

struct FaultOutcome {
  uint32_t status, err_code, err_desc, err_info, irq_status;
};

class FaultJob : public Job {
 public:
  FaultJob(uint32_t kind, const MatmulSpec& recovery) : kind_(kind), recovery_(recovery) {}
  std::string describe() const override;
  uint64_t host_memory_bytes() override { return recovery_.host_memory_bytes(); }
  void load(Soc& soc) override;
  JobResult check(Soc& soc, Stats& stats) override;
  const FaultOutcome& outcome() const { return outcome_; }

 private:
  uint32_t kind_;
  MatmulJob recovery_;
  FaultOutcome outcome_{};
};

}  // namespace acc
