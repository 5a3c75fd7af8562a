// RISC-V host CPU: the firmware cross-compiled for RV32IM (firmware/riscv) runs on the Unicorn
// instruction-set simulator inside this module's SystemC thread.
//
//  * Memory. The program RAM (CPU_RAM) is private to the CPU, like a core's tightly coupled
//    memory: fetches and stack accesses never become transactions, and the bus looks the same to
//    the accelerator for both CPU backends. DRAM is mapped onto the bus's DMI pointer (firmware
//    and accelerator share it without copies). Every other bus region (registers, console,
//    buffers) is MMIO: each access is a TLM transaction through HostCpu::mmio.
//  * Time. A block hook counts instructions (RV32IM: block bytes / 4) and turns them into local
//    time (vp.cpu_cpi cycles at vp.cpu_clock_mhz); the thread synchronises once per quantum and
//    before every transaction, never per instruction.
//  * Interrupts. The accelerator's line is the machine external interrupt. wfi sleeps until it is
//    asserted; the trap (mepc, mcause, mstatus, mtvec as the privileged spec says) is taken at the
//    start of a block when mstatus.MIE and mie.MEIE allow it. Unicorn has no API to raise MEIP,
//    so the model takes the trap itself.
//  * Faults end the run with a message naming the pc, its function and the cause: an illegal
//    instruction, an access outside mapped memory, an error response, a wfi that could never
//    wake, and a watchdog on instructions without progress (docs/firmware.md).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "elf_image.hpp"
#include "host_cpu.hpp"

struct uc_struct;

namespace acc {

class RiscvCpu : public HostCpu {
 public:
  // Instructions without a register write or a sleep in wfi after which the firmware is declared
  // stuck (about a second of CPU time at 1 GHz: docs/firmware.md).
  static constexpr uint64_t kDefaultWatchdogInstructions = 1'000'000'000;
  // Interrupts taken, or wfi returning at once, without a register write in between after which
  // the interrupt line is declared stuck (a healthy driver clears IRQ_STATUS after each one).
  static constexpr uint64_t kInterruptStormLimit = 10'000;

  struct Options {
    double clock_hz = 1e9;
    double cpi = 1.0;  // cycles per instruction
    uint64_t watchdog_instructions = kDefaultWatchdogInstructions;
    std::ostream* insn_trace = nullptr;  // one line per executed instruction; null: off
  };
  // A bus region the firmware may access. `direct`: mapped onto the target's DMI pointer (DRAM);
  // otherwise every access is a transaction.
  struct Region {
    std::string name;
    uint32_t base;
    uint64_t size;
    bool direct;
  };

  // Throws FirmwareError if the image does not fit the program RAM or lacks _fw_exit.
  RiscvCpu(sc_core::sc_module_name name, ElfImage firmware, const Options& opt, std::vector<Region> map);

  std::string state() const override;
  void collect_stats(Stats& s, const StatsContext& ctx) const override;

  // SC_THREAD stack. Unicorn translates and runs the firmware on it, and the hooks run the TLM
  // calls on top: a painted stack showed a high-water mark of ~8 KiB (traces on). Set explicitly
  // so as not to depend on the SystemC build's default (64 KiB on some).
  static constexpr size_t kThreadStackBytes = 256 * 1024;

 private:
  struct MmioWindow {
    RiscvCpu* cpu;
    uint32_t base;
  };
  struct CloseEngine {
    void operator()(uc_struct* uc) const;
  };
  struct UnmapRam {
    void operator()(uint8_t* ram) const;
  };

  void run();
  void map_bus_regions();
  void map_direct_region(const Region& r);
  void remap_direct_regions();
  void dmi_invalidated() override { dmi_stale_ = true; }
  void trap_to_handler(uint32_t pc);
  void sleep_in_wfi(uint32_t pc);
  void end_slice();
  bool interrupt_deliverable();
  void note_progress() {
    progress_mark_ = retired_;
    wakeups_without_progress_ = 0;
  }
  void note_wakeup_without_progress(const char* what, uint32_t pc);

  // Time: instructions counted but not yet added to the quantum keeper's local time are folded
  // in before anything that looks at time.
  sc_core::sc_time span(uint64_t from, uint64_t to) const;
  void fold_time();
  void sync_time();

  // Hooks (called by Unicorn on this thread's stack).
  void on_block(uint32_t pc, uint32_t size);
  void on_instruction(uint32_t pc);
  uint64_t on_mmio_read(uint32_t pa, unsigned size);
  void on_mmio_write(uint32_t pa, unsigned size, uint32_t value);
  void on_invalid_access(int type, uint32_t addr, unsigned size);  // unmapped, or a fetch from DRAM
  void on_exception(uint32_t cause);
  void on_invalid_instruction();

  // Faults: the first one recorded wins and stops the ISS.
  void fault(const std::string& what);
  std::string where(uint32_t pc) const;
  std::string where_access(uint32_t addr, bool store) const;
  uint32_t reg(int id) const;
  void set_reg(int id, uint32_t v);
  uint32_t word_at(uint32_t addr) const;

  ElfImage fw_;
  Options opt_;
  std::vector<Region> map_;
  std::unique_ptr<uint8_t, UnmapRam> ram_;  // CPU_RAM, host memory of the ISS
  std::unique_ptr<uc_struct, CloseEngine> uc_;
  std::vector<std::unique_ptr<MmioWindow>> windows_;
  uint32_t exit_pc_ = 0;

  uint64_t retired_ = 0;        // instructions executed (counted per block)
  uint64_t folded_ = 0;         // of which already in the quantum keeper's local time
  uint64_t slice_insns_ = 1;    // instructions per quantum
  uint64_t slice_end_ = 0;      // retired_ at which the thread synchronises next
  uint64_t progress_mark_ = 0;  // retired_ at the last register write or sleep in wfi
  uint64_t wakeups_without_progress_ = 0;  // interrupts and immediate wfi returns since then
  uint32_t block_pc_ = 0, block_insns_ = 0;  // the block being executed
  bool line_high_ = false;      // the interrupt line as last seen by this thread
  bool trap_pending_ = false;   // the block hook stopped the ISS to take the interrupt
  bool dmi_stale_ = false;      // DRAM's DMI grant was withdrawn: remap before the next block
  bool sleeping_ = false;
  uint32_t wfi_pc_ = 0;
  uint64_t interrupts_ = 0;
  std::string fault_;
};

}  // namespace acc
