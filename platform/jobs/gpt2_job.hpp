// `--model gpt2-*`: a GPT-2 decoder on the accelerator. The forward job runs the prefill of each
// prompt (the final layer norm's hidden states and the first token's logits); `--job generate`
// adds T greedy decode steps with the KV cache in DRAM. The firmware (firmware/apps/gpt2.c)
// compiles every step into descriptors and picks each next token on the host CPU; the outputs
// (hidden states, every step's logits, the tokens) are checked bit for bit against the reference
// decoder and compared with a double-precision one.
#pragma once

#include <string>
#include <vector>

#include "gpt2/gpt2_model.hpp"
#include "gpt2/gpt2_reference.hpp"
#include "job.hpp"
#include "preln_layers.hpp"

namespace acc {

struct Gpt2Spec : PrelnPruning {  // DynaTran, top-k, N:M
  std::string model = "gpt2-tiny";
  uint32_t layers = 0;       // the first n layers only (0: all)
  uint32_t prompt_len = 128; // P
  uint32_t new_tokens = 0;   // T decode steps after the prefill (generate)
  uint32_t batch = 1;
  bool generate = false;     // --job generate (else the prefill alone)
  std::string weights_file;  // safetensors with Hugging Face GPT-2 names (default: synthetic)
  uint64_t seed = 1;
  enum class Check { Auto, On, Off } check = Check::Auto;  // Auto: when the reference is cheap
};

class Gpt2Job : public Job {
 public:
  explicit Gpt2Job(const Gpt2Spec& s);  // checks the shape (a gpt2::InputError-like bert::InputError)
  std::string describe() const override;
  uint64_t host_memory_bytes() override;
  void load(Soc& soc) override;
  JobResult check(Soc& soc, Stats& stats) override;
  const gpt2::Model& model() const { return model_; }
  // Dense MACs of the whole job (every sequence's prefill and decode steps).
  uint64_t total_macs() const;
  bool checks_outputs() const;
  gpt2::Options options() const;
  // Bytes of the KV cache in DRAM: layers x (K and V) x (P + T) positions x attention width x 4.
  uint64_t kv_cache_bytes() const;

 private:
  Gpt2Spec spec_;
  gpt2::Model model_;
  gpt2::Weights weights_;
  std::vector<uint32_t> prompts_;  // batch x P
  uint32_t out_hidden_ = 0, out_logits_ = 0, steps_ = 0;
};

}  // namespace acc
