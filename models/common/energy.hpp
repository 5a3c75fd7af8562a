// Per-module energy and area figures (AccelTran's 14 nm table by default) and the accelerator's
// area breakdown. Models use the figures to turn their own activity counts into energy.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hw_config.hpp"

namespace acc {

struct ModuleFigures {
  double area_um2 = 0, dynamic_mw = 0, leakage_mw = 0;
};

struct BufferFigures {
  double area_um2_per_mb = 0, leakage_mw_per_mb = 0, access_nj_sqrt_mb = 0;
};

class EnergyTable {
 public:
  // Built-in table, or the file the configuration names; throws ConfigError naming a bad entry.
  static EnergyTable load(const HwConfig& cfg);
  // A table's text (load() reads the file and calls this; tests and the fuzz harness give text),
  // bounded by the file limit as a file is; `origin` names it in messages.
  static EnergyTable parse(const std::string& yaml_text, const std::string& origin);

  const ModuleFigures& module(const std::string& name) const;
  const BufferFigures& buffer(const std::string& name) const;  // weight | activation | mask

  // Module figures scaled to the configuration; all of them to the number format's width w (the
  // table is for AccelTran's 20 bits), by the assumed rule of docs/configuration.md: multipliers
  // (the MAC lanes) as (w/20)^2, adders, comparators and registers (the rest) as w/20.
  ModuleFigures mac_lane(const HwConfig& cfg) const;   // by mac_per_lane and non-linearity
  ModuleFigures softmax(const HwConfig& cfg) const;    // by tile_x
  ModuleFigures layernorm(const HwConfig& cfg) const;  // by tile_x
  ModuleFigures lane_unit(const std::string& name, const HwConfig& cfg) const;  // a lane's pre_sparsity, post_sparsity, fifo
  double dram_nj_per_block(const HwConfig& cfg) const;

  // Energy per busy cycle (nJ) and leakage energy (nJ) over `cycles` at the configured clock.
  static double dynamic_nj(const ModuleFigures& m, double busy_cycles, const HwConfig& cfg) {
    return m.dynamic_mw * 1e-3 * busy_cycles / cfg.clock_hz() * 1e9;
  }
  static double leakage_nj(double leakage_mw, double cycles, const HwConfig& cfg) {
    return leakage_mw * 1e-3 * cycles / cfg.clock_hz() * 1e9;
  }

 private:
  std::map<std::string, ModuleFigures> modules_;
  std::map<std::string, BufferFigures> buffers_;
  struct MemoryEntry {
    std::string type;
    unsigned banks, ranks, channels;
    double nj_per_block;
  };
  std::vector<MemoryEntry> memory_;
};

// Area of every module of the configured accelerator (µm²), in report order.
std::vector<std::pair<std::string, double>> area_breakdown_um2(const HwConfig& cfg, const EnergyTable& t);

}  // namespace acc
