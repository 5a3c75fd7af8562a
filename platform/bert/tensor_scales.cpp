#include "tensor_scales.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "fixed_point.hpp"
#include "reference.hpp"

namespace acc::bert {

namespace {

std::vector<double> doubles(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

double peak(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

// The query's real values as the accelerator holds them: the file's divided by sqrt(d) per column.
std::vector<double> folded_query(const LayerShape& s, const std::vector<float>& v) { return divide_columns(doubles(v), query_scale_divisors(s)); }

// v at fraction bits f: round half up, saturate to the word (counted).
Tensor quantize(const std::vector<double>& v, int f, uint64_t& saturated) {
  const fx::Format& fmt = fx::format();
  Tensor t(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const double scaled = std::floor(std::ldexp(v[i], f) + 0.5);
    saturated += scaled > fmt.max() || scaled < fmt.min();
    t[i] = scaled >= fmt.max() ? fmt.max() : scaled <= fmt.min() ? fmt.min() : static_cast<int32_t>(scaled);
  }
  return t;
}
Tensor quantize(const std::vector<float>& v, int f, uint64_t& saturated) { return quantize(doubles(v), f, saturated); }

// The epsilon in units of 2^-2f (the variance of an input with f fraction bits), within 32 bits.
uint32_t eps_units(double eps, uint32_t f) { return static_cast<uint32_t>(std::min(std::llround(std::ldexp(eps, 2 * static_cast<int>(f))), 0xFFFFFFFFll)); }

// A matmul's output and bias fractions within the shifters' reach: fc <= fa + fb (the narrowing
// shifts right), fa + fb - 31 <= fbias <= fa + fb (the bias shifts left by 0..31).
void fit_matmul(uint32_t fa, uint32_t fb, uint32_t& fc, uint32_t* fbias) {
  fc = std::min(fc, fa + fb);
  if (fbias) *fbias = std::clamp<uint32_t>(*fbias, fa + fb > 31 ? fa + fb - 31 : 0, fa + fb);
}

}  // namespace

int frac_for(double max_abs) {
  const fx::Format& f = fx::format();
  const int top = f.max_tensor_frac();
  if (!(max_abs > 0)) return top;
  // The largest f with max_abs * 2^f <= the largest word.
  const int fit = static_cast<int>(std::floor(std::log2(double(f.max()) / max_abs)));
  return std::clamp(fit, 0, top);
}

std::shared_ptr<const FileValues> values_of_words(const Model& m, const Weights& w, const std::vector<uint32_t>& tokens) {
  auto v = std::make_shared<FileValues>();
  auto real = [](const Tensor& t) {
    std::vector<float> r(t.size());
    for (size_t i = 0; i < t.size(); ++i) r[i] = static_cast<float>(fx::to_double(t[i]));  // Q4.16 words are exact in a float
    return r;
  };
  const uint64_t H = m.hidden;
  v->word.assign(uint64_t{m.vocab} * H, 0.0f);  // the rows the inputs use (the others are never read)
  Tensor row(H);
  for (uint32_t id : tokens) {
    w.word.row(id, row.data());
    const std::vector<float> r = real(row);
    std::copy(r.begin(), r.end(), v->word.begin() + uint64_t{id} * H);
  }
  v->pos = real(w.pos), v->type = real(w.type), v->emb_g = real(w.emb_g), v->emb_b = real(w.emb_b);
  v->pool_w = real(w.pool_w), v->pool_b = real(w.pool_b);
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const LayerWeights& L = w.layers[l];
    LayerTensors<float> F;
    // FileValues hold the query unfolded: the words times sqrt(d) per column.
    const std::vector<double> root_d = query_scale_divisors(m.layers[l]);
    auto unfold = [&](const Tensor& t) {
      std::vector<float> r = real(t);
      for (size_t i = 0; i < r.size(); ++i) r[i] = static_cast<float>(r[i] * root_d[i % root_d.size()]);
      return r;
    };
    F.wq = unfold(L.wq), F.bq = unfold(L.bq), F.wk = real(L.wk), F.bk = real(L.bk), F.wv = real(L.wv), F.bv = real(L.bv);
    F.wo = real(L.wo), F.bo = real(L.bo), F.ln1_g = real(L.ln1_g), F.ln1_b = real(L.ln1_b), F.ln2_g = real(L.ln2_g), F.ln2_b = real(L.ln2_b);
    for (size_t i = 0; i < L.ffn_w.size(); ++i) F.ffn_w.push_back(real(L.ffn_w[i])), F.ffn_b.push_back(real(L.ffn_b[i]));
    v->layers.push_back(std::move(F));
  }
  return v;
}

TensorScales calibrate_scales(const Model& m, const Weights& w, const Inputs& in, const RunOptions& o) {
  const FileValues& V = *w.file_values;
  // Static calibration: the largest magnitude of every activation of the double-precision model.
  std::map<std::string, std::vector<double>> seen;
  RunOptions co = o;
  co.scales = nullptr;
  co.observe_float = [&](const char* site, size_t l, const std::vector<double>& v) {
    std::vector<double>& p = seen[site];
    if (p.size() <= l) p.resize(l + 1, 0.0);
    p[l] = std::max(p[l], peak(v));
  };
  float_forward(m, w, in, co, m.ln_eps);
  auto act = [&](const char* site, size_t l) {
    const auto it = seen.find(site);
    return static_cast<uint32_t>(frac_for(it == seen.end() || it->second.size() <= l ? 0.0 : it->second[l]));
  };
  auto own = [](const std::vector<double>& v) { return static_cast<uint32_t>(frac_for(peak(v))); };
  auto own_f = [&](const std::vector<float>& v) { return own(doubles(v)); };

  const uint64_t S = in.seq, H = m.hidden;
  TensorScales s;
  fw_bert_scales_t& g = s.global;
  // Embeddings: the table's rows the inputs use, the positions and type 0, their sums.
  double word = 0, pos_type = 0, sum = 0;
  for (uint64_t r = 0; r < in.tokens.size(); ++r)
    for (uint64_t c = 0; c < H; ++c) {
      const double wv = V.word[uint64_t{in.tokens[r]} * H + c], pt = double(V.pos[(r % S) * H + c]) + double(V.type[c]);
      word = std::max(word, std::fabs(wv)), pos_type = std::max(pos_type, std::fabs(pt)), sum = std::max(sum, std::fabs(wv + pt));
    }
  g.word = static_cast<uint32_t>(frac_for(word));
  g.pos = own(std::vector<double>(V.pos.begin(), V.pos.begin() + S * H)), g.type = own(std::vector<double>(V.type.begin(), V.type.begin() + H));
  g.pos_type = static_cast<uint32_t>(frac_for(pos_type)), g.emb_sum = static_cast<uint32_t>(frac_for(sum));
  g.emb_ln_g = own_f(V.emb_g), g.emb = std::min(act("emb", 0), 16 + g.emb_ln_g);
  g.emb_eps = eps_units(m.ln_eps, g.emb_sum);
  const uint32_t probs = static_cast<uint32_t>(fx::word_bits() - 2);  // holds 1.0
  uint32_t x = g.emb;
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const LayerShape& shape = m.layers[l];
    const LayerTensors<float>& F = V.layers[l];
    fw_bert_layer_scales_t f{};
    f.x = x;
    f.wq = own(folded_query(shape, F.wq)), f.bq = own(folded_query(shape, F.bq)), f.q = act("q", l);
    f.wk = own_f(F.wk), f.bk = own_f(F.bk), f.k = act("k", l);
    f.wv = own_f(F.wv), f.bv = own_f(F.bv), f.v = act("v", l);
    fit_matmul(f.x, f.wq, f.q, &f.bq), fit_matmul(f.x, f.wk, f.k, &f.bk), fit_matmul(f.x, f.wv, f.v, &f.bv);
    f.scores = act("scores", l), f.probs = probs, f.ctx = act("ctx", l);
    fit_matmul(f.q, f.k, f.scores, nullptr), fit_matmul(f.probs, f.v, f.ctx, nullptr);
    f.wo = own_f(F.wo), f.bo = own_f(F.bo), f.attn = act("attn", l);
    fit_matmul(f.ctx, f.wo, f.attn, &f.bo);
    f.res1 = act("res1", l), f.ln1_g = own_f(F.ln1_g), f.ln1 = std::min(act("ln1", l), 16 + f.ln1_g), f.ln1_eps = eps_units(m.ln_eps, f.res1);
    uint32_t in_frac = f.ln1;
    for (size_t i = 0; i < F.ffn_w.size(); ++i) {
      const char* const site[] = {"ffn0", "ffn1", "ffn2", "ffn3", "ffn4"};
      f.ffn_w[i] = own_f(F.ffn_w[i]), f.ffn_b[i] = own_f(F.ffn_b[i]), f.ffn[i] = act(site[i], l);
      fit_matmul(in_frac, f.ffn_w[i], f.ffn[i], &f.ffn_b[i]);
      in_frac = f.ffn[i];
    }
    f.res2 = act("res2", l), f.ln2_g = own_f(F.ln2_g), f.ln2 = std::min(act("ln2", l), 16 + f.ln2_g), f.ln2_eps = eps_units(m.ln_eps, f.res2);
    x = f.ln2;
    s.layers.push_back(f);
  }
  g.pool_w = own_f(V.pool_w), g.pool_b = own_f(V.pool_b), g.pooled = act("pooled", 0);
  fit_matmul(x, g.pool_w, g.pooled, &g.pool_b);
  return s;
}

Weights quantize_weights(const Model& m, const Weights& w, const TensorScales& s) {
  const FileValues& V = *w.file_values;
  const fw_bert_scales_t& g = s.global;
  Weights q;
  q.origin = w.origin;
  uint64_t& sat = q.saturated;
  q.word = WordEmbeddings(m.vocab, m.hidden, quantize(V.word, static_cast<int>(g.word), sat));
  q.pos = quantize(V.pos, static_cast<int>(g.pos), sat), q.type = quantize(V.type, static_cast<int>(g.type), sat);
  q.emb_g = quantize(V.emb_g, static_cast<int>(g.emb_ln_g), sat), q.emb_b = quantize(V.emb_b, static_cast<int>(g.emb), sat);
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const LayerTensors<float>& F = V.layers[l];
    const fw_bert_layer_scales_t& f = s.layers[l];
    auto at = [&](const std::vector<float>& v, uint32_t frac) { return quantize(v, static_cast<int>(frac), sat); };
    LayerWeights L;
    L.wq = quantize(folded_query(m.layers[l], F.wq), static_cast<int>(f.wq), sat);
    L.bq = quantize(folded_query(m.layers[l], F.bq), static_cast<int>(f.bq), sat);
    L.wk = at(F.wk, f.wk), L.bk = at(F.bk, f.bk), L.wv = at(F.wv, f.wv), L.bv = at(F.bv, f.bv), L.wo = at(F.wo, f.wo), L.bo = at(F.bo, f.bo);
    L.ln1_g = at(F.ln1_g, f.ln1_g), L.ln1_b = at(F.ln1_b, f.ln1), L.ln2_g = at(F.ln2_g, f.ln2_g), L.ln2_b = at(F.ln2_b, f.ln2);
    for (size_t i = 0; i < F.ffn_w.size(); ++i) L.ffn_w.push_back(at(F.ffn_w[i], f.ffn_w[i])), L.ffn_b.push_back(at(F.ffn_b[i], f.ffn_b[i]));
    q.layers.push_back(std::move(L));
  }
  q.pool_w = quantize(V.pool_w, static_cast<int>(g.pool_w), sat), q.pool_b = quantize(V.pool_b, static_cast<int>(g.pool_b), sat);
  q.file_values = w.file_values;
  return q;
}

