// AccelTran's model-dict JSON (platform/bert/model.cpp): refused only with a ModelError.
#include "fuzz_support.hpp"
#include "bert/model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ACC_FUZZ_ONLY_THROWS(acc::bert::ModelError, acc::bert::model_from_dict(text, "fuzz.json"));
  return 0;
}
