// A hardware configuration file (models/common/hw_config.cpp), with `inherit:` and every key:
// refused only with a ConfigError.
#include "fuzz_support.hpp"
#include "hw_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = acc::fuzz::input_file(data, size, ".yaml");
  ACC_FUZZ_ONLY_THROWS(acc::ConfigError, acc::load_hw_config(path));
  return 0;
}
