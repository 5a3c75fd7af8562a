// Models (zoo, AccelTran's model dicts), weights (synthetic, safetensors) and inputs (token files,
// .npy embeddings, valid lengths): formats accepted as is, bad input rejected by name.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "bert/bert_reference.hpp"
#include "bert/inputs.hpp"
#include "bert/mlm.hpp"
#include "bert/tokenizer.hpp"
#include "bert/model.hpp"
#include "bert/pruning_options.hpp"
#include "bert/weights.hpp"
#include "fixed_point.hpp"
#include "error_of.hpp"
#include "input_file.hpp"
#include "safetensors_patch.hpp"
#include "temp_file.hpp"

using namespace acc;
using namespace acc::bert;
using acc::test::error_of;
using acc::test::set_safetensors_value;
using acc::test::temp_file;


TEST(BertModel, ZooShapesAndMacs) {
  // BERT shapes (Devlin et al. 2019; compact BERTs, Turc et al. 2019): MACs per 128-token sequence.
  EXPECT_EQ(zoo_model("bert-tiny").encoder_macs(128), 58720256u);
  EXPECT_EQ(zoo_model("bert-base").encoder_macs(128), 11173625856u);
  EXPECT_NEAR(double(zoo_model("bert-large").encoder_macs(128)), 39.46e9, 0.01e9);
  const Model nano = zoo_model("bert-nano");
  EXPECT_EQ(nano.layers.size(), 1u);
  EXPECT_EQ(nano.hidden, 32u);
  EXPECT_EQ(nano.layers[0].heads, 2u);
  EXPECT_EQ(nano.layers[0].head_dim, 16u);
  EXPECT_EQ(nano.layers[0].ffn, std::vector<uint32_t>{64});
  for (auto [name, l, h, heads, f] : {std::tuple{"bert-mini", 4u, 256u, 4u, 1024u}, {"bert-small", 4u, 512u, 8u, 2048u},
                                      {"bert-medium", 8u, 512u, 8u, 2048u}, {"bert-large", 24u, 1024u, 16u, 4096u}}) {
    const Model m = zoo_model(name);
    EXPECT_EQ(m.layers.size(), l);
    EXPECT_EQ(m.hidden, h);
    EXPECT_EQ(m.layers[0].heads, heads);
    EXPECT_EQ(m.layers[0].ffn[0], f);
  }
  EXPECT_NE(error_of<ModelError>([] { zoo_model("bert-huge"); }).find("the zoo has bert-nano"), std::string::npos);
  EXPECT_EQ(zoo_model("bert-base").truncated(1).layers.size(), 1u);
}

TEST(BertModel, AccelTranModelDictsAreAcceptedAsIs) {
  // AccelTran's own files: bert_nano.json lists two layers but l = 1; bert_tiny.json's heads are
  // "sa_sdp_164" (head dim 164, wider than hidden: read as written).
  const Model nano = model_from_dict(
      R"({"l": 1, "o": [["sa_sdp_16", "sa_sdp_16"], ["sa_sdp_16", "sa_sdp_16"]], "h": [32, 32], "f": [[64], [64]]})", "nano.json");
  EXPECT_EQ(nano.layers.size(), 1u);
  EXPECT_EQ(nano.layers[0].heads, 2u);
  EXPECT_EQ(nano.layers[0].head_dim, 16u);
  EXPECT_EQ(nano.encoder_macs(128), zoo_model("bert-nano").encoder_macs(128));
  const Model tiny = model_from_dict(
      R"({"l": 2, "o": [["sa_sdp_164", "sa_sdp_164"], ["sa_sdp_164", "sa_sdp_164"]], "h": [128, 128], "f": [[512], [512]]})", "tiny.json");
  EXPECT_EQ(tiny.layers.size(), 2u);
  EXPECT_EQ(tiny.layers[1].head_dim, 164u);
  EXPECT_EQ(tiny.layers[1].attention(), 328u);
}

TEST(BertModel, BadModelDictsAreNamed) {
  auto err = [](const std::string& j) { return error_of<ModelError>([&] { model_from_dict(j, "m.json"); }); };
  EXPECT_NE(err("{").find("m.json: malformed JSON"), std::string::npos);
  EXPECT_NE(err(R"({"l": 1, "o": [["sa_sdp_16"]], "h": [32]})").find("missing key 'f'"), std::string::npos);
  EXPECT_NE(err(R"({"l": 2, "o": [["sa_sdp_16"]], "h": [32], "f": [[64]]})").find("'o' must list at least 2 layers"), std::string::npos);
  // An unsupported entry: the error names the layer, the entry's index and the entry.
  auto head = [&](const std::string& entry) {
    return err(R"({"l": 2, "o": [["sa_sdp_16"], ["sa_sdp_16", )" + entry + R"(]], "h": [32, 32], "f": [[64], [64]]})");
  };
  EXPECT_NE(head(R"("sa_xyz_16")").find("layer 1 head 1: 'sa_xyz_16' is not a supported head"), std::string::npos);
  EXPECT_NE(head(R"("l_fft_16")").find("layer 1 head 1: 'l_fft_16' is not a supported head"), std::string::npos);
  EXPECT_NE(head(R"("x_5_16")").find("layer 1 head 1: 'x_5_16' is not a supported head"), std::string::npos);
  EXPECT_NE(head(R"("sa_sdp")").find("layer 1 head 1: 'sa_sdp' is not <type>_<parameter>_<size>"), std::string::npos);
  EXPECT_NE(head(R"("c_5_16_2")").find("layer 1 head 1: 'c_5_16_2' is not <type>_<parameter>_<size>"), std::string::npos);
  EXPECT_NE(head(R"("c_0_16")").find("layer 1 head 1: 'c_0_16': the kernel size"), std::string::npos);
  EXPECT_NE(head(R"("c_k_16")").find("layer 1 head 1: 'c_k_16': the kernel size"), std::string::npos);
  EXPECT_NE(head(R"("l_dct_0")").find("layer 1 head 1: 'l_dct_0': the head size"), std::string::npos);
  EXPECT_NE(head("16").find("layer 1 head 1: 16 is not a head name"), std::string::npos);
  std::string many = R"({"l": 1, "o": [[)";
  for (int i = 0; i < 33; ++i) many += std::string(i ? ", " : "") + "\"sa_wma_4\"";
  EXPECT_NE(err(many + R"(]], "h": [32], "f": [[64]]})").find("layer 0: 33 heads other than sa_sdp, at most 32"), std::string::npos);
}

