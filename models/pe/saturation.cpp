#include "saturation.hpp"

#include <utility>

#include "fixed_point.hpp"

namespace acc {

std::string Saturation::describe(uint64_t weights, uint64_t inputs) const {
  const std::pair<const char*, uint64_t> sites[] = {{"matmul", matmul},   {"score", score},         {"activation", activation},
                                                    {"softmax", softmax}, {"layernorm", layernorm}, {"add", add}};
  std::string s;
  if (total() == 0) {
    s = weights || inputs ? "no value saturated in the datapath" : "no value saturated";
  } else {
    // Per-tensor formats: each tensor's own range (its word's integer range at its scale).
    const std::string range = fx::format().per_tensor() ? "their tensors' ranges" : "+-" + std::to_string(static_cast<long>(fx::format().range()));
    s = std::to_string(total()) + (total() == 1 ? " value" : " values") + " saturated to " + range + " (";
    bool first = true;
    for (const auto& [site, n] : sites)
      if (n) s += (first ? "" : ", ") + std::string(site) + " " + std::to_string(n), first = false;
    s += ")";
  }
  if (weights) s += "; " + std::to_string(weights) + (weights == 1 ? " weight" : " weights") + " clipped when loaded";
  if (inputs) s += "; " + std::to_string(inputs) + (inputs == 1 ? " input value" : " input values") + " clipped when loaded";
  return s;
}

}  // namespace acc
