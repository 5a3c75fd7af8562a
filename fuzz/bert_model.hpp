// The model the BERT-file harnesses read for: small, so that valid inputs (and the seeds) are
// a few hundred bytes.
#pragma once

#include "bert/model.hpp"

namespace acc::fuzz {

inline bert::Model tiny_model() {
  bert::Model m;
  m.name = "fuzz";
  m.hidden = 4;
  m.layers.assign(1, bert::LayerShape{1, 4, {8}});
  m.vocab = 16, m.max_positions = 16, m.type_vocab = 2;
  return m;
}

}  // namespace acc::fuzz