TEST(BertModel, ModelDictsMixHeadKindsSizesAndHiddenSizes) {
  const Model m = model_from_dict(
      R"({"l": 3, "o": [["sa_sdp_16", "sa_wma_8", "l_dft_8", "l_dct_4", "c_5_12"], ["sa_sdp_8", "sa_sdp_8"], ["c_4_16"]],
          "h": [32, 48, 48], "f": [[64, 32], [96], [64]]})",
      "mixed.json");
  ASSERT_EQ(m.layers.size(), 3u);
  EXPECT_EQ(m.hidden, 32u);
  EXPECT_EQ(m.layer_hidden(1), 48u);
  EXPECT_EQ(m.output_hidden(), 48u);
  EXPECT_TRUE(m.projects(0));   // 32 -> 48
  EXPECT_FALSE(m.projects(1));  // 48 -> 48
  EXPECT_FALSE(m.projects(2));  // the last layer
  const LayerShape& l0 = m.layers[0];
  EXPECT_FALSE(l0.uniform_sdp());
  EXPECT_EQ(l0.heads, 5u);
  EXPECT_EQ(l0.head_dim, 0u);  // sizes differ
  EXPECT_EQ(l0.attention(), 16u + 8 + 8 + 4 + 12);
  EXPECT_EQ(l0.qk_width(), 16u + 8);  // the attending heads only
  const auto heads = l0.head_list();
  EXPECT_EQ(heads[1].kind, HeadKind::Wma);
  EXPECT_EQ(heads[2].kind, HeadKind::Dft);
  EXPECT_EQ(heads[3].kind, HeadKind::Dct);
  EXPECT_EQ(heads[4].kind, HeadKind::Conv);
  EXPECT_EQ(heads[4].kernel, 5u);
  EXPECT_EQ(heads[4].dim, 12u);
  EXPECT_TRUE(m.layers[1].uniform_sdp());  // equal sa_sdp heads: as the zoo's layers
  EXPECT_EQ(m.layers[1].head_dim, 8u);
  EXPECT_EQ(m.layers[2].heads, 1u);
  EXPECT_EQ(m.layers[2].head_dim, 16u);  // one size, but a convolution
  EXPECT_FALSE(m.layers[2].uniform_sdp());
}

TEST(BertWeights, ModelDictTensorsRoundTripThroughSafetensors) {
  // Every head kind, several FFN sizes and a projection: saved with their names, read back the same.
  const Model m = model_from_dict(
      R"({"l": 2, "o": [["sa_sdp_8", "sa_wma_4", "l_dft_4", "c_3_4"], ["c_2_8"]], "h": [16, 24], "f": [[32, 16], [48]]})", "m.json");
  const Weights w = synthetic_weights(m, 11);
  const std::string path = test::temp_file(".safetensors", "");
  save_safetensors(m, w, path);
  const Weights r = load_safetensors(m, path, true);
  for (size_t l = 0; l < 2; ++l) {
    EXPECT_EQ(r.layers[l].wq, w.layers[l].wq);
    EXPECT_EQ(r.layers[l].wv, w.layers[l].wv);
    EXPECT_EQ(r.layers[l].ffn_w, w.layers[l].ffn_w);
    EXPECT_EQ(r.layers[l].head_w, w.layers[l].head_w);
    EXPECT_EQ(r.layers[l].head_b, w.layers[l].head_b);
  }
  EXPECT_EQ(r.layers[0].wq.size(), 16u * (8 + 4));  // the attending heads' columns
  EXPECT_EQ(r.layers[0].head_w[1].size(), 4u * 4);  // W_ma
  EXPECT_EQ(r.layers[0].head_w[3].size(), 3u * 4 * 4);  // the kernel, 3 taps
  EXPECT_TRUE(r.layers[0].head_w[2].empty());  // a transform has no weights
  EXPECT_EQ(r.layers[0].proj_w, w.layers[0].proj_w);
  EXPECT_EQ(r.layers[0].proj_w.size(), 16u * 24);
  EXPECT_TRUE(r.layers[1].proj_w.empty());  // the last layer
  EXPECT_EQ(r.pool_w.size(), 24u * 24);
  EXPECT_EQ(r.file_values->layers[0].head_w[3].size(), 3u * 4 * 4);
}

