#include <gtest/gtest.h>

#include "energy.hpp"
#include "input_file.hpp"

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

TEST(EnergyArea, FiguresAreFiniteAndNonNegative) {
  const std::string table = R"(modules:
  mac_lane_16_gelu:  {area_um2: 9418.67, dynamic_mw: 5.1955, leakage_mw: 0.3190}
  mac_lane_16_relu:  {area_um2: 8819.48, dynamic_mw: 4.8926, leakage_mw: 0.3003}
  mac_lane_1_gelu:   {area_um2: 1209.96, dynamic_mw: 0.6706, leakage_mw: 0.0419}
  pre_sparsity:      {area_um2: 6216.90, dynamic_mw: 0.2853, leakage_mw: 0.1507}
  post_sparsity:     {area_um2: 1181.20, dynamic_mw: 0.2614, leakage_mw: 0.0324}
  fifo:              {area_um2: 484.38,  dynamic_mw: FIFO,   leakage_mw: 0.0141}
  dataflow:          {area_um2: 75946.98, dynamic_mw: 11.3711, leakage_mw: 2.7312}
  dma:               {area_um2: 144.64,  dynamic_mw: 0.0335, leakage_mw: 0.0064}
buffers:
  weight:     {area_um2_per_mb: 294100.83, leakage_mw_per_mb: 210.40, access_nj_sqrt_mb: 0.0856588}
  activation: {area_um2_per_mb: 303305.83, leakage_mw_per_mb: 247.92, access_nj_sqrt_mb: 0.079275}
  mask:       {area_um2_per_mb: 302565.0,  leakage_mw_per_mb: 238.20, access_nj_sqrt_mb: 0.082007}
main_memory:
  - {type: lpddr3, banks: BANKS, ranks: 2, channels: 1, nj_per_block: 13.438}
)";
  auto with = [&](const std::string& fifo, const std::string& banks = "32") {
    std::string t = table;
    t.replace(t.find("FIFO"), 4, fifo);
    t.replace(t.find("BANKS"), 5, banks);
    return t;
  };
  auto error = [](const std::string& text) {
    try {
      EnergyTable::parse(text, "t.yaml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_EQ(error(with("0.0564")), "(accepted)");
  EXPECT_EQ(error(with("0")), "(accepted)");
  // NaN, infinities and negative figures would write null or negative energies into the statistics.
  for (const char* bad : {".nan", "nan", ".inf", "-.inf", "-0.5", "1e999", "1e10"})
    EXPECT_NE(error(with(bad)).find("t.yaml: modules.fifo.dynamic_mw: "), std::string::npos) << bad << ": " << error(with(bad));
  EXPECT_NE(error(with("0.0564", "040")).find("t.yaml: main_memory[0].banks: '040': a leading zero"), std::string::npos);
  EXPECT_NE(error(with("0.0564", "-32")).find("main_memory[0].banks: '-32' is not an unsigned integer"), std::string::npos);
  EXPECT_NE(error(with("0.0564") + "buffers: {}\n").find("t.yaml:16: duplicate key 'buffers'"), std::string::npos);
  std::string zero_lane = with("0.0564");
  zero_lane.replace(zero_lane.find("area_um2: 9418.67"), 17, "area_um2: 0");
  EXPECT_NE(error(zero_lane).find("mac_lane_16_gelu: its figures scale the other lanes and must be positive"), std::string::npos);
  // A 1-MAC lane dearer than the 16-MAC one extrapolates to negative figures for wider lanes.
  std::string dear_lane = with("0.0564");
  dear_lane.replace(dear_lane.find("area_um2: 1209.96"), 17, "area_um2: 20000");
  const EnergyTable dear = EnergyTable::parse(dear_lane, "t.yaml");
  EXPECT_THROW(dear.mac_lane(load_hw_config("edge", {"mac_per_lane=64"})), ConfigError);
  // A table file is read within its limit.
  const HwConfig dev_zero = load_hw_config("edge", {"energy_table=/dev/zero"});
  try {
    EnergyTable::load(dev_zero);
    ADD_FAILURE() << "read /dev/zero as an energy table";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("energy table '/dev/zero': larger than 1 MiB"), std::string::npos) << e.what();
  }
  // Text given in memory is held to the file's limit.
  EXPECT_NE(error(std::string(kMaxEnergyTableBytes + 1, '#')).find("energy table 't.yaml': larger than 1 MiB"), std::string::npos);
}
