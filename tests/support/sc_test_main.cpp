// The main of every test binary. libsystemc owns main() and calls sc_main(), so test binaries
// link GTest::gtest (never gtest_main, which would give a binary that runs zero tests and exits 0)
// and run the tests from here. ctest runs each TEST in its own process (gtest_discover_tests):
// SystemC elaborates once per process.
#include <gtest/gtest.h>
#include <systemc>

#include <cstdlib>

static const bool kQuietKernel = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0) == 0;

int sc_main(int argc, char** argv) {
  (void)kQuietKernel;
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
