// acceltran-vp: the simulator's command line. Builds the SoC for a hardware configuration,
// loads a job, runs the firmware on the host CPU model, checks the result, prints the summary
// and writes the statistics JSON.
//
// Exit codes: 0 success; 1 the job failed (firmware error status, wrong result, firmware fault,
// simulation stall); 2 bad command line or configuration.
#include <boost/program_options.hpp>
#include <systemc>
#include <tlm>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>

#include <malloc.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "acc_driver.h"
#include "bus.hpp"
#include "elf_image.hpp"
#include "riscv_cpu.hpp"
#include "fw_job.h"
#include "host_memory.hpp"
#include "hw_config.hpp"
#include "jobs/bert_job.hpp"
#include "jobs/fault_job.hpp"
#include "jobs/gpt2_job.hpp"
#include "jobs/matmul_job.hpp"
#include "jobs/vit_job.hpp"
#include "parse_number.hpp"
#include "progress.hpp"
#include "provenance.hpp"
#include "blas_kernels.hpp"
#include "replay.hpp"
#include "report.hpp"
#include "soc.hpp"

namespace po = boost::program_options;

namespace {

constexpr int kExitJobFailed = 1;
constexpr int kExitUsage = 2;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs f; an error in what the user gave (configuration, address map, model, weights, inputs,
// pruning options) becomes a UsageError (exit code 2).
template <typename F>
auto as_usage(F f) -> decltype(f()) {
  try {
    return f();
  } catch (const acc::ConfigError& e) {
    throw UsageError(e.what());
  } catch (const acc::AddressMapError& e) {
    throw UsageError(e.what());
  } catch (const acc::bert::ModelError& e) {
    throw UsageError(e.what());
  } catch (const acc::bert::WeightsError& e) {
    throw UsageError(e.what());
  } catch (const acc::bert::InputError& e) {
    throw UsageError(e.what());
  } catch (const acc::bert::PruningError& e) {
    throw UsageError(e.what());
  } catch (const acc::HostMemoryError& e) {
    throw UsageError(e.what());
  } catch (const acc::ReplayError& e) {
    throw UsageError(e.what());
  }
}

// Numeric options are taken as text and read strictly (parse_number.hpp): boost would turn "-1"
// into 4294967295 and let "nan" through every range check. A NumberError names the option.
uint64_t unsigned_option(const po::variables_map& vm, const std::string& name, uint64_t lo, uint64_t hi) {
  return acc::parse_unsigned_option("--" + name, vm[name].as<std::string>(), lo, hi);
}
uint32_t u32_option(const po::variables_map& vm, const std::string& name, uint32_t lo = 0, uint32_t hi = UINT32_MAX) {
  return static_cast<uint32_t>(unsigned_option(vm, name, lo, hi));
}
double real_option(const po::variables_map& vm, const std::string& name, double lo, double hi) {
  return acc::parse_real_option("--" + name, vm[name].as<std::string>(), lo, hi);
}

// The longest temporal-decoupling quantum: a second of simulated time, far beyond any useful
// quantum (the default is 10 us) and within SystemC's 64-bit picosecond time.
constexpr double kMaxQuantumSeconds = 1.0;

sc_core::sc_time parse_time(const std::string& text) {
  const std::string expected = "--quantum '" + text + "': expected a time such as 1us or 500ns";
  const size_t unit_at = text.find_first_not_of("0123456789.");
  if (unit_at == 0 || unit_at == std::string::npos) throw UsageError(expected);
  std::string u = text.substr(unit_at);
  u.erase(0, u.find_first_not_of(' '));
  const std::pair<const char*, std::pair<sc_core::sc_time_unit, double>> units[] = {
      {"ps", {sc_core::SC_PS, 1e-12}}, {"ns", {sc_core::SC_NS, 1e-9}}, {"us", {sc_core::SC_US, 1e-6}},
      {"ms", {sc_core::SC_MS, 1e-3}}, {"s", {sc_core::SC_SEC, 1.0}}};
  for (const auto& [name, unit] : units) {
    if (u != name) continue;
    double v = 0;
    try {
      v = acc::parse_real(text.substr(0, unit_at), 0.0);
    } catch (const acc::NumberError&) {
      throw UsageError(expected);
    }
    if (v * unit.second > kMaxQuantumSeconds) throw UsageError("--quantum '" + text + "': at most 1 s");
    const sc_core::sc_time t(v, unit.first);
    if (t == sc_core::SC_ZERO_TIME) throw UsageError("--quantum must be positive");
    return t;
  }
  throw UsageError(expected);
}

// A trace destination: a file, or stderr for "-".
class TraceFile {
 public:
  std::ostream* open(const std::string& path, const char* flag) {
    if (path == "-") return &std::cerr;
    file_.open(path);
    if (!file_) throw UsageError(std::string(flag) + " '" + path + "': cannot write the file");
    return &file_;
  }

 private:
  std::ofstream file_;
};

// A file the run writes when it ends, checked before it starts (a bad path would waste the run and
// lose its results): an existing file must be writable, a new one's directory must exist and be.
void check_writable(const std::string& path, const char* flag) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path file(path);
  const fs::file_status st = fs::status(file, ec);
  std::string problem;
  if (fs::is_directory(st)) {
    problem = "it is a directory";
  } else if (fs::exists(st)) {
    if (::access(path.c_str(), W_OK) != 0) problem = std::strerror(errno);
  } else {
    const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
    if (!fs::is_directory(dir, ec))
      problem = "no directory '" + dir.string() + "'";
    else if (::access(dir.c_str(), W_OK) != 0)
      problem = "directory '" + dir.string() + "': " + std::strerror(errno);
  }
  if (!problem.empty()) throw UsageError(std::string(flag) + " '" + path + "': cannot write the file (" + problem + ")");
}

// Options that change only what a run writes or prints, not the point it simulates: the ones
// --replay accepts, and the ones the provenance leaves out.
const std::set<std::string> kOutputOptions = {"help", "stats-out", "timeline", "quiet", "print-config", "config-keys",
                                              "stats-doc", "max-memory", "replay", "outputs-out", "trace-mmio", "trace-insn"};

int run(const std::vector<std::string>& args, const std::vector<std::string>& command_line, const acc::Replay* replay) {
  po::options_description general("General");
  general.add_options()
      ("help,h", "print this help and exit")
      ("hw", po::value<std::string>()->default_value("edge"), "hardware: edge, server or a YAML file (keys: docs/configuration.md)")
      ("param,p", po::value<std::vector<std::string>>()->composing(), "override a configuration key: -p pe=128 (repeatable)")
      ("quantum", po::value<std::string>()->default_value("10us"), "temporal-decoupling quantum of every initiator (e.g. 1us, 500ns; at most 1s)")
      ("max-memory", po::value<std::string>(), "host memory the run may use, e.g. 8G (default: the machine's physical memory); a job that needs more is refused before it starts")
      ("stats-out", po::value<std::string>(), "write the statistics JSON to FILE")
      ("timeline", po::value<std::string>(), "write a Chrome/Perfetto trace of what every unit did when to FILE.json (docs/timeline.md)")
      ("cpu", po::value<std::string>()->default_value("native"), "host CPU backend: native (firmware compiled into the simulator) or riscv (RV32IM firmware on an instruction-set simulator)")
      ("quiet,q", "do not echo the firmware's console output, nor show progress (shown on a terminal after 2 s)")
      ("print-config", "print the resolved hardware configuration and exit")
      ("config-keys", "print every configuration key and its meaning (tab-separated) and exit")
      ("stats-doc", "after the run, print every statistic as a markdown row (key, unit, meaning)")
      ("replay", po::value<std::string>(), "re-run the point that a statistics JSON (--stats-out) records; only output options may be added");
  po::options_description job("Job");
  job.add_options()
      ("job", po::value<std::string>()->default_value("bert"), "bert (a gpt2-* --model: its prefill) | generate (GPT-2: prefill and greedy decoding) | matmul | fault")
      ("seed", po::value<std::string>()->default_value("1"), "seed of the synthetic weights, inputs and matrices")
      ("dynatran", "DynaTran pruning on (the default for bert)")
      ("no-dynatran", "DynaTran pruning off")
      ("tau", po::value<std::string>()->default_value("0.01"), "DynaTran threshold (real value; |x| <= tau becomes 0)")
      ("check", po::value<std::string>()->default_value("auto"),
       "compare the outputs with the reference model: auto (bert: when cheap; matmul: always) | on | off");
  po::options_description bert("BERT (--job bert)");
  bert.add_options()
      ("model", po::value<std::string>()->default_value("bert-tiny"),
       "bert-nano | bert-tiny | bert-mini | bert-small | bert-medium | bert-base | bert-large | MODEL.json (AccelTran model dict) | gpt2-tiny | gpt2 | gpt2-medium | vit-tiny | deit-small | vit-base")
      ("layers", po::value<std::string>()->default_value("0"), "run only the first N encoder layers (0: all)")
      ("seq", po::value<std::string>()->default_value("128"), "sequence length (padded)")
      ("batch", po::value<std::string>(), "sequences per batch (default: the configuration's batch_size)")
      ("valid-len", po::value<std::string>()->default_value(""), "valid tokens per sequence: N, or N1,N2,... (default: all)")
      ("tokens", po::value<std::string>(), "token ids: a text file, one sequence per line")
      ("embeddings", po::value<std::string>(), "encoder-input embeddings: a .npy file [batch, seq, hidden]")
      ("weights", po::value<std::string>(), "a safetensors file with Hugging Face BERT tensor names (default: synthetic)")
      ("topk", po::value<std::string>()->default_value("0"), "top-k on the attention probabilities (0: off)")
      ("topk-mode", po::value<std::string>()->default_value("strict"), "strict (> the k-th, AccelTran's code) | exact (k, lowest index first)")
      ("no-pooler", "skip the pooler")
      ("task", po::value<std::string>()->default_value("none"),
       "none | mlm: mask 15 % of the text's bytes, report the masked-token accuracy and loss (docs/accuracy.md)")
      ("text", po::value<std::string>(), "task mlm: the text, cut into sequences (a batch size keeps the first ones)")
      ("vocab", po::value<std::string>(), "task mlm: the tokenizer's vocabulary (default: vocab.txt beside the weights)");
  po::options_description gpt2("GPT-2 (--model gpt2-*, --job generate; docs/transformers.md)");
  gpt2.add_options()
      ("prompt-len", po::value<std::string>(), "prompt tokens per sequence (default: --seq)")
      ("new-tokens", po::value<std::string>(), "--job generate: decode steps after the prefill (default 32)");
  po::options_description vit("Vision Transformers (--model vit-tiny | deit-small | vit-base; docs/transformers.md)");
  vit.add_options()
      ("image", po::value<std::string>(), "the input images: a .npy of float32/float64 pixels [3, H, W] or [batch, 3, H, W] (default: synthetic)");
  po::options_description pruning("Pruning units (--job bert; docs/pruning.md)");
  pruning.add_options()
      ("leopard", po::value<std::string>(), "LeOPArd: per-layer thresholds from FILE (acceltran-calibrate writes it)")
      ("hdp-heads", po::value<std::string>(), "HDP head pruning: abs:N | ratio:R | top:H")
      ("hdp-importance", po::value<std::string>()->default_value("sum_abs"), "HDP head importance: sum_abs | sum | max_abs")
      ("hdp-blocks", po::value<std::string>(), "HDP block pruning per block row: ratio:R | mean:A | top:K")
      ("hdp-block", po::value<std::string>()->default_value("4x4"), "HDP block shape RxC")
      ("hdp-approx", "HDP approximation: drop Qf.Kf of the kept scores")
      ("hdp-frac-bits", po::value<std::string>()->default_value("auto"),
       "HDP integer/fraction split F (1..16; auto: the number format's fraction bits, 16 in Q4.16)")
      ("nm", po::value<std::string>(), "N:M weights (compressed in DRAM), e.g. 2:4")
      ("nm-act", po::value<std::string>(), "dynamic N:M on Q, K, the context and FFN1, e.g. 2:4")
      ("outputs-out", po::value<std::string>(), "write the final hidden states to FILE (docs/pruning.md, 'outputs file')");
  po::options_description matmul("Matmul and fault (--job matmul | fault)");
  matmul.add_options()
      ("m", po::value<std::string>()->default_value("128"), "rows of A and C")
      ("k", po::value<std::string>()->default_value("512"), "reduction length")
      ("n", po::value<std::string>()->default_value("128"), "columns of B and C")
      ("a-zeros", po::value<std::string>()->default_value("0"), "fraction of A's values that are zero")
      ("loop-order", po::value<std::string>()->default_value("auto"),
       "the driver's GEMM loop order: auto (its planner chooses) | b_i_j_k (rows of C outer) | b_j_i_k (columns outer)")
      ("fault", po::value<std::string>()->default_value("opcode"), "fault: opcode | dram | overflow | shape | scale");
  po::options_description firmware("Firmware development (docs/firmware.md)");
  firmware.add_options()
      ("firmware", po::value<std::string>(), "riscv: run this RV32IM ELF instead of the built-in firmware")
      ("trace-mmio", po::value<std::string>(), "write every register access (time, address, value) to FILE ('-': stderr)")
      ("trace-mmio-filter", po::value<std::string>(),
       "trace only these registers (comma-separated names; -NAME leaves one out, e.g. -CONSOLE)")
      ("gdb", po::value<std::string>(), "riscv: stop before the first instruction and serve gdb on 127.0.0.1:PORT (target remote :PORT)")
      ("trace-insn", po::value<std::string>(), "riscv: write every executed instruction (time, pc, word, function) to FILE ('-': stderr)")
      ("watchdog", po::value<std::string>()->default_value(std::to_string(acc::RiscvCpu::kDefaultWatchdogInstructions)),
       "riscv: instructions without a register write or a sleep in wfi before the firmware is declared stuck");
  po::options_description all("acceltran-vp: SystemC/TLM-2.0 virtual platform of the AccelTran accelerator");
  all.add(general).add(job).add(bert).add(gpt2).add(vit).add(pruning).add(matmul).add(firmware);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  if (vm.count("help")) {
    std::cout << all << "\nExit codes: 0 success, 1 job failed, 2 bad command line or configuration.\n"
              << "Built with " << sc_core::sc_version() << "\n";
    return 0;
  }

  if (vm.count("replay")) {
    if (replay) throw UsageError("a recorded point cannot itself be a --replay");
    // Only what the run writes may be added: anything else would make it another point.
    for (const auto& [name, value] : vm)
      if (!value.defaulted() && !kOutputOptions.count(name))
        throw UsageError("--replay re-runs the recorded point: --" + name + " cannot be given with it (only output options such as --stats-out)");
    const acc::Replay recorded = as_usage([&] { return acc::read_replay(vm["replay"].as<std::string>()); });
    std::vector<std::string> again = as_usage([&] { return acc::replay_arguments(recorded, kOutputOptions); });
    for (const auto& [name, value] : vm) {
      if (value.defaulted() || name == "replay") continue;
      if (all.find(name, false).semantic()->max_tokens() == 0)
        again.push_back("--" + name);
      else
        again.insert(again.end(), {"--" + name, value.as<std::string>()});
    }
    return run(again, command_line, &recorded);
  }
  if (vm.count("config-keys")) {
    for (const auto& k : acc::config_keys()) std::cout << k.key << "\t" << k.meaning << "\n";
    return 0;
  }
  const std::vector<std::string> overrides = vm.count("param") ? vm["param"].as<std::vector<std::string>>() : std::vector<std::string>{};
  const acc::HwConfig cfg = as_usage([&] { return acc::load_hw_config(vm["hw"].as<std::string>(), overrides); });
  acc::fx::set_format(cfg.number_format);  // before any weight, input or register value is converted
  if (vm.count("print-config")) {
    std::cout << acc::dump_config(cfg);
    return 0;
  }
  tlm::tlm_global_quantum::instance().set(parse_time(vm["quantum"].as<std::string>()));

  std::unique_ptr<acc::Job> the_job;
  const std::string kind = vm["job"].as<std::string>();
  // An option of another job's group would be silently ignored: refuse it instead.
  const auto only_for = [&](const po::options_description& group, bool applies, const char* jobs) {
    for (const auto& o : group.options())
      if (!applies && vm.count(o->long_name()) && !vm[o->long_name()].defaulted())
        throw UsageError("--" + o->long_name() + " applies to " + jobs + ", not to --job " + kind);
  };
  const bool transformer = kind == "bert" || kind == "generate";
  // A GPT-2 model: --job generate's default, or named with --model.
  const std::string model_name = kind == "generate" && vm["model"].defaulted() ? "gpt2-tiny" : vm["model"].as<std::string>();
  const bool decoder = transformer && acc::gpt2::is_gpt2_model(model_name);
  const bool vision = kind == "bert" && acc::vit::is_vit_model(model_name);
  only_for(bert, transformer, "--job bert and --job generate");
  only_for(gpt2, decoder, "GPT-2 models (--model gpt2-*)");
  only_for(vit, vision, "Vision Transformers (--model vit-tiny, deit-small, vit-base)");
  only_for(pruning, transformer, "--job bert and --job generate");
  only_for(matmul, !transformer, "--job matmul and --job fault");
  if (kind == "generate" && !decoder) throw UsageError("--job generate needs a GPT-2 --model (gpt2-tiny, gpt2, gpt2-medium), not '" + model_name + "'");
  if (transformer && !decoder && !vision && !acc::bert::is_model_dict_path(model_name)) {
    const auto bert_names = acc::bert::zoo_names();
    if (std::find(bert_names.begin(), bert_names.end(), model_name) == bert_names.end()) {
      using acc::bert::joined_names;
      throw UsageError("unknown model '" + model_name + "' (BERT: " + joined_names(bert_names) + "; GPT-2: " +
                       joined_names(acc::gpt2::zoo_names()) + "; ViT: " + joined_names(acc::vit::zoo_names()) + "; or a model-dict .json file)");
    }
  }
  if (vm.count("new-tokens") && kind != "generate") throw UsageError("--new-tokens applies to --job generate");
  if (vm.count("dynatran") && vm.count("no-dynatran")) throw UsageError("--dynatran and --no-dynatran contradict each other");
  const bool dynatran = transformer ? !vm.count("no-dynatran") : vm.count("dynatran") > 0;
  if (acc::fx::format().per_tensor() && (kind != "bert" || decoder || vision))
    throw UsageError("number_format=" + cfg.number_format.name() +
                     " (per-tensor scaled) runs BERT encoders only (--job bert with a BERT model); GPT-2, ViT, --job matmul and "
                     "--job fault need a qM.N format (docs/configuration.md, \"Number formats\")");
  // The per-tensor formats' DYNATRAN_TAU is in units of 2^-16 (20 bits): below 16.
  const double tau_limit = acc::fx::format().per_tensor() ? 16.0 : acc::fx::format().range();
  const double tau = real_option(vm, "tau", 0, tau_limit);
  if (tau >= tau_limit)
    throw UsageError("--tau must be within 0.." + std::to_string(static_cast<int>(tau_limit)) + " (" + cfg.number_format.name() + ")");
  acc::MatmulSpec mm;
  mm.m = u32_option(vm, "m");
  mm.k = u32_option(vm, "k");
  mm.n = u32_option(vm, "n");
  mm.seed = unsigned_option(vm, "seed", 0, UINT64_MAX);
  mm.a_zeros = real_option(vm, "a-zeros", 0, 1);
  mm.prune = dynatran;
  mm.tau = tau;
  if (!mm.m || !mm.k || !mm.n) throw UsageError("--m, --k and --n must be at least 1");
  const std::string check = vm["check"].as<std::string>();
  if (check != "auto" && check != "on" && check != "off") throw UsageError("--check '" + check + "': expected auto, on or off");
  mm.check = check != "off";
  const std::string order = vm["loop-order"].as<std::string>();
  if (order == "auto")
    mm.order = ACC_GEMM_ORDER_AUTO;
  else if (order == "b_i_j_k")
    mm.order = ACC_GEMM_ORDER_IJ;
  else if (order == "b_j_i_k")
    mm.order = ACC_GEMM_ORDER_JI;
  else
    throw UsageError("--loop-order '" + order + "': expected auto, b_i_j_k or b_j_i_k");
  nlohmann::ordered_json job_params;  // the job's resolved parameters, for the provenance
  const acc::BertJob* bert_job = nullptr;
  const acc::Gpt2Job* gpt2_job = nullptr;
  const acc::VitJob* vit_job = nullptr;
  const nlohmann::ordered_json matmul_params = {{"kind", kind},       {"m", mm.m},         {"k", mm.k},         {"n", mm.n},
                                                {"seed", mm.seed},    {"a_zeros", mm.a_zeros}, {"dynatran", mm.prune}, {"tau", mm.tau},
                                                {"loop_order", order}, {"check", check}};
  const std::string mode = vm["topk-mode"].as<std::string>();
  if (mode != "strict" && mode != "exact") throw UsageError("--topk-mode '" + mode + "': expected strict or exact");
  // --nm and --nm-act (N:M weights, dynamic N:M activations) into p.
  const auto parse_nm_options = [&](acc::bert::PruningOptions& p) {
    if (vm.count("nm")) acc::bert::parse_nm(vm["nm"].as<std::string>(), p), p.nm_weights = true;
    if (vm.count("nm-act")) {
      acc::bert::PruningOptions act;
      acc::bert::parse_nm(vm["nm-act"].as<std::string>(), act);
      if (p.nm_weights && (act.nm_n != p.nm_n || act.nm_m != p.nm_m))
        throw acc::bert::PruningError("--nm and --nm-act share the NM_CFG register: give them the same N:M");
      p.nm_n = act.nm_n, p.nm_m = act.nm_m, p.nm_act = true;
    }
  };
  // DynaTran, top-k and N:M of the pre-LN families (GPT-2, ViT).
  const auto preln_pruning = [&] {
    acc::PrelnPruning r;
    r.dynatran = dynatran, r.tau = tau, r.topk = u32_option(vm, "topk"), r.topk_exact = mode == "exact";
    acc::bert::PruningOptions p;
    as_usage([&] { parse_nm_options(p); });
    r.nm_weights = p.nm_weights, r.nm_act = p.nm_act, r.nm_n = p.nm_n, r.nm_m = p.nm_m;
    return r;
  };
  if (decoder) {
    // BERT's options that have no meaning for a GPT-2 decoder are refused, not ignored.
    for (const char* o : {"valid-len", "tokens", "embeddings", "no-pooler", "task", "text", "vocab", "outputs-out", "leopard", "hdp-heads",
                          "hdp-blocks", "hdp-approx"})
      if (vm.count(o) && !vm[o].defaulted()) throw UsageError(std::string("--") + o + " does not apply to GPT-2 models");
    acc::Gpt2Spec g;
    g.model = model_name;
    g.generate = kind == "generate";
    g.layers = u32_option(vm, "layers");
    g.prompt_len = vm.count("prompt-len") ? u32_option(vm, "prompt-len", 1) : u32_option(vm, "seq", 1);
    g.new_tokens = g.generate ? (vm.count("new-tokens") ? u32_option(vm, "new-tokens") : 32u) : 0u;
    g.batch = vm.count("batch") ? u32_option(vm, "batch", 1) : g.generate ? 1u : cfg.batch_size;
    if (vm.count("weights")) g.weights_file = vm["weights"].as<std::string>();
    g.seed = mm.seed;
    static_cast<acc::PrelnPruning&>(g) = preln_pruning();
    g.check = check == "on" ? acc::Gpt2Spec::Check::On : check == "off" ? acc::Gpt2Spec::Check::Off : acc::Gpt2Spec::Check::Auto;
    job_params = {{"kind", kind},          {"model", g.model},     {"layers", g.layers},   {"prompt_len", g.prompt_len},
                  {"new_tokens", g.new_tokens}, {"batch", g.batch}, {"seed", g.seed},       {"dynatran", g.dynatran},
                  {"tau", g.tau},          {"topk", g.topk},       {"topk_mode", mode},    {"check", check},
                  {"weights", g.weights_file.empty() ? "synthetic" : g.weights_file},
                  {"nm", vm.count("nm") ? vm["nm"].as<std::string>() : ""}, {"nm_act", vm.count("nm-act") ? vm["nm-act"].as<std::string>() : ""}};
    auto job_of_gpt2 = as_usage([&] { return std::make_unique<acc::Gpt2Job>(g); });
    gpt2_job = job_of_gpt2.get();
    the_job = std::move(job_of_gpt2);
  } else if (vision) {
    // BERT's options that have no meaning for an image model are refused, not ignored.
    for (const char* o : {"seq", "valid-len", "tokens", "embeddings", "no-pooler", "task", "text", "vocab", "outputs-out", "leopard", "hdp-heads",
                          "hdp-blocks", "hdp-approx"})
      if (vm.count(o) && !vm[o].defaulted()) throw UsageError(std::string("--") + o + " does not apply to Vision Transformers");
    acc::VitSpec v;
    v.model = model_name;
    v.layers = u32_option(vm, "layers");
    v.batch = vm.count("batch") ? u32_option(vm, "batch", 1) : 1u;
    if (vm.count("weights")) v.weights_file = vm["weights"].as<std::string>();
    if (vm.count("image")) v.image_file = vm["image"].as<std::string>();
    if (vm.count("image") && vm.count("batch")) throw UsageError("--batch applies to synthetic images; an --image file gives its own batch");
    v.seed = mm.seed;
    static_cast<acc::PrelnPruning&>(v) = preln_pruning();
    v.check = check == "on" ? acc::VitSpec::Check::On : check == "off" ? acc::VitSpec::Check::Off : acc::VitSpec::Check::Auto;
    auto job_of_vit = as_usage([&] { return std::make_unique<acc::VitJob>(v); });
    job_params = {{"kind", kind},        {"model", v.model},   {"layers", v.layers},     {"batch", job_of_vit->batch()},
                  {"seed", v.seed},      {"dynatran", v.dynatran}, {"tau", v.tau},       {"topk", v.topk},
                  {"topk_mode", mode},   {"check", check},
                  {"weights", v.weights_file.empty() ? "synthetic" : v.weights_file},
                  {"image", v.image_file.empty() ? "synthetic" : v.image_file},
                  {"nm", vm.count("nm") ? vm["nm"].as<std::string>() : ""}, {"nm_act", vm.count("nm-act") ? vm["nm-act"].as<std::string>() : ""}};
    vit_job = job_of_vit.get();
    the_job = std::move(job_of_vit);
  } else if (kind == "bert") {
    acc::BertSpec b;
    b.model = vm["model"].as<std::string>();
    b.layers = u32_option(vm, "layers");
    b.seq = u32_option(vm, "seq", 1);
    b.batch = vm.count("batch") ? u32_option(vm, "batch", 1) : cfg.batch_size;
    b.valid_len = vm["valid-len"].as<std::string>();
    if (vm.count("tokens")) b.tokens_file = vm["tokens"].as<std::string>();
    if (vm.count("embeddings")) b.embeddings_file = vm["embeddings"].as<std::string>();
    if (vm.count("weights")) b.weights_file = vm["weights"].as<std::string>();
    b.seed = mm.seed;
    b.dynatran = dynatran;
    b.tau = tau;
    b.topk = u32_option(vm, "topk");
    b.topk_exact = mode == "exact";
    b.pooler = !vm.count("no-pooler");
    b.check = check == "on" ? acc::BertSpec::Check::On : check == "off" ? acc::BertSpec::Check::Off : acc::BertSpec::Check::Auto;
    if (vm.count("outputs-out")) b.outputs_file = vm["outputs-out"].as<std::string>();
    const std::string task = vm["task"].as<std::string>();
    if (task != "none" && task != "mlm") throw UsageError("--task '" + task + "': expected none or mlm");
    b.mlm = task == "mlm";
    if (b.mlm != (vm.count("text") > 0)) throw UsageError(b.mlm ? "--task mlm needs --text FILE" : "--text needs --task mlm");
    if (vm.count("vocab") && !b.mlm) throw UsageError("--vocab needs --task mlm");
    if (b.mlm) {
      b.text_file = vm["text"].as<std::string>();
      if (vm.count("vocab")) b.vocab_file = vm["vocab"].as<std::string>();
      b.mlm_max_sequences = vm.count("batch") ? b.batch : 0;
    }
    as_usage([&] {
      acc::bert::PruningOptions& p = b.pruning;
      if (vm.count("hdp-heads")) acc::bert::parse_hdp_heads(vm["hdp-heads"].as<std::string>(), p);
      acc::bert::parse_hdp_importance(vm["hdp-importance"].as<std::string>(), p);
      if (vm.count("hdp-blocks")) acc::bert::parse_hdp_blocks(vm["hdp-blocks"].as<std::string>(), p);
      acc::bert::parse_hdp_block_shape(vm["hdp-block"].as<std::string>(), p);
      p.hdp_approx = vm.count("hdp-approx") > 0;
      // HDP splits a word at its binary point (the HDP paper's integer and fraction parts).
      const int format_frac = std::min(16, std::max(1, acc::fx::frac_bits()));
      p.hdp.frac_bits = vm["hdp-frac-bits"].as<std::string>() == "auto" ? static_cast<unsigned>(format_frac) : u32_option(vm, "hdp-frac-bits", 1, 16);
      parse_nm_options(p);
      if (vm.count("leopard")) {
        p.thresholds = acc::bert::load_thresholds(vm["leopard"].as<std::string>(), acc::bert::load_model(b.model).truncated(b.layers));
        p.leopard = true;
      }
    });
    const auto spec_of = [&](const char* option) { return vm.count(option) ? vm[option].as<std::string>() : std::string(); };
    job_params = {{"kind", kind},        {"model", b.model},   {"layers", b.layers},         {"seq", b.seq},
                  {"batch", b.batch},    {"valid_len", b.valid_len}, {"seed", b.seed},      {"dynatran", b.dynatran},
                  {"tau", b.tau},        {"topk", b.topk},     {"topk_mode", mode},          {"pooler", b.pooler},
                  {"check", check},      {"weights", b.weights_file.empty() ? "synthetic" : b.weights_file},
                  {"inputs", !b.embeddings_file.empty() ? b.embeddings_file : !b.tokens_file.empty() ? b.tokens_file : b.mlm ? b.text_file : "synthetic"}};
    if (b.mlm) job_params["task"] = task;
    job_params["pruning"] = {{"summary", b.pruning.describe()},
                             {"leopard", spec_of("leopard")},
                             {"hdp_heads", spec_of("hdp-heads")},
                             {"hdp_importance", spec_of("hdp-importance")},
                             {"hdp_blocks", spec_of("hdp-blocks")},
                             {"hdp_block", spec_of("hdp-block")},
                             {"hdp_approx", b.pruning.hdp_approx},
                             {"hdp_frac_bits", b.pruning.hdp.frac_bits},
                             {"nm", spec_of("nm")},
                             {"nm_act", spec_of("nm-act")}};
    auto job_of_bert = std::make_unique<acc::BertJob>(b);
    bert_job = job_of_bert.get();
    the_job = std::move(job_of_bert);
  } else if (kind == "matmul") {
    job_params = matmul_params;
    the_job = std::make_unique<acc::MatmulJob>(mm);
  } else if (kind == "fault") {
    job_params = matmul_params;
    job_params["fault"] = vm["fault"].as<std::string>();
    uint32_t fault = 0;
    try {
      fault = acc::parse_fault_kind(vm["fault"].as<std::string>());
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    the_job = std::make_unique<acc::FaultJob>(fault, mm);
  } else {
    throw UsageError("--job '" + kind + "': expected bert, generate, matmul or fault");
  }

  acc::SocOptions opt;
  opt.cpu = vm["cpu"].as<std::string>();
  if (opt.cpu != "native" && opt.cpu != "riscv") throw UsageError("--cpu '" + opt.cpu + "': expected native or riscv");
  for (const char* riscv_only : {"firmware", "trace-insn", "gdb"})
    if (vm.count(riscv_only) && opt.cpu != "riscv") throw UsageError(std::string("--") + riscv_only + " needs --cpu riscv");
  if (vm.count("firmware")) opt.firmware = vm["firmware"].as<std::string>();
  opt.watchdog_instructions = unsigned_option(vm, "watchdog", 1, UINT64_MAX);
  if (vm.count("gdb")) opt.gdb_port = static_cast<uint16_t>(unsigned_option(vm, "gdb", 1, 65535));
  TraceFile mmio_trace, insn_trace;
  if (vm.count("trace-mmio")) opt.mmio_trace = mmio_trace.open(vm["trace-mmio"].as<std::string>(), "--trace-mmio");
  std::unique_ptr<acc::MmioTraceFilter> mmio_filter;
  if (vm.count("trace-mmio-filter")) {
    if (!vm.count("trace-mmio")) throw UsageError("--trace-mmio-filter needs --trace-mmio");
    try {
      mmio_filter = std::make_unique<acc::MmioTraceFilter>(vm["trace-mmio-filter"].as<std::string>());
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    opt.mmio_trace_filter = mmio_filter.get();
  }
  if (vm.count("trace-insn")) opt.insn_trace = insn_trace.open(vm["trace-insn"].as<std::string>(), "--trace-insn");
  if (vm.count("stats-out")) check_writable(vm["stats-out"].as<std::string>(), "--stats-out");
  if (vm.count("outputs-out")) check_writable(vm["outputs-out"].as<std::string>(), "--outputs-out");
  opt.console = vm.count("quiet") ? nullptr : &std::cout;
  // The timeline's file is opened before the run, so that a bad path does not waste it.
  std::unique_ptr<acc::TraceRecorder> timeline;
  std::ofstream timeline_out;
  if (vm.count("timeline")) {
    const std::string path = vm["timeline"].as<std::string>();
    timeline_out.open(path);
    if (!timeline_out) throw UsageError("cannot write --timeline '" + path + "'");
    timeline = std::make_unique<acc::TraceRecorder>(cfg.clock_hz(), cfg.pe, cfg.dma_channels);
    opt.trace = timeline.get();
  }
  // Memory, checked before anything large exists.
  const uint64_t limit = vm.count("max-memory") ? as_usage([&] { return acc::parse_memory_size(vm["max-memory"].as<std::string>()); })
                                                : acc::physical_memory_bytes();
  as_usage([&] {
    acc::require_host_memory(acc::platform_host_bytes(cfg, opt.cpu == "riscv"), the_job->host_memory_bytes(), limit);
  });
  const auto soc = as_usage([&] {
    try {
      return std::make_unique<acc::Soc>("soc", cfg, opt);
    } catch (const acc::FirmwareError& e) {
      throw UsageError((opt.firmware.empty() ? "" : "--firmware: ") + std::string(e.what()));
    } catch (const acc::GdbStubError& e) {
      throw UsageError(e.what());
    }
  });
  as_usage([&] { the_job->load(*soc); });
  // Provenance, once the job has read its inputs (so a file that is missing, or is no regular
  // file, has been refused by its reader) and before the run: for a replay, checking that the
  // point is the recorded one costs no simulation.
  acc::RunProvenance prov;
  prov.command_line = command_line;
  prov.hw = vm["hw"].as<std::string>();
  prov.overrides = overrides;
  prov.cpu_backend = opt.cpu;
  prov.blas_kernels = acc::blas_kernels();
  prov.job = job_params;
  if (bert_job) prov.job["batch"] = bert_job->inputs().batch;  // a tokens or embeddings file sets it
  if (replay) prov.replay_of = replay->path;
  for (const po::options_description* group : {&general, &job, &bert, &gpt2, &vit, &pruning, &matmul, &firmware}) {
    if ((group == &bert || group == &pruning) && !transformer) continue;
    if (group == &gpt2 && !decoder) continue;
    if (group == &vit && !vision) continue;
    if (group == &matmul && transformer) continue;
    for (const auto& o : group->options()) {
      const std::string& name = o->long_name();
      if (kOutputOptions.count(name) || name == "hw" || name == "param" || !vm.count(name)) continue;
      if (o->semantic()->max_tokens() == 0)
        prov.options.push_back({name, "true", true});
      else
        prov.options.push_back({name, vm[name].as<std::string>(), false});
    }
  }
  if (acc::builtin_preset(prov.hw).empty()) prov.input_files.emplace_back("hw", prov.hw);
  if (!cfg.energy_table.empty()) prov.input_files.emplace_back("energy_table", cfg.energy_table);
  if (kind == "bert" && vm["model"].as<std::string>().find(".json") != std::string::npos)
    prov.input_files.emplace_back("model", vm["model"].as<std::string>());
  for (const char* file_option : {"weights", "tokens", "embeddings", "image", "leopard", "firmware", "text", "vocab"})
    if (vm.count(file_option)) prov.input_files.emplace_back(file_option, vm[file_option].as<std::string>());
  nlohmann::ordered_json provenance;
  try {
    provenance = acc::provenance_json(prov, cfg);
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
  if (replay) as_usage([&] { acc::check_replay(*replay, provenance); });

  std::cout << "acceltran-vp: " << the_job->describe() << " on " << cfg.name << " (" << cfg.pe << " PEs x " << cfg.lanes_per_pe
            << " lanes x " << cfg.mac_per_lane << " MACs at " << cfg.clock_mhz << " MHz, " << cfg.main_memory.type << ", "
            << cfg.number_format.name() << "), "
            << opt.cpu << " CPU" << std::endl;
  // Progress on a terminal only: a file or a pipe (the tests, acceltran-sweep) gets none.
  acc::ProgressGoal goal;
  if (bert_job) {
    goal.layers = static_cast<uint32_t>(bert_job->model().layers.size());
    goal.total_macs = bert_job->model().encoder_macs(bert_job->inputs().seq) * bert_job->inputs().batch;
  } else if (gpt2_job) {
    goal.total_macs = gpt2_job->total_macs();
  } else if (vit_job) {
    goal.total_macs = vit_job->total_macs();
  } else if (kind == "matmul") {
    goal.total_macs = uint64_t{mm.m} * mm.k * mm.n;
  }
  const bool show_progress = !vm.count("quiet") && isatty(STDERR_FILENO);
  const auto t0 = std::chrono::steady_clock::now();
  acc::run_simulation(*soc, goal, show_progress ? &std::cerr : nullptr);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  acc::Stats stats;
  acc::JobResult result;
  if (!soc->cpu().fault().empty()) {
    result.message = "firmware fault: " + soc->cpu().fault();
    std::cerr << "acceltran-vp: " << result.message << "\n";
  } else if (!soc->cpu().finished()) {
    result.message = "simulation stalled at " + sc_core::sc_time_stamp().to_string() + ": the CPU is " + soc->cpu().state() +
                     (soc->control().busy() ? "; the accelerator is busy" : "; the accelerator is idle");
  } else {
    result = the_job->check(*soc, stats);
  }
  soc->collect_stats(stats);
  stats.put("job.ok", result.ok ? 1 : 0, "bool", "1 if the job completed and its result checked out");
  stats.put_real("sim.wall_seconds", wall, "s", "Wall time of the simulation (sc_start)");
  stats.put_real("sim.simulated_seconds", sc_core::sc_time_stamp().to_seconds(), "s", "Simulated time at the end");
  stats.put_real("sim.cycles_per_wall_second", wall > 0 ? stats.get("control.active_cycles") / wall : 0.0, "cycles/s",
                 "Simulated accelerator cycles per wall-clock second");

  if (timeline) timeline->write(timeline_out);
  std::cout << "  result            " << result.message << "\n";
  acc::print_summary(std::cout, stats, cfg);
  if (vm.count("stats-out")) {
    const std::string path = vm["stats-out"].as<std::string>();
    std::ofstream out(path);
    if (!out) throw UsageError("cannot write --stats-out '" + path + "'");
    out << acc::stats_to_json(stats, cfg, provenance);
  }
  if (vm.count("stats-doc"))
    for (const auto& e : stats.entries()) std::cout << "| `" << e.key << "` | " << e.unit << " | " << e.meaning << " |\n";
  return result.ok ? 0 : kExitJobFailed;
}

}  // namespace

// The kernel prints its banner before sc_main runs; a static initialiser is early enough to ask it
// not to (the SystemC version is in --help).
static const bool kQuietKernel = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0) == 0;

int sc_main(int argc, char** argv) {
  (void)kQuietKernel;
  // A job allocates and frees many temporaries of a few MiB (the reference models' layers, the PE
  // cluster's operands). By default glibc maps each with mmap and unmaps it on free, so every
  // one is page-faulted and zeroed by the kernel again; kept in the heap, their pages are reused.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  // One arena for every thread (the reference models run on threads beside the simulation): a
  // thread's own arena would fault its pages in afresh and give them back when its heap shrinks.
  mallopt(M_ARENA_MAX, 1);
  // The kernel's info that sc_stop() was called is not news to the user.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  acc::single_threaded_blas();  // first: OpenBLAS's idle workers spin on the cores the start-up needs
  acc::choose_blas_kernels();  // before any BLAS call
  try {
    const std::vector<std::string> command_line(argv, argv + argc);
    return run(std::vector<std::string>(command_line.begin() + 1, command_line.end()), command_line, nullptr);
  } catch (const UsageError& e) {
    std::cerr << "acceltran-vp: " << e.what() << "\n";
    return kExitUsage;
  } catch (const acc::NumberError& e) {  // a numeric option
    std::cerr << "acceltran-vp: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "acceltran-vp: " << e.what() << "\n";
    return kExitJobFailed;
  }
}
