#include "energy.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>

#include "energy_embedded.hpp"  // generated: platform/energy/acceltran_14nm.yaml
#include "input_file.hpp"
#include "parse_number.hpp"
#include "yaml_reader.hpp"

namespace acc {

namespace {

// A figure of the table: a finite, non-negative number (a NaN, an infinity or a negative energy
// would reach the statistics as null or negative energies), at most kMaxFigure (µm², mW, nJ: a
// larger one would overflow the energy sums).
constexpr double kMaxFigure = 1e9;

double figure(const YAML::Node& entry, const char* field, const std::string& where) {
  const YAML::Node v = entry[field];
  if (!v.IsScalar()) throw ConfigError(where + "." + field + " must be a number");
  try {
    return parse_real(v.Scalar(), 0.0, kMaxFigure);
  } catch (const NumberError& e) {
    throw ConfigError(where + "." + field + ": " + e.what() + " (figures are finite and non-negative)");
  }
}

unsigned count(const YAML::Node& entry, const char* field, const std::string& where) {
  const YAML::Node v = entry[field];
  if (!v.IsScalar()) throw ConfigError(where + "." + field + " must be an unsigned integer");
  try {
    return static_cast<unsigned>(parse_unsigned(v.Scalar(), 0, 1u << 20));
  } catch (const NumberError& e) {
    throw ConfigError(where + "." + field + ": " + e.what());
  }
}

ModuleFigures scaled(ModuleFigures m, double factor) {
  m.area_um2 *= factor, m.dynamic_mw *= factor, m.leakage_mw *= factor;
  return m;
}

}  // namespace

EnergyTable EnergyTable::parse(const std::string& text, const std::string& origin) {
  check_input_size_as<ConfigError>(text.size(), kMaxEnergyTableBytes, "energy table", origin);
  EnergyTable t;
  const YAML::Node root = load_strict_yaml(text, origin);
  try {
    for (const auto& kv : root["modules"]) {
      const std::string name = kv.first.as<std::string>();
      const auto& v = kv.second;
      if (!v["area_um2"] || !v["dynamic_mw"] || !v["leakage_mw"])
        throw ConfigError(origin + ": module '" + name + "' needs area_um2, dynamic_mw and leakage_mw");
      const std::string where = origin + ": modules." + name;
      t.modules_[name] = {figure(v, "area_um2", where), figure(v, "dynamic_mw", where), figure(v, "leakage_mw", where)};
    }
    for (const auto& kv : root["buffers"]) {
      const std::string name = kv.first.as<std::string>();
      const auto& v = kv.second;
      if (!v["area_um2_per_mb"] || !v["leakage_mw_per_mb"] || !v["access_nj_sqrt_mb"])
        throw ConfigError(origin + ": buffer '" + name + "' needs area_um2_per_mb, leakage_mw_per_mb and access_nj_sqrt_mb");
      const std::string where = origin + ": buffers." + name;
      t.buffers_[name] = {figure(v, "area_um2_per_mb", where), figure(v, "leakage_mw_per_mb", where), figure(v, "access_nj_sqrt_mb", where)};
    }
    size_t i = 0;
    for (const auto& m : root["main_memory"]) {
      const std::string where = origin + ": main_memory[" + std::to_string(i++) + "]";
      t.memory_.push_back({m["type"].as<std::string>(), count(m, "banks", where), count(m, "ranks", where), count(m, "channels", where),
                           figure(m, "nj_per_block", where)});
    }
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin + ": malformed energy table: " + e.what());
  }
  for (const char* m : {"mac_lane_16_gelu", "mac_lane_16_relu", "mac_lane_1_gelu", "pre_sparsity", "post_sparsity", "fifo",
                        "dataflow", "dma"})
    if (!t.modules_.count(m)) throw ConfigError(origin + ": energy table lacks module '" + std::string(m) + "'");
  for (const char* b : {"weight", "activation", "mask"})
    if (!t.buffers_.count(b)) throw ConfigError(origin + ": energy table lacks buffer '" + std::string(b) + "'");
  // Other lane widths and the ReLU lane are scaled by these figures: they divide.
  const ModuleFigures& g16 = t.modules_["mac_lane_16_gelu"];
  if (g16.area_um2 <= 0 || g16.dynamic_mw <= 0 || g16.leakage_mw <= 0)
    throw ConfigError(origin + ": modules.mac_lane_16_gelu: its figures scale the other lanes and must be positive");
  return t;
}

EnergyTable EnergyTable::load(const HwConfig& cfg) {
  if (cfg.energy_table.empty()) return parse(kEmbeddedEnergyTables[0].text, "built-in energy table");
  return parse(read_input_file_as<ConfigError>(cfg.energy_table, kMaxEnergyTableBytes, "energy table"), cfg.energy_table);
}

