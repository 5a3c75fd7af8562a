#include "vp_test.hpp"

#include <systemc>

namespace acc::test {

void require_fresh_kernel() {
  ASSERT_EQ(sc_core::sc_get_status(), sc_core::SC_ELABORATION)
      << "one SystemC simulation per process: run this test alone (ctest does; or use --gtest_filter)";
}

RunOutcome run_job(Job& job, const HwConfig& cfg, const SocOptions& opt, const std::function<void(Soc&)>& setup) {
  RunOutcome out;
  require_fresh_kernel();
  if (::testing::Test::HasFatalFailure()) return out;
  Soc soc("soc", cfg, opt);
  job.load(soc);
  if (setup) setup(soc);
  sc_core::sc_start();
  out.dmi_requests = soc.cpu().dmi_requests();
  out.pe_dmi_requests = soc.pe().dmi_requests();
  out.finished = soc.cpu().finished();
  out.fault = soc.cpu().fault();
  out.exit_code = soc.cpu().exit_code();
  out.cpu_state = soc.cpu().state();
  if (out.finished) out.result = job.check(soc, out.stats);
  soc.collect_stats(out.stats);
  out.console = soc.console().text();
  return out;
}

void invalidate_dmi_periodically(Soc& soc, sc_core::sc_time period, int times) {
  sc_core::sc_spawn([&soc, period, times] {
    for (int i = 0; i < times; ++i) {
      sc_core::wait(period);
      soc.dram().invalidate_dmi();
      soc.activation_buffer().invalidate_dmi();
    }
  });
}

double stat(const Stats& s, const std::string& key) {
  EXPECT_TRUE(s.has(key)) << "no statistic " << key;
  return s.get(key);
}

}  // namespace acc::test
