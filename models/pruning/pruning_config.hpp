// The pruning units' register state, as the control block holds it and hands it to the PE
// cluster with every descriptor that uses it (docs/pruning.md).
#pragma once

#include <array>
#include <cstdint>

namespace acc {

// HDP's settings, as HDP_FRAC_BITS, HDP_HEAD_CTRL/PARAM and HDP_BLOCK_CTRL/PARAM encode them.
struct HdpSettings {
  unsigned frac_bits = 16;        // F
  unsigned head_importance = 0;   // ACC_HDP_HEAD_CTRL_IMPORTANCE_*
  unsigned head_threshold = 0;    // ACC_HDP_HEAD_CTRL_THRESHOLD_*
  uint32_t head_param = 0;        // absolute, Q0.16 ratio or head count
  unsigned block_rows = 4, block_cols = 4;
  unsigned block_threshold = 0;   // ACC_HDP_BLOCK_CTRL_THRESHOLD_*
  uint32_t block_param = 0;       // Q0.16 ratio or block count
};

struct PruningConfig {
  static constexpr unsigned kThresholds = 256;
  unsigned leopard_key_bits = 12;                 // B
  std::array<int64_t, kThresholds> leopard_th{};  // raw integer domain of q . k_B
  HdpSettings hdp;
  unsigned nm_n = 2, nm_m = 4;
};

}  // namespace acc