const ModuleFigures& EnergyTable::module(const std::string& name) const {
  auto it = modules_.find(name);
  if (it == modules_.end()) throw ConfigError("energy table lacks module '" + name + "'");
  return it->second;
}

const BufferFigures& EnergyTable::buffer(const std::string& name) const {
  auto it = buffers_.find(name);
  if (it == buffers_.end()) throw ConfigError("energy table lacks buffer '" + name + "'");
  return it->second;
}

ModuleFigures EnergyTable::mac_lane(const HwConfig& cfg) const {
  // The table has lanes of 16 and of 1 multiplier (with GELU). Other widths interpolate linearly
  // between them; a ReLU lane scales the GELU figures by the ratio of the two 16-MAC lanes.
  const auto& g16 = module("mac_lane_16_gelu");
  const auto& g1 = module("mac_lane_1_gelu");
  const double f = (static_cast<double>(cfg.mac_per_lane) - 1.0) / 15.0;
  ModuleFigures m{g1.area_um2 + (g16.area_um2 - g1.area_um2) * f, g1.dynamic_mw + (g16.dynamic_mw - g1.dynamic_mw) * f,
                  g1.leakage_mw + (g16.leakage_mw - g1.leakage_mw) * f};
  if (cfg.non_linearity == "relu") {
    const auto& r16 = module("mac_lane_16_relu");
    m.area_um2 *= r16.area_um2 / g16.area_um2;
    m.dynamic_mw *= r16.dynamic_mw / g16.dynamic_mw;
    m.leakage_mw *= r16.leakage_mw / g16.leakage_mw;
  }
  if (m.area_um2 < 0 || m.dynamic_mw < 0 || m.leakage_mw < 0)  // extrapolated past 16 from a table whose 1-MAC lane costs more
    throw ConfigError("energy table: the MAC-lane figures extrapolated to " + std::to_string(cfg.mac_per_lane) + " multipliers are negative");
  if (cfg.mac_per_lane == 16 && cfg.non_linearity == "relu") m = module("mac_lane_16_relu");
  return scaled(m, cfg.width_ratio() * cfg.width_ratio());
}

ModuleFigures EnergyTable::softmax(const HwConfig& cfg) const { return scaled(module("softmax_" + std::to_string(cfg.tile_x)), cfg.width_ratio()); }
ModuleFigures EnergyTable::layernorm(const HwConfig& cfg) const {
  return scaled(module("layernorm_" + std::to_string(cfg.tile_x)), cfg.width_ratio());
}
ModuleFigures EnergyTable::lane_unit(const std::string& name, const HwConfig& cfg) const { return scaled(module(name), cfg.width_ratio()); }

double EnergyTable::dram_nj_per_block(const HwConfig& cfg) const {
  const auto& mm = cfg.main_memory;
  if (mm.energy_per_block_nj > 0) return mm.energy_per_block_nj;
  for (const auto& e : memory_)
    if (e.type == mm.type && e.banks == mm.banks && e.ranks == mm.ranks && e.channels == mm.channels) return e.nj_per_block;
  throw ConfigError("no DRAM energy figure for " + mm.type + " with " + std::to_string(mm.banks) + " banks / " +
                    std::to_string(mm.ranks) + " ranks / " + std::to_string(mm.channels) +
                    " channels; set main_memory.energy_per_block_nj");
}

std::vector<std::pair<std::string, double>> area_breakdown_um2(const HwConfig& cfg, const EnergyTable& t) {
  const double lanes = static_cast<double>(cfg.total_lanes());
  const double pes = cfg.pe;
  return {
      {"mac_lanes", lanes * t.mac_lane(cfg).area_um2},
      {"softmax", pes * cfg.softmax_per_pe * t.softmax(cfg).area_um2},
      {"layernorm", pes * cfg.layernorm_per_pe * t.layernorm(cfg).area_um2},
      {"pre_sparsity", lanes * t.lane_unit("pre_sparsity", cfg).area_um2},
      {"post_sparsity", lanes * t.lane_unit("post_sparsity", cfg).area_um2},
      {"fifo", lanes * t.lane_unit("fifo", cfg).area_um2},
      {"dataflow", pes * t.module("dataflow").area_um2},
      {"dma", pes * t.module("dma").area_um2},
      {"weight_buffer", cfg.weight_buffer_mb * t.buffer("weight").area_um2_per_mb},
      {"activation_buffer", cfg.activation_buffer_mb * t.buffer("activation").area_um2_per_mb},
      {"mask_buffer", cfg.mask_buffer_mb * t.buffer("mask").area_um2_per_mb},
  };
}

}  // namespace acc
