// Hardware configuration: AccelTran's configuration names (pe, lanes_per_pe, tile.tile_x, ...)
// plus the VP's own knobs under `vp.`. Loaded from a preset (edge, server) or a YAML file, with
// `key=value` overrides. Every key is declared once in hw_config.cpp; an unknown, missing or
// malformed key is a ConfigError that names it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixed_point.hpp"

namespace acc {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct MemoryConfig {
  std::string type;  // lpddr3 | rram | hbm
  unsigned banks = 0, ranks = 0, channels = 0;
  double bandwidth_gbps = 0;   // GB/s (1e9 bytes per second)
  double latency_ns = 0;       // first-access latency, added once per burst
  double energy_per_block_nj = 0;  // per 64-element block; 0 = look up type/banks/ranks/channels
  double size_mb = 0;          // populated DRAM (MiB)
};

// AccelTran's Python simulator's assumptions, one switch each (docs/validation.md, "the bridge"):
// off by default; the `acceltran-sim` preset turns them all on.
struct CompatConfig {
  bool twenty_bit_bytes = false;       // bandwidth = GB/s x 2^30 bytes x 20 bits (constants.yaml), not x 1e9 x 8
  double global_sparsity = -1;         // >= 0: this fraction of every transfer and tile is skipped, whatever the data
  bool idle_submodules = false;        // FIFO, pre-/post-sparsity, dataflow and DMA units take no cycles and no energy
  bool busy_leakage = false;           // units leak only while busy; buffers only while transferring
  bool mask_copy_dram_energy = false;  // a load's DRAM energy is charged again for its mask copy
  bool whole_embedding_table = false;  // firmware: loads the whole word-embedding table before the first op
  bool weights_per_sequence = false;   // firmware: loads every weight once per sequence of the batch
  bool in_order_loads = false;         // firmware: loads each weight just before its use (no layer ahead)
};

struct HwConfig {
  std::string name;  // preset or file it came from
  double clock_mhz = 0;
  unsigned tile_b = 0, tile_x = 0, tile_y = 0;
  std::string non_linearity;  // gelu | relu
  unsigned pe = 0, lanes_per_pe = 0, mac_per_lane = 0, softmax_per_pe = 0, layernorm_per_pe = 0;
  unsigned batch_size = 0;
  double activation_buffer_mb = 0, weight_buffer_mb = 0, mask_buffer_mb = 0;
  std::string loop_unrolling;  // b_i_j_k and the other k-innermost orders
  MemoryConfig main_memory;
  unsigned compute_dispatch_batch = 0;  // scheduler.compute_ops.batch_size: tiled ops dispatched per cycle
  unsigned memory_dispatch_batch = 0;   // scheduler.memory_ops.batch_size: DMA commands started per cycle
  std::string energy_table;             // file with module energy/area figures; empty = built-in 14 nm table
  fx::Format number_format;             // the datapath's words (Q4.16 unless the configuration says otherwise)

  // VP-specific
  unsigned bus_latency_cycles = 0;      // interconnect, per transaction
  unsigned buffer_latency_cycles = 0;   // on-chip buffer access latency
  double buffer_bandwidth_gbps = 0;     // per buffer port
  unsigned buffer_ports = 0;
  unsigned dma_channels = 0;            // DMA commands in execution at once
  unsigned dma_outstanding = 0;         // DRAM requests in flight per DMA channel
  unsigned dma_max_burst_words = 0;     // longest burst; longer contiguous runs are split
  unsigned queue_window = 0;            // descriptors in flight
  unsigned fetch_batch = 0;             // descriptors fetched per DRAM burst
  unsigned max_k = 0;                   // accumulator limit of one MATMUL
  unsigned topk_parallelism = 0;        // comparators of a softmax unit's top-k engine
  unsigned score_engine_lanes_per_pe = 0;  // bit-serial lanes of LeOPArd's score engine
  double cpu_clock_mhz = 0;             // host CPU clock
  double cpu_cpi = 0;                   // host CPU cycles per instruction (riscv backend)
  bool strict_registers = false;       // writes to read-only registers or reserved bits are bus errors
  CompatConfig compat;

  // Derived quantities.
  double clock_hz() const { return clock_mhz * 1e6; }
  uint64_t act_buffer_words() const { return words_of_mb(activation_buffer_mb); }
  uint64_t weight_buffer_words() const { return words_of_mb(weight_buffer_mb); }
  uint64_t mask_buffer_bits() const { return static_cast<uint64_t>(mask_buffer_mb * 1048576.0 * 8.0); }
  uint64_t dram_bytes() const { return static_cast<uint64_t>(main_memory.size_mb * 1048576.0); }
  uint64_t total_lanes() const { return uint64_t{pe} * lanes_per_pe; }
  uint64_t total_multipliers() const { return total_lanes() * mac_per_lane; }
  // Bits per second of a bandwidth in GB/s: 1e9 bytes of 8 bits (or, compat.twenty_bit_bytes,
  // 2^30 bytes of 20 bits, as AccelTran's simulator converts it).
  double bits_per_second(double gbps) const { return compat.twenty_bit_bytes ? gbps * 1073741824.0 * 20.0 : gbps * 8e9; }
  double dram_bits_per_cycle() const { return bits_per_second(main_memory.bandwidth_gbps) / clock_hz(); }
  double buffer_bits_per_cycle() const { return bits_per_second(buffer_bandwidth_gbps) / clock_hz(); }
  // DRAM first-access latency in whole accelerator cycles (rounded up).
  uint64_t dram_latency_cycles() const;
  // Loop order as indices: order[i] is 'b', 'i', 'j' for the three outer loops (k is innermost).
  std::string outer_loop_order() const;

  // Value of a `config: KEY` register reset (platform/regmap.yaml); throws ConfigError if unknown.
  uint32_t register_value(const std::string& key) const;

  // Words of the number format a buffer of `mb` MB holds (a narrower format: more of them).
  uint64_t words_of_mb(double mb) const { return static_cast<uint64_t>(mb * 1048576.0 * 8.0 / number_format.word_bits()); }
  // Energy and area of a unit of the datapath relative to its figure at AccelTran's 20 bits (the
  // energy table's): the assumed scaling rule of docs/configuration.md, "Number formats".
  double width_ratio() const { return number_format.word_bits() / 20.0; }
};

// One configuration key: its name, what it means, and its value in the loaded configuration.
struct ConfigKeyInfo {
  std::string key, meaning;
};
const std::vector<ConfigKeyInfo>& config_keys();

// hw: "edge", "server" or a path to a YAML file (which may say `inherit: edge|server`).
// overrides: "key=value" strings, applied in order after the file.
HwConfig load_hw_config(const std::string& hw, const std::vector<std::string>& overrides = {});
// The same for a hardware file's text already in memory (tests, the fuzz harness), bounded as a file
// is; `origin` names it in messages.
HwConfig parse_hw_config(const std::string& yaml_text, const std::string& origin, const std::vector<std::string>& overrides = {});

// The built-in preset text (platform/presets/NAME.yaml embedded at build time), or empty.
std::string builtin_preset(const std::string& name);

// Flattened "key: value" dump of a configuration (the same keys load_hw_config accepts).
std::string dump_config(const HwConfig& cfg);

}  // namespace acc
