#include "matmul_job.hpp"

#include <cmath>
#include <sstream>

#include "fixed_point.hpp"
#include "host_memory.hpp"
#include "reference.hpp"

namespace acc {

std::string MatmulJob::describe() const {
  std::ostringstream s;
  s << "matmul " << spec_.m << "x" << spec_.k << "x" << spec_.n;
  if (spec_.a_zeros > 0) s << ", A " << spec_.a_zeros * 100 << " % zeros";
  if (spec_.prune) s << ", DynaTran tau " << spec_.tau;
  return s.str();
}

uint64_t MatmulJob::host_memory_bytes() {
  const double A = double(spec_.m) * spec_.k, B = double(spec_.k) * spec_.n, C = double(spec_.m) * spec_.n;
  // A and B on the host and in DRAM; C in DRAM, and for the check read back and computed by the
  // reference model.
  const double words = 2 * (A + B) + C + (spec_.check ? 2 * C : 0);
  return saturated_bytes(4 * words + DramLayout::kFixedBytes);
}

void MatmulJob::load(Soc& soc) {
  const auto& s = spec_;
  if (!s.m || !s.k || !s.n) throw std::invalid_argument("matmul dimensions must be at least 1");
  DramLayout layout(soc);
  const uint64_t a_bytes = uint64_t{s.m} * s.k * 4, b_bytes = uint64_t{s.k} * s.n * 4, c_bytes = uint64_t{s.m} * s.n * 4;
  const uint32_t a_pa = layout.alloc(a_bytes, "A"), b_pa = layout.alloc(b_bytes, "B");
  c_pa_ = layout.alloc(c_bytes, "C");
  // Entries uniform in [-r, r) with r = sqrt(3) / K^(1/4): each output then has unit variance.
  const double r = std::sqrt(3.0) / std::pow(static_cast<double>(s.k), 0.25);
  Rng rng(s.seed);
  a_ = random_words(rng, uint64_t{s.m} * s.k, r, s.a_zeros);
  b_ = random_words(rng, uint64_t{s.k} * s.n, r);
  write_words(soc, a_pa, a_);
  write_words(soc, b_pa, b_);

  fw_job_t* job = soc.dram_as<fw_job_t>(FW_JOB_PA);
  *job = fw_job_t{};
  job->magic = FW_JOB_MAGIC;
  job->kind = FW_JOB_MATMUL;
  job->scratch_pa = layout.scratch_pa();
  if (s.ring_entries < 2 || s.ring_entries > DramLayout::kScratchBytes / 64) throw std::invalid_argument("ring_entries out of range");
  job->scratch_bytes = s.ring_entries * 64;
  job->status = FW_RUNNING;
  fw_matmul_args_t& a = job->args.matmul;
  a = fw_matmul_args_t{};
  a.m = s.m, a.k = s.k, a.n = s.n;
  a.a_pa = a_pa, a.b_pa = b_pa, a.c_pa = c_pa_;
  a.prune = s.prune ? 1u : 0u;
  a.tau = static_cast<uint32_t>(fx::from_double(s.tau));
  a.order = s.order;
}

JobResult MatmulJob::check(Soc& soc, Stats& stats) {
  const auto& s = spec_;
  const fw_job_t* job = soc.dram_as<fw_job_t>(FW_JOB_PA);
  put_firmware_stats(*job, stats);
  if (job->kind == FW_JOB_MATMUL) put_plan_stats(job->args.matmul, stats);
  JobResult r;
  if (job->status != FW_OK) {
    r.message = firmware_failure(*job, soc);
    return r;
  }
  stats.put("job.checked", s.check ? 1 : 0, "bool", "1 if the outputs were compared with the reference model");
  if (!s.check) {
    r.ok = true;
    r.message = "outputs not checked (--check off)";
    return r;
  }
  const auto c = read_words(soc, c_pa_, uint64_t{s.m} * s.n);
  const auto ref = ref::matmul(a_, b_, s.m, s.k, s.n, false, s.prune, fx::from_double(s.tau));
  uint64_t mismatches = 0, first = 0;
  for (uint64_t i = 0; i < c.size(); ++i)
    if (c[i] != ref[i] && mismatches++ == 0) first = i;
  stats.put("job.outputs", c.size(), "values", "Output values checked");
  stats.put("job.mismatches", mismatches, "values", "Outputs that differ from the reference model");
  r.ok = mismatches == 0;
  std::ostringstream m;
  if (r.ok) {
    m << "bit-exact against the reference model (" << c.size() << " values); " << soc.pe().saturation().describe();
  } else {
    m << mismatches << " of " << c.size() << " values differ from the reference model; first at [" << first / s.n << "]["
      << first % s.n << "]: " << c[first] << " != " << ref[first];
  }
  r.message = m.str();
  return r;
}

}  // namespace acc
