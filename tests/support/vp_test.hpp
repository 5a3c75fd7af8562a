// Helpers for tests that build the platform and run firmware on it.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "hw_config.hpp"
#include "job.hpp"
#include "soc.hpp"
#include "stats.hpp"

namespace acc::test {

// Fails the test unless this process has not simulated yet (SystemC elaborates once per
// process: run one such test per process, as ctest does).
void require_fresh_kernel();

struct RunOutcome {
  JobResult result;
  Stats stats;
  std::string console;
  bool finished = false;
  std::string fault;
  int exit_code = -1;     // the firmware's return value (finished runs)
  std::string cpu_state;  // what the CPU was doing when the simulation ended
  uint64_t dmi_requests = 0;     // DMI grants the host CPU asked for
  uint64_t pe_dmi_requests = 0;  // and the PE cluster
};

// Builds the SoC for `cfg`, loads `job`, simulates until the firmware returns, checks the job and
// collects the statistics.
// `setup`, if given, runs after the job is loaded and before the simulation starts (to spawn a
// process that acts on the platform during the run).
RunOutcome run_job(Job& job, const HwConfig& cfg, const SocOptions& opt = {}, const std::function<void(Soc&)>& setup = {});

// Spawns a process that withdraws the DMI grants of DRAM and the activation buffer `times` times,
// every `period` (tests that initiators ask again).
void invalidate_dmi_periodically(Soc& soc, sc_core::sc_time period, int times);

// Value of a statistic that must exist.
double stat(const Stats& s, const std::string& key);

}  // namespace acc::test
