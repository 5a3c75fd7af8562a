#include <gtest/gtest.h>


#include "hw_config.hpp"
#include "input_file.hpp"
#include "temp_file.hpp"

using namespace acc;

namespace {
std::string error_of(const std::string& hw, const std::vector<std::string>& ov = {}) {
  try {
    load_hw_config(hw, ov);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
std::string error_of_text(const std::string& text) {
  try {
    parse_hw_config(text, "mem.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
std::string temp_yaml(const std::string& text) { return test::temp_file(".yaml", text); }
}  // namespace

TEST(Config, EdgePresetMatchesTheReference) {
  const HwConfig c = load_hw_config("edge");
  EXPECT_EQ(c.pe, 64u);
  EXPECT_EQ(c.lanes_per_pe, 16u);
  EXPECT_EQ(c.mac_per_lane, 16u);
  EXPECT_EQ(c.softmax_per_pe, 4u);
  EXPECT_EQ(c.total_multipliers(), 16384u);
  EXPECT_EQ(c.tile_x, 16u);
  EXPECT_DOUBLE_EQ(c.clock_mhz, 700);
  EXPECT_EQ(c.main_memory.type, "lpddr3");
  EXPECT_DOUBLE_EQ(c.main_memory.bandwidth_gbps, 25.6);
  EXPECT_EQ(c.compute_dispatch_batch, 8u);
  // 4 MB of 20-bit words.
  EXPECT_EQ(c.act_buffer_words(), 4ull * 1048576 * 8 / 20);
  // 25.6 GB/s at 700 MHz with 8 bits per byte.
  EXPECT_NEAR(c.dram_bits_per_cycle(), 25.6e9 * 8 / 700e6, 1e-9);
}

TEST(Config, ServerPresetMatchesTheReference) {
  const HwConfig c = load_hw_config("server");
  EXPECT_EQ(c.pe, 512u);
  EXPECT_EQ(c.lanes_per_pe, 32u);
  EXPECT_EQ(c.softmax_per_pe, 32u);
  EXPECT_EQ(c.total_multipliers(), 262144u);
  EXPECT_EQ(c.main_memory.type, "rram");
  EXPECT_DOUBLE_EQ(c.main_memory.bandwidth_gbps, 256);
  EXPECT_EQ(c.compute_dispatch_batch, 128u);
  EXPECT_DOUBLE_EQ(c.activation_buffer_mb, 32);
  EXPECT_DOUBLE_EQ(c.weight_buffer_mb, 64);
  EXPECT_DOUBLE_EQ(c.mask_buffer_mb, 8);
}

TEST(Config, OverridesApplyInOrder) {
  const HwConfig c = load_hw_config("edge", {"pe=128", "main_memory.type=rram", "pe=32", "tile.tile_x=8", "tile.tile_y=8"});
  EXPECT_EQ(c.pe, 32u);
  EXPECT_EQ(c.main_memory.type, "rram");
  EXPECT_EQ(c.tile_x, 8u);
}

TEST(Config, UnknownKeysAreNamedWithASuggestion) {
  EXPECT_EQ(error_of("edge", {"pes=3"}), "-p: unknown configuration key 'pes' (did you mean 'pe'?)");
  EXPECT_NE(error_of("edge", {"tile_x=3"}).find("did you mean 'tile.tile_x'"), std::string::npos);
  EXPECT_NE(error_of("edge", {"nonsense_key=1"}).find("unknown configuration key 'nonsense_key'"), std::string::npos);
  const std::string f = temp_yaml("inherit: edge\nlanes_per_pex: 3\n");
  EXPECT_NE(error_of(f).find("unknown configuration key 'lanes_per_pex'"), std::string::npos);
}

TEST(Config, BadValuesNameTheKey) {
  EXPECT_EQ(error_of("edge", {"pe=abc"}), "configuration key 'pe': 'abc' is not an unsigned integer");
  EXPECT_EQ(error_of("edge", {"pe=0"}), "configuration key 'pe': 0 is outside 1..65536");
  EXPECT_NE(error_of("edge", {"main_memory.type=sram"}).find("'main_memory.type': 'sram' is not one of"), std::string::npos);
  EXPECT_NE(error_of("edge", {"loop_unrolling=b_i_k_j"}).find("k innermost"), std::string::npos);
  EXPECT_NE(error_of("edge", {"loop_unrolling=b_i_j"}).find("not a permutation"), std::string::npos);
  EXPECT_NE(error_of("edge", {"pe"}).find("expected key=value"), std::string::npos);
}

TEST(Config, FilesInheritFromPresetsAndMustBeComplete) {
  const std::string ok = temp_yaml("inherit: server\npe: 256\nmain_memory:\n  bandwidth_gbps: 128\n");
  const HwConfig c = load_hw_config(ok);
  EXPECT_EQ(c.pe, 256u);
  EXPECT_EQ(c.lanes_per_pe, 32u);
  EXPECT_DOUBLE_EQ(c.main_memory.bandwidth_gbps, 128);
  const std::string partial = temp_yaml("pe: 16\n");
  EXPECT_NE(error_of(partial).find("missing configuration keys: clock_mhz"), std::string::npos);
  const std::string broken = temp_yaml("pe: [1, 2\n");
  EXPECT_NE(error_of(broken).find("malformed YAML"), std::string::npos);
  EXPECT_NE(error_of("/nonexistent/hw.yaml").find("cannot open"), std::string::npos);
}

TEST(Config, CrossKeyChecks) {
  EXPECT_NE(error_of("edge", {"mask_buffer_size=0.25"}).find("cannot hold one mask bit"), std::string::npos);
  EXPECT_NE(error_of("edge", {"tile.tile_x=8"}).find("must be equal"), std::string::npos);
}

TEST(Config, RegisterValuesComeFromTheConfiguration) {
  const HwConfig c = load_hw_config("server");
  EXPECT_EQ(c.register_value("pe"), 512u);
  EXPECT_EQ(c.register_value("tile_code"), (1u << 16) | (16u << 8) | 16u);
  EXPECT_EQ(c.register_value("act_buffer_words"), c.act_buffer_words());
  EXPECT_THROW(c.register_value("nope"), ConfigError);
}

TEST(Config, DumpRoundTrips) {
  const HwConfig c = load_hw_config("edge", {"pe=96"});
  const std::string f = temp_yaml(dump_config(c));
  const HwConfig d = load_hw_config(f);
  EXPECT_EQ(dump_config(c), dump_config(d));
}

TEST(Config, FilesAreReadStrictly) {
  // Duplicate keys, aliases and leading zeros name the key and the file instead of a guess.
  const std::string dup = temp_yaml("inherit: edge\npe: 8\npe: 16\n");
  EXPECT_EQ(error_of(dup), dup + ":3: duplicate key 'pe'");
  const std::string dotted = temp_yaml("inherit: edge\nmain_memory:\n  size_mb: 64\nmain_memory.size_mb: 128\n");
  EXPECT_EQ(error_of(dotted), dotted + ": duplicate key 'main_memory.size_mb'");
  const std::string cycle = temp_yaml("vp: &v {x: *v}\n");
  EXPECT_NE(error_of(cycle).find(cycle + ":1: aliases"), std::string::npos);
  EXPECT_EQ(error_of("edge", {"pe=010"}),
            "configuration key 'pe': '010': a leading zero is ambiguous (octal in C and YAML 1.1, decimal in YAML 1.2); write it without");
  EXPECT_NE(error_of(temp_yaml("inherit: edge\npe: 010\n")).find("configuration key 'pe': '010': a leading zero"), std::string::npos);
  EXPECT_EQ(load_hw_config("edge", {"pe=0x10"}).pe, 16u);
  EXPECT_NE(error_of("edge", {"pe=-1"}).find("'-1' is not an unsigned integer"), std::string::npos);
  EXPECT_NE(error_of("edge", {"clock_mhz=nan"}).find("'nan' is not a number"), std::string::npos);
  // Files are read within their limit: a device is not read forever, a directory is named.
  EXPECT_NE(error_of("/dev/zero").find("hardware configuration file '/dev/zero': larger than 1 MiB"), std::string::npos);
  EXPECT_NE(error_of("/tmp/").find("'/tmp/': is a directory"), std::string::npos);
  // -p may repeat a key on purpose: overrides apply in order.
  EXPECT_EQ(load_hw_config("edge", {"pe=8", "pe=16"}).pe, 16u);
}

TEST(Config, TextInMemoryReadsAsTheFileWouldAndIsBounded) {
  const std::string text = "inherit: edge\npe: 96\nmain_memory:\n  size_mb: 64\n";
  EXPECT_EQ(dump_config(parse_hw_config(text, "mem.yaml")), dump_config(load_hw_config(temp_yaml(text))));
  EXPECT_EQ(parse_hw_config(text, "mem.yaml", {"pe=8"}).pe, 8u);
  EXPECT_EQ(error_of_text("inherit: edge\npe: 8\npe: 16\n"), "mem.yaml:3: duplicate key 'pe'");
  EXPECT_EQ(error_of_text("inherit: mem.yaml\n"), "mem.yaml: inherits from itself");
  EXPECT_EQ(error_of_text(std::string(kMaxHwConfigBytes + 1, '#')),
            "hardware configuration file 'mem.yaml': larger than 1 MiB, the limit of this kind of file (docs/reliability.md)");
  // A key far longer than every name gets no suggestion (and is not compared with each name).
  EXPECT_EQ(error_of_text("inherit: edge\n" + std::string(1000, 'p') + ": 1\n"),
            "mem.yaml: unknown configuration key '" + std::string(1000, 'p') + "'");
}

TEST(Config, PresetsAreParsedOnceAndStayTheSame) {
  // The second load comes from the parsed presets; acceltran-sim inherits edge.
  const std::string first = dump_config(load_hw_config("acceltran-sim"));
  EXPECT_EQ(dump_config(load_hw_config("edge", {"pe=3"})), dump_config(load_hw_config("edge", {"pe=3"})));
  EXPECT_EQ(dump_config(load_hw_config("acceltran-sim")), first);
  EXPECT_EQ(load_hw_config("edge").pe, load_hw_config("edge", {}).pe);
  EXPECT_NE(load_hw_config("edge", {"pe=3"}).pe, load_hw_config("edge").pe);  // overrides do not reach the cache
}

