#include <gtest/gtest.h>

#include "energy.hpp"

using namespace acc;

namespace {
double total_area_mm2(const HwConfig& c) {
  const EnergyTable t = EnergyTable::load(c);
  double a = 0;
  for (const auto& [m, um2] : area_breakdown_um2(c, t)) a += um2;
  return a * 1e-6;
}
}  // namespace

TEST(EnergyArea, EdgeAreaIsTheSumOfTheModules) {
  // The AccelTran paper (Tuli & Jha 2023): 54.064 mm² for AccelTran-Edge.
  EXPECT_NEAR(total_area_mm2(load_hw_config("edge")), 54.064, 0.0005);
}

TEST(EnergyArea, ServerAreaIsTheSumOfTheModules) {
  // The AccelTran paper (Tuli & Jha 2023): 1,829.696 mm²; the module figures sum to 1,829.691 (docs/validation.md).
  EXPECT_NEAR(total_area_mm2(load_hw_config("server")), 1829.696, 0.01);
}

TEST(EnergyArea, LaneFiguresFollowTheTable) {
  const HwConfig c = load_hw_config("edge");
  const EnergyTable t = EnergyTable::load(c);
  EXPECT_DOUBLE_EQ(t.mac_lane(c).dynamic_mw, 5.1955);
  const HwConfig one = load_hw_config("edge", {"mac_per_lane=1"});
  EXPECT_DOUBLE_EQ(t.mac_lane(one).area_um2, 1209.96);
  const HwConfig relu = load_hw_config("edge", {"non_linearity=relu"});
  EXPECT_DOUBLE_EQ(t.mac_lane(relu).leakage_mw, 0.3003);
  // Energy per busy cycle = P / f: 5.1955 mW at 700 MHz = 7.4221 pJ.
  EXPECT_NEAR(EnergyTable::dynamic_nj(t.mac_lane(c), 1.0, c), 5.1955e-3 / 700e6 * 1e9, 1e-12);
}

TEST(EnergyArea, DramEnergyPerBlockByOrganisation) {
  const HwConfig edge = load_hw_config("edge");
  const EnergyTable t = EnergyTable::load(edge);
  EXPECT_DOUBLE_EQ(t.dram_nj_per_block(edge), 13.438);
  EXPECT_DOUBLE_EQ(t.dram_nj_per_block(load_hw_config("server")), 8.633);
  EXPECT_DOUBLE_EQ(t.dram_nj_per_block(load_hw_config("edge", {"main_memory.type=hbm", "main_memory.ranks=1", "main_memory.channels=4"})),
                   26.557);
  EXPECT_THROW(t.dram_nj_per_block(load_hw_config("edge", {"main_memory.banks=7"})), ConfigError);
  EXPECT_DOUBLE_EQ(t.dram_nj_per_block(load_hw_config("edge", {"main_memory.banks=7", "main_memory.energy_per_block_nj=5"})), 5.0);
}

TEST(EnergyArea, MalformedTablesAreRejectedByName) {
  try {
    EnergyTable::parse("modules:\n  fifo: {area_um2: 1}\n", "t.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("module 'fifo' needs"), std::string::npos);
  }
  EXPECT_THROW(EnergyTable::parse("modules: {}\nbuffers: {}\n", "t.yaml"), ConfigError);
  const HwConfig c = load_hw_config("edge", {"tile.tile_x=8", "tile.tile_y=8"});
  const EnergyTable t = EnergyTable::load(c);
  EXPECT_DOUBLE_EQ(t.softmax(c).area_um2, 22008);
  const HwConfig odd = load_hw_config("edge", {"tile.tile_x=12", "tile.tile_y=12"});
  EXPECT_THROW(t.softmax(odd), ConfigError);
}
