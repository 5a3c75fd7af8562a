#include "preln_layers.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "fixed_point.hpp"
#include "nm.hpp"

namespace acc {

gpt2::Options preln_options(const PrelnPruning& p, double ln_eps) {
  gpt2::Options o;
  o.dynatran = p.dynatran;
  o.tau = p.dynatran ? fx::from_double(p.tau) : 0;
  o.topk = p.topk, o.topk_exact = p.topk_exact;
  o.ln_eps = static_cast<uint32_t>(std::llround(std::ldexp(ln_eps, 2 * fx::frac_bits())));
  o.nm_weights = p.nm_weights, o.nm_act = p.nm_act, o.nm_n = p.nm_n, o.nm_m = p.nm_m;
  return o;
}

void ReferenceComparison::compare(const bert::Tensor& got, const bert::Tensor& want, uint64_t offset, const std::string& what) {
  for (size_t i = 0; i < want.size(); ++i, ++compared)
    if (got[offset + i] != want[i] && mismatches++ == 0)
      first = what + " element " + std::to_string(i) + ": " + std::to_string(got[offset + i]) + " != reference " + std::to_string(want[i]);
}

template <class V>
uint32_t put_preln_layers(Soc& soc, DramLayout& layout, uint32_t H, const std::vector<bert::LayerShape>& shapes,
                          const std::vector<bert::LayerFields<V>>& weights, const PrelnPruning& p, uint64_t seed) {
  std::vector<fw_bert_layer_t> table(shapes.size());
  for (size_t l = 0; l < shapes.size(); ++l) {
    const bert::LayerShape& s = shapes[l];
    const bert::LayerFields<V>& w = weights[l];
    fw_bert_layer_t& t = table[l];
    const std::string name = "layer " + std::to_string(l) + " weights";
    auto put = [&](const V& v) { return put_tensor(soc, layout, v, seed, name); };
    const uint32_t A = s.attention(), F = s.ffn.at(0);
    auto matrix = [&](const V& m, uint32_t k, uint32_t n) {
      if constexpr (std::is_same_v<V, bert::Tensor>) {
        if (p.nm_weights) return put(nm::compress(m, k, n, p.nm_n, p.nm_m));
      } else if (p.nm_weights) {
        throw std::logic_error("N:M weights are compressed on the host: draw them there first");
      }
      return put(m);
    };
    t.heads = s.heads, t.head_dim = s.head_dim, t.n_ffn = 1, t.ffn[0] = F;
    t.score_scale = static_cast<uint32_t>(fx::from_double(1.0));  // the query words carry 1/sqrt(d), as BERT's
    t.wq = matrix(w.wq, H, A), t.bq = put(w.bq), t.wk = matrix(w.wk, H, A), t.bk = put(w.bk);
    t.wv = matrix(w.wv, H, A), t.bv = put(w.bv), t.wo = matrix(w.wo, A, H), t.bo = put(w.bo);
    t.ln1_g = put(w.ln1_g), t.ln1_b = put(w.ln1_b);
    t.ffn_w[0] = matrix(w.ffn_w[0], H, F), t.ffn_b[0] = put(w.ffn_b[0]);
    t.ffn_w[1] = matrix(w.ffn_w[1], F, H), t.ffn_b[1] = put(w.ffn_b[1]);
    t.ln2_g = put(w.ln2_g), t.ln2_b = put(w.ln2_b);
  }
  const uint64_t bytes = table.size() * sizeof(fw_bert_layer_t);
  const uint32_t pa = layout.alloc(bytes, "the layer table");
  std::memcpy(soc.dram_ptr(pa, bytes), table.data(), bytes);
  return pa;
}

template uint32_t put_preln_layers(Soc&, DramLayout&, uint32_t, const std::vector<bert::LayerShape>&,
                                   const std::vector<bert::LayerWeights>&, const PrelnPruning&, uint64_t);
template uint32_t put_preln_layers(Soc&, DramLayout&, uint32_t, const std::vector<bert::LayerShape>&,
                                   const std::vector<bert::LayerFields<bert::SyntheticTensor>>&, const PrelnPruning&, uint64_t);

}  // namespace acc
