#include "tokenizer.hpp"

#include <cstdio>
#include <sstream>

#include "input_file.hpp"
#include "inputs.hpp"

namespace acc::bert {

ByteTokenizer read_vocab(const std::string& path) {
  std::istringstream f(read_input_file_as<InputError>(path, kMaxVocabBytes, "vocabulary file"));
  std::vector<std::string> want = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (unsigned b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    want.emplace_back(name);
  }
  std::string line;
  uint32_t n = 0;
  while (std::getline(f, line)) {
    if (n == want.size()) throw InputError(path + ": more than the " + std::to_string(want.size()) + " tokens of the byte-level vocabulary");
    if (line != want[n])
      throw InputError(path + ":" + std::to_string(n + 1) + ": '" + line.substr(0, 40) + "', the byte-level vocabulary has '" + want[n] +
                       "' there (tools/train/tokenizer.py writes it)");
    ++n;
  }
  if (n != want.size())
    throw InputError(path + ": " + std::to_string(n) + " tokens, the byte-level vocabulary has " + std::to_string(want.size()));
  ByteTokenizer t;
  t.origin = path;
  return t;
}

}  // namespace acc::bert
