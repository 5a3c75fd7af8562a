// acceltran-calibrate: LeOPArd's thresholds are learned offline in the paper; trained ones are
// not available, so this command picks per-layer (or per-head) thresholds that prune a target
// fraction of the attention scores of valid tokens on sample inputs, and writes them to a file
// that `acceltran-vp --leopard FILE` loads.
//
//   acceltran-calibrate --model bert-tiny --rate 0.8 --out th.json [--per-head] [--key-bits 12]
//
// The scores are those of the reference model (the accelerator's exact arithmetic) without
// LeOPArd, with DynaTran as given. Later layers see the unpruned inputs, so their realised rate
// can differ from the target; acceltran-vp reports the realised rate (pruning.leopard.masked).
#include <boost/program_options.hpp>
#include <systemc>

#include <cstdlib>
#include <iostream>

#include "bert/bert_reference.hpp"
#include "bert/mlm.hpp"
#include "bert/pruning_options.hpp"
#include "fixed_point.hpp"
#include "host_memory.hpp"
#include "jobs/bert_job.hpp"
#include "parse_number.hpp"

namespace po = boost::program_options;
using namespace acc::bert;

static const bool kQuietKernel = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0) == 0;

int sc_main(int argc, char** argv) {
  (void)kQuietKernel;
  po::options_description o("acceltran-calibrate: LeOPArd thresholds for a target pruning rate");
  o.add_options()
      ("help,h", "print this help")
      ("model", po::value<std::string>()->default_value("bert-tiny"), "zoo name or model-dict .json")
      ("layers", po::value<std::string>()->default_value("0"), "the first N layers only (0: all)")
      ("weights", po::value<std::string>(), "safetensors file (default: synthetic with --seed)")
      ("tokens", po::value<std::string>(), "sample inputs: token ids, one sequence per line")
      ("text", po::value<std::string>(), "sample inputs: the masked text acceltran-vp --task mlm runs (same seq, batch, seed)")
      ("vocab", po::value<std::string>(), "with text: the tokenizer's vocabulary (default: vocab.txt beside the weights)")
      ("seq", po::value<std::string>()->default_value("128"), "sequence length")
      ("batch", po::value<std::string>()->default_value("4"), "synthetic sample sequences")
      ("valid-len", po::value<std::string>()->default_value(""), "valid tokens per sequence")
      ("seed", po::value<std::string>()->default_value("1"), "seed of synthetic weights and inputs")
      ("rate", po::value<std::string>(), "target fraction of scores to prune, 0..1 (required)")
      ("key-bits", po::value<std::string>()->default_value("12"), "LeOPArd key width B (1..20)")
      ("per-head", "one threshold per head (else per layer)")
      ("tau", po::value<std::string>()->default_value("0.01"), "DynaTran threshold of the sample run")
      ("no-dynatran", "sample run without DynaTran")
      ("out", po::value<std::string>(), "thresholds file to write (required)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, o), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << o;
      return 0;
    }
    if (!vm.count("rate") || !vm.count("out")) throw po::error("--rate and --out are required");
    if (vm.count("text") && (vm.count("tokens") || !vm.count("weights"))) throw po::error("--text needs --weights (a trained model) and no --tokens");
    if (vm.count("vocab") && !vm.count("text")) throw po::error("--vocab needs --text");
    // Numbers are read strictly (parse_number.hpp): boost would turn "-1" into 4294967295.
    auto count = [&](const char* name, uint64_t lo, uint64_t hi) {
      return acc::parse_unsigned_option(std::string("--") + name, vm[name].as<std::string>(), lo, hi);
    };
    auto real = [&](const char* name, double lo, double hi) {
      return acc::parse_real_option(std::string("--") + name, vm[name].as<std::string>(), lo, hi);
    };
    const double rate = real("rate", 0, 1), tau = real("tau", 0, 8);
    const unsigned bits = static_cast<unsigned>(count("key-bits", 1, 20));
    const uint64_t seed = count("seed", 0, UINT64_MAX);
    const uint32_t seq = static_cast<uint32_t>(count("seq", 1, UINT32_MAX)), batch = static_cast<uint32_t>(count("batch", 1, UINT32_MAX));
    const uint32_t layers = static_cast<uint32_t>(count("layers", 0, UINT32_MAX));
    // Refused before anything large exists: the estimate of a BERT job that checks its outputs
    // covers the reference model run here.
    acc::BertSpec spec;
    spec.model = vm["model"].as<std::string>(), spec.layers = layers, spec.seq = seq, spec.batch = batch, spec.check = acc::BertSpec::Check::On;
    if (vm.count("tokens")) spec.tokens_file = vm["tokens"].as<std::string>();
    if (vm.count("weights")) spec.weights_file = vm["weights"].as<std::string>();
    if (vm.count("text")) spec.mlm = true, spec.text_file = vm["text"].as<std::string>(), spec.mlm_max_sequences = batch;
    if (vm.count("vocab")) spec.vocab_file = vm["vocab"].as<std::string>();
    acc::require_host_memory(acc::kSimulatorBaseBytes, acc::BertJob(spec).host_memory_bytes(), acc::physical_memory_bytes());
    Model m = load_model(vm["model"].as<std::string>()).truncated(layers);
    if (vm.count("weights")) take_embedding_sizes(m, vm["weights"].as<std::string>());  // the vocabulary is the weights', as in acceltran-vp
    const Weights w = vm.count("weights") ? load_safetensors(m, vm["weights"].as<std::string>()) : synthetic_weights(m, seed);
    const Inputs in = vm.count("text")     ? padded_tokens(mask_text_for_model(m, vm["weights"].as<std::string>(), vm.count("vocab") ? vm["vocab"].as<std::string>() : "",
                                                                              vm["text"].as<std::string>(), seq, batch, spec.mask_rate, seed).tokens, seq)
                      : vm.count("tokens") ? tokens_from_file(m, vm["tokens"].as<std::string>(), seq)
                                           : synthetic_tokens(m, seq, batch, parse_valid_lengths(vm["valid-len"].as<std::string>(), seq, batch), seed);
    RunOptions r;
    r.dynatran = !vm.count("no-dynatran");
    r.tau = r.dynatran ? acc::fx::from_double(tau) : 0;
    r.ln_eps = static_cast<uint32_t>(std::llround(m.ln_eps * 4294967296.0));
    const LeopardThresholds t = calibrate_leopard(m, w, in, r, rate, bits, vm.count("per-head") > 0);
    save_thresholds(t, m, vm["out"].as<std::string>());
    std::cout << "acceltran-calibrate: " << m.name << ", " << in.batch << " sample sequences, target rate " << rate << "\n";
    for (size_t l = 0; l < t.layers.size(); ++l) {
      std::cout << "  layer " << l << ": threshold";
      for (int64_t th : t.layers[l]) std::cout << " " << th;
      std::cout << ", prunes " << t.calibrated_rate[l] * 100 << " % of the sample scores\n";
    }
    std::cout << "  wrote " << vm["out"].as<std::string>() << "\n";
    return 0;
  } catch (const po::error& e) {
    std::cerr << "acceltran-calibrate: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "acceltran-calibrate: " << e.what() << "\n";
    return 2;
  }
}
