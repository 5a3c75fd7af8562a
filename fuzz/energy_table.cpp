// An energy/area table (models/common/energy.cpp), as `energy_table:` names it: refused only with
// a ConfigError.
#include "energy.hpp"
#include "fuzz_support.hpp"
#include "hw_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static acc::HwConfig cfg = acc::load_hw_config("edge");
  cfg.energy_table = acc::fuzz::input_file(data, size, ".yaml");
  ACC_FUZZ_ONLY_THROWS(acc::ConfigError, acc::EnergyTable::load(cfg));
  return 0;
}
