// The SoC: instantiates every model for a configuration, binds the sockets and maps the
// address space (platform/regmap.yaml's address map, the one the firmware header uses).
//
//   host CPU ──► bus ──► control registers, console, activation buffer, weight buffer, DRAM
//   (the riscv CPU's program RAM, CPU_RAM, is private to it: see models/cpu/riscv)
//   control ──► bus (descriptor fetch);  control ──► DMA ──► bus;  control ──► PE cluster ──► bus (DMI)
//   control.irq ──► host CPU
#pragma once

#include <systemc>

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "background_fill.hpp"
#include "buffer.hpp"
#include "bus.hpp"
#include "clock.hpp"
#include "console.hpp"
#include "control_block.hpp"
#include "dma.hpp"
#include "dram.hpp"
#include "energy.hpp"
#include "host_cpu.hpp"
#include "hw_config.hpp"
#include "pe_cluster.hpp"
#include "mmio_trace_filter.hpp"
#include "riscv_cpu.hpp"
#include "stats.hpp"
#include "tlm_checker.hpp"
#include "trace_recorder.hpp"

namespace acc {

struct SocOptions {
  std::string cpu = "native";           // native | riscv
  std::ostream* console = nullptr;      // where the firmware's output goes (null: kept only)
  int (*native_entry)(void) = nullptr;  // firmware entry for the native CPU (null: fw_main)
  std::string firmware;                 // riscv: ELF file to run (empty: the built-in firmware/riscv image)
  std::ostream* mmio_trace = nullptr;   // register-access trace (both CPUs); null: off
  const MmioTraceFilter* mmio_trace_filter = nullptr;  // which accesses it shows; null: all
  std::ostream* insn_trace = nullptr;   // riscv: instruction trace; null: off
  uint16_t gdb_port = 0;                // riscv: serve gdb on 127.0.0.1:port; 0: off
  uint64_t watchdog_instructions = RiscvCpu::kDefaultWatchdogInstructions;  // riscv: see RiscvCpu
  TraceRecorder* trace = nullptr;       // the timeline (--timeline); null: off
};

class Soc : public sc_core::sc_module {
 public:
  Soc(sc_core::sc_module_name name, const HwConfig& cfg, const SocOptions& opt = {});

  const HwConfig& cfg() const { return cfg_; }
  const Clock& clock() const { return acc_clock_; }

  // Host-side view of DRAM by physical address (loading tensors, reading results). Throws
  // std::out_of_range if [pa, pa+len) is not populated DRAM.
  uint8_t* dram_ptr(uint64_t pa, uint64_t len);
  template <typename T>
  T* dram_as(uint64_t pa, uint64_t count = 1) {
    return reinterpret_cast<T*>(dram_ptr(pa, count * sizeof(T)));
  }
  // Runs `write`, which writes DRAM [pa, pa+len) only, on a thread beside the loading and the
  // simulation (BackgroundFill): synthetic weights. At once with the riscv CPU, which maps all
  // of DRAM into its emulator.
  void write_dram_later(uint64_t pa, uint64_t len, std::function<void()> write);
  bool writes_dram_in_background() const { return fill_in_background_; }

  // Statistics of every model, energy totals and area.
  void collect_stats(Stats& s) const;

  HostCpu& cpu() { return *cpu_; }
  Dram& dram() { return dram_; }
  Buffer& activation_buffer() { return act_; }
  PeCluster& pe() { return pe_; }
  ControlBlock& control() { return control_; }
  Console& console() { return console_; }
  const EnergyTable& energy() const { return energy_; }

 private:
  const HwConfig cfg_;
  Clock acc_clock_;
  EnergyTable energy_;
  Bus bus_;
  Dram dram_;
  BackgroundFill dram_fill_;  // after dram_: its thread ends before DRAM goes
  bool fill_in_background_ = false;
  MaskBuffer mask_;
  Buffer act_, wgt_;
  Console console_;
  ControlBlock control_;
  Dma dma_;
  PeCluster pe_;
  std::unique_ptr<HostCpu> cpu_;
  std::vector<std::unique_ptr<TlmChecker>> checkers_;  // one per binding in a build with ACC_TLM_CHECKS

  // Binds an initiator socket to a target socket, through a TlmChecker in a checked build.
  template <typename Initiator, typename Target>
  void connect(Initiator& initiator, Target& target, const char* checker_name);
  sc_core::sc_signal<bool> irq_;
};

}  // namespace acc
