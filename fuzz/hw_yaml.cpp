// A hardware configuration file's text (models/common/hw_config.cpp), with `inherit:` and every
// key: refused only with a ConfigError. The text is given in memory (parse_hw_config, which the
// file reader calls with the file's text); the presets it inherits are parsed once.
#include "fuzz_support.hpp"
#include "hw_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ACC_FUZZ_ONLY_THROWS(acc::ConfigError, acc::parse_hw_config(text, "fuzz.yaml"));
  return 0;
}
