// Weights from a safetensors file (platform/bert/weights.cpp): refused only with a WeightsError.
// The bytes are given in memory (the reader seeks in a file through the same InputBytes).
#include "bert_model.hpp"
#include "fuzz_support.hpp"
#include "bert/weights.hpp"
#include "input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const acc::bert::Model model = acc::fuzz::tiny_model();
  const acc::InputBytes bytes(data, size, "fuzz.safetensors");
  ACC_FUZZ_ONLY_THROWS(acc::bert::WeightsError, acc::bert::load_safetensors(model, bytes));
  return 0;
}
