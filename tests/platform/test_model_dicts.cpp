// AccelTran's model dicts (FlexiBERT 2.0) end to end: every dict of AccelTran's repository runs,
// and dicts that mix head kinds (sa_sdp, sa_wma, l_dft, l_dct, c_<kernel>), head sizes and hidden
// sizes per layer run bit-exact against the reference model, close to double precision, with
// every head kind's MACs counted in Model::encoder_macs.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "bert_test.hpp"
#include "temp_file.hpp"
#include "vp_test.hpp"

using namespace acc;
using acc::test::stat;

namespace {

const std::string kDicts = ACC_MODEL_DICTS_DIR;

test::RunOutcome run_dict(const std::string& path, uint32_t seq, uint32_t batch, const std::string& valid_len, bool dynatran,
                          const HwConfig& cfg = load_hw_config("edge"), const std::string& weights = "") {
  BertSpec s;
  s.model = path, s.seq = seq, s.batch = batch, s.valid_len = valid_len, s.dynatran = dynatran, s.check = BertSpec::Check::On;
  s.weights_file = weights;
  auto out = test::run_checked_bert(s, cfg);
  // The PEs' dense MACs are the encoder's by the model's shape, plus the pooler's.
  const bert::Model m = bert::load_model(path);
  const double H = m.output_hidden();
  EXPECT_EQ(stat(out.stats, "pe.dense_macs"), double(m.encoder_macs(seq)) * batch + batch * H * H);
  return out;
}

}  // namespace

// AccelTran's simulator/model_dicts/*.json, copied as they are (a few hundred bytes each).
const std::vector<std::string> kAcceltranDicts = {"bert_nano", "bert_tiny", "bert_base"};

TEST(ModelDicts, TheCopiesAreEveryDictOfAcceltrans) {
  std::set<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(kDicts + "/acceltran")) files.insert(e.path().stem().string());
  EXPECT_EQ(files, std::set<std::string>(kAcceltranDicts.begin(), kAcceltranDicts.end()));
}

class AcceltranDict : public testing::TestWithParam<std::string> {};

TEST_P(AcceltranDict, Runs) {
  const std::string path = kDicts + "/acceltran/" + GetParam() + ".json";
  auto out = run_dict(path, 16, 1, "", true);
  EXPECT_EQ(stat(out.stats, "job.bert.layers"), double(bert::load_model(path).layers.size()));
}

INSTANTIATE_TEST_SUITE_P(ModelDicts, AcceltranDict, testing::ValuesIn(kAcceltranDicts));

// Heterogeneous dicts written here: with DynaTran and padding (bit-exact), and without pruning
// (close to double precision: docs/validation.md's 2e-3 for the zoo's small models holds).
class MixedDict : public testing::TestWithParam<std::string> {};

TEST_P(MixedDict, IsBitExactWithDynatranAndPadding) { run_dict(kDicts + "/" + GetParam() + ".json", 32, 2, "32,19", true); }

TEST_P(MixedDict, IsCloseToDoublePrecisionWithoutPruning) {
  auto out = run_dict(kDicts + "/" + GetParam() + ".json", 32, 2, "32,19", false);
  EXPECT_LT(stat(out.stats, "job.float.hidden_max_abs_error"), 2e-3);
  EXPECT_LT(stat(out.stats, "job.float.pooled_max_abs_error"), 2e-3);
  EXPECT_GT(stat(out.stats, "job.float.hidden_max_abs_error"), 0);
}

TEST_P(MixedDict, IsBitExactWithSmallBuffers) {
  // 64 KiB of weight buffer: the 64-wide layers stream their weights tile by tile, the 32-wide ones
  // are loaded ahead, heads' matrices are loaded at each use; the sequences run in groups.
  HwConfig cfg = load_hw_config("edge", {"activation_buffer_size=0.125", "weight_buffer_size=0.0625", "mask_buffer_size=0.0625"});
  auto out = run_dict(kDicts + "/" + GetParam() + ".json", 64, 3, "64,7,20", true, cfg);
  EXPECT_LT(stat(out.stats, "job.bert.group"), 3);
}

TEST_P(MixedDict, RunsOnWeightsFromASafetensorsFile) {
  // The synthetic weights of seed 9 written with their names and read back: the same outputs bit
  // for bit, and the float check on the file's values.
  const std::string dict = kDicts + "/" + GetParam() + ".json";
  const bert::Model m = bert::load_model(dict);
  const std::string path = test::temp_file(".safetensors", "");
  bert::save_safetensors(m, bert::synthetic_weights(m, 9), path);
  auto out = run_dict(dict, 32, 2, "32,19", false, load_hw_config("edge"), path);
  EXPECT_LT(stat(out.stats, "job.float.hidden_max_abs_error"), 2e-3);
}

INSTANTIATE_TEST_SUITE_P(ModelDicts, MixedDict, testing::Values("mixed_kinds", "per_layer_hidden", "conv_heads"));

TEST(ModelDicts, EachHeadKindRunsOnItsUnits) {
  // mixed_kinds.json: layer 0 sa_sdp_16, sa_wma_8, l_dft_8, l_dct_8, c_5_8; layer 1 sa_wma_16,
  // c_3_16, l_dft_16 (hidden 32 -> 48). Two sequences.
  auto out = run_dict(kDicts + "/mixed_kinds.json", 32, 2, "", true);
  // A softmax per (sequence, attention head): 2 + 1 heads.
  EXPECT_EQ(stat(out.stats, "pe.ops.SOFTMAX"), 2 * 3);
  // Matmuls per layer: Q, K, V, output projection, FFN (2 and 3), and the projection 32 -> 48;
  // the WMA heads' keys (2); per sequence: scores and P.V per attention head (3 + 3), a transform
  // per DFT/DCT head (3), a matmul per convolution tap (5 + 3); the pooler.
  EXPECT_EQ(stat(out.stats, "pe.ops.MATMUL"), (4 + 2) + (4 + 3) + 1 + 2 + 2 * (6 + 3 + 8) + 1);
  // ADDs: the position + type rows, word + position per sequence, 2 residuals per layer, and a
  // convolution tap's sum per sequence and tap but the center (4 + 2).
  EXPECT_EQ(stat(out.stats, "pe.ops.ADD"), 1 + 2 + 2 * 2 + 2 * (4 + 2));
  EXPECT_EQ(stat(out.stats, "pe.ops.LAYERNORM"), 1 + 2 * 2);
}
