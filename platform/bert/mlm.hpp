// The masked-language-model task (--task mlm): a text cut into sequences with the byte-level
// tokenizer, a fixed fraction of its tokens masked, and the masked tokens predicted from the
// accelerator's final hidden states by the MLM head on the host (in double precision): the
// accelerator runs the encoder, the host only the head.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inputs.hpp"
#include "tokenizer.hpp"
#include "weights.hpp"

namespace acc::bert {

struct MaskedText {
  TokenFile tokens;                 // [CLS] bytes [SEP] per sequence, the chosen bytes replaced by [MASK]
  std::vector<uint64_t> positions;  // of the masked tokens, as sequence * seq + token
  std::vector<uint32_t> labels;     // their original ids
};

// The text (at most kMaxMlmTextBytes) cut into sequences of seq - 2 bytes (the last may be
// shorter), at most max_sequences of them (0: all); each byte is masked with probability
// `rate`, drawn from `seed`. Every masked token becomes [MASK] (not BERT's 80/10/10: the metric
// asks for the hidden byte). An InputError if the text is empty, seq < 3, or nothing is masked.
MaskedText mask_text_file(const ByteTokenizer& tok, const std::string& path, uint32_t seq, uint32_t max_sequences, double rate,
                          uint64_t seed);

// The masked text of --task mlm for model m (whose vocabulary must be the tokenizer's): the
// tokenizer read from `vocab`, or from vocab.txt beside the weights when `vocab` is empty. The
// BERT job runs it; acceltran-calibrate samples the same sequences and masks.
MaskedText mask_text_for_model(const Model& m, const std::string& weights_file, const std::string& vocab, const std::string& path,
                               uint32_t seq, uint32_t max_sequences, double rate, uint64_t seed);

struct MlmScore {
  uint64_t masked = 0, correct = 0;
  double loss = 0;  // mean cross-entropy (nats) of the original tokens
  double accuracy() const { return masked ? double(correct) / double(masked) : 0.0; }
};

// Runs the head on the hidden states (sequences x seq x hidden) of the masked positions: the
// accelerator's (Q4.16) or the double-precision BERT's.
MlmScore score_masked_tokens(const Model& m, const MlmHead& head, const std::vector<int32_t>& hidden, const MaskedText& text);
MlmScore score_masked_tokens(const Model& m, const MlmHead& head, const std::vector<double>& hidden, const MaskedText& text);

}  // namespace acc::bert
