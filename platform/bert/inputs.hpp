// Inputs of a BERT job: token ids (with the embedding tables of the weights) or encoder-input
// embeddings, per sequence of the batch, with the number of valid tokens (the rest is padding,
// masked as keys).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "model.hpp"

namespace acc {
class InputBytes;
}

namespace acc::bert {

struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Inputs {
  uint32_t seq = 0, batch = 0;
  std::vector<uint32_t> valid_len;   // per sequence, 1..seq
  bool from_tokens = true;
  std::vector<uint32_t> tokens;      // batch x seq (from_tokens)
  std::vector<int32_t> embeddings;   // batch*seq x hidden, Q4.16 (!from_tokens)
  uint64_t saturated = 0;            // embeddings of a file clipped to the number format
  std::string origin;
};

// "128" for every sequence, or "100,90,128,50" per sequence; empty = seq.
std::vector<uint32_t> parse_valid_lengths(const std::string& spec, uint32_t seq, uint32_t batch);

// [CLS] (101), random ids, [SEP] (102) at the last valid position, [PAD] (0) after.
Inputs synthetic_tokens(const Model& m, uint32_t seq, uint32_t batch, const std::vector<uint32_t>& valid, uint64_t seed);

// A text file, one sequence per line, ids separated by spaces or commas; the batch is the number
// of lines, a sequence's valid length the number of its ids.
Inputs tokens_from_file(const Model& m, const std::string& path, uint32_t seq);

// The same in two steps, so that the batch is known before the padded batch x seq ids exist: the
// ids as the file has them (checked: within the vocabulary, at most seq per line; at most
// kMaxTokenFileBytes of text), then padded.
struct TokenFile {
  std::string path;
  std::vector<uint32_t> ids;      // every line's ids, one after the other
  std::vector<uint32_t> lengths;  // ids per non-empty line
};
TokenFile read_token_file(const Model& m, const std::string& path, uint32_t seq);
// The same for a file's text already in memory (tests, the fuzz harness); `path` names it.
TokenFile parse_token_file(const Model& m, const std::string& text, const std::string& path, uint32_t seq);
Inputs padded_tokens(const TokenFile& t, uint32_t seq);

// A NumPy .npy file of float32/float64 embeddings shaped [batch, seq, hidden] or [seq, hidden];
// a NaN or an infinity is an error naming the element.
Inputs embeddings_from_npy(const Model& m, const std::string& path, uint32_t seq, const std::string& valid_spec);
// The same from bytes already opened (the path opens the file; tests and the fuzz harness give bytes
// in memory); in.name() names them in messages.
Inputs embeddings_from_npy(const Model& m, const InputBytes& in, uint32_t seq, const std::string& valid_spec);

// Its header alone, checked against the model and seq: the data type, the shape, and that the
// file holds the data the shape needs (so the batch is known, and bounded by the file's size).
struct NpyEmbeddings {
  std::string path;
  bool f8 = false;  // float64 (else float32)
  uint32_t batch = 0;
  uint64_t data_offset = 0;
};
NpyEmbeddings read_npy_header(const Model& m, const std::string& path, uint32_t seq);

// Any .npy file's header: little-endian float32/float64, C order (else an InputError naming `what`).
struct NpyArray {
  std::vector<uint64_t> shape;
  bool f8 = false;
  uint64_t data_offset = 0;
};
NpyArray read_npy_array(const InputBytes& in, const std::string& what);
NpyEmbeddings read_npy_header(const Model& m, const InputBytes& in, uint32_t seq);

}  // namespace acc::bert
