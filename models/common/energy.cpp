#include "energy.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "energy_embedded.hpp"  // generated: platform/energy/acceltran_14nm.yaml

namespace acc {

EnergyTable EnergyTable::parse(const std::string& text, const std::string& origin) {
  EnergyTable t;
  try {
    const YAML::Node root = YAML::Load(text);
    for (const auto& kv : root["modules"]) {
      const std::string name = kv.first.as<std::string>();
      const auto& v = kv.second;
      if (!v["area_um2"] || !v["dynamic_mw"] || !v["leakage_mw"])
        throw ConfigError(origin + ": module '" + name + "' needs area_um2, dynamic_mw and leakage_mw");
      t.modules_[name] = {v["area_um2"].as<double>(), v["dynamic_mw"].as<double>(), v["leakage_mw"].as<double>()};
    }
    for (const auto& kv : root["buffers"]) {
      const std::string name = kv.first.as<std::string>();
      const auto& v = kv.second;
      if (!v["area_um2_per_mb"] || !v["leakage_mw_per_mb"] || !v["access_nj_sqrt_mb"])
        throw ConfigError(origin + ": buffer '" + name + "' needs area_um2_per_mb, leakage_mw_per_mb and access_nj_sqrt_mb");
      t.buffers_[name] = {v["area_um2_per_mb"].as<double>(), v["leakage_mw_per_mb"].as<double>(), v["access_nj_sqrt_mb"].as<double>()};
    }
    for (const auto& m : root["main_memory"])
      t.memory_.push_back({m["type"].as<std::string>(), m["banks"].as<unsigned>(), m["ranks"].as<unsigned>(),
                           m["channels"].as<unsigned>(), m["nj_per_block"].as<double>()});
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin + ": malformed energy table: " + e.what());
  }
  for (const char* m : {"mac_lane_16_gelu", "mac_lane_16_relu", "mac_lane_1_gelu", "pre_sparsity", "post_sparsity", "fifo",
                        "dataflow", "dma"})
    if (!t.modules_.count(m)) throw ConfigError(origin + ": energy table lacks module '" + std::string(m) + "'");
  for (const char* b : {"weight", "activation", "mask"})
    if (!t.buffers_.count(b)) throw ConfigError(origin + ": energy table lacks buffer '" + std::string(b) + "'");
  return t;
}

EnergyTable EnergyTable::load(const HwConfig& cfg) {
  if (cfg.energy_table.empty()) return parse(kEmbeddedEnergyTables[0].text, "built-in energy table");
  std::ifstream in(cfg.energy_table);
  if (!in) throw ConfigError("cannot open energy table '" + cfg.energy_table + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), cfg.energy_table);
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
    if (cfg.mac_per_lane == 16) return r16;
    m.area_um2 *= r16.area_um2 / g16.area_um2;
    m.dynamic_mw *= r16.dynamic_mw / g16.dynamic_mw;
    m.leakage_mw *= r16.leakage_mw / g16.leakage_mw;
  }
  return m;
}

ModuleFigures EnergyTable::softmax(const HwConfig& cfg) const { return module("softmax_" + std::to_string(cfg.tile_x)); }
ModuleFigures EnergyTable::layernorm(const HwConfig& cfg) const { return module("layernorm_" + std::to_string(cfg.tile_x)); }

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
      {"pre_sparsity", lanes * t.module("pre_sparsity").area_um2},
      {"post_sparsity", lanes * t.module("post_sparsity").area_um2},
      {"fifo", lanes * t.module("fifo").area_um2},
      {"dataflow", pes * t.module("dataflow").area_um2},
      {"dma", pes * t.module("dma").area_um2},
      {"weight_buffer", cfg.weight_buffer_mb * t.buffer("weight").area_um2_per_mb},
      {"activation_buffer", cfg.activation_buffer_mb * t.buffer("activation").area_um2_per_mb},
      {"mask_buffer", cfg.mask_buffer_mb * t.buffer("mask").area_um2_per_mb},
  };
}

}  // namespace acc
