// Token ids from a text file (platform/bert/inputs.cpp): refused only with an InputError.
#include "bert_model.hpp"
#include "fuzz_support.hpp"
#include "bert/inputs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const acc::bert::Model model = acc::fuzz::tiny_model();
  const std::string path = acc::fuzz::input_file(data, size, ".txt");
  ACC_FUZZ_ONLY_THROWS(acc::bert::InputError, acc::bert::tokens_from_file(model, path, 8));
  return 0;
}
