#include "hw_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "input_file.hpp"
#include "parse_number.hpp"
#include "presets_embedded.hpp"  // generated: the text of platform/presets/*.yaml
#include "yaml_reader.hpp"

namespace acc {
namespace {

using Setter = std::function<void(HwConfig&, const std::string&)>;
using Getter = std::function<std::string(const HwConfig&)>;

struct Key {
  std::string name, meaning;
  Setter set;
  Getter get;
};

[[noreturn]] void bad_value(const std::string& value, const char* expected) {
  throw ConfigError("'" + value + "' is not " + expected);
}

unsigned parse_uint(const std::string& v, unsigned lo, unsigned hi) {
  try {
    return static_cast<unsigned>(parse_unsigned(v, lo, hi));
  } catch (const NumberError& e) {
    throw ConfigError(e.what());
  }
}

double parse_double(const std::string& v, double lo, double hi) {
  try {
    return parse_real(v, lo, hi);
  } catch (const NumberError& e) {
    throw ConfigError(e.what());
  }
}

std::string parse_choice(const std::string& v, std::initializer_list<const char*> choices) {
  std::string all;
  for (const char* c : choices) {
    if (v == c) return v;
    all += std::string(all.empty() ? "" : ", ") + c;
  }
  throw ConfigError("'" + v + "' is not one of " + all);
}

bool parse_bool(const std::string& v) {
  if (v == "true" || v == "True" || v == "1") return true;
  if (v == "false" || v == "False" || v == "0") return false;
  bad_value(v, "true or false");
}

std::string fmt(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

#define UINT_KEY(NAME, FIELD, LO, HI, MEANING)                                                  \
  Key {                                                                                         \
    NAME, MEANING, [](HwConfig& c, const std::string& v) { c.FIELD = parse_uint(v, LO, HI); }, \
        [](const HwConfig& c) { return std::to_string(c.FIELD); }                               \
  }
#define DOUBLE_KEY(NAME, FIELD, LO, HI, MEANING)                                                  \
  Key {                                                                                           \
    NAME, MEANING, [](HwConfig& c, const std::string& v) { c.FIELD = parse_double(v, LO, HI); }, \
        [](const HwConfig& c) { return fmt(c.FIELD); }                                            \
  }

#define BOOL_KEY(NAME, FIELD, MEANING)                                                     \
  Key {                                                                                    \
    NAME, MEANING, [](HwConfig& c, const std::string& v) { c.FIELD = parse_bool(v); },    \
        [](const HwConfig& c) { return std::string(c.FIELD ? "true" : "false"); }          \
  }

const std::vector<Key>& keys() {
  static const std::vector<Key> k = {
      DOUBLE_KEY("clock_mhz", clock_mhz, 1, 10000, "Accelerator clock (MHz)"),
      UINT_KEY("tile.tile_b", tile_b, 1, 64, "Tile batch dimension b"),
      UINT_KEY("tile.tile_x", tile_x, 1, 256, "Tile rows x"),
      UINT_KEY("tile.tile_y", tile_y, 1, 256, "Tile columns y (and reduction depth of a tiled matmul)"),
      Key{"non_linearity", "Non-linearity unit in the MAC lanes: gelu or relu",
          [](HwConfig& c, const std::string& v) { c.non_linearity = parse_choice(v, {"gelu", "relu"}); },
          [](const HwConfig& c) { return c.non_linearity; }},
      UINT_KEY("pe", pe, 1, 65536, "Processing elements"),
      UINT_KEY("lanes_per_pe", lanes_per_pe, 1, 1024, "MAC lanes per PE"),
      UINT_KEY("mac_per_lane", mac_per_lane, 1, 1024, "Multipliers per MAC lane"),
      UINT_KEY("softmax_per_pe", softmax_per_pe, 1, 1024, "Softmax units per PE"),
      UINT_KEY("layernorm_per_pe", layernorm_per_pe, 1, 64, "Layer-norm units per PE"),
      UINT_KEY("batch_size", batch_size, 1, 4096, "Default batch of a transformer job"),
      DOUBLE_KEY("activation_buffer_size", activation_buffer_mb, 0.0625, 4096, "Activation buffer (MB)"),
      DOUBLE_KEY("weight_buffer_size", weight_buffer_mb, 0.0625, 4096, "Weight buffer (MB)"),
      DOUBLE_KEY("mask_buffer_size", mask_buffer_mb, 0.0078125, 1024, "Mask buffer (MB)"),
      Key{"loop_unrolling", "Tile loop order; k must be innermost (b_i_j_k, b_j_i_k, i_j_b_k, ...)",
          [](HwConfig& c, const std::string& v) {
            std::string o = v;
            o.erase(std::remove(o.begin(), o.end(), '_'), o.end());
            std::string sorted = o;
            std::sort(sorted.begin(), sorted.end());
            if (sorted != "bijk") throw ConfigError("'" + v + "' is not a permutation of b_i_j_k");
            if (o.back() != 'k')
              throw ConfigError("'" + v + "': only orders with k innermost (output-stationary lanes) are modelled");
            c.loop_unrolling = v;
          },
          [](const HwConfig& c) { return c.loop_unrolling; }},
      Key{"main_memory.type", "Main memory technology: lpddr3 (AccelTran's 'dram'), rram or hbm",
          [](HwConfig& c, const std::string& v) {
            c.main_memory.type = v == "dram" ? "lpddr3" : parse_choice(v, {"lpddr3", "rram", "hbm", "dram"});
          },
          [](const HwConfig& c) { return c.main_memory.type; }},
      UINT_KEY("main_memory.banks", main_memory.banks, 1, 1024, "Memory banks"),
      UINT_KEY("main_memory.ranks", main_memory.ranks, 1, 64, "Memory ranks"),
      UINT_KEY("main_memory.channels", main_memory.channels, 1, 64, "Memory channels"),
      DOUBLE_KEY("main_memory.bandwidth_gbps", main_memory.bandwidth_gbps, 0.001, 100000, "Peak bandwidth (GB/s, 1e9 B/s)"),
      DOUBLE_KEY("main_memory.latency_ns", main_memory.latency_ns, 0, 100000, "First-access latency of a burst (ns)"),
      DOUBLE_KEY("main_memory.energy_per_block_nj", main_memory.energy_per_block_nj, 0, 1e6,
                 "Energy per 64-element block (nJ); 0 = from the energy table for type/banks/ranks/channels"),
      DOUBLE_KEY("main_memory.size_mb", main_memory.size_mb, 1, 2048, "Populated DRAM (MiB), at most the 2 GiB window"),
      UINT_KEY("scheduler.compute_ops.batch_size", compute_dispatch_batch, 1, 1u << 20, "Tiled compute ops dispatched per cycle"),
      Key{"scheduler.compute_ops.tiled", "Compute ops are tiled (must be true: the PEs work on tiles)",
          [](HwConfig&, const std::string& v) {
            if (!parse_bool(v)) throw ConfigError("untiled compute ops are not modelled");
          },
          [](const HwConfig&) { return std::string("true"); }},
      UINT_KEY("scheduler.memory_ops.batch_size", memory_dispatch_batch, 1, 1024, "DMA commands started per cycle"),
      Key{"scheduler.memory_ops.tiled", "Memory ops are tiled (accepted for compatibility; the firmware tiles them)",
          [](HwConfig&, const std::string& v) { parse_bool(v); }, [](const HwConfig&) { return std::string("false"); }},
      Key{"number_format",
          "The datapath's number format: signed fixed point qM.N (M integer bits with the sign, N fraction bits, 4 to 20 bits in all; "
          "AccelTran's q4.16), or int8, int16: integers with a power-of-two scale per tensor (BERT encoders)",
          [](HwConfig& c, const std::string& v) {
            try {
              c.number_format = fx::Format::parse(v);
            } catch (const std::invalid_argument& e) {
              throw ConfigError(e.what());
            }
          },
          [](const HwConfig& c) { return c.number_format.name(); }},
      Key{"energy_table", "YAML file with per-module energy and area figures (empty: built-in 14 nm table)",
          [](HwConfig& c, const std::string& v) { c.energy_table = v; }, [](const HwConfig& c) { return c.energy_table; }},
      UINT_KEY("vp.bus_latency_cycles", bus_latency_cycles, 0, 1000, "Interconnect latency per transaction (cycles)"),
      UINT_KEY("vp.buffer_latency_cycles", buffer_latency_cycles, 0, 1000, "On-chip buffer access latency (cycles)"),
      DOUBLE_KEY("vp.buffer_bandwidth_gbps", buffer_bandwidth_gbps, 0.001, 1e6, "Bandwidth of one buffer port (GB/s)"),
      UINT_KEY("vp.buffer_ports", buffer_ports, 1, 64, "Ports per on-chip buffer"),
      UINT_KEY("vp.dma_channels", dma_channels, 1, 64, "DMA channels per direction: LOADs (and STOREs) in execution at once"),
      UINT_KEY("vp.dma_outstanding", dma_outstanding, 1, 1024, "DRAM requests (bursts) in flight per DMA engine (one reads, one writes)"),
      UINT_KEY("vp.dma_max_burst_words", dma_max_burst_words, 1, 1u << 24, "Longest DMA burst in words; longer contiguous runs are split"),
      UINT_KEY("vp.queue_window", queue_window, 1, 4096,
               "Descriptors in flight in the control block (issued out of order among them; 1: strictly serial)"),
      UINT_KEY("vp.fetch_batch", fetch_batch, 1, 4096, "Descriptors fetched per DRAM burst"),
      UINT_KEY("vp.max_k", max_k, 16, 16384, "Largest K of one MATMUL (the wide accumulator is exact up to 2^14 products)"),
      UINT_KEY("vp.topk_parallelism", topk_parallelism, 1, 4096, "Comparators of the top-k (quick-select) engine of a softmax unit"),
      UINT_KEY("vp.score_engine_lanes_per_pe", score_engine_lanes_per_pe, 1, 4096,
               "Bit-serial lanes per PE of LeOPArd's score engine (one bit plane of a score per cycle each)"),
      DOUBLE_KEY("vp.cpu_clock_mhz", cpu_clock_mhz, 1, 10000, "Host CPU clock (MHz)"),
      DOUBLE_KEY("vp.cpu_cpi", cpu_cpi, 0.01, 1000, "Host CPU cycles per instruction (riscv backend: instructions become time)"),
      BOOL_KEY("vp.strict_registers", strict_registers,
               "Writes to read-only registers or reserved bits are bus errors (error response, nothing written), not ignored"),
      BOOL_KEY("compat.twenty_bit_bytes", compat.twenty_bit_bytes,
               "AccelTran's simulator: bandwidths converted as GB/s x 2^30 bytes x 20 bits (not x 1e9 x 8)"),
      DOUBLE_KEY("compat.global_sparsity", compat.global_sparsity, -1, 0.999,
                 "AccelTran's simulator: every transfer and tile skips this fraction, whatever the data (-1: measured)"),
      BOOL_KEY("compat.idle_submodules", compat.idle_submodules,
               "AccelTran's simulator: FIFO, pre-/post-sparsity, dataflow and DMA units take no cycles and no energy"),
      BOOL_KEY("compat.busy_leakage", compat.busy_leakage, "AccelTran's simulator: units leak only while busy, buffers while transferring"),
      BOOL_KEY("compat.mask_copy_dram_energy", compat.mask_copy_dram_energy,
               "AccelTran's simulator: a load's DRAM energy is charged again for its mask copy"),
      BOOL_KEY("compat.whole_embedding_table", compat.whole_embedding_table,
               "AccelTran's simulator: the firmware loads the whole word-embedding table before the first op"),
      BOOL_KEY("compat.weights_per_sequence", compat.weights_per_sequence,
               "AccelTran's simulator: the firmware loads every weight once per sequence of the batch"),
      BOOL_KEY("compat.in_order_loads", compat.in_order_loads,
               "AccelTran's simulator: the firmware loads each weight just before its use (no layer ahead)"),
  };
  return k;
}

void flatten(const YAML::Node& node, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out,
             const std::string& origin) {
  for (const auto& kv : node) {
    const std::string key = prefix + kv.first.as<std::string>();
    if (kv.second.IsMap()) {
      flatten(kv.second, key + ".", out, origin);
    } else if (kv.second.IsScalar()) {
      out.emplace_back(key, kv.second.as<std::string>());
    } else if (kv.second.IsNull()) {
      out.emplace_back(key, "");
    } else {
      throw ConfigError(origin + ": key '" + key + "' must be a scalar or a mapping");
    }
  }
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> d(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) d[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = d[0];
    d[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cur = d[j];
      d[j] = std::min({d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return d[b.size()];
}

std::string suggestion(const std::string& key) {
  std::string best;
  size_t best_d = 4;
  for (const auto& k : keys()) {
    const bool suffix = k.name.size() > key.size() && k.name.compare(k.name.size() - key.size(), key.size(), key) == 0 &&
                        k.name[k.name.size() - key.size() - 1] == '.';
    if (suffix) return " (did you mean '" + k.name + "'?)";
    // The distance is at least the difference in length: a name that long apart cannot be closer.
    const size_t gap = key.size() > k.name.size() ? key.size() - k.name.size() : k.name.size() - key.size();
    if (gap >= best_d) continue;
    const size_t d = edit_distance(key, k.name);
    if (d < best_d) best_d = d, best = k.name;
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

const Key* find_key(const std::string& name) {
  for (const auto& k : keys())
    if (k.name == name) return &k;
  return nullptr;
}

using Entries = std::vector<std::pair<std::string, std::string>>;

Entries parse_yaml_text(const std::string& text, const std::string& origin) {
  const YAML::Node root = load_strict_yaml(text, origin);
  if (!root.IsMap()) throw ConfigError(origin + ": expected a mapping of configuration keys");
  Entries out;
  flatten(root, "", out, origin);
  // A dotted key and the same key nested ("main_memory.size_mb" beside "main_memory: {size_mb}").
  std::set<std::string> seen;
  for (const auto& [k, v] : out)
    if (!seen.insert(k).second) throw ConfigError(origin + ": duplicate key '" + k + "'");
  return out;
}

Entries load_entries(const std::string& hw, std::set<std::string>& seen_files);

// The entries of one file's text (or a preset's), with those it inherits before its own.
Entries entries_of_text(const std::string& text, const std::string& origin, std::set<std::string>& seen_files) {
  check_input_size_as<ConfigError>(text.size(), kMaxHwConfigBytes, "hardware configuration file", origin);
  Entries e = parse_yaml_text(text, origin);
  Entries result;
  for (auto& [k, v] : e) {
    if (k == "inherit") {
      Entries base = load_entries(v, seen_files);
      result.insert(result.begin(), base.begin(), base.end());
    } else {
      result.emplace_back(k, v);
    }
  }
  for (auto& [k, v] : result)
    if (!find_key(k) && k != "inherit") throw ConfigError(origin + ": unknown configuration key '" + k + "'" + suggestion(k));
  return result;
}

// A built-in preset's entries, parsed on first use only: presets are fixed at build time, and a
// sweep or a fuzz harness loads configurations that inherit from them many times.
Entries preset_entries(const std::string& name, const std::string& text) {
  static std::mutex mutex;
  static std::map<std::string, Entries> parsed;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = parsed.find(name); it != parsed.end()) return it->second;
  }
  std::set<std::string> no_files;  // unlocked: a preset may inherit from another
  Entries e = entries_of_text(text, "preset '" + name + "'", no_files);
  std::lock_guard<std::mutex> lock(mutex);
  return parsed.emplace(name, std::move(e)).first->second;
}

Entries load_entries(const std::string& hw, std::set<std::string>& seen_files) {
  if (const std::string preset = builtin_preset(hw); !preset.empty()) return preset_entries(hw, preset);
  if (hw.find('/') == std::string::npos && hw.find(".y") == std::string::npos)
    throw ConfigError("--hw '" + hw + "' is neither a preset (edge, server, acceltran-sim) nor a YAML file");
  if (!seen_files.insert(hw).second) throw ConfigError(hw + ": inherits from itself");
  return entries_of_text(read_input_file_as<ConfigError>(hw, kMaxHwConfigBytes, "hardware configuration file"), hw, seen_files);
}

// The configuration of `entries` (a file's, with what it inherits), then the -p overrides.
HwConfig configure(Entries entries, const std::string& name, const std::vector<std::string>& overrides);

}  // namespace

std::string HwConfig::outer_loop_order() const {
  std::string o;
  for (char c : loop_unrolling)
    if (c != '_' && c != 'k') o += c;
  return o;
}

uint64_t HwConfig::dram_latency_cycles() const {
  const double c = main_memory.latency_ns * 1e-9 * clock_hz();
  const auto whole = static_cast<uint64_t>(c);
  return c - static_cast<double>(whole) > 1e-9 ? whole + 1 : whole;
}

uint32_t HwConfig::register_value(const std::string& key) const {
  if (key == "pe") return pe;
  if (key == "lanes_per_pe") return lanes_per_pe;
  if (key == "mac_per_lane") return mac_per_lane;
  if (key == "softmax_per_pe") return softmax_per_pe;
  if (key == "layernorm_per_pe") return layernorm_per_pe;
  if (key == "tile_code") return (tile_b & 0xFF) << 16 | (tile_x & 0xFF) << 8 | (tile_y & 0xFF);
  if (key == "act_buffer_words") return static_cast<uint32_t>(act_buffer_words());
  if (key == "weight_buffer_words") return static_cast<uint32_t>(weight_buffer_words());
  if (key == "dram_bytes") return static_cast<uint32_t>(dram_bytes());
  if (key == "max_k") return max_k;
  if (key == "queue_window") return queue_window;
  if (key == "dram_latency_cycles") return static_cast<uint32_t>(dram_latency_cycles());
  if (key == "dma_channels") return dma_channels;  // per direction
  if (key == "buffer_ports") return buffer_ports;
  if (key == "buffer_bits_per_kcycle") return static_cast<uint32_t>(std::min(4294967295.0, std::floor(buffer_bits_per_cycle() * 1024.0)));
  if (key == "dma_outstanding") return dma_outstanding;
  if (key == "dma_max_burst_words") return dma_max_burst_words;
  if (key == "dram_bits_per_kcycle") return static_cast<uint32_t>(std::min(4294967295.0, std::floor(dram_bits_per_cycle() * 1024.0)));
  throw ConfigError("register reset refers to unknown configuration value '" + key + "'");
}

const std::vector<ConfigKeyInfo>& config_keys() {
  static const std::vector<ConfigKeyInfo> info = [] {
    std::vector<ConfigKeyInfo> v;
    for (const auto& k : keys()) v.push_back({k.name, k.meaning});
    return v;
  }();
  return info;
}

std::string builtin_preset(const std::string& name) {
  for (const auto& p : kEmbeddedPresets)
    if (name == p.name) return p.text;
  return "";
}

HwConfig load_hw_config(const std::string& hw, const std::vector<std::string>& overrides) {
  std::set<std::string> seen_files;
  return configure(load_entries(hw, seen_files), hw, overrides);
}

HwConfig parse_hw_config(const std::string& yaml_text, const std::string& origin, const std::vector<std::string>& overrides) {
  std::set<std::string> seen_files{origin};
  return configure(entries_of_text(yaml_text, origin, seen_files), origin, overrides);
}

namespace {
HwConfig configure(Entries entries, const std::string& hw, const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) throw ConfigError("-p '" + o + "': expected key=value");
    const std::string k = o.substr(0, eq);
    if (!find_key(k)) throw ConfigError("-p: unknown configuration key '" + k + "'" + suggestion(k));
    entries.emplace_back(k, o.substr(eq + 1));
  }
  HwConfig cfg;
  cfg.name = hw;
  std::set<std::string> set_keys;
  for (const auto& [k, v] : entries) {
    try {
      find_key(k)->set(cfg, v);
    } catch (const ConfigError& e) {
      throw ConfigError("configuration key '" + k + "': " + e.what());
    }
    set_keys.insert(k);
  }
  std::string missing;
  for (const auto& k : keys())
    if (!set_keys.count(k.name)) missing += (missing.empty() ? "" : ", ") + k.name;
  if (!missing.empty())
    throw ConfigError(hw + ": missing configuration keys: " + missing + " (start the file with 'inherit: edge' to take the rest from a preset)");

  // Cross-key checks.
  if (cfg.tile_x != cfg.tile_y) throw ConfigError("tile.tile_x and tile.tile_y must be equal (square tiles, as AccelTran)");
  const double shadow_bits = static_cast<double>(cfg.act_buffer_words() + cfg.weight_buffer_words());
  if (static_cast<double>(cfg.mask_buffer_bits()) < shadow_bits)
    throw ConfigError("mask_buffer_size " + fmt(cfg.mask_buffer_mb) + " MB cannot hold one mask bit per activation and weight word (needs " +
                      fmt(shadow_bits / 8.0 / 1048576.0) + " MB)");
  if (cfg.act_buffer_words() > (1ull << 26) || cfg.weight_buffer_words() > (1ull << 26))
    throw ConfigError("a buffer is larger than its 256 MB address window (64 M words)");
  return cfg;
}
}  // namespace

std::string dump_config(const HwConfig& cfg) {
  std::ostringstream s;
  for (const auto& k : keys()) s << k.name << ": " << k.get(cfg) << "\n";
  return s.str();
}

}  // namespace acc
