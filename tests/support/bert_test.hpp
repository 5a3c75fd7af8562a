// A BERT job run for a test that expects it to pass its checks: finished, checked against the
// reference model, bit-exact, no descriptor error.
#pragma once

#include "bert_job.hpp"
#include "vp_test.hpp"

namespace acc::test {

// Any job that reports job.checked and job.mismatches (BERT, GPT-2).
inline RunOutcome run_checked(Job& job, const HwConfig& cfg) {
  auto out = run_job(job, cfg);
  EXPECT_TRUE(out.finished) << out.fault;
  EXPECT_TRUE(out.result.ok) << out.result.message;
  EXPECT_EQ(out.stats.get("job.checked", -1), 1);
  EXPECT_EQ(out.stats.get("job.mismatches", -1), 0);
  EXPECT_EQ(stat(out.stats, "control.errors"), 0);
  return out;
}

inline RunOutcome run_checked_bert(const BertSpec& spec, const HwConfig& cfg) {
  BertJob job(spec);
  return run_checked(job, cfg);
}

}  // namespace acc::test
