// `--model vit-tiny|deit-small|vit-base`: a Vision Transformer on the accelerator. The firmware
// (firmware/apps/vit.c) compiles each image's patch embedding, pre-LN encoder, final layer norm and
// classification head into descriptors; the outputs (the final hidden states, the CLS row's
// logits) are checked bit for bit against the reference model and compared with a double-precision
// one.
#pragma once

#include <string>

#include "job.hpp"
#include "preln_layers.hpp"
#include "vit/vit_model.hpp"
#include "vit/vit_reference.hpp"

namespace acc {

struct VitSpec : PrelnPruning {  // DynaTran, top-k, N:M
  std::string model = "vit-tiny";
  uint32_t layers = 0;       // the first n layers only (0: all)
  uint32_t batch = 1;        // synthetic images (an --image file gives its own)
  std::string weights_file;  // safetensors with Hugging Face ViT names (default: synthetic)
  std::string image_file;    // .npy [3, H, W] or [batch, 3, H, W] (default: synthetic)
  uint64_t seed = 1;
  enum class Check { Auto, On, Off } check = Check::Auto;  // Auto: when the reference is cheap
};

class VitJob : public Job {
 public:
  // Reads the image file (a bert::InputError names what is wrong with it).
  explicit VitJob(const VitSpec& s);
  std::string describe() const override;
  uint64_t host_memory_bytes() override;
  void load(Soc& soc) override;
  JobResult check(Soc& soc, Stats& stats) override;
  const vit::Model& model() const { return model_; }
  uint32_t batch() const { return images_.batch; }  // an --image file's own
  uint64_t total_macs() const;
  bool checks_outputs() const;
  vit::Options options() const;

 private:
  VitSpec spec_;
  vit::Model model_;
  vit::Weights weights_;
  vit::Images images_;
  uint32_t out_hidden_ = 0, out_logits_ = 0;
};

}  // namespace acc
