#include "model.hpp"

#include <cstdlib>

#include "input_file.hpp"
#include "json_reader.hpp"
#include "parse_number.hpp"

namespace acc::bert {

std::vector<Head> LayerShape::head_list() const {
  return mixed.empty() ? std::vector<Head>(heads, Head{HeadKind::Sdp, head_dim, 0}) : mixed;
}

uint32_t LayerShape::attention() const {
  if (mixed.empty()) return heads * head_dim;
  uint32_t a = 0;
  for (const Head& h : mixed) a += h.dim;
  return a;
}

uint32_t LayerShape::qk_width() const {
  if (mixed.empty()) return heads * head_dim;
  uint32_t a = 0;
  for (const Head& h : mixed) a += h.attends() ? h.dim : 0;
  return a;
}

int32_t conv_tap_offset(uint32_t kernel, uint32_t tap) { return static_cast<int32_t>(tap) - static_cast<int32_t>((kernel - 1) / 2); }

uint64_t Model::encoder_macs(uint32_t seq) const {
  const uint64_t S = seq;
  uint64_t macs = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerShape& l = layers[i];
    const uint64_t H = layer_hidden(i), A = l.attention();
    macs += 2 * S * H * l.qk_width() + S * H * A;  // Q and K (attending heads), V (every head)
    for (const Head& h : l.head_list()) {
      const uint64_t d = h.dim;
      switch (h.kind) {
        case HeadKind::Wma: macs += S * d * d; [[fallthrough]];  // the keys through W_ma, then as sdp
        case HeadKind::Sdp: macs += 2 * S * S * d; break;       // Q.K^T and P.V
        case HeadKind::Dft:
        case HeadKind::Dct: macs += S * S * d; break;           // the S x S transform times V_h
        case HeadKind::Conv:                                     // a d x d matmul per tap over the rows it reaches
          for (uint32_t t = 0; t < h.kernel; ++t) {
            const uint64_t off = static_cast<uint64_t>(std::abs(conv_tap_offset(h.kernel, t)));
            if (off < S) macs += (S - off) * d * d;
          }
          break;
      }
    }
    macs += S * A * H;  // output projection
    uint64_t in = H;
    for (uint32_t f : l.ffn) macs += S * in * f, in = f;
    macs += S * in * H;
    if (projects(i)) macs += S * H * layer_hidden(i + 1);
  }
  return macs;
}

Model Model::truncated(uint32_t n) const {
  Model m = *this;
  if (n > 0 && n < layers.size()) {
    m.layers.resize(n);
    m.name += " (first " + std::to_string(n) + " layer" + (n > 1 ? "s" : "") + ")";
  }
  return m;
}

namespace {
Model uniform(const std::string& name, uint32_t layers, uint32_t hidden, uint32_t heads, uint32_t ffn) {
  Model m;
  m.name = name;
  m.hidden = hidden;
  m.layers.assign(layers, LayerShape{heads, hidden / heads, {ffn}, hidden, {}});
  return m;
}
const std::vector<Model>& zoo() {
  static const std::vector<Model> z = {
      uniform("bert-nano", 1, 32, 2, 64),  // AccelTran's: 2 heads of 16
      uniform("bert-tiny", 2, 128, 2, 512),
      uniform("bert-mini", 4, 256, 4, 1024),
      uniform("bert-small", 4, 512, 8, 2048),
      uniform("bert-medium", 8, 512, 8, 2048),
      uniform("bert-base", 12, 768, 12, 3072),
      uniform("bert-large", 24, 1024, 16, 4096),
  };
  return z;
}
}  // namespace

std::vector<std::string> zoo_names() {
  std::vector<std::string> n;
  for (const auto& m : zoo()) n.push_back(m.name);
  return n;
}

std::string joined_names(const std::vector<std::string>& names) {
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  return all;
}

ModelError unknown_zoo_model(const std::string& family, const std::string& name, const std::vector<std::string>& names) {
  return ModelError("unknown " + family + " model '" + name + "' (expected " + joined_names(names) + ")");
}

Model zoo_model(const std::string& name) {
  for (const auto& m : zoo())
    if (m.name == name) return m;
  throw ModelError("unknown model '" + name + "' (the zoo has " + joined_names(zoo_names()) + "; or give a model-dict .json file)");
}

