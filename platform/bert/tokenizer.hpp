// The project's tokenizer (tools/train/tokenizer.py): byte-level, five special tokens and then
// one token per byte value. Its vocabulary file (vocab.txt beside the trained weights) is read
// strictly: exactly the layout the trainer writes, so that a file of another tokenizer (a
// WordPiece vocab.txt of 30,522 lines) is refused by name instead of giving wrong ids.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace acc::bert {

struct ByteTokenizer {
  static constexpr uint32_t kPad = 0, kUnk = 1, kCls = 2, kSep = 3, kMask = 4, kFirstByte = 5;
  static constexpr uint32_t kVocab = kFirstByte + 256;
  std::string origin;
  uint32_t id_of(unsigned char byte) const { return kFirstByte + byte; }
};

// Reads and checks a vocabulary file (at most kMaxVocabBytes); an InputError names the first line
// that differs from the byte-level layout.
ByteTokenizer read_vocab(const std::string& path);

}  // namespace acc::bert
