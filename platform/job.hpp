// A job: what the platform loads into DRAM before the firmware runs, and how it checks and
// reports the outcome afterwards. The firmware side of each job is in firmware/apps.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fw_job.h"
#include "soc.hpp"
#include "stats.hpp"

namespace acc {

namespace bert {
struct SyntheticTensor;
}

struct JobResult {
  bool ok = false;
  std::string message;  // one line for the summary
};

class Job {
 public:
  virtual ~Job() = default;
  virtual std::string describe() const = 0;
  // An upper estimate (bytes) of the host memory the job needs on top of the platform
  // (platform_host_bytes): its DRAM image, its own copies of the data, the reference model's
  // buffers. It may read the job's small input files (model dict, token file, .npy header),
  // never its large data; the command line refuses a job whose estimate exceeds the limit.
  virtual uint64_t host_memory_bytes() = 0;
  virtual void load(Soc& soc) = 0;
  virtual JobResult check(Soc& soc, Stats& stats) = 0;
};

// DRAM layout of every job: the fw_job_t at FW_JOB_PA, the firmware's scratch area (descriptor
// ring), then tensors, each 4 KiB aligned.
class DramLayout {
 public:
  static constexpr uint32_t kScratchBytes = 4096 * 64;  // a ring of 4096 descriptors
  static constexpr uint32_t kFixedBytes = 4096 + kScratchBytes;  // before the first tensor
  explicit DramLayout(const Soc& soc);
  uint32_t scratch_pa() const { return FW_JOB_PA + 4096; }
  // Reserves `bytes` for a tensor; throws std::runtime_error naming `what` if DRAM is too small.
  uint32_t alloc(uint64_t bytes, const std::string& what);

 private:
  uint64_t next_, end_;
};

// Writes a fresh fw_job_t of `kind` at FW_JOB_PA (magic, the scratch area of the layout, status
// RUNNING) and returns it for the job's arguments.
fw_job_t* start_job(Soc& soc, const DramLayout& layout, uint32_t kind);

// Deterministic synthetic data (the same on every host and standard library).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {  // splitmix64
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)

 private:
  uint64_t s_;
};

// n Q4.16 words uniform in [-scale, scale), each zero with probability `zeros`.
std::vector<int32_t> random_words(Rng& rng, uint64_t n, double scale, double zeros = 0.0);

void write_words(Soc& soc, uint32_t pa, const std::vector<int32_t>& w);
// A tensor into DRAM at a new allocation: its words, or a synthetic tensor drawn in place (`seed`).
uint32_t put_tensor(Soc& soc, DramLayout& layout, const std::vector<int32_t>& t, uint64_t seed, const std::string& what);
uint32_t put_tensor(Soc& soc, DramLayout& layout, const bert::SyntheticTensor& t, uint64_t seed, const std::string& what);
std::vector<int32_t> read_words(Soc& soc, uint32_t pa, uint64_t n);

// Status word of the firmware, as text.
std::string fw_status_name(uint32_t status);

// The result line of a job whose firmware did not return FW_OK: its status and, for an accelerator
// error, what the firmware read from ERR_CODE / ERR_DESC / ERR_INFO; and the hardware's own record
// of its last error stop when that differs (a QUEUE_RESET after the stop clears the registers).
std::string firmware_failure(const fw_job_t& job, Soc& soc);

// What every job reports of the firmware's run: status, descriptors, the counters it read.
void put_firmware_stats(const fw_job_t& job, Stats& stats);
// saturation.weights (and saturation.inputs, for jobs that read input values from a file): values
// clipped to the number format when they were loaded.
void put_load_saturation(Stats& stats, uint64_t weights);
void put_load_saturation(Stats& stats, uint64_t weights, uint64_t inputs);
// The GEMM plan the firmware followed (job.plan.*).
void put_plan_stats(const fw_matmul_args_t& args, Stats& stats);

}  // namespace acc
