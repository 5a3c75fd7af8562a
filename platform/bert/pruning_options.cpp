#include "pruning_options.hpp"

#include <nlohmann/json.hpp>

#include "acceltran_regs.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "input_file.hpp"
#include "json_reader.hpp"
#include "parse_number.hpp"

namespace acc::bert {

namespace {

std::pair<std::string, std::string> split(const std::string& s, char sep) {
  const auto at = s.find(sep);
  if (at == std::string::npos) return {s, ""};
  return {s.substr(0, at), s.substr(at + 1)};
}

double number(const std::string& v, const std::string& what) {
  try {
    return parse_real(v, 0.0);
  } catch (const NumberError& e) {
    throw PruningError(what + ": " + e.what() + " (a non-negative number)");
  }
}

uint32_t ratio_q16(const std::string& v, const std::string& what) {
  const double x = number(v, what);
  if (x > 65535.0 / 65536.0 * 65536) throw PruningError(what + ": " + v + " is too large");
  return static_cast<uint32_t>(std::llround(x * 65536.0));
}

uint32_t count(const std::string& v, const std::string& what) {
  const double x = number(v, what);
  if (x != std::floor(x) || x > 4294967295.0) throw PruningError(what + ": '" + v + "' is not a count");
  return static_cast<uint32_t>(x);
}

}  // namespace

std::string PruningOptions::describe() const {
  std::ostringstream s;
  const char* sep = "";
  if (leopard) s << sep << "LeOPArd (" << thresholds.key_bits << "-bit keys" << (thresholds.per_head ? ", per head" : "") << ")", sep = ", ";
  if (hdp_heads) s << sep << "HDP heads", sep = ", ";
  if (hdp_blocks) s << sep << "HDP blocks " << hdp.block_rows << "x" << hdp.block_cols, sep = ", ";
  if (hdp_approx) s << sep << "HDP approximation", sep = ", ";
  if (nm_weights) s << sep << nm_n << ":" << nm_m << " weights", sep = ", ";
  if (nm_act) s << sep << nm_n << ":" << nm_m << " activations", sep = ", ";
  return s.str();
}

void parse_hdp_heads(const std::string& spec, PruningOptions& o) {
  const auto [fn, v] = split(spec, ':');
  const std::string what = "--hdp-heads '" + spec + "'";
  o.hdp_heads = true;
  if (fn == "abs") {
    o.hdp.head_threshold = ACC_HDP_HEAD_CTRL_THRESHOLD_ABSOLUTE, o.hdp.head_param = count(v, what);
  } else if (fn == "ratio") {
    o.hdp.head_threshold = ACC_HDP_HEAD_CTRL_THRESHOLD_RATIO, o.hdp.head_param = ratio_q16(v, what);
  } else if (fn == "top") {
    o.hdp.head_threshold = ACC_HDP_HEAD_CTRL_THRESHOLD_TOP, o.hdp.head_param = count(v, what);
  } else {
    throw PruningError(what + ": expected abs:N, ratio:R or top:H");
  }
}

void parse_hdp_importance(const std::string& spec, PruningOptions& o) {
  if (spec == "sum_abs")
    o.hdp.head_importance = ACC_HDP_HEAD_CTRL_IMPORTANCE_SUM_ABS;
  else if (spec == "sum")
    o.hdp.head_importance = ACC_HDP_HEAD_CTRL_IMPORTANCE_SUM;
  else if (spec == "max_abs")
    o.hdp.head_importance = ACC_HDP_HEAD_CTRL_IMPORTANCE_MAX_ABS;
  else
    throw PruningError("--hdp-importance '" + spec + "': expected sum_abs, sum or max_abs");
}

void parse_hdp_blocks(const std::string& spec, PruningOptions& o) {
  const auto [fn, v] = split(spec, ':');
  const std::string what = "--hdp-blocks '" + spec + "'";
  o.hdp_blocks = true;
  if (fn == "ratio") {
    o.hdp.block_threshold = ACC_HDP_BLOCK_CTRL_THRESHOLD_RATIO, o.hdp.block_param = ratio_q16(v, what);
  } else if (fn == "mean") {
    o.hdp.block_threshold = ACC_HDP_BLOCK_CTRL_THRESHOLD_MEAN, o.hdp.block_param = ratio_q16(v, what);
  } else if (fn == "top") {
    o.hdp.block_threshold = ACC_HDP_BLOCK_CTRL_THRESHOLD_TOP, o.hdp.block_param = count(v, what);
  } else {
    throw PruningError(what + ": expected ratio:R, mean:A or top:K");
  }
}

void parse_hdp_block_shape(const std::string& spec, PruningOptions& o) {
  const auto [r, c] = split(spec, 'x');
  const uint32_t rows = count(r, "--hdp-block '" + spec + "'"), cols = count(c, "--hdp-block '" + spec + "'");
  if (rows < 1 || rows > 255 || cols < 1 || cols > 255) throw PruningError("--hdp-block '" + spec + "': rows and columns within 1..255");
  o.hdp.block_rows = rows, o.hdp.block_cols = cols;
}

void parse_nm(const std::string& spec, PruningOptions& o) {
  const auto [n, m] = split(spec, ':');
  const uint32_t N = count(n, "--nm '" + spec + "'"), M = m.empty() ? 0 : count(m, "--nm '" + spec + "'");
  if (M < 2 || M > 16 || N < 1 || N > M) throw PruningError("--nm '" + spec + "': expected N:M with 1 <= N <= M and 2 <= M <= 16");
  o.nm_n = N, o.nm_m = M;
}

LeopardThresholds load_thresholds(const std::string& path, const Model& m) {
  const nlohmann::json j =
      parse_json_as<PruningError>(read_input_file_as<PruningError>(path, kMaxThresholdsBytes, "LeOPArd thresholds"), path + ": malformed JSON: ");
  LeopardThresholds t;
  t.origin = path;
  // Whole numbers must be JSON integers: nlohmann would truncate 12.7 to 12, and a float beyond the
  // 64-bit range has no integer value at all.
  auto integer = [&](const nlohmann::json& v, const std::string& what) {
    if (!v.is_number_integer()) throw PruningError(path + ": " + what + " must be an integer");
    return v.get<int64_t>();
  };
  try {
    const int64_t bits = integer(j.at("key_bits"), "key_bits");
    t.key_bits = bits >= 1 && bits <= 20 ? static_cast<unsigned>(bits) : 0;
    t.per_head = j.at("per_head").get<bool>();
    t.target_rate = j.value("target_rate", 0.0);
    const auto& layers = j.at("thresholds");
    if (!layers.is_array()) throw PruningError(path + ": thresholds must be a list of layers");
    for (size_t l = 0; l < layers.size(); ++l) {
      if (!layers[l].is_array()) throw PruningError(path + ": thresholds of layer " + std::to_string(l) + " must be a list");
      std::vector<int64_t> row;
      for (const auto& v : layers[l]) row.push_back(integer(v, "a threshold of layer " + std::to_string(l)));
      t.layers.push_back(std::move(row));
    }
    t.calibrated_rate = j.value("calibrated_rate", std::vector<double>{});
  } catch (const nlohmann::json::exception& e) {
    throw PruningError(path + ": " + e.what());
  }
  if (t.key_bits < 1 || t.key_bits > 20) throw PruningError(path + ": key_bits must be within 1..20");
  if (t.layers.size() != m.layers.size())
    throw PruningError(path + ": thresholds for " + std::to_string(t.layers.size()) + " layers, the model has " +
                       std::to_string(m.layers.size()));
  for (size_t l = 0; l < t.layers.size(); ++l) {
    const size_t want = t.per_head ? m.layers[l].heads : 1;
    if (t.layers[l].size() != want)
      throw PruningError(path + ": layer " + std::to_string(l) + " has " + std::to_string(t.layers[l].size()) + " thresholds, expected " +
                         std::to_string(want));
  }
  return t;
}

void save_thresholds(const LeopardThresholds& t, const Model& m, const std::string& path) {
  nlohmann::ordered_json j;
  j["format"] = "acceltran-vp LeOPArd thresholds";
  j["model"] = m.name;
  j["key_bits"] = t.key_bits;
  j["per_head"] = t.per_head;
  j["target_rate"] = t.target_rate;
  j["thresholds"] = t.layers;
  j["calibrated_rate"] = t.calibrated_rate;
  std::ofstream out(path);
  if (!out) throw PruningError("cannot write '" + path + "'");
  out << j.dump(2) << "\n";
}

}  // namespace acc::bert
