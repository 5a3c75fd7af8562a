// `--job bert`: a BERT encoder (zoo model or AccelTran model dict) with synthetic or safetensors
// weights on token ids, embeddings or synthetic inputs. The firmware compiles it into descriptors
// (firmware/apps/bert.c); the outputs (final hidden states, pooled output) are checked bit for bit
// against the reference model and compared with a double-precision float BERT.
#pragma once

#include <future>
#include <memory>

#include "bert/bert_reference.hpp"
#include "bert/tensor_scales.hpp"
#include "bert/inputs.hpp"
#include "bert/mlm.hpp"
#include "bert/model.hpp"
#include "bert/weights.hpp"
#include "job.hpp"

namespace acc {

struct BertSpec {
  std::string model = "bert-tiny";  // zoo name or model-dict .json
  uint32_t layers = 0;              // run the first n layers only (0: all)
  uint32_t seq = 128, batch = 4;
  std::string valid_len;            // "n" or "n1,n2,...": valid tokens per sequence (default: all)
  std::string tokens_file, embeddings_file, weights_file;
  uint64_t seed = 1;
  bool dynatran = true;
  double tau = 0.01;
  uint32_t topk = 0;
  bool topk_exact = false;
  bool pooler = true;
  enum class Check { Auto, On, Off } check = Check::Auto;  // Auto: when the reference is cheap
  bert::PruningOptions pruning;     // LeOPArd, HDP, N:M (docs/pruning.md)
  std::string outputs_file;         // write the final hidden states (int32 Q4.16) here
  // --task mlm: the masked-language-model metric on a text (bert/mlm.hpp); needs trained weights
  // with their MLM head and the tokenizer's vocabulary (default: vocab.txt beside the weights).
  bool mlm = false;
  std::string text_file, vocab_file;
  uint32_t mlm_max_sequences = 0;   // 0: the whole text
  double mask_rate = 0.15;
};

class BertJob : public Job {
 public:
  explicit BertJob(const BertSpec& s) : spec_(s) {}
  std::string describe() const override;
  uint64_t host_memory_bytes() override;
  void load(Soc& soc) override;
  JobResult check(Soc& soc, Stats& stats) override;

  const bert::Model& model() const { return model_; }
  const bert::Inputs& inputs() const { return inputs_; }
  const bert::Outputs& outputs() const { return outputs_; }  // read back from DRAM by check()
  bert::RunOptions run_options() const;
  // Whether check() compares the outputs with the reference models (--check, or auto when cheap);
  // known before the inputs are read (prepare()).
  bool checks_outputs() const;

 private:
  // Loads the model and learns the batch (from the token file or the .npy header): what the
  // memory estimate and load() need first. Once.
  void prepare();
  // Per-tensor formats: the weights' real values, the static calibration, the quantized weights.
  void load_per_tensor_weights();
  // An output word's value: in the format, or at the output's scale (per-tensor formats).
  double hidden_value(int32_t word) const;
  double pooled_value(int32_t word) const;

  BertSpec spec_;
  bool prepared_ = false;
  uint32_t batch_ = 0;          // the batch the inputs will have
  bert::TokenFile token_file_;  // --tokens, or the masked text of --task mlm, as read
  bert::MaskedText masked_;     // --task mlm
  bert::MlmHead mlm_head_;
  bert::Model model_;
  bert::Weights weights_;
  // Per-tensor formats (int8, int16): the scale table the calibration chose (else unused).
  bert::TensorScales scales_;
  bool scaled_ = false;
  bert::Inputs inputs_;
  bert::Outputs outputs_;
  // What check() compares the outputs with, computed on two more threads while the simulation
  // runs: the reference models read only the model, the weights and the inputs, which nothing
  // changes once load() has put them in DRAM.
  struct FloatExpected {
    bert::FloatOutputs trained;  // on the weights as trained (not computed for LeOPArd and HDP)
    bert::FloatOutputs rounded;  // on the weights as rounded, when those differ (a file's)
  };
  std::future<bert::Outputs> reference_;
  std::future<FloatExpected> float_;
  uint32_t out_hidden_ = 0, out_pooled_ = 0;
};

}  // namespace acc
