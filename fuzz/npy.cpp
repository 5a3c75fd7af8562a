// Encoder-input embeddings from a .npy file (platform/bert/inputs.cpp): refused only with an
// InputError.
#include "bert_model.hpp"
#include "fuzz_support.hpp"
#include "bert/inputs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const acc::bert::Model model = acc::fuzz::tiny_model();
  const std::string path = acc::fuzz::input_file(data, size, ".npy");
  ACC_FUZZ_ONLY_THROWS(acc::bert::InputError, acc::bert::embeddings_from_npy(model, path, 8, ""));
  return 0;
}
