// The pruning units' register state, as the control block holds it and hands it to the PE
// cluster with every descriptor that uses it (docs/pruning.md).
#pragma once

#include <array>
#include <cstdint>

namespace acc {

struct PruningConfig {
  static constexpr unsigned kThresholds = 256;
  unsigned leopard_key_bits = 12;                 // B
  std::array<int64_t, kThresholds> leopard_th{};  // raw integer domain of q . k_B
  unsigned hdp_frac_bits = 16;                    // F
  unsigned hdp_head_importance = 0;               // ACC_HDP_HEAD_CTRL_IMPORTANCE_*
  unsigned hdp_head_threshold = 0;                // ACC_HDP_HEAD_CTRL_THRESHOLD_*
  uint32_t hdp_head_param = 0;
  unsigned hdp_block_rows = 4, hdp_block_cols = 4;
  unsigned hdp_block_threshold = 0;  // ACC_HDP_BLOCK_CTRL_THRESHOLD_*
  uint32_t hdp_block_param = 0;
  unsigned nm_n = 2, nm_m = 4;
};

}  // namespace acc