namespace {
// One entry of a layer's "o" list, split at '_' into type, parameter and size as AccelTran's
// dict2ops.py does; `head` names the layer and the entry in errors.
template <class Fail>
Head parse_head(const nlohmann::json& op, const std::string& head, const Fail& fail) {
  if (!op.is_string()) throw fail(head + ": " + op.dump() + " is not a head name such as 'sa_sdp_64'");
  const std::string s = op.get<std::string>();
  std::vector<std::string> part(1);
  for (char c : s) {
    if (c == '_')
      part.emplace_back();
    else
      part.back().push_back(c);
  }
  const std::string kinds = " (heads are sa_sdp_<size>, sa_wma_<size>, l_dft_<size>, l_dct_<size>, c_<kernel>_<size>)";
  if (part.size() != 3) throw fail(head + ": '" + s + "' is not <type>_<parameter>_<size>" + kinds);
  auto number = [&](const std::string& text, const std::string& what, uint64_t max) {
    try {
      return static_cast<uint32_t>(parse_unsigned(text, 1, max));
    } catch (const NumberError& e) {
      throw fail(head + ": '" + s + "': the " + what + " " + e.what());
    }
  };
  Head h;
  h.dim = number(part[2], "head size", kMaxModelSize);
  if (part[0] == "sa" && part[1] == "sdp") {
    h.kind = HeadKind::Sdp;
  } else if (part[0] == "sa" && part[1] == "wma") {
    h.kind = HeadKind::Wma;
  } else if (part[0] == "l" && part[1] == "dft") {
    h.kind = HeadKind::Dft;
  } else if (part[0] == "l" && part[1] == "dct") {
    h.kind = HeadKind::Dct;
  } else if (part[0] == "c") {
    h.kind = HeadKind::Conv;
    h.kernel = number(part[1], "kernel size", kMaxConvKernel);
  } else {
    throw fail(head + ": '" + s + "' is not a supported head" + kinds);
  }
  return h;
}
}  // namespace

Model model_from_dict(const std::string& text, const std::string& origin) {
  const nlohmann::json j = parse_json_as<ModelError>(text, origin + ": malformed JSON: ");
  auto fail = [&](const std::string& what) -> ModelError { return ModelError(origin + ": " + what); };
  if (!j.is_object()) throw fail("expected a JSON object with keys l, o, h and f");
  // A size is read as a whole number of 1..kMaxModelSize (not truncated to 32 bits).
  const std::string range = " must be an integer within 1.." + std::to_string(kMaxModelSize);
  auto size = [&](const nlohmann::json& v, const std::string& what) {
    if (!v.is_number_unsigned() || v.get<uint64_t>() == 0 || v.get<uint64_t>() > kMaxModelSize) throw fail(what + range);
    return static_cast<uint32_t>(v.get<uint64_t>());
  };
  for (const char* key : {"l", "o", "h", "f"})
    if (!j.contains(key)) throw fail(std::string("missing key '") + key + "'");
  if (j.contains("p")) throw fail("only FlexiBERT 2.0 model dicts are supported (key 'p' found)");
  const uint32_t L = size(j["l"], "'l'");
  for (const char* key : {"o", "h", "f"})
    if (!j[key].is_array() || j[key].size() < L)
      throw fail(std::string("'") + key + "' must list at least " + std::to_string(L) + " layers");
  Model m;
  m.name = origin;
  for (uint32_t l = 0; l < L; ++l) {
    const std::string where = "layer " + std::to_string(l);
    const uint32_t h = size(j["h"][l], where + ": 'h'");
    if (l == 0) m.hidden = h;
    LayerShape shape;
    shape.hidden = h;
    if (!j["o"][l].is_array() || j["o"][l].empty()) throw fail(where + ": 'o' must list its heads");
    uint64_t width = 0, with_weights = 0;
    for (size_t i = 0; i < j["o"][l].size(); ++i) {
      const Head head = parse_head(j["o"][l][i], where + " head " + std::to_string(i), fail);
      width += head.dim;
      with_weights += head.kind != HeadKind::Sdp;
      shape.mixed.push_back(head);
    }
    if (width > kMaxModelSize)
      throw fail(where + ": heads " + std::to_string(width) + " wide in all, wider than " + std::to_string(kMaxModelSize));
    if (with_weights > kMaxHeadsWithWeights)
      throw fail(where + ": " + std::to_string(with_weights) + " heads other than sa_sdp, at most " + std::to_string(kMaxHeadsWithWeights) +
                 " per layer are supported");
    shape.heads = static_cast<uint32_t>(shape.mixed.size());
    bool equal = true, sdp = true;
    for (const Head& x : shape.mixed) equal = equal && x.dim == shape.mixed[0].dim, sdp = sdp && x.kind == HeadKind::Sdp;
    shape.head_dim = equal ? shape.mixed[0].dim : 0;
    if (equal && sdp) shape.mixed.clear();  // a uniform layer, as the zoo's
    if (!j["f"][l].is_array() || j["f"][l].empty() || j["f"][l].size() > 4)
      throw fail(where + ": 'f' must list 1 to 4 feed-forward sizes");
    for (const auto& f : j["f"][l]) shape.ffn.push_back(size(f, where + ": a feed-forward size"));
    m.layers.push_back(shape);
  }
  return m;
}

bool is_model_dict_path(const std::string& name_or_path) {
  return name_or_path.size() > 5 && name_or_path.substr(name_or_path.size() - 5) == ".json";
}

Model load_model(const std::string& name_or_path) {
  if (is_model_dict_path(name_or_path))
    return model_from_dict(read_input_file_as<ModelError>(name_or_path, kMaxModelDictBytes, "model dict"), name_or_path);
  return zoo_model(name_or_path);
}

}  // namespace acc::bert
