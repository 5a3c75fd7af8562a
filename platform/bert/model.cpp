#include "model.hpp"

#include "input_file.hpp"
#include "json_reader.hpp"
#include "parse_number.hpp"

namespace acc::bert {

uint64_t Model::encoder_macs(uint32_t seq) const {
  const uint64_t S = seq, H = hidden;
  uint64_t macs = 0;
  for (const auto& l : layers) {
    const uint64_t A = l.attention();
    macs += 3 * S * H * A;                // Q, K, V
    macs += 2 * l.heads * S * S * l.head_dim;  // Q.K^T and P.V
    macs += S * A * H;                    // output projection
    uint64_t in = H;
    for (uint32_t f : l.ffn) macs += S * in * f, in = f;
    macs += S * in * H;
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
  m.layers.assign(layers, LayerShape{heads, hidden / heads, {ffn}});
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

Model zoo_model(const std::string& name) {
  for (const auto& m : zoo())
    if (m.name == name) return m;
  std::string all;
  for (const auto& n : zoo_names()) all += (all.empty() ? "" : ", ") + n;
  throw ModelError("unknown model '" + name + "' (the zoo has " + all + "; or give a model-dict .json file)");
}

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
    if (h != m.hidden)
      throw fail(where + " has hidden size " + std::to_string(h) + ", layer 0 has " + std::to_string(m.hidden) +
                 ": layers of different hidden sizes are not supported");
    LayerShape shape;
    if (!j["o"][l].is_array() || j["o"][l].empty()) throw fail(where + ": 'o' must list its heads");
    for (size_t i = 0; i < j["o"][l].size(); ++i) {
      const auto& op = j["o"][l][i];
      const std::string s = op.is_string() ? op.get<std::string>() : "";
      const std::string prefix = "sa_sdp_";
      const std::string head = where + " head " + std::to_string(i);
      if (s.rfind(prefix, 0) != 0)
        throw fail(head + ": '" + s + "' is not a scaled dot-product self-attention head 'sa_sdp_<dim>' (the only kind modelled)");
      uint32_t d = 0;
      try {
        d = static_cast<uint32_t>(parse_unsigned(s.substr(prefix.size()), 1, kMaxModelSize));
      } catch (const NumberError& e) {
        throw fail(head + ": '" + s + "': the head size " + e.what());
      }
      if (shape.head_dim && d != shape.head_dim)
        throw fail(where + ": heads of different sizes (" + std::to_string(shape.head_dim) + ", " + std::to_string(d) + ")");
      shape.head_dim = d;
      ++shape.heads;
    }
    if (uint64_t{shape.heads} * shape.head_dim > kMaxModelSize)
      throw fail(where + ": " + std::to_string(shape.heads) + " heads of " + std::to_string(shape.head_dim) + " are wider than " +
                 std::to_string(kMaxModelSize));
    if (!j["f"][l].is_array() || j["f"][l].empty() || j["f"][l].size() > 4)
      throw fail(where + ": 'f' must list 1 to 4 feed-forward sizes");
    for (const auto& f : j["f"][l]) shape.ffn.push_back(size(f, where + ": a feed-forward size"));
    m.layers.push_back(shape);
  }
  return m;
}

Model load_model(const std::string& name_or_path) {
  if (name_or_path.size() > 5 && name_or_path.substr(name_or_path.size() - 5) == ".json")
    return model_from_dict(read_input_file_as<ModelError>(name_or_path, kMaxModelDictBytes, "model dict"), name_or_path);
  return zoo_model(name_or_path);
}

}  // namespace acc::bert
