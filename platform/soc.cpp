#include "soc.hpp"

#include <map>
#include <stdexcept>

#include "acceltran_regs.h"
#include "native_cpu.hpp"
#include "regmap.hpp"

extern "C" int fw_main(void);

namespace acc {

extern const unsigned char kRiscvFirmwareElf[];  // firmware/riscv's acc_firmware.elf, embedded by the build
extern const std::size_t kRiscvFirmwareElf_size;

namespace {

std::unique_ptr<HostCpu> make_cpu(const HwConfig& cfg, const SocOptions& opt, const Bus& bus) {
  const double hz = cfg.cpu_clock_mhz * 1e6;
  if (opt.cpu == "native") return std::make_unique<NativeCpu>("cpu", hz, opt.native_entry ? opt.native_entry : &fw_main);
  if (opt.cpu != "riscv") throw std::invalid_argument("unknown CPU backend '" + opt.cpu + "' (native, riscv)");
  ElfImage fw = opt.firmware.empty() ? ElfImage::parse(kRiscvFirmwareElf, kRiscvFirmwareElf_size, "built-in firmware")
                                     : ElfImage::load_file(opt.firmware);
  RiscvCpu::Options o;
  o.clock_hz = hz;
  o.cpi = cfg.cpu_cpi;
  o.watchdog_instructions = opt.watchdog_instructions;
  o.insn_trace = opt.insn_trace;
  o.gdb_port = opt.gdb_port;
  std::vector<RiscvCpu::Region> map;
  for (const auto& r : bus.regions()) map.push_back({r.name, static_cast<uint32_t>(r.base), r.size, r.name == "DRAM"});
  return std::make_unique<RiscvCpu>("cpu", std::move(fw), o, std::move(map));
}

}  // namespace

Soc::Soc(sc_core::sc_module_name name, const HwConfig& cfg, const SocOptions& opt)
    : sc_module(name),
      cfg_(cfg),
      acc_clock_(cfg.clock_hz()),
      energy_(EnergyTable::load(cfg_)),
      bus_("bus", acc_clock_, cfg_.bus_latency_cycles),
      dram_("dram", cfg_, acc_clock_),
      mask_(cfg_),
      act_("act_buffer", "activation", cfg_.activation_buffer_mb, cfg_, acc_clock_, mask_),
      wgt_("wgt_buffer", "weight", cfg_.weight_buffer_mb, cfg_, acc_clock_, mask_),
      console_("console", opt.console),
      control_("control", cfg_, acc_clock_),
      dma_("dma", cfg_, acc_clock_),
      pe_("pe", cfg_, acc_clock_),
      irq_("irq") {
  // Energy figures must exist for this configuration (fails early, naming the missing entry).
  (void)energy_.dram_nj_per_block(cfg_);
  (void)energy_.softmax(cfg_);
  (void)energy_.layernorm(cfg_);

  // Address map, in the order targets bind to bus_.targets_out.
  bus_.map("ACC_REGS", ACC_MAP_ACC_REGS_BASE, ACC_MAP_ACC_REGS_SIZE);
  connect(bus_.targets_out, control_.regs, "check_bus_regs");
  bus_.map("CONSOLE", ACC_MAP_CONSOLE_BASE, ACC_MAP_CONSOLE_SIZE);
  connect(bus_.targets_out, console_.socket, "check_bus_console");
  bus_.map("ACT_BUF", ACC_MAP_ACT_BUF_BASE, act_.size());
  connect(bus_.targets_out, act_.socket, "check_bus_act");
  bus_.map("WGT_BUF", ACC_MAP_WGT_BUF_BASE, wgt_.size());
  connect(bus_.targets_out, wgt_.socket, "check_bus_wgt");
  bus_.map("DRAM", ACC_MAP_DRAM_BASE, dram_.size());
  connect(bus_.targets_out, dram_.socket, "check_bus_dram");

  // The CPU comes after the map: the riscv CPU maps the bus regions into its address space.
  cpu_ = make_cpu(cfg_, opt, bus_);
  cpu_->set_mmio_trace(opt.mmio_trace, opt.mmio_trace_filter);
  connect(cpu_->socket, bus_.targets_in, "check_cpu_bus");
  connect(control_.fetch, bus_.targets_in, "check_fetch_bus");
  connect(dma_.bus, bus_.targets_in, "check_dma_bus");
  connect(pe_.bus, bus_.targets_in, "check_pe_bus");
  connect(control_.dma, dma_.cmd, "check_control_dma");
  control_.set_dma_unit(&dma_);
  connect(control_.pe, pe_.cmd, "check_control_pe");
  control_.irq.bind(irq_);
  cpu_->irq.bind(irq_);

  // The riscv CPU maps all of DRAM into its emulator: nothing may still be written beside it.
  fill_in_background_ = opt.cpu == "native";
  if (fill_in_background_) dram_.set_background_fill(&dram_fill_);

  if (opt.trace) {
    control_.set_trace(opt.trace);
    dma_.set_trace(opt.trace);
    pe_.set_trace(opt.trace);
    dram_.set_trace(opt.trace);
  }
}

template <typename Initiator, typename Target>
void Soc::connect(Initiator& initiator, Target& target, const char* checker_name) {
#ifdef ACC_TLM_CHECKS
  checkers_.push_back(std::make_unique<TlmChecker>(checker_name));
  initiator.bind(checkers_.back()->in);
  checkers_.back()->out.bind(target);
#else
  (void)checker_name;
  initiator.bind(target);
#endif
}

uint8_t* Soc::dram_ptr(uint64_t pa, uint64_t len) {
  if (pa < ACC_MAP_DRAM_BASE || pa - ACC_MAP_DRAM_BASE > dram_.size() || len > dram_.size() - (pa - ACC_MAP_DRAM_BASE))
    throw std::out_of_range("DRAM access outside populated DRAM");
  dram_fill_.wait(pa - ACC_MAP_DRAM_BASE, pa - ACC_MAP_DRAM_BASE + len);
  return dram_.data() + (pa - ACC_MAP_DRAM_BASE);
}

void Soc::write_dram_later(uint64_t pa, uint64_t len, std::function<void()> write) {
  if (!fill_in_background_) return write();
  dram_fill_.queue(pa - ACC_MAP_DRAM_BASE, pa - ACC_MAP_DRAM_BASE + len, std::move(write));
}

void Soc::collect_stats(Stats& s) const {
  const StatsContext ctx{cfg_, energy_, control_.active_cycles()};
  control_.collect_stats(s, ctx);
  pe_.collect_stats(s, ctx);
  dma_.collect_stats(s, ctx);
  dram_.collect_stats(s, ctx);
  act_.collect_stats(s, ctx);
  wgt_.collect_stats(s, ctx);
  mask_.collect_stats(s, ctx);
  cpu_->collect_stats(s, ctx);
  s.put("bus.transactions", bus_.transactions(), "transactions", "Transactions through the interconnect");

  // Dynamic energy by layer and by tensor class, through the descriptors' trace tags.
  Attribution a;
  pe_.attribute(ctx, a);
  dma_.attribute(ctx, a);
  dram_.attribute(ctx, a);
  act_.attribute(ctx, a);
  wgt_.attribute(ctx, a);
  mask_.attribute(ctx, a);
  std::map<uint32_t, double> by_class, by_layer;
  for (const auto& [key, nj] : a.nj) {
    const uint32_t cls = (key >> ACC_TAG_CLASS_SHIFT) & ACC_TAG_CLASS_MAX;
    by_class[cls] += nj;
    if (cls != ACC_TAG_NONE) by_layer[(key >> ACC_TAG_LAYER_SHIFT) & ACC_TAG_LAYER_MAX] += nj;  // untagged: no layer
  }
  for (const auto& [cls, nj] : by_class)
    s.put_real(std::string("by_class.") + regmap::tag_class_name(cls) + ".dynamic_nj", nj, "nJ", "Dynamic energy of the class (all modules)");
  for (const auto& [layer, nj] : by_layer)
    if (layer != ACC_TAG_LAYER_MAX)
      s.put_real("layers." + std::to_string(layer) + ".dynamic_nj", nj, "nJ", "Dynamic energy of the layer (all modules)");

  double total_nj = 0;
  for (const auto& e : s.entries())
    if (e.key.rfind("energy.", 0) == 0) total_nj += e.value;
  s.put_real("energy.total_nj", total_nj, "nJ", "Sum of every module's dynamic and leakage energy");
  double area = 0;
  for (const auto& [module, um2] : area_breakdown_um2(cfg_, energy_)) {
    s.put_real("area." + module + "_mm2", um2 * 1e-6, "mm2", "Area of the module (all instances)");
    area += um2;
  }
  s.put_real("area.total_mm2", area * 1e-6, "mm2", "Accelerator area: sum of the module areas");

  // Figures derived from the others (the job's statistics, added before, give the batch).
  const double secs = static_cast<double>(control_.active_cycles()) / cfg_.clock_hz();
  s.put_real("perf.latency_s", secs, "s", "Accelerator active time of the job (the latency of the batch)");
  s.put_real("perf.average_power_w", secs > 0 ? total_nj * 1e-9 / secs : 0.0, "W", "Total energy / active time");
  const double seqs = s.get("job.bert.sequences");
  if (seqs > 0) {
    s.put_real("perf.throughput_seq_per_s", secs > 0 ? seqs / secs : 0.0, "sequences/s", "Sequences of the batch / latency");
    s.put_real("perf.energy_per_sequence_nj", total_nj / seqs, "nJ", "Total energy / sequences");
  }
  const double tokens = s.get("job.gpt2.tokens_chosen");  // a GPT-2 job: every prefill and decode step chooses one
  if (tokens > 0) s.put_real("perf.energy_per_token_nj", total_nj / tokens, "nJ", "Total energy / tokens chosen (prefills included)");
}

}  // namespace acc
