// acceltran-vp: the simulator's command line. Builds the SoC for a hardware configuration,
// loads a job, runs the firmware on the host CPU model, checks the result, prints the summary
// and writes the statistics JSON.
//
// Exit codes: 0 success; 1 the job failed (firmware error status, wrong result, firmware fault,
// simulation stall); 2 bad command line or configuration.
#include <boost/program_options.hpp>
#include <systemc>
#include <tlm>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <regex>

#include "bus.hpp"
#include "elf_image.hpp"
#include "riscv_cpu.hpp"
#include "fw_job.h"
#include "hw_config.hpp"
#include "jobs/fault_job.hpp"
#include "jobs/matmul_job.hpp"
#include "report.hpp"
#include "soc.hpp"

namespace po = boost::program_options;

namespace {

constexpr int kExitJobFailed = 1;
constexpr int kExitUsage = 2;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

sc_core::sc_time parse_time(const std::string& text) {
  static const std::regex re(R"(\s*([0-9]+(?:\.[0-9]+)?)\s*(ps|ns|us|ms|s)\s*)");
  std::smatch m;
  if (!std::regex_match(text, m, re)) throw UsageError("--quantum '" + text + "': expected a time such as 1us or 500ns");
  const double v = std::stod(m[1]);
  const std::string u = m[2];
  const sc_core::sc_time_unit unit = u == "ps"   ? sc_core::SC_PS
                                     : u == "ns" ? sc_core::SC_NS
                                     : u == "us" ? sc_core::SC_US
                                     : u == "ms" ? sc_core::SC_MS
                                                 : sc_core::SC_SEC;
  const sc_core::sc_time t(v, unit);
  if (t == sc_core::SC_ZERO_TIME) throw UsageError("--quantum must be positive");
  return t;
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

int run(int argc, char** argv) {
  po::options_description general("General");
  general.add_options()
      ("help,h", "print this help and exit")
      ("hw", po::value<std::string>()->default_value("edge"), "hardware: edge, server or a YAML file (keys: docs/configuration.md)")
      ("param,p", po::value<std::vector<std::string>>()->composing(), "override a configuration key: -p pe=128 (repeatable)")
      ("quantum", po::value<std::string>()->default_value("10us"), "temporal-decoupling quantum of every initiator (e.g. 1us, 500ns)")
      ("stats-out", po::value<std::string>(), "write the statistics JSON to FILE")
      ("cpu", po::value<std::string>()->default_value("native"), "host CPU backend: native (firmware compiled into the simulator) or riscv (RV32IM firmware on an instruction-set simulator)")
      ("quiet,q", "do not echo the firmware's console output")
      ("print-config", "print the resolved hardware configuration and exit")
      ("stats-doc", "after the run, print every statistic as a markdown row (key, unit, meaning)");
  po::options_description job("Job");
  job.add_options()
      ("job", po::value<std::string>()->default_value("matmul"), "matmul | fault")
      ("m", po::value<uint32_t>()->default_value(128), "matmul: rows of A and C")
      ("k", po::value<uint32_t>()->default_value(512), "matmul: reduction length")
      ("n", po::value<uint32_t>()->default_value(128), "matmul: columns of B and C")
      ("seed", po::value<uint64_t>()->default_value(1), "seed of the synthetic data")
      ("a-zeros", po::value<double>()->default_value(0.0), "matmul: fraction of A's values that are zero")
      ("dynatran", "matmul: DynaTran pruning at the output with --tau")
      ("tau", po::value<double>()->default_value(0.0), "DynaTran threshold (real value; |x| <= tau becomes 0)")
      ("fault", po::value<std::string>()->default_value("opcode"), "fault: opcode | dram | overflow | shape");
  po::options_description firmware("Firmware development (docs/firmware.md)");
  firmware.add_options()
      ("firmware", po::value<std::string>(), "riscv: run this RV32IM ELF instead of the built-in firmware")
      ("trace-mmio", po::value<std::string>(), "write every register access (time, address, value) to FILE ('-': stderr)")
      ("trace-insn", po::value<std::string>(), "riscv: write every executed instruction (time, pc, word, function) to FILE ('-': stderr)")
      ("watchdog", po::value<uint64_t>()->default_value(acc::RiscvCpu::kDefaultWatchdogInstructions),
       "riscv: instructions without a register write or a sleep in wfi before the firmware is declared stuck");
  po::options_description all("acceltran-vp: SystemC/TLM-2.0 virtual platform of the AccelTran accelerator");
  all.add(general).add(job).add(firmware);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  if (vm.count("help")) {
    std::cout << all << "\nExit codes: 0 success, 1 job failed, 2 bad command line or configuration.\n"
              << "Built with " << sc_core::sc_version() << "\n";
    return 0;
  }

  const std::vector<std::string> overrides = vm.count("param") ? vm["param"].as<std::vector<std::string>>() : std::vector<std::string>{};
  acc::HwConfig cfg;
  try {
    cfg = acc::load_hw_config(vm["hw"].as<std::string>(), overrides);
  } catch (const acc::ConfigError& e) {
    throw UsageError(e.what());
  }
  if (vm.count("print-config")) {
    std::cout << acc::dump_config(cfg);
    return 0;
  }
  tlm::tlm_global_quantum::instance().set(parse_time(vm["quantum"].as<std::string>()));

  std::unique_ptr<acc::Job> the_job;
  const std::string kind = vm["job"].as<std::string>();
  acc::MatmulSpec mm;
  mm.m = vm["m"].as<uint32_t>();
  mm.k = vm["k"].as<uint32_t>();
  mm.n = vm["n"].as<uint32_t>();
  mm.seed = vm["seed"].as<uint64_t>();
  mm.a_zeros = vm["a-zeros"].as<double>();
  mm.prune = vm.count("dynatran") > 0;
  mm.tau = vm["tau"].as<double>();
  if (!mm.m || !mm.k || !mm.n) throw UsageError("--m, --k and --n must be at least 1");
  if (mm.a_zeros < 0 || mm.a_zeros > 1) throw UsageError("--a-zeros must be within 0..1");
  if (mm.tau < 0 || mm.tau >= 8) throw UsageError("--tau must be within 0..8 (Q4.16)");
  if (kind == "matmul") {
    the_job = std::make_unique<acc::MatmulJob>(mm);
  } else if (kind == "fault") {
    the_job = std::make_unique<acc::FaultJob>(acc::parse_fault_kind(vm["fault"].as<std::string>()), mm);
  } else {
    throw UsageError("--job '" + kind + "': expected matmul or fault");
  }

  acc::SocOptions opt;
  opt.cpu = vm["cpu"].as<std::string>();
  if (opt.cpu != "native" && opt.cpu != "riscv") throw UsageError("--cpu '" + opt.cpu + "': expected native or riscv");
  for (const char* riscv_only : {"firmware", "trace-insn"})
    if (vm.count(riscv_only) && opt.cpu != "riscv") throw UsageError(std::string("--") + riscv_only + " needs --cpu riscv");
  if (vm.count("firmware")) opt.firmware = vm["firmware"].as<std::string>();
  opt.watchdog_instructions = vm["watchdog"].as<uint64_t>();
  if (opt.watchdog_instructions == 0) throw UsageError("--watchdog must be at least 1");
  TraceFile mmio_trace, insn_trace;
  if (vm.count("trace-mmio")) opt.mmio_trace = mmio_trace.open(vm["trace-mmio"].as<std::string>(), "--trace-mmio");
  if (vm.count("trace-insn")) opt.insn_trace = insn_trace.open(vm["trace-insn"].as<std::string>(), "--trace-insn");
  opt.console = vm.count("quiet") ? nullptr : &std::cout;
  std::unique_ptr<acc::Soc> soc;
  try {
    soc = std::make_unique<acc::Soc>("soc", cfg, opt);
  } catch (const acc::ConfigError& e) {
    throw UsageError(e.what());
  } catch (const acc::AddressMapError& e) {
    throw UsageError(e.what());
  } catch (const acc::FirmwareError& e) {
    throw UsageError((opt.firmware.empty() ? "" : "--firmware: ") + std::string(e.what()));
  }
  the_job->load(*soc);

  std::cout << "acceltran-vp: " << the_job->describe() << " on " << cfg.name << " (" << cfg.pe << " PEs x " << cfg.lanes_per_pe
            << " lanes x " << cfg.mac_per_lane << " MACs at " << cfg.clock_mhz << " MHz, " << cfg.main_memory.type << "), "
            << opt.cpu << " CPU" << std::endl;
  const auto t0 = std::chrono::steady_clock::now();
  sc_core::sc_start();
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

  std::cout << "  result            " << result.message << "\n";
  acc::print_summary(std::cout, stats, cfg);
  if (vm.count("stats-out")) {
    const std::string path = vm["stats-out"].as<std::string>();
    std::ofstream out(path);
    if (!out) throw UsageError("cannot write --stats-out '" + path + "'");
    out << acc::stats_to_json(stats, cfg);
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
  // The kernel's info that sc_stop() was called is not news to the user.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "acceltran-vp: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "acceltran-vp: " << e.what() << "\n";
    return kExitJobFailed;
  }
}
