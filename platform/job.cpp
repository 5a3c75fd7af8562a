#include "job.hpp"

#include <cstring>
#include <sstream>
#include <stdexcept>

#include "bert/weights.hpp"
#include "fixed_point.hpp"
#include "regmap.hpp"

namespace acc {

DramLayout::DramLayout(const Soc& soc)
    : next_(uint64_t{FW_JOB_PA} + kFixedBytes), end_(uint64_t{ACC_MAP_DRAM_BASE} + soc.cfg().dram_bytes()) {}

uint32_t DramLayout::alloc(uint64_t bytes, const std::string& what) {
  const uint64_t pa = next_;
  if (bytes > end_ - pa)
    throw ConfigError("DRAM too small for " + what + ": needs " + std::to_string((pa + bytes - ACC_MAP_DRAM_BASE) >> 20) +
                             " MiB (raise main_memory.size_mb)");
  next_ = (pa + bytes + 4095) & ~uint64_t{4095};
  return static_cast<uint32_t>(pa);
}

std::vector<int32_t> random_words(Rng& rng, uint64_t n, double scale, double zeros) {
  std::vector<int32_t> w(n);
  for (auto& v : w) {
    const double u = rng.uniform();  // drawn always, so sparsity does not shift the stream
    const double x = (2.0 * rng.uniform() - 1.0) * scale;
    v = u < zeros ? 0 : fx::from_double(x);
  }
  return w;
}

void write_words(Soc& soc, uint32_t pa, const std::vector<int32_t>& w) {
  std::memcpy(soc.dram_ptr(pa, w.size() * 4), w.data(), w.size() * 4);
}

uint32_t put_tensor(Soc& soc, DramLayout& layout, const std::vector<int32_t>& t, uint64_t, const std::string& what) {
  const uint32_t pa = layout.alloc(t.size() * 4, what);
  write_words(soc, pa, t);
  return pa;
}

uint32_t put_tensor(Soc& soc, DramLayout& layout, const bert::SyntheticTensor& t, uint64_t seed, const std::string& what) {
  const uint32_t pa = layout.alloc(t.n * 4, what);
  int32_t* words = soc.dram_as<int32_t>(pa, t.n);
  // On the fill's one thread (a second would not share its priority); drawn at once, a large
  // tensor on two.
  const unsigned threads = soc.writes_dram_in_background() ? 1 : 2;
  soc.write_dram_later(pa, t.n * 4, [t, seed, words, threads] { t.draw(seed, words, threads, bert::CacheRead::Map); });
  return pa;
}

std::vector<int32_t> read_words(Soc& soc, uint32_t pa, uint64_t n) {
  std::vector<int32_t> w(n);
  std::memcpy(w.data(), soc.dram_ptr(pa, n * 4), n * 4);
  return w;
}

void put_load_saturation(Stats& stats, uint64_t weights) {
  stats.put("saturation.weights", weights, "values", "Weights of the file clipped to the number format when loaded");
}

void put_load_saturation(Stats& stats, uint64_t weights, uint64_t inputs) {
  put_load_saturation(stats, weights);
  stats.put("saturation.inputs", inputs, "values", "Input values of a file (--embeddings, --image) clipped to the number format when loaded");
}

void put_firmware_stats(const fw_job_t& job, Stats& stats) {
  stats.put("job.firmware_status", job.status, "code", "Status the firmware reported (0 = ok)");
  stats.put("job.descriptors", job.descriptors, "descriptors", "Descriptors the firmware submitted");
  stats.put("job.perf.cycles", uint64_t{job.perf_cycles_hi} << 32 | job.perf_cycles_lo, "cycles",
            "PERF_CYCLES as the firmware read it after the job");
  stats.put("job.perf.macs", uint64_t{job.perf_macs_hi} << 32 | job.perf_macs_lo, "MACs", "PERF_MACS as the firmware read it");
  stats.put("job.perf.descriptors", job.perf_desc_done, "descriptors", "PERF_DESC_DONE as the firmware read it");
}

void put_plan_stats(const fw_matmul_args_t& a, Stats& stats) {
  if (a.plan_steps == 0) return;  // the firmware did not get as far as a plan
  // Planned traffic is counted in dense zero-free words: a word of the format and a mask bit each.
  auto bytes = [](uint32_t lo, uint32_t hi) { return ((uint64_t{hi} << 32 | lo) * (fx::word_bits() + 1) + 7) / 8; };
  stats.put("job.plan.order", a.plan_order, "code", "Loop order of the GEMM: 1 = b_i_j_k (rows of C outer), 2 = b_j_i_k (columns outer)");
  stats.put("job.plan.tile_m", a.plan_mt, "rows", "Rows of a C tile (and of an A tile)");
  stats.put("job.plan.tile_n", a.plan_nt, "columns", "Columns of a C tile (and of a B tile)");
  stats.put("job.plan.keep", a.plan_keep, "bool", "1 if the inner operand stays resident after its first load");
  stats.put("job.plan.steps", a.plan_steps, "matmuls", "MATMUL descriptors of the plan");
  stats.put("job.plan.dram_bytes", bytes(a.plan_dram_words_lo, a.plan_dram_words_hi), "bytes",
            "DRAM traffic the plan moves, dense (a word and its mask bit each)");
  stats.put("job.plan.estimated_cycles", uint64_t{a.plan_est_cycles_hi} << 32 | a.plan_est_cycles_lo, "cycles",
            "The planner's estimate of the job's cycles (its model: docs/firmware.md)");
  stats.put("job.plan.min_dram_bytes", bytes(a.plan_min_words_lo, a.plan_min_words_hi), "bytes",
            "The least any plan can move: A, B and C once each, dense");
}

std::string firmware_failure(const fw_job_t& job, Soc& soc) {
  std::ostringstream m;
  m << "firmware reported: " << fw_status_name(job.status);
  const auto describe = [&](uint32_t code, uint32_t desc, uint32_t info) {
    m << regmap::error_name(code) << " at descriptor " << desc << " (info 0x" << std::hex << info << std::dec << ")";
  };
  if (job.status == FW_ERR_ACCEL) {
    m << " ";
    describe(job.err_code, job.err_desc, job.err_info);
  }
  const ControlBlock::ErrorRecord& hw = soc.control().last_error();
  if (soc.control().error_stops() > 0 && (job.status != FW_ERR_ACCEL || hw.code != job.err_code || hw.desc != job.err_desc || hw.info != job.err_info)) {
    m << "; the accelerator's last error stop: ";
    describe(hw.code, hw.desc, hw.info);
  }
  return m.str();
}

std::string fw_status_name(uint32_t status) {
  switch (status) {
    case FW_OK: return "ok";
    case FW_ERR_ACCEL: return "accelerator error";
    case FW_ERR_NO_DEVICE: return "no device";
    case FW_ERR_NO_MEMORY: return "does not fit the buffers or scratch memory";
    case FW_ERR_BAD_JOB: return "bad job";
    case FW_ERR_UNSUPPORTED: return "unsupported dimension";
    case FW_RUNNING: return "still running";
    default: return "status " + std::to_string(status);
  }
}

fw_job_t* start_job(Soc& soc, const DramLayout& layout, uint32_t kind) {
  fw_job_t* job = soc.dram_as<fw_job_t>(FW_JOB_PA);
  *job = fw_job_t{};
  job->magic = FW_JOB_MAGIC;
  job->kind = kind;
  job->scratch_pa = layout.scratch_pa();
  job->scratch_bytes = DramLayout::kScratchBytes;
  job->status = FW_RUNNING;
  return job;
}

}  // namespace acc
