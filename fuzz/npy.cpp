// Encoder-input embeddings from a .npy file (platform/bert/inputs.cpp): refused only with an
// InputError. The bytes are given in memory (the reader seeks in a file through the same InputBytes).
#include "bert_model.hpp"
#include "fuzz_support.hpp"
#include "bert/inputs.hpp"
#include "input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const acc::bert::Model model = acc::fuzz::tiny_model();
  const acc::InputBytes bytes(data, size, "fuzz.npy");
  ACC_FUZZ_ONLY_THROWS(acc::bert::InputError, acc::bert::embeddings_from_npy(model, bytes, 8, ""));
  return 0;
}
