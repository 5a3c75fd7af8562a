// An energy/area table's text (models/common/energy.cpp), as `energy_table:` names a file of it:
// refused only with a ConfigError. EnergyTable::load reads the file and parses its text here.
#include "energy.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ACC_FUZZ_ONLY_THROWS(acc::ConfigError, acc::EnergyTable::parse(text, "fuzz.yaml"));
  return 0;
}
