#include "fault_job.hpp"

#include <sstream>
#include <stdexcept>

#include "regmap.hpp"

namespace acc {

namespace {
struct Kind {
  const char* name;
  uint32_t code, error;
};
const Kind kKinds[] = {
    {"opcode", FW_FAULT_OPCODE, ACC_ERR_BAD_OPCODE},
    {"dram", FW_FAULT_DRAM, ACC_ERR_DRAM_RANGE},
    {"overflow", FW_FAULT_OVERFLOW, ACC_ERR_BUFFER_OVERFLOW},
    {"shape", FW_FAULT_SHAPE, ACC_ERR_BAD_SHAPE},
    {"scale", FW_FAULT_SCALE, ACC_ERR_BAD_CONFIG},
};
}  // namespace

uint32_t parse_fault_kind(const std::string& name) {
  for (const auto& k : kKinds)
    if (name == k.name) return k.code;
  throw std::invalid_argument("--fault '" + name + "': expected opcode, dram, overflow, shape or scale");
}

const char* fault_kind_name(uint32_t kind) {
  for (const auto& k : kKinds)
    if (kind == k.code) return k.name;
  return "?";
}

uint32_t expected_error(uint32_t kind) {
  for (const auto& k : kKinds)
    if (kind == k.code) return k.error;
  return ACC_ERR_NONE;
}

std::string FaultJob::describe() const {
  return std::string("fault '") + fault_kind_name(kind_) + "', then " + recovery_.describe();
}

void FaultJob::load(Soc& soc) {
  recovery_.load(soc);  // places A, B and a matmul job
  fw_job_t* job = soc.dram_as<fw_job_t>(FW_JOB_PA);
  const fw_matmul_args_t mm = job->args.matmul;
  job->kind = FW_JOB_FAULT;
  job->args.fault = fw_fault_args_t{};
  job->args.fault.fault = kind_;
  job->args.fault.recovery = mm;
}

JobResult FaultJob::check(Soc& soc, Stats& stats) {
  const fw_fault_args_t& f = soc.dram_as<fw_job_t>(FW_JOB_PA)->args.fault;
  outcome_ = {f.fault_status, f.fault_err_code, f.fault_err_desc, f.fault_err_info, f.fault_irq_status};
  stats.put("job.fault.err_code", f.fault_err_code, "code", "ERR_CODE the faulting submission raised");
  stats.put("job.fault.err_desc", f.fault_err_desc, "index", "ERR_DESC: ring index of the faulting descriptor");
  const uint32_t want = expected_error(kind_);
  JobResult r = recovery_.check(soc, stats);
  std::ostringstream m;
  m << "fault " << fault_kind_name(kind_) << " -> " << regmap::error_name(f.fault_err_code) << " at descriptor " << f.fault_err_desc
    << "; recovery: " << r.message;
  if (f.fault_err_code != want) {
    r.ok = false;
    m << "; expected " << regmap::error_name(want);
  }
  r.message = m.str();
  return r;
}

}  // namespace acc
