// Inputs of a BERT job: token ids (with the embedding tables of the weights) or encoder-input
// embeddings, per sequence of the batch, with the number of valid tokens (the rest is padding,
// masked as keys).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "model.hpp"

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
  std::string origin;
};

// "128" for every sequence, or "100,90,128,50" per sequence; empty = seq.
std::vector<uint32_t> parse_valid_lengths(const std::string& spec, uint32_t seq, uint32_t batch);

// [CLS] (101), random ids, [SEP] (102) at the last valid position, [PAD] (0) after.
Inputs synthetic_tokens(const Model& m, uint32_t seq, uint32_t batch, const std::vector<uint32_t>& valid, uint64_t seed);

// A text file, one sequence per line, ids separated by spaces or commas; the batch is the number
// of lines, a sequence's valid length the number of its ids.
Inputs tokens_from_file(const Model& m, const std::string& path, uint32_t seq);

// A NumPy .npy file of float32/float64 embeddings shaped [batch, seq, hidden] or [seq, hidden].
Inputs embeddings_from_npy(const Model& m, const std::string& path, uint32_t seq, const std::string& valid_spec);

}  // namespace acc::bert
