// A BERT job run for a test that expects it to pass its checks: finished, checked against the
// reference model, bit-exact, no descriptor error.
#pragma once

#include "bert_job.hpp"
#include "vp_test.hpp"

namespace acc::test {

inline RunOutcome run_checked_bert(const BertSpec& spec, const HwConfig& cfg) {
  BertJob job(spec);
  auto out = run_job(job, cfg);
  EXPECT_TRUE(out.finished) << out.fault;
  EXPECT_TRUE(out.result.ok) << out.result.message;
  EXPECT_EQ(out.stats.get("job.checked", -1), 1);
  EXPECT_EQ(out.stats.get("job.mismatches", -1), 0);
  EXPECT_EQ(stat(out.stats, "control.errors"), 0);
  return out;
}

}  // namespace acc::test