TEST(BertModel, EncoderMacsCountEachHeadKind) {
  // One layer, hidden 32, one head of 8, FFN 64, seq 16: the shared part plus the head's own.
  auto macs = [](const std::string& head) {
    return model_from_dict(R"({"l": 1, "o": [[")" + head + R"("]], "h": [32], "f": [[64]]})", "m.json").encoder_macs(16);
  };
  const uint64_t S = 16, H = 32, d = 8, F = 64;
  const uint64_t v_out_ffn = S * H * d + S * d * H + 2 * S * H * F;  // V, the output projection, the FFN
  const uint64_t qk = 2 * S * H * d;
  EXPECT_EQ(macs("sa_sdp_8"), v_out_ffn + qk + 2 * S * S * d);
  EXPECT_EQ(macs("sa_wma_8"), v_out_ffn + qk + S * d * d + 2 * S * S * d);
  EXPECT_EQ(macs("l_dft_8"), v_out_ffn + S * S * d);
  EXPECT_EQ(macs("l_dct_8"), v_out_ffn + S * S * d);
  // Kernel 5: taps at row offsets -2..2 reach 14, 15, 16, 15, 14 rows.
  EXPECT_EQ(macs("c_5_8"), v_out_ffn + (14 + 15 + 16 + 15 + 14) * d * d);
  // Kernel 4: offsets -1..2.
  EXPECT_EQ(macs("c_4_8"), v_out_ffn + (15 + 16 + 15 + 14) * d * d);
  // A kernel longer than the sequence: taps beyond it reach no row.
  EXPECT_EQ(macs("c_41_8"), v_out_ffn + (16 * 16) * d * d);
  // The projection between layers of different hidden sizes.
  const Model two = model_from_dict(R"({"l": 2, "o": [["sa_sdp_8"], ["sa_sdp_8"]], "h": [32, 16], "f": [[64], [64]]})", "m.json");
  const Model two_same = model_from_dict(R"({"l": 2, "o": [["sa_sdp_8"], ["sa_sdp_8"]], "h": [32, 32], "f": [[64], [64]]})", "m.json");
  const uint64_t second_16 = 3 * S * 16 * d + 2 * S * S * d + S * d * 16 + 2 * S * 16 * F;
  EXPECT_EQ(two.encoder_macs(16), two_same.encoder_macs(16) / 2 + S * 32 * 16 + second_16);
}

TEST(BertWeights, SyntheticWeightsAreDeterministicPerTensor) {
  const Model m = zoo_model("bert-nano");
  const Weights a = synthetic_weights(m, 7), b = synthetic_weights(m, 7), c = synthetic_weights(m, 8);
  EXPECT_EQ(a.layers[0].wq, b.layers[0].wq);
  EXPECT_NE(a.layers[0].wq, c.layers[0].wq);
  EXPECT_EQ(a.layers[0].wq.size(), 32u * 32u);
  EXPECT_EQ(a.layers[0].ffn_w[0].size(), 32u * 64u);
  EXPECT_EQ(a.layers[0].ffn_w[1].size(), 64u * 32u);
  std::vector<int32_t> r1(32), r2(32);
  a.word.row(2023, r1.data());
  b.word.row(2023, r2.data());
  EXPECT_EQ(r1, r2);
  // Roughly unit-scale linear weights: std of wv ~ 1/sqrt(32).
  double sq = 0;
  for (int32_t v : a.layers[0].wv) sq += fx::to_double(v) * fx::to_double(v);
  EXPECT_NEAR(std::sqrt(sq / a.layers[0].wv.size()), 1.0 / std::sqrt(32.0), 0.03);
}

TEST(BertWeights, ASyntheticTensorDrawnInPiecesIsTheSameTensor) {
  // Large tensors are drawn on two threads, each from the middle of the stream.
  const SyntheticTensor t{"encoder.layer.0.ffn.0.weight", 600000, 0.05, 0.01};
  std::vector<int32_t> whole(t.n), pieces(t.n);
  t.draw(5, whole.data());
  const std::vector<uint64_t> cuts = {0, 1, 777, 300001, t.n};
  for (size_t i = 0; i + 1 < cuts.size(); ++i) t.draw(5, cuts[i], cuts[i + 1], pieces.data());
  EXPECT_EQ(whole, pieces);
  std::vector<int32_t> one_by_one(t.n);
  for (uint64_t i = 0; i < 1000; ++i) t.draw(5, i, i + 1, one_by_one.data());
  EXPECT_TRUE(std::equal(one_by_one.begin(), one_by_one.begin() + 1000, whole.begin()));
  EXPECT_NE(whole[0], whole[1]);
}

TEST(BertWeights, SafetensorsRoundTripWithHuggingFaceNames) {
  const Model m = zoo_model("bert-nano");
  const Weights w = synthetic_weights(m, 3);
  const std::string path = temp_file(".safetensors", "");
  save_safetensors(m, w, path);
  const Weights r = load_safetensors(m, path);
  EXPECT_EQ(r.layers[0].wq, w.layers[0].wq);  // transposed out and back
  EXPECT_EQ(r.layers[0].ffn_w[1], w.layers[0].ffn_w[1]);
  EXPECT_EQ(r.pool_w, w.pool_w);
  EXPECT_EQ(r.emb_g, w.emb_g);
  std::vector<int32_t> a(32), b(32);
  w.word.row(30000, a.data());
  r.word.row(30000, b.data());
  EXPECT_EQ(a, b);
  EXPECT_EQ(r.saturated, 0u);
}

