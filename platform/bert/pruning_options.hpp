// The pruning schemes of a BERT job beside DynaTran and top-k (docs/pruning.md): LeOPArd score
// thresholds, HDP head and block pruning and approximation, N:M weights and activations. The same
// options drive the firmware (through fw_bert_args_t) and the reference model.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "model.hpp"
#include "pruning_config.hpp"

namespace acc::bert {

struct PruningError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Per-layer (or per-layer-and-head) LeOPArd thresholds, in the raw integer domain of q . k_B.
struct LeopardThresholds {
  unsigned key_bits = 12;
  bool per_head = false;
  double target_rate = 0;                    // what the calibration aimed for
  std::vector<std::vector<int64_t>> layers;  // [layer][head or 0]
  std::vector<double> calibrated_rate;       // per layer, on the calibration inputs
  std::string origin;
};

struct PruningOptions {
  bool leopard = false;
  LeopardThresholds thresholds;
  bool hdp_heads = false, hdp_blocks = false, hdp_approx = false;
  HdpSettings hdp;  // the register values the firmware writes
  bool nm_weights = false, nm_act = false;
  unsigned nm_n = 2, nm_m = 4;

  bool score_engine() const { return leopard || hdp_heads || hdp_blocks || hdp_approx; }
  bool any() const { return score_engine() || nm_weights || nm_act; }
  std::string describe() const;
};

// Command-line forms: "ratio:0.5", "top:6", "abs:1000" (heads); "ratio:0.3", "mean:0.5", "top:8"
// (blocks); "sum_abs", "sum", "max_abs" (importance); "4x4" (block shape); "2:4" (N:M).
void parse_hdp_heads(const std::string& spec, PruningOptions& o);
void parse_hdp_importance(const std::string& spec, PruningOptions& o);
void parse_hdp_blocks(const std::string& spec, PruningOptions& o);
void parse_hdp_block_shape(const std::string& spec, PruningOptions& o);
void parse_nm(const std::string& spec, PruningOptions& o);

// LeOPArd threshold files (JSON), as the calibration writes them.
LeopardThresholds load_thresholds(const std::string& path, const Model& m);
void save_thresholds(const LeopardThresholds& t, const Model& m, const std::string& path);

}  // namespace acc::bert
