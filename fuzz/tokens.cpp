// Token ids from a text file (platform/bert/inputs.cpp): refused only with an InputError. The text
// is given in memory (parse_token_file, which the file reader calls with the file's text).
#include "bert_model.hpp"
#include "fuzz_support.hpp"
#include "bert/inputs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const acc::bert::Model model = acc::fuzz::tiny_model();
  const std::string text(reinterpret_cast<const char*>(data), size);
  ACC_FUZZ_ONLY_THROWS(acc::bert::InputError, acc::bert::padded_tokens(acc::bert::parse_token_file(model, text, "fuzz.txt", 8), 8));
  return 0;
}