TEST(BertWeights, TheQueryProjectionCarriesTheSoftmaxScale) {
  // The loader folds 1/sqrt(d) into W_q and b_q (d = 16 in bert-nano: a quarter), rounding the
  // file's value once: a query weight of 20, beyond Q4.16's +-8 in the file, is 5 on the
  // accelerator and not clipped. Saving unfolds it again: the file holds Hugging Face's W_q.
  const Model m = zoo_model("bert-nano");
  const std::string path = temp_file(".safetensors", "");
  const Weights synthetic = synthetic_weights(m, 3);
  save_safetensors(m, synthetic, path);
  set_safetensors_value(path, "bert.encoder.layer.0.attention.self.query.weight", 1, 20.0f);
  set_safetensors_value(path, "bert.encoder.layer.0.attention.self.query.bias", 0, 0.1f);
  set_safetensors_value(path, "bert.encoder.layer.0.attention.self.key.weight", 1, 0.1f);
  const Weights w = load_safetensors(m, path, true);
  const uint32_t A = m.layers[0].attention();
  EXPECT_EQ(w.layers[0].wq[A], fx::from_double(5.0));  // [0][1] of PyTorch's out x in is [1][0] here
  EXPECT_EQ(w.layers[0].bq[0], fx::from_double(0.1 / 4));
  EXPECT_EQ(w.layers[0].wk[A], fx::from_double(0.1));  // the key is not scaled
  EXPECT_EQ(w.file_values->layers[0].wq[A], 20.0f);
  EXPECT_EQ(w.saturated, 0u);
  EXPECT_EQ(w.layers[0].wq[1], synthetic.layers[0].wq[1]);  // saved x 4, loaded / 4
  // The double-precision model folds the same scale in (unrounded): on weights exact in Q4.16 it
  // agrees with the model on the accelerator's words.
  save_safetensors(m, synthetic, path);
  const Weights exact = load_safetensors(m, path, true);
  const Inputs in = synthetic_tokens(m, 8, 1, {8}, 5);
  RunOptions o;
  o.dynatran = false;
  const FloatOutputs on_file = float_forward(m, exact, in, o, m.ln_eps), on_words = float_forward(m, exact, in, o, m.ln_eps, true);
  for (size_t i = 0; i < on_file.hidden.size(); ++i) EXPECT_NEAR(on_file.hidden[i], on_words.hidden[i], 1e-12) << i;
}

TEST(BertWeights, TheDoublePrecisionReferenceRunsOnTheFilesValues) {
  // A file with values Q4.16 cannot hold: a layer-norm bias of 12 (clipped to 8 when loaded) and a
  // query weight between two words. The loader keeps the file's values when asked; the float BERT
  // then runs on them (the last layer norm's bias moves column 0 of the output by 12 - 8), while
  // the fixed-point reference is unchanged.
  const Model m = zoo_model("bert-nano");
  const std::string path = temp_file(".safetensors", "");
  save_safetensors(m, synthetic_weights(m, 3), path);
  set_safetensors_value(path, "bert.encoder.layer.0.output.LayerNorm.bias", 0, 12.0f);
  const float between = 0.25f + 0.3f / 65536.0f;
  set_safetensors_value(path, "bert.encoder.layer.0.attention.self.query.weight", 0, between);
  const Weights rounded = load_safetensors(m, path), kept = load_safetensors(m, path, true);
  EXPECT_EQ(rounded.file_values, nullptr);
  ASSERT_NE(kept.file_values, nullptr);
  EXPECT_EQ(rounded.saturated, 1u);
  EXPECT_EQ(kept.saturated, 1u);
  EXPECT_EQ(kept.layers[0].ln2_b[0], fx::max_word());
  EXPECT_EQ(kept.file_values->layers[0].ln2_b[0], 12.0f);
  EXPECT_EQ(kept.file_values->layers[0].wq[0], between);  // PyTorch's out x in, transposed: [0][0] stays
  EXPECT_EQ(kept.layers[0].wq[0], fx::from_double(between / 4));  // 1/sqrt(d) folded in (d = 16), rounded once
  EXPECT_EQ(kept.file_values->layers[0].bq.size(), kept.layers[0].bq.size());

  const Inputs in = synthetic_tokens(m, 8, 1, {8}, 5);
  RunOptions o;
  o.dynatran = false;
  EXPECT_EQ(reference_forward(m, rounded, in, o).hidden, reference_forward(m, kept, in, o).hidden);
  const FloatOutputs f_rounded = float_forward(m, rounded, in, o, m.ln_eps), f_file = float_forward(m, kept, in, o, m.ln_eps);
  for (uint32_t t = 0; t < 8; ++t) EXPECT_NEAR(f_file.hidden[t * m.hidden] - f_rounded.hidden[t * m.hidden], 4.0, 1e-3) << t;
  EXPECT_NE(f_file.hidden[1], f_rounded.hidden[1]);  // the query weight's fraction reaches every column
  // Asked for the rounded weights, the check ignores the file's values: the datapath's arithmetic alone.
  EXPECT_EQ(float_forward(m, kept, in, o, m.ln_eps, true).hidden, f_rounded.hidden);
}

namespace {
// A minimal safetensors file with the given header entries (F32 zeros for the data).
std::string safetensors(const std::string& entries, uint64_t data_bytes) {
  std::string h = "{" + entries + "}";
  while (h.size() % 8) h += ' ';
  std::string out(8, '\0');
  const uint64_t n = h.size();
  std::memcpy(out.data(), &n, 8);
  return out + h + std::string(data_bytes, '\0');
}
}  // namespace

