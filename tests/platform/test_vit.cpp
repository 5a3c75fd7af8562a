// Vision Transformers end to end: the firmware compiles the patch embedding, the pre-LN encoder
// (preln.c without a mask or cache) and the classification head into descriptors; the outputs are
// bit-exact against the reference model and close to a double-precision ViT. Safetensors with
// Hugging Face ViT names round-trip; images come from .npy files channels first.
#include <gtest/gtest.h>

#include "bert/inputs.hpp"
#include "bert/safetensors.hpp"
#include "bert_test.hpp"
#include "error_of.hpp"
#include "fixed_point.hpp"
#include "temp_file.hpp"
#include "vit_job.hpp"
#include "vp_test.hpp"

using namespace acc;
using acc::test::stat;

TEST(Vit, TinyTwoLayersAreBitExactAndCloseToDoublePrecision) {
  VitSpec s;
  s.model = "vit-tiny", s.layers = 2, s.check = VitSpec::Check::On;
  VitJob job(s);
  auto out = test::run_checked(job, load_hw_config("edge"));
  // Per layer one softmax per head over 197 tokens; LN before, LN after per layer and the final one.
  EXPECT_EQ(stat(out.stats, "pe.ops.SOFTMAX"), 2 * 3);
  EXPECT_EQ(stat(out.stats, "pe.ops.LAYERNORM"), 2 * 2 + 1);
  EXPECT_EQ(stat(out.stats, "job.vit.tokens"), 197);
  EXPECT_EQ(stat(out.stats, "job.mismatches"), 0);
  EXPECT_LT(stat(out.stats, "job.float.hidden_max_abs_error"), 0.1);
  EXPECT_LT(stat(out.stats, "job.float.logits_max_abs_error"), 0.1);
  EXPECT_GT(stat(out.stats, "job.float.logits_max_abs_error"), 0);  // the formats differ: a real comparison
}

TEST(Vit, ImagesFromNpyArePatchedChannelsFirst) {
  vit::Model m = vit::zoo_model("vit-tiny", 1);
  const uint32_t S = m.image;
  std::vector<float> px(3 * S * S);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<float>(i % 251) / 256.0f;
  const std::string data(reinterpret_cast<const char*>(px.data()), px.size() * 4);
  const std::string f = test::temp_file(".npy", test::npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 224, 224), }", data));
  const vit::Images im = vit::images_from_npy(m, f);
  ASSERT_EQ(im.batch, 1u);
  // Patch 15 (row 1, column 1 of the 14 x 14 grid), element (channel 2, row 3, column 5) is pixel (2, 19, 21).
  const uint64_t D = m.patch_dim();
  EXPECT_EQ(im.patches[15 * D + 2 * 256 + 3 * 16 + 5], fx::from_double(px[(2 * S + 19) * S + 21]));
  EXPECT_EQ(im.saturated, 0u);
}

TEST(Vit, PixelsOutsideTheFormatAreCountedAsClipped) {
  // Q4.16 holds [-8, 8): an image with 7 pixels beyond it reads as 7 clipped input values, not a
  // silently different image.
  vit::Model m = vit::zoo_model("vit-tiny", 1);
  std::vector<float> px(3 * m.image * m.image, 0.25f);
  for (size_t i : {0u, 5u, 999u, 4000u}) px[i] = 9.5f;
  for (size_t i : {7u, 123u}) px[i] = -8.75f;
  px[77] = 8.0f;   // the first value above the largest word
  px[78] = -8.0f;  // the most negative word: held exactly
  const std::string data(reinterpret_cast<const char*>(px.data()), px.size() * 4);
  const vit::Images im = vit::images_from_npy(
      m, test::temp_file(".npy", test::npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 224, 224), }", data)));
  EXPECT_EQ(im.saturated, 7u);
}