Outputs reference_forward_scaled(const Model& m, const Weights& w, const Inputs& in, const RunOptions& o) {
  const TensorScales& sc = *o.scales;
  const fw_bert_scales_t& g = sc.global;
  const uint32_t S = in.seq, B = in.batch, H = m.hidden, R = B * S;
  const bool pr = o.dynatran;
  const int32_t tau = o.tau;  // units of 2^-16
  // N:M: on the weights' words, and on Q, K, the context and the FFN's GELU layers (scale-free).
  const PruningOptions& P = o.pruning;
  auto weight = [&](const Tensor& t, uint32_t k, uint32_t n) { return P.nm_weights ? ref::nm_weights(t, k, n, P.nm_n, P.nm_m) : t; };
  const unsigned nm_n = P.nm_act ? P.nm_n : 0, nm_m = P.nm_m;
  auto fr = [](uint32_t a, uint32_t b, uint32_t c, uint32_t bias) {
    return ref::MatmulFracs{static_cast<int>(a), static_cast<int>(b), static_cast<int>(c), static_cast<int>(bias)};
  };
  auto i = [](uint32_t f) { return static_cast<int>(f); };
  // Embeddings: position + type 0, word + that, layer norm (as the firmware's ADDs and LAYERNORM).
  const Tensor pos(w.pos.begin(), w.pos.begin() + uint64_t{S} * H);
  Tensor type0(uint64_t{S} * H);
  for (uint32_t t = 0; t < S; ++t) std::copy(w.type.begin(), w.type.begin() + H, type0.begin() + uint64_t{t} * H);
  const Tensor pos_type = ref::add_scaled(pos, type0, i(g.pos), i(g.type), i(g.pos_type));
  Tensor word(uint64_t{R} * H), pos_all(uint64_t{R} * H);
  for (uint32_t r = 0; r < R; ++r) w.word.row(in.tokens[r], &word[uint64_t{r} * H]);
  for (uint32_t b = 0; b < B; ++b) std::copy(pos_type.begin(), pos_type.end(), pos_all.begin() + uint64_t{b} * S * H);
  Tensor x = ref::layernorm_scaled(ref::add_scaled(word, pos_all, i(g.word), i(g.pos_type), i(g.emb_sum)), R, H, w.emb_g, w.emb_b, g.emb_eps,
                                   i(g.emb_ln_g), i(g.emb));
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const LayerShape& s = m.layers[l];
    const LayerWeights& L = w.layers[l];
    const fw_bert_layer_scales_t& f = sc.layers[l];
    const uint32_t A = s.attention(), d = s.head_dim;
    const Tensor q = ref::matmul_scaled(x, weight(L.wq, H, A), R, H, A, fr(f.x, f.wq, f.q, f.bq), false, pr, tau, &L.bq, ref::Act::None, nm_n, nm_m);
    const Tensor k = ref::matmul_scaled(x, weight(L.wk, H, A), R, H, A, fr(f.x, f.wk, f.k, f.bk), false, pr, tau, &L.bk, ref::Act::None, nm_n, nm_m);
    const Tensor v = ref::matmul_scaled(x, weight(L.wv, H, A), R, H, A, fr(f.x, f.wv, f.v, f.bv), false, pr, tau, &L.bv);
    Tensor ctx(uint64_t{R} * A);
    for (uint32_t b = 0; b < B; ++b)
      for (uint32_t h = 0; h < s.heads; ++h) {
        Tensor qh(uint64_t{S} * d), kh(uint64_t{S} * d), vh(uint64_t{S} * d);
        for (uint64_t r = 0; r < S; ++r)
          for (uint64_t c = 0; c < d; ++c) {
            const uint64_t at = (uint64_t{b} * S + r) * A + uint64_t{h} * d + c;
            qh[r * d + c] = q[at], kh[r * d + c] = k[at], vh[r * d + c] = v[at];
          }
        const Tensor scores = ref::matmul_scaled(qh, kh, S, d, S, fr(f.q, f.k, f.scores, 0), true, pr, tau);
        ref::SoftmaxParams sp{std::min(std::max(in.valid_len[b], 1u), S), 65536, o.topk, o.topk_exact, pr, tau};  // scale 1.0 in Q.16
        sp.scaled = true, sp.in_frac = i(f.scores), sp.out_frac = i(f.probs);
        const Tensor out = ref::matmul_scaled(ref::softmax(scores, S, S, sp), vh, S, S, d, fr(f.probs, f.v, f.ctx, 0), false, pr, tau, nullptr,
                                              ref::Act::None, nm_n, nm_m);
        for (uint64_t r = 0; r < S; ++r)
          for (uint64_t c = 0; c < d; ++c) ctx[(uint64_t{b} * S + r) * A + uint64_t{h} * d + c] = out[r * d + c];
      }
    const Tensor attn = ref::matmul_scaled(ctx, weight(L.wo, A, H), R, A, H, fr(f.ctx, f.wo, f.attn, f.bo), false, pr, tau, &L.bo);
    const Tensor t1 = ref::layernorm_scaled(ref::add_scaled(attn, x, i(f.attn), i(f.x), i(f.res1)), R, H, L.ln1_g, L.ln1_b, f.ln1_eps,
                                            i(f.ln1_g), i(f.ln1));
    Tensor ff = t1;
    uint32_t in_dim = H, in_frac = f.ln1;
    for (size_t j = 0; j <= s.ffn.size(); ++j) {
      const bool last = j == s.ffn.size();
      const uint32_t out_dim = last ? H : s.ffn[j];
      ff = ref::matmul_scaled(ff, weight(L.ffn_w[j], in_dim, out_dim), R, in_dim, out_dim, fr(in_frac, f.ffn_w[j], f.ffn[j], f.ffn_b[j]), false,
                              pr, tau, &L.ffn_b[j], last ? ref::Act::None : ref::Act::Gelu, last ? 0 : nm_n, nm_m);
      in_dim = out_dim, in_frac = f.ffn[j];
    }
    x = ref::layernorm_scaled(ref::add_scaled(ff, t1, i(in_frac), i(f.ln1), i(f.res2)), R, H, L.ln2_g, L.ln2_b, f.ln2_eps, i(f.ln2_g),
                              i(f.ln2));
  }
  Outputs out;
  out.hidden = x;
  if (o.pooler) {
    Tensor cls(uint64_t{B} * H);
    for (uint32_t b = 0; b < B; ++b) std::copy(x.begin() + uint64_t{b} * S * H, x.begin() + uint64_t{b} * S * H + H, cls.begin() + uint64_t{b} * H);
    const uint32_t last = sc.layers.empty() ? g.emb : sc.layers.back().ln2;
    out.pooled = ref::matmul_scaled(cls, w.pool_w, B, H, H, fr(last, g.pool_w, g.pooled, g.pool_b), false, pr, tau, &w.pool_b, ref::Act::Tanh);
  }
  return out;
}

}  // namespace acc::bert