TEST(BertWeights, MissingAndMisShapedTensorsAreNamed) {
  const Model m = zoo_model("bert-nano");
  const std::string empty = temp_file(".safetensors", safetensors(R"("x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]})", 4));
  EXPECT_NE(error_of<WeightsError>([&] { load_safetensors(m, empty); }).find("tensor 'embeddings.word_embeddings.weight' is missing"),
            std::string::npos);
  const uint64_t bytes = 30522ull * 16 * 4;
  const std::string wrong = temp_file(
      ".safetensors",
      safetensors(R"("bert.embeddings.word_embeddings.weight": {"dtype": "F32", "shape": [30522, 16], "data_offsets": [0, )" +
                      std::to_string(bytes) + "]}",
                  bytes));
  EXPECT_NE(error_of<WeightsError>([&] { load_safetensors(m, wrong); })
                .find("tensor 'bert.embeddings.word_embeddings.weight' has shape [30522, 16], the model needs [30522, 32]"),
            std::string::npos);
  const std::string junk = temp_file(".safetensors", "not a safetensors file at all");
  EXPECT_NE(error_of<WeightsError>([&] { load_safetensors(m, junk); }).find("not a safetensors file"), std::string::npos);
  EXPECT_NE(error_of<WeightsError>([&] { load_safetensors(m, "/nonexistent.safetensors"); }).find("cannot open"), std::string::npos);
  const Model odd = model_from_dict(R"({"l": 1, "o": [["sa_sdp_164", "sa_sdp_164"]], "h": [128], "f": [[512]]})", "t.json");
  EXPECT_NE(error_of<WeightsError>([&] { load_safetensors(odd, empty); }).find("heads x head_dim = hidden"), std::string::npos);
}

TEST(BertInputs, TokenFilesAndValidLengths) {
  const Model m = zoo_model("bert-nano");
  const std::string f = temp_file(".txt", "101 2023 2003 102\n\n101,7592,102\n");
  const Inputs in = tokens_from_file(m, f, 8);
  EXPECT_EQ(in.batch, 2u);
  EXPECT_EQ(in.valid_len, (std::vector<uint32_t>{4, 3}));
  EXPECT_EQ(in.tokens.size(), 16u);
  EXPECT_EQ(in.tokens[8], 101u);
  EXPECT_EQ(in.tokens[7], 0u);  // padding
  EXPECT_NE(error_of<InputError>([&] { tokens_from_file(m, f, 3); }).find("4 tokens, more than --seq 3"), std::string::npos);
  const std::string bad = temp_file(".txt", "101 99999999\n");
  EXPECT_NE(error_of<InputError>([&] { tokens_from_file(m, bad, 8); }).find("outside the vocabulary"), std::string::npos);
  EXPECT_EQ(parse_valid_lengths("", 16, 3), (std::vector<uint32_t>{16, 16, 16}));
  EXPECT_EQ(parse_valid_lengths("5", 16, 2), (std::vector<uint32_t>{5, 5}));
  EXPECT_EQ(parse_valid_lengths("5,9", 16, 2), (std::vector<uint32_t>{5, 9}));
  EXPECT_NE(error_of<InputError>([] { parse_valid_lengths("5,9,1", 16, 2); }).find("3 lengths for a batch of 2"), std::string::npos);
  EXPECT_NE(error_of<InputError>([] { parse_valid_lengths("17", 16, 2); }).find("within 1..16"), std::string::npos);
  const Inputs s = synthetic_tokens(m, 16, 2, {16, 5}, 1);
  EXPECT_EQ(s.tokens[0], 101u);
  EXPECT_EQ(s.tokens[16 + 4], 102u);
  EXPECT_EQ(s.tokens[16 + 5], 0u);
}

