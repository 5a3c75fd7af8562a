#include "mlm.hpp"

#include <algorithm>
#include <cmath>

#include "fixed_point.hpp"
#include "input_file.hpp"
#include "job.hpp"

namespace acc::bert {

MaskedText mask_text_file(const ByteTokenizer& tok, const std::string& path, uint32_t seq, uint32_t max_sequences, double rate,
                          uint64_t seed) {
  if (seq < 3) throw InputError("--task mlm needs --seq of at least 3 ([CLS], a byte, [SEP])");
  const std::string text = read_input_file_as<InputError>(path, kMaxMlmTextBytes, "MLM text file");
  if (text.empty()) throw InputError(path + ": the MLM text file is empty");
  MaskedText out;
  out.tokens.path = path;
  Rng rng(seed ^ 0x6D6C6Dull);  // 'mlm'
  const uint64_t body = seq - 2;
  for (uint64_t at = 0; at < text.size(); at += body) {
    if (max_sequences && out.tokens.lengths.size() == max_sequences) break;
    const uint64_t n = std::min<uint64_t>(body, text.size() - at);
    const uint64_t row = out.tokens.lengths.size();
    out.tokens.ids.push_back(ByteTokenizer::kCls);
    for (uint64_t i = 0; i < n; ++i) {
      const uint32_t id = tok.id_of(static_cast<unsigned char>(text[at + i]));
      // A 53-bit uniform draw in [0, 1).
      if (static_cast<double>(rng.next() >> 11) * 0x1.0p-53 < rate) {
        out.positions.push_back(row * seq + 1 + i);
        out.labels.push_back(id);
        out.tokens.ids.push_back(ByteTokenizer::kMask);
      } else {
        out.tokens.ids.push_back(id);
      }
    }
    out.tokens.ids.push_back(ByteTokenizer::kSep);
    out.tokens.lengths.push_back(static_cast<uint32_t>(n + 2));
  }
  if (out.positions.empty()) throw InputError(path + ": no token was masked (the text is too short)");
  return out;
}

MaskedText mask_text_for_model(const Model& m, const std::string& weights_file, const std::string& vocab, const std::string& path,
                               uint32_t seq, uint32_t max_sequences, double rate, uint64_t seed) {
  std::string file = vocab;
  if (file.empty()) {
    const size_t slash = weights_file.rfind('/');
    file = (slash == std::string::npos ? std::string() : weights_file.substr(0, slash + 1)) + "vocab.txt";
  }
  const ByteTokenizer tok = read_vocab(file);
  if (m.vocab != ByteTokenizer::kVocab)
    throw InputError(weights_file + ": a vocabulary of " + std::to_string(m.vocab) + " tokens, the tokenizer '" + file + "' has " +
                     std::to_string(ByteTokenizer::kVocab));
  return mask_text_file(tok, path, seq, max_sequences, rate, seed);
}

namespace {
double value_of(int32_t q) { return fx::to_double(q); }
double value_of(double v) { return v; }

template <class T>
MlmScore score(const Model& m, const MlmHead& head, const std::vector<T>& hidden, const MaskedText& text) {
  const uint64_t H = m.hidden, V = m.vocab;
  MlmScore s;
  std::vector<double> x(H), t(H), logits(V);
  for (size_t k = 0; k < text.positions.size(); ++k) {
    const uint64_t row = text.positions[k] * H;
    for (uint64_t c = 0; c < H; ++c) x[c] = value_of(hidden.at(row + c));
    // transform: dense, erf-GELU, LayerNorm
    for (uint64_t o = 0; o < H; ++o) {
      double v = head.dense_b[o];
      for (uint64_t i = 0; i < H; ++i) v += x[i] * head.dense_w[i * H + o];
      t[o] = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    }
    double mean = 0, var = 0;
    for (double v : t) mean += v;
    mean /= double(H);
    for (double v : t) var += (v - mean) * (v - mean);
    var /= double(H);
    const double inv = 1.0 / std::sqrt(var + m.ln_eps);
    for (uint64_t c = 0; c < H; ++c) t[c] = (t[c] - mean) * inv * head.ln_g[c] + head.ln_b[c];
    // decoder and log-softmax
    uint64_t best = 0;
    for (uint64_t v = 0; v < V; ++v) {
      double z = head.bias[v];
      for (uint64_t c = 0; c < H; ++c) z += head.decoder[v * H + c] * t[c];
      logits[v] = z;
      if (z > logits[best]) best = v;
    }
    double sum = 0;
    for (double z : logits) sum += std::exp(z - logits[best]);
    s.loss += logits[best] + std::log(sum) - logits[text.labels[k]];
    s.correct += best == text.labels[k];
    ++s.masked;
  }
  if (s.masked) s.loss /= double(s.masked);
  return s;
}
}  // namespace

MlmScore score_masked_tokens(const Model& m, const MlmHead& head, const std::vector<int32_t>& hidden, const MaskedText& text) {
  return score(m, head, hidden, text);
}
MlmScore score_masked_tokens(const Model& m, const MlmHead& head, const std::vector<double>& hidden, const MaskedText& text) {
  return score(m, head, hidden, text);
}

}  // namespace acc::bert