TEST(Vit, BadImagesAreNamed) {
  const vit::Model m = vit::zoo_model("vit-tiny", 1);
  auto err = [&](const std::string& file) { return test::error_of<bert::InputError>([&] { vit::images_from_npy(m, test::temp_file(".npy", file)); }); };
  EXPECT_NE(err(test::npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (224, 224, 3), }", "")).find("channels-last"), std::string::npos);
  EXPECT_NE(err(test::npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 32, 32), }", "")).find("image shape [3, 32, 32]"), std::string::npos);
  EXPECT_NE(err(test::npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (3, 224, 224), }", "")).find("must be float32 or float64"),
            std::string::npos);
  EXPECT_NE(err(test::npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 224, 224), }", "abc")).find("more data than the file holds"),
            std::string::npos);
}

TEST(VitWeights, SafetensorsRoundTripWithHuggingFaceNames) {
  vit::Model m = vit::zoo_model("vit-tiny", 2);
  m.classes = 10;  // a small file
  const vit::Weights w = vit::synthetic_weights(m, 3);
  const std::string path = test::temp_file(".safetensors", "");
  vit::save_safetensors(m, w, path);
  const vit::Weights back = vit::load_safetensors(m, path);
  EXPECT_EQ(back.patch_w, w.patch_w);
  EXPECT_EQ(back.cls, w.cls);
  EXPECT_EQ(back.pos, w.pos);
  EXPECT_EQ(back.layers[1].wq, w.layers[1].wq);  // unfolded on save, folded again on load
  EXPECT_EQ(back.layers[1].bq, w.layers[1].bq);
  EXPECT_EQ(back.layers[0].wo, w.layers[0].wo);
  EXPECT_EQ(back.layers[1].ffn_w[1], w.layers[1].ffn_w[1]);
  EXPECT_EQ(back.head_w, w.head_w);
  EXPECT_EQ(back.saturated, 0u);
  // The file holds the conv's [hidden, 3, P, P] and the query x sqrt(d) (Hugging Face's own values).
  bert::SafetensorsFile f(open_input_bytes_as<bert::WeightsError>(path, "weights file"));
  const std::vector<double> conv = f.read("vit.embeddings.patch_embeddings.projection.weight", {192, 3, 16, 16});
  EXPECT_DOUBLE_EQ(conv[1 * 768 + 2], fx::to_double(w.patch_w[2 * 192 + 1]));  // out 1, in 2
  const std::vector<double> q = f.read("vit.encoder.layer.0.attention.attention.query.weight", {192, 192});
  EXPECT_NEAR(q[0], fx::to_double(w.layers[0].wq[0]) * 8.0, 1e-6);  // head_dim 64: sqrt 8
}

TEST(VitWeights, AMisShapedTensorIsNamed) {
  vit::Model m = vit::zoo_model("vit-tiny", 1);
  m.classes = 10;
  const std::string path = test::temp_file(".safetensors", "");
  vit::save_safetensors(m, vit::synthetic_weights(m, 3), path);
  vit::Model wider = m;
  wider.encoder.layers[0].ffn[0] = 1024;
  try {
    vit::load_safetensors(wider, path);
    FAIL() << "no error";
  } catch (const bert::WeightsError& e) {
    EXPECT_NE(std::string(e.what()).find("'vit.encoder.layer.0.intermediate.dense.weight' has shape [768, 192], the model needs [1024, 192]"),
              std::string::npos)
        << e.what();
  }
}

TEST(Vit, HuggingFaceWeightsFileRunsBitExact) {
  // Synthetic weights written with Hugging Face names, read back by the job: the same outputs as
  // the synthetic weights themselves (the reference model runs on what the file gave).
  VitSpec s;
  s.model = "vit-tiny", s.layers = 1, s.seed = 7, s.check = VitSpec::Check::On;
  const vit::Model m = vit::zoo_model(s.model, s.layers);
  s.weights_file = test::temp_file(".safetensors", "");
  vit::save_safetensors(m, vit::synthetic_weights(m, 7), s.weights_file);
  VitJob job(s);
  auto out = test::run_checked(job, load_hw_config("edge"));
  EXPECT_EQ(stat(out.stats, "job.mismatches"), 0);
  EXPECT_EQ(stat(out.stats, "saturation.weights"), 0);
  EXPECT_EQ(stat(out.stats, "job.float.top1_agreement"), 1);
}