TEST(BertInputs, NumpyEmbeddings) {
  const Model m = zoo_model("bert-nano");
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4, 32), }";
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string npy = std::string("\x93NUMPY\x01\x00", 8);
  const uint16_t hl = static_cast<uint16_t>(header.size());
  npy.append(reinterpret_cast<const char*>(&hl), 2);
  npy += header;
  std::vector<float> data(2 * 4 * 32);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(i) / 256.0f;
  data[9] = 20.0f, data[10] = -9.0f;  // outside Q4.16's [-8, 8): clipped, and counted
  npy.append(reinterpret_cast<const char*>(data.data()), data.size() * 4);
  const std::string f = temp_file(".npy", npy);
  const Inputs in = embeddings_from_npy(m, f, 4, "3,4");
  EXPECT_EQ(in.saturated, 2u);
  EXPECT_EQ(in.embeddings[9], fx::max_word());
  EXPECT_FALSE(in.from_tokens);
  EXPECT_EQ(in.batch, 2u);
  EXPECT_EQ(in.valid_len, (std::vector<uint32_t>{3, 4}));
  EXPECT_EQ(in.embeddings[5], fx::from_double(5.0 / 256.0));
  EXPECT_NE(error_of<InputError>([&] { embeddings_from_npy(m, f, 8, ""); }).find("embeddings must be [batch, 8, 32]"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Hostile files: each is an error naming the file and the problem, found without reading or
// allocating more than the file holds.

TEST(BertModel, ModelDictSizesAreNotTruncated) {
  auto err = [](const std::string& j) { return error_of<ModelError>([&] { model_from_dict(j, "m.json"); }); };
  // 2^32 + 32 would become 32 if read as 32 bits.
  EXPECT_NE(err(R"({"l": 1, "o": [["sa_sdp_16"]], "h": [4294967328], "f": [[64]]})").find("layer 0: 'h' must be an integer within 1..16777216"),
            std::string::npos);
  EXPECT_NE(err(R"({"l": 1, "o": [["sa_sdp_16"]], "h": [32], "f": [[4294967360]]})").find("a feed-forward size must be an integer"),
            std::string::npos);
  EXPECT_NE(err(R"({"l": 4294967297, "o": [["sa_sdp_16"]], "h": [32], "f": [[64]]})").find("'l' must be an integer"), std::string::npos);
  EXPECT_NE(err(R"({"l": 1, "o": [["sa_sdp_4294967312"]], "h": [32], "f": [[64]]})").find("'sa_sdp_4294967312': the head size"),
            std::string::npos);
  EXPECT_NE(err(R"({"l": 1, "o": [["sa_sdp_16abc"]], "h": [32], "f": [[64]]})").find("'16abc' is not an unsigned integer"), std::string::npos);
  EXPECT_NE(err(R"({"l": 1, "o": [["sa_sdp_16"]], "h": [-32], "f": [[64]]})").find("'h' must be an integer"), std::string::npos);
  EXPECT_NE(err(R"({"l": 1, "o": [["sa_sdp_16"]], "h": [32.5], "f": [[64]]})").find("'h' must be an integer"), std::string::npos);
  std::string wide = R"({"l": 1, "o": [[)";
  for (int i = 0; i < 2; ++i) wide += std::string(i ? ", " : "") + "\"sa_sdp_16000000\"";
  EXPECT_NE(err(wide + R"(]], "h": [32], "f": [[64]]})").find("layer 0: heads 32000000 wide in all, wider than 16777216"), std::string::npos);
  EXPECT_NE(err(R"({"l": 1, "l": 2, "o": [["sa_sdp_16"]], "h": [32], "f": [[64]]})").find("m.json: malformed JSON: duplicate key 'l'"),
            std::string::npos);
  EXPECT_NE(err("[1, 2]").find("expected a JSON object"), std::string::npos);
  EXPECT_NE(err(std::string(10000, '[') + std::string(10000, ']')).find("nested deeper than 32 levels"), std::string::npos);
  EXPECT_NE(error_of<ModelError>([] { load_model("/dev/zero.json"); }).find("cannot open model dict '/dev/zero.json'"), std::string::npos);
}

TEST(BertWeights, SafetensorsOffsetsAndHeadersAreChecked) {
  const Model m = zoo_model("bert-nano");
  auto err = [&](const std::string& file) { return error_of<WeightsError>([&] { load_safetensors(m, temp_file(".safetensors", file)); }); };
  // Offsets that wrap past 2^64 when added to the data's start would point at the header.
  const std::string entry = R"("bert.embeddings.LayerNorm.weight": {"dtype": "F32", "shape": [32], "data_offsets": [)";
  std::string probe = safetensors(entry + "0, 128]}", 128);
  uint64_t header = 0;
  std::memcpy(&header, probe.data(), 8);
  const uint64_t wrap = ~uint64_t{0} - (8 + header) + 1;  // data start + wrap == 0 (mod 2^64)
  std::string wrapping = entry + std::to_string(wrap) + ", " + std::to_string(wrap + 128) + "]}";
  EXPECT_NE(err(safetensors(wrapping, 256)).find("tensor 'bert.embeddings.LayerNorm.weight' lies outside the file"), std::string::npos);
  EXPECT_NE(err(safetensors(entry + "0, 129]}", 128)).find("lies outside the file"), std::string::npos);
  // A header that is JSON but not an object, a header longer than the file, duplicate tensors.
  std::string array = safetensors("", 0);
  array.replace(8, 2, "[]");
  EXPECT_NE(err(array).find("malformed safetensors header: expected a JSON object of tensors"), std::string::npos);
  std::string longer = safetensors(entry + "0, 128]}", 128);
  const uint64_t huge = uint64_t{1} << 40;
  std::memcpy(longer.data(), &huge, 8);
  EXPECT_NE(err(longer).find("not a safetensors file (bad header length)"), std::string::npos);
  EXPECT_NE(err(safetensors(entry + "0, 128]}, " + entry + "0, 128]}", 128)).find("duplicate key 'bert.embeddings.LayerNorm.weight'"),
            std::string::npos);
  EXPECT_NE(error_of<WeightsError>([&] { load_safetensors(m, "/dev/zero"); }).find("not a regular file"), std::string::npos);
  // Sizes and offsets that are not unsigned JSON integers (a float beyond 2^64 has no integer value;
  // found by fuzz_safetensors).
  const std::string shaped = R"("bert.embeddings.LayerNorm.weight": {"dtype": "F32", "shape": )";
  for (const std::string& bad : {shaped + "[1e60], \"data_offsets\": [0, 128]}", shaped + "[32.5], \"data_offsets\": [0, 128]}",
                                 shaped + "[-32], \"data_offsets\": [0, 128]}", shaped + "32, \"data_offsets\": [0, 128]}",
                                 entry + "0, 1e60]}", entry + "0.0, 128]}"})
    EXPECT_NE(err(safetensors(bad, 128)).find("tensor 'bert.embeddings.LayerNorm.weight' has a malformed header entry"),
              std::string::npos)
        << bad;
}

TEST(BertWeights, NanAndInfiniteWeightsAreNamed) {
  // Q4.16 has neither: converting a NaN would be undefined behaviour, an infinity would saturate unseen.
  const Model m = zoo_model("bert-nano");
  const uint64_t bytes = 30522ull * 32 * 4;
  const std::string entry = R"("bert.embeddings.word_embeddings.weight": {"dtype": "F32", "shape": [30522, 32], "data_offsets": [0, )" +
                            std::to_string(bytes) + "]}";
  for (const float bad : {NAN, INFINITY}) {
    std::string file = safetensors(entry, bytes);
    std::memcpy(&file[file.size() - bytes + 4 * 77], &bad, 4);
    const std::string e = error_of<WeightsError>([&] { load_safetensors(m, temp_file(".safetensors", file)); });
    EXPECT_NE(e.find("tensor 'bert.embeddings.word_embeddings.weight' holds " + std::string(std::isnan(bad) ? "NaN" : "an infinity") +
                     " at element 77"),
              std::string::npos)
        << e;
  }
}


TEST(BertInputs, NumpyHeadersMustBeBackedByTheFile) {
  const Model m = zoo_model("bert-nano");
  auto err = [&](const std::string& file) { return error_of<InputError>([&] { embeddings_from_npy(m, temp_file(".npy", file), 4, ""); }); };
  // 12 bytes whose header length is 4 GiB: refused at once, nothing allocated.
  const std::string twelve = std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff", 12);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_NE(err(twelve).find("a .npy header of 4294967295 bytes in a file of 12"), std::string::npos);
  // A shape of 10^12 sequences on a file without data.
  EXPECT_NE(err(test::npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 4, 32), }", "")).find("more data than the file holds"),
            std::string::npos);
  EXPECT_NE(err(test::npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 4, 32), }", "")).find("shape: "),
            std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  std::vector<float> data(4 * 32, 0.5f);
  data[1 * 32 + 5] = NAN;
  const std::string raw(reinterpret_cast<const char*>(data.data()), data.size() * 4);
  EXPECT_NE(err(test::npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4, 32), }", raw)).find("element [0, 1, 5] is NaN"),
            std::string::npos);
  EXPECT_NE(err(test::npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 4, 32), }", raw)).find("big-endian"), std::string::npos);
  EXPECT_NE(err(test::npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 4, 32), }", raw)).find("float32 or float64"), std::string::npos);
  EXPECT_NE(error_of<InputError>([&] { embeddings_from_npy(m, "/dev/zero", 4, ""); }).find("not a regular file"), std::string::npos);
}

