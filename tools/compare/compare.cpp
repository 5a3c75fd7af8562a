// acceltran-compare: runs the same model and preset under each pruning scheme, at one or more
// operating points each, and prints a side-by-side table: sparsity, effectual MACs, cycles,
// energy, how far the output moves from the dense run, and with a text (--text, a trained model)
// the task metric: the masked-token accuracy and loss acceltran-vp --task mlm computes from its
// own outputs. Each row is its own acceltran-vp process (SystemC elaborates once per process);
// LeOPArd's thresholds are calibrated first with acceltran-calibrate, on the same inputs.
//
//   acceltran-compare --model bert-tiny --tau 0.02 --topk 16 --leopard-rate 0.5 \
//                     --hdp-heads ratio:0.9 --hdp-blocks ratio:0.5 --nm 2:4
//   acceltran-compare --model bert-nano --weights W --text T --tau 0.01,0.05 --topk 4,16
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;
namespace po = boost::program_options;

namespace {

struct Failure : std::runtime_error {
  explicit Failure(const std::string& what, bool usage = false) : std::runtime_error(what), usage(usage) {}
  bool usage;  // a run refused its options (exit code 2): so does this command
};

// Runs argv; stdout and stderr go to `log`. Returns the exit code.
int run(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid;
  const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw Failure("cannot start " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The outputs file acceltran-vp writes (docs/pruning.md): header, valid lengths, hidden states.
struct Outputs {
  uint32_t batch = 0, seq = 0, hidden = 0;
  std::vector<uint32_t> valid;
  std::vector<int32_t> hidden_states;
};
Outputs read_outputs(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8];
  Outputs o;
  if (!in.read(magic, 8) || std::memcmp(magic, "ACTOUT1", 8) != 0) throw Failure(path + ": not an acceltran-vp outputs file");
  in.read(reinterpret_cast<char*>(&o.batch), 4).read(reinterpret_cast<char*>(&o.seq), 4).read(reinterpret_cast<char*>(&o.hidden), 4);
  o.valid.resize(o.batch);
  in.read(reinterpret_cast<char*>(o.valid.data()), o.batch * 4);
  o.hidden_states.resize(uint64_t{o.batch} * o.seq * o.hidden);
  in.read(reinterpret_cast<char*>(o.hidden_states.data()), static_cast<std::streamsize>(o.hidden_states.size() * 4));
  if (!in) throw Failure(path + ": truncated");
  return o;
}

double get(const nlohmann::json& s, const std::string& dotted) {
  const nlohmann::json* n = &s;
  std::stringstream ss(dotted);
  std::string part;
  while (std::getline(ss, part, '.')) {
    if (!n->contains(part)) return NAN;
    n = &(*n)[part];
  }
  return n->is_number() ? n->get<double>() : NAN;
}

// "a,b,c" -> {a, b, c}; an empty item is refused.
std::vector<std::string> split_list(const std::string& option, const std::string& text) {
  std::vector<std::string> items;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) items.push_back(item);
  if (items.empty() || text.back() == ',' || std::find(items.begin(), items.end(), "") != items.end())
    throw Failure("--" + option + " '" + text + "': expected a comma-separated list of values", true);
  return items;
}

// One operating point of a scheme: its label in the table and the arguments it adds.
struct Point {
  std::string label;
  std::vector<std::string> args;
  std::string leopard_rate;  // non-empty: calibrate LeOPArd thresholds for this rate first
};

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description o("acceltran-compare: one model and preset under each pruning scheme, side by side");
  o.add_options()
      ("help,h", "print this help")
      ("vp", po::value<std::string>(), "acceltran-vp to run (default: the one beside this program)")
      ("hw", po::value<std::string>()->default_value("edge"), "hardware preset or YAML file")
      ("param,p", po::value<std::vector<std::string>>()->composing(), "configuration override key=value (repeatable)")
      ("model", po::value<std::string>()->default_value("bert-tiny"), "model")
      ("weights", po::value<std::string>(), "safetensors weights")
      ("tokens", po::value<std::string>(), "token ids file")
      ("seq", po::value<std::string>()->default_value("128"), "sequence length")
      ("batch", po::value<std::string>()->default_value("4"), "batch")
      ("valid-len", po::value<std::string>()->default_value(""), "valid tokens per sequence")
      ("seed", po::value<std::string>()->default_value("1"), "seed")
      ("schemes", po::value<std::string>()->default_value("dense,dynatran,topk,leopard,hdp,nm"),
       "comma-separated schemes; '+' combines (e.g. dynatran+nm)")
      ("text", po::value<std::string>(), "the task metric: run each scheme with --task mlm on this text (needs trained --weights)")
      ("vocab", po::value<std::string>(), "with text: the tokenizer's vocabulary (default: vocab.txt beside the weights)")
      ("tau", po::value<std::string>()->default_value("0.01"), "operating points of DynaTran (a comma-separated list: a row each)")
      ("topk", po::value<std::string>()->default_value("16"), "operating points of top-k (list)")
      ("topk-mode", po::value<std::string>()->default_value("strict"), "strict | exact")
      ("leopard-rate", po::value<std::string>()->default_value("0.5"), "LeOPArd: calibrate for this pruning rate (list)")
      ("leopard-per-head", "LeOPArd: per-head thresholds")
      ("key-bits", po::value<std::string>()->default_value("12"), "LeOPArd key width")
      ("hdp-heads", po::value<std::string>()->default_value(""), "HDP head pruning (abs:N | ratio:R | top:H; default off)")
      ("hdp-blocks", po::value<std::string>()->default_value("mean:0.5"), "HDP block pruning (ratio:R | mean:A | top:K; list; empty: off)")
      ("hdp-block", po::value<std::string>()->default_value("4x4"), "HDP block shape")
      ("hdp-approx", "HDP approximation")
      ("nm", po::value<std::string>()->default_value("2:4"), "N:M weights (list)")
      ("json", po::value<std::string>(), "also write the table as JSON to FILE");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, o), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "acceltran-compare: " << e.what() << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << o;
    return 0;
  }
  auto str = [&](const char* k) { return vm[k].as<std::string>(); };
  const std::string bin = dir_of(argv[0]);
  const std::string vp = vm.count("vp") ? str("vp") : bin + "/acceltran-vp";
  const std::string calibrate = dir_of(vp) + "/acceltran-calibrate";
  char tmpl[] = "/tmp/acceltran-compare-XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::cerr << "acceltran-compare: cannot create a temporary directory\n";
    return 1;
  }
  const std::string tmp = tmpl;

  std::vector<std::string> common = {vp, "--job", "bert", "--hw", str("hw"), "--model", str("model"), "--seq", str("seq"), "--batch",
                                     str("batch"), "--seed", str("seed"), "--check", "off", "--quiet"};
  if (vm.count("param"))
    for (const auto& p : vm["param"].as<std::vector<std::string>>()) common.insert(common.end(), {"-p", p});
  if (!str("valid-len").empty()) common.insert(common.end(), {"--valid-len", str("valid-len")});
  if (vm.count("weights")) common.insert(common.end(), {"--weights", str("weights")});
  if (vm.count("tokens")) common.insert(common.end(), {"--tokens", str("tokens")});
  const bool task = vm.count("text") > 0;
  if (task) common.insert(common.end(), {"--task", "mlm", "--text", str("text")});
  if (vm.count("vocab")) common.insert(common.end(), {"--vocab", str("vocab")});

  struct Row {
    std::string label;
    nlohmann::json stats;
    Outputs out;
  };
  std::vector<Row> rows;
  try {
    if (vm.count("vocab") && !task) throw Failure("--vocab needs --text", true);
    // Each part of a scheme has its operating points; a scheme's rows are their combinations.
    auto points_of = [&](const std::string& part) {
      std::vector<Point> p;
      if (part == "dense") {
        p.push_back({"", {}, ""});
      } else if (part == "dynatran") {
        for (const auto& t : split_list("tau", str("tau"))) p.push_back({"tau " + t, {"--tau", t}, ""});
      } else if (part == "topk") {
        for (const auto& k : split_list("topk", str("topk"))) p.push_back({"k " + k, {"--topk", k, "--topk-mode", str("topk-mode")}, ""});
      } else if (part == "leopard") {
        for (const auto& r : split_list("leopard-rate", str("leopard-rate"))) p.push_back({"rate " + r, {}, r});
      } else if (part == "hdp") {
        if (str("hdp-heads").empty() && str("hdp-blocks").empty() && !vm.count("hdp-approx"))
          throw Failure("scheme 'hdp' needs --hdp-heads, --hdp-blocks or --hdp-approx");
        std::vector<std::string> fixed;
        if (!str("hdp-heads").empty()) fixed.insert(fixed.end(), {"--hdp-heads", str("hdp-heads")});
        if (vm.count("hdp-approx")) fixed.push_back("--hdp-approx");
        if (str("hdp-blocks").empty()) {
          p.push_back({str("hdp-heads").empty() ? "approx" : "heads " + str("hdp-heads"), fixed, ""});
        } else {
          for (const auto& b : split_list("hdp-blocks", str("hdp-blocks"))) {
            std::vector<std::string> a = fixed;
            a.insert(a.end(), {"--hdp-blocks", b, "--hdp-block", str("hdp-block")});
            p.push_back({"blocks " + b, a, ""});
          }
        }
      } else if (part == "nm") {
        for (const auto& nm : split_list("nm", str("nm"))) p.push_back({nm, {"--nm", nm}, ""});
      } else {
        throw Failure("unknown scheme '" + part + "' (dense, dynatran, topk, leopard, hdp, nm; '+' combines)");
      }
      return p;
    };
    auto calibrated = [&](const std::string& rate) {  // LeOPArd thresholds for a rate, on the runs' own inputs
      const std::string th = tmp + "/leopard-" + rate + ".json";
      std::vector<std::string> cal = {calibrate, "--model", str("model"), "--seq", str("seq"), "--batch", str("batch"), "--seed", str("seed"),
                                      "--rate", rate, "--key-bits", str("key-bits"), "--no-dynatran", "--out", th};
      if (vm.count("leopard-per-head")) cal.push_back("--per-head");
      if (!str("valid-len").empty()) cal.insert(cal.end(), {"--valid-len", str("valid-len")});
      if (vm.count("weights")) cal.insert(cal.end(), {"--weights", str("weights")});
      if (vm.count("tokens")) cal.insert(cal.end(), {"--tokens", str("tokens")});
      if (task) cal.insert(cal.end(), {"--text", str("text")});
      if (vm.count("vocab")) cal.insert(cal.end(), {"--vocab", str("vocab")});
      const int rc = run(cal, tmp + "/calibrate.log");
      if (rc != 0) throw Failure("calibration failed:\n" + slurp(tmp + "/calibrate.log"), rc == 2);
      return th;
    };
    std::stringstream list(str("schemes"));
    std::string scheme;
    bool dense_first = true;
    while (std::getline(list, scheme, ',')) {
      if (dense_first && scheme != "dense") throw Failure("the first scheme must be 'dense' (the others are compared with it)");
      dense_first = false;
      std::vector<Point> combos = {{"", {}, ""}};
      bool dynatran = false;
      std::stringstream parts(scheme);
      std::string part;
      while (std::getline(parts, part, '+')) {
        dynatran = dynatran || part == "dynatran";
        std::vector<Point> next;
        for (const Point& c : combos)
          for (const Point& p : points_of(part)) {
            Point both = c;
            both.label += (both.label.empty() || p.label.empty() ? "" : ", ") + p.label;
            both.args.insert(both.args.end(), p.args.begin(), p.args.end());
            if (!p.leopard_rate.empty()) both.leopard_rate = p.leopard_rate;
            next.push_back(both);
          }
        combos = next;
      }
      for (const Point& c : combos) {
        std::vector<std::string> args = common;
        args.insert(args.end(), c.args.begin(), c.args.end());
        if (!c.leopard_rate.empty()) args.insert(args.end(), {"--leopard", calibrated(c.leopard_rate)});
        if (!dynatran) args.push_back("--no-dynatran");
        const std::string n = std::to_string(rows.size());
        args.insert(args.end(), {"--stats-out", tmp + "/" + n + ".json", "--outputs-out", tmp + "/" + n + ".bin"});
        const int rc = run(args, tmp + "/" + n + ".log");
        const std::string label = c.label.empty() ? scheme : scheme + " " + c.label;
        if (rc != 0) throw Failure("scheme '" + label + "' failed (exit " + std::to_string(rc) + "):\n" + slurp(tmp + "/" + n + ".log"), rc == 2);
        rows.push_back({label, nlohmann::json::parse(slurp(tmp + "/" + n + ".json")), read_outputs(tmp + "/" + n + ".bin")});
      }
    }
  } catch (const Failure& e) {
    std::cerr << "acceltran-compare: " << e.what() << "\n";
    const std::string what = e.what();
    return e.usage || what.rfind("unknown scheme", 0) == 0 || what.rfind("the first", 0) == 0 || what.rfind("scheme 'hdp' needs", 0) == 0 ? 2 : 1;
  } catch (const std::exception& e) {
    std::cerr << "acceltran-compare: " << e.what() << "\n";
    return 1;
  }

  // Deviation of each scheme's final hidden states from the dense run, over valid tokens.
  const Outputs& dense = rows.front().out;
  nlohmann::ordered_json table = nlohmann::ordered_json::array();
  std::printf("acceltran-compare: %s on %s, batch %s x seq %s\n", str("model").c_str(), str("hw").c_str(), str("batch").c_str(), str("seq").c_str());
  std::printf("%-30s %10s %10s %12s %10s %11s %11s %11s%s\n", "scheme", "act. zero", "scores", "effectual", "cycles", "energy", "max |d|",
              "mean |d|", task ? "   MLM acc.  MLM loss" : "");
  std::printf("%-30s %10s %10s %12s %10s %11s %11s %11s%s\n", "", "(valid)", "masked", "MACs", "", "(uJ)", "vs dense", "vs dense",
              task ? "   (masked)   (nats)" : "");
  for (const Row& r : rows) {
    double max_d = 0, sum_d = 0;
    uint64_t n = 0;
    for (uint32_t b = 0; b < dense.batch; ++b)
      for (uint32_t t = 0; t < dense.valid[b]; ++t)
        for (uint32_t c = 0; c < dense.hidden; ++c) {
          const uint64_t i = (uint64_t{b} * dense.seq + t) * dense.hidden + c;
          const double d = std::fabs(double(r.out.hidden_states[i]) - double(dense.hidden_states[i])) / 65536.0;
          max_d = std::max(max_d, d), sum_d += d, ++n;
        }
    const double scores = get(r.stats, "pruning.scores");
    const double masked = get(r.stats, "pruning.hdp_heads.masked") + get(r.stats, "pruning.hdp_blocks.masked") + get(r.stats, "pruning.leopard.masked");
    const double act = get(r.stats, "sparsity.pruned_tensors.valid_fraction"), macs = get(r.stats, "pe.effectual_macs");
    const double cycles = get(r.stats, "control.active_cycles"), energy = get(r.stats, "energy.total_nj") / 1000.0;
    char masked_s[32];
    if (scores > 0)
      std::snprintf(masked_s, sizeof masked_s, "%.1f %%", 100.0 * masked / scores);
    else
      std::snprintf(masked_s, sizeof masked_s, "-");
    std::printf("%-30s %8.1f %% %10s %12.4g %10.0f %11.1f %11.4g %11.4g", r.label.c_str(), 100.0 * act, masked_s, macs, cycles, energy,
                max_d, n ? sum_d / double(n) : 0.0);
    nlohmann::ordered_json row = {{"scheme", r.label}, {"activation_zero_fraction_valid", act}, {"scores_masked_fraction", scores > 0 ? masked / scores : 0.0},
                                  {"effectual_macs", macs}, {"cycles", cycles}, {"energy_uj", energy}, {"max_abs_deviation", max_d},
                                  {"mean_abs_deviation", n ? sum_d / double(n) : 0.0}};
    if (task) {  // acceltran-vp's own metric (job.mlm.*: the head on the host, on this run's hidden states)
      const double acc = get(r.stats, "job.mlm.accuracy"), loss = get(r.stats, "job.mlm.loss");
      std::printf(" %9.2f %% %9.4f", 100.0 * acc, loss);
      row["mlm_accuracy"] = acc, row["mlm_loss"] = loss, row["mlm_masked_tokens"] = get(r.stats, "job.mlm.masked_tokens");
    }
    std::printf("\n");
    table.push_back(row);
  }
  if (vm.count("json")) std::ofstream(str("json")) << table.dump(2) << "\n";
  return 0;
}
