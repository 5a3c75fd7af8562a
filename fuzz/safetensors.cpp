// Weights from a safetensors file (platform/bert/weights.cpp): refused only with a WeightsError.
#include "bert_model.hpp"
#include "fuzz_support.hpp"
#include "bert/weights.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const acc::bert::Model model = acc::fuzz::tiny_model();
  const std::string path = acc::fuzz::input_file(data, size, ".safetensors");
  ACC_FUZZ_ONLY_THROWS(acc::bert::WeightsError, acc::bert::load_safetensors(model, path));
  return 0;
}