TEST(BertInputs, BytesInMemoryReadAsTheirFileWould) {
  const Model m = zoo_model("bert-nano");
  // Weights: the same tensors from the file and from its bytes; errors name the bytes.
  const std::string path = temp_file(".safetensors", "");
  save_safetensors(m, synthetic_weights(m, 5), path);
  std::ifstream in(path, std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const Weights from_file = load_safetensors(m, path);
  const Weights from_memory = load_safetensors(m, acc::InputBytes(file.data(), file.size(), "mem.safetensors"));
  EXPECT_EQ(from_memory.layers[0].wq, from_file.layers[0].wq);
  EXPECT_EQ(from_memory.pool_b, from_file.pool_b);
  EXPECT_EQ(from_memory.origin, "mem.safetensors");
  const std::string cut = file.substr(0, file.size() - 1);
  EXPECT_NE(error_of<WeightsError>([&] { load_safetensors(m, acc::InputBytes(cut.data(), cut.size(), "mem.safetensors")); })
                .find("mem.safetensors: tensor '"),
            std::string::npos);
  // Embeddings: the header's claims are checked against the bytes' size.
  std::vector<float> data(4 * 32, 0.25f);
  const std::string npy_bytes = test::npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4, 32), }",
                                    std::string(reinterpret_cast<const char*>(data.data()), data.size() * 4));
  const Inputs e = embeddings_from_npy(m, acc::InputBytes(npy_bytes.data(), npy_bytes.size(), "mem.npy"), 4, "");
  EXPECT_EQ(e.embeddings, embeddings_from_npy(m, temp_file(".npy", npy_bytes), 4, "").embeddings);
  EXPECT_EQ(e.origin, "mem.npy");
  const std::string twelve = std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff", 12);
  EXPECT_EQ(error_of<InputError>([&] { embeddings_from_npy(m, acc::InputBytes(twelve.data(), twelve.size(), "mem.npy"), 4, ""); }),
            "mem.npy: a .npy header of 4294967295 bytes in a file of 12 (headers are at most 64 KiB)");
  // Token text: the file's limit applies to text in memory too.
  EXPECT_EQ(parse_token_file(m, "101 7 102\n", "mem.txt", 8).ids, (std::vector<uint32_t>{101, 7, 102}));
  EXPECT_EQ(error_of<InputError>([&] { parse_token_file(m, std::string(acc::kMaxTokenFileBytes + 1, ' '), "mem.txt", 8); }),
            "token file 'mem.txt': larger than 16 MiB, the limit of this kind of file (docs/reliability.md)");
}

TEST(BertInputs, TokenFilesAreReadStrictlyAndBounded) {
  const Model m = zoo_model("bert-nano");
  auto err = [&](const std::string& text) { return error_of<InputError>([&] { tokens_from_file(m, temp_file(".txt", text), 8); }); };
  EXPECT_NE(err("101 -5 102\n").find(":1: '-5' is not a token id"), std::string::npos);  // not 2^64 - 5
  EXPECT_NE(err("101 0102\n").find("'0102' is not a token id"), std::string::npos);
  EXPECT_NE(err("101 1e3\n").find("'1e3' is not a token id"), std::string::npos);
  EXPECT_NE(error_of<InputError>([&] { tokens_from_file(m, "/dev/zero", 8); }).find("token file '/dev/zero': larger than 16 MiB"),
            std::string::npos);
  const TokenFile t = read_token_file(m, temp_file(".txt", "101 7 102\n\n101 102\n"), 8);
  EXPECT_EQ(t.lengths, (std::vector<uint32_t>{3, 2}));
  EXPECT_EQ(t.ids.size(), 5u);
  EXPECT_EQ(padded_tokens(t, 8).tokens, (std::vector<uint32_t>{101, 7, 102, 0, 0, 0, 0, 0, 101, 102, 0, 0, 0, 0, 0, 0}));
  EXPECT_NE(error_of<InputError>([] { parse_valid_lengths("-1", 16, 2); }).find("within 1..16"), std::string::npos);
  EXPECT_NE(error_of<InputError>([] { parse_valid_lengths("05", 16, 2); }).find("within 1..16"), std::string::npos);
}

TEST(BertPruning, ThresholdFilesAreReadStrictly) {
  const Model m = zoo_model("bert-nano");
  auto err = [&](const std::string& json) { return error_of<PruningError>([&] { load_thresholds(temp_file(".json", json), m); }); };
  EXPECT_EQ(err(R"({"key_bits": 12, "per_head": false, "thresholds": [[-5]]})"), "");
  // A float beyond 64 bits has no integer value (nlohmann's cast would be undefined); 12.7 is not 12.
  EXPECT_NE(err(R"({"key_bits": 12, "per_head": false, "thresholds": [[1e30]]})").find("a threshold of layer 0 must be an integer"),
            std::string::npos);
  EXPECT_NE(err(R"({"key_bits": 12.7, "per_head": false, "thresholds": [[1]]})").find("key_bits must be an integer"), std::string::npos);
  EXPECT_NE(err(R"({"key_bits": -1, "per_head": false, "thresholds": [[1]]})").find("key_bits must be within 1..20"), std::string::npos);
  EXPECT_NE(err(R"({"key_bits": 12, "key_bits": 4, "per_head": false, "thresholds": [[1]]})").find("duplicate key 'key_bits'"),
            std::string::npos);
  EXPECT_NE(error_of<PruningError>([&] { load_thresholds("/dev/zero", m); }).find("LeOPArd thresholds '/dev/zero': larger than 16 MiB"),
            std::string::npos);
}

// --task mlm: the text cut into [CLS] bytes [SEP] sequences, ~15 % of the bytes masked, each mask
// remembering the byte it hides.
TEST(MaskedText, SequencesMasksAndLabels) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += static_cast<char>('a' + (i * 7) % 26);
  const std::string path = temp_file(".txt", text);
  const ByteTokenizer tok;
  const MaskedText m = mask_text_file(tok, path, 64, 0, 0.15, 3);
  ASSERT_EQ(m.tokens.lengths.size(), (5000u + 61) / 62);  // 62 bytes a sequence
  EXPECT_EQ(m.tokens.lengths.back(), 5000u % 62 + 2);
  const double rate = double(m.positions.size()) / 5000.0;
  EXPECT_GT(rate, 0.12);
  EXPECT_LT(rate, 0.18);
  // Rebuild the padded rows and check each mask against the text.
  const Inputs in = padded_tokens(m.tokens, 64);
  for (size_t k = 0; k < m.positions.size(); ++k) {
    const uint64_t row = m.positions[k] / 64, col = m.positions[k] % 64;
    ASSERT_GE(col, 1u);
    EXPECT_EQ(in.tokens[m.positions[k]], ByteTokenizer::kMask);
    EXPECT_EQ(m.labels[k], tok.id_of(static_cast<unsigned char>(text[row * 62 + col - 1])));
  }
  EXPECT_EQ(in.tokens[0], ByteTokenizer::kCls);
  EXPECT_EQ(in.tokens[63], ByteTokenizer::kSep);
  // The same seed, the same masks; --batch keeps the first sequences.
  EXPECT_EQ(mask_text_file(tok, path, 64, 0, 0.15, 3).positions, m.positions);
  EXPECT_NE(mask_text_file(tok, path, 64, 0, 0.15, 4).positions, m.positions);
  EXPECT_EQ(mask_text_file(tok, path, 64, 2, 0.15, 3).tokens.lengths.size(), 2u);
  EXPECT_NE(error_of<InputError>([&] { mask_text_file(tok, path, 2, 0, 0.15, 3); }).find("--seq of at least 3"), std::string::npos);
  EXPECT_NE(error_of<InputError>([&] { mask_text_file(tok, temp_file(".txt", "ab"), 64, 0, 0.0, 3); }).find("no token was masked"), std::string::npos);
}

TEST(ByteVocabulary, ReadStrictly) {
  std::string good = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
  for (int b = 0; b < 256; ++b) {
    char line[16];
    std::snprintf(line, sizeof line, "<0x%02X>\n", b);
    good += line;
  }
  EXPECT_NO_THROW(read_vocab(temp_file(".txt", good)));
  EXPECT_NE(error_of<InputError>([&] { read_vocab(temp_file(".txt", good + "extra\n")); }).find("more than the 261 tokens"), std::string::npos);
  EXPECT_NE(error_of<InputError>([&] { read_vocab(temp_file(".txt", good.substr(0, good.find("<0x00>")))); }).find("5 tokens, the byte-level vocabulary has 261"), std::string::npos);
  EXPECT_NE(error_of<InputError>([&] { read_vocab(temp_file(".txt", "[PAD]\n[CLS]\n")); }).find(":2: '[CLS]', the byte-level vocabulary has '[UNK]'"),
            std::string::npos);
}
