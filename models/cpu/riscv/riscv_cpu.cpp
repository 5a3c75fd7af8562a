#include "riscv_cpu.hpp"

#include <sys/mman.h>
#include <unicorn/unicorn.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <ostream>

#include "acceltran_regs.h"
#include "rv32_decode.hpp"

namespace acc {

namespace {

// RISC-V privileged architecture: the bits the trap entry and the wfi check use.
constexpr uint32_t kMstatusMie = 1u << 3, kMstatusMpie = 1u << 7, kMstatusMpp = 3u << 11;
constexpr uint32_t kMieMeie = 1u << 11;
constexpr uint32_t kMcauseMachineExternal = 0x8000000Bu;
constexpr uint32_t kWfi = 0x10500073u, kEbreak = 0x00100073u;

// CPU_RAM's first page is not mapped, so that a NULL dereference faults (firmware.ld).
constexpr uint32_t kGuardBytes = 0x1000;

std::string hex(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}

const char* exception_name(uint32_t cause) {
  switch (cause) {
    case 0: return "instruction address misaligned";
    case 1: return "instruction access fault";
    case 2: return "illegal instruction";
    case 3: return "breakpoint";
    case 4: return "load address misaligned";
    case 5: return "load access fault";
    case 6: return "store address misaligned";
    case 7: return "store access fault";
    case 8:
    case 9:
    case 11: return "ecall (the firmware runs bare metal: there is no environment to call)";
    default: return nullptr;
  }
}

void check(uc_err e, const char* what) {
  if (e != UC_ERR_OK) throw std::runtime_error(std::string("riscv cpu: ") + what + ": " + uc_strerror(e));
}

// Unicorn 2.0 reports the pc of an exception (UC_HOOK_INTR) one instruction late on RISC-V
// (unicorn-engine/unicorn#1990). Measured once on a one-instruction program rather than assumed,
// so that a fixed library does not shift every reported pc.
uint32_t exception_pc_skew() {
  static const uint32_t skew = [] {
    uc_engine* uc = nullptr;
    check(uc_open(UC_ARCH_RISCV, UC_MODE_RISCV32, &uc), "uc_open");
    check(uc_mem_map(uc, 0, 0x1000, UC_PROT_ALL), "uc_mem_map");  // zero-filled: 0x00000000 is illegal
    uint32_t pc = 0;
    uc_hook h;
    auto on_intr = [](uc_engine* u, uint32_t, void* user) {
      uc_reg_read(u, UC_RISCV_REG_PC, user);
      uc_emu_stop(u);
    };
    check(uc_hook_add(uc, &h, UC_HOOK_INTR, reinterpret_cast<void*>(+on_intr), &pc, 1, 0), "uc_hook_add");
    uc_emu_start(uc, 0, 0x800, 0, 0);
    uc_close(uc);
    return pc;
  }();
  return skew;
}

}  // namespace

RiscvCpu::RiscvCpu(sc_core::sc_module_name name, ElfImage firmware, const Options& opt, std::vector<Region> map)
    : HostCpu(name, opt.clock_hz), fw_(std::move(firmware)), chain_(fw_), opt_(opt), map_(std::move(map)) {
  const auto exit_pc = fw_.symbol("_fw_exit");
  if (!exit_pc) throw FirmwareError(fw_.origin() + ": no symbol _fw_exit (link with firmware/hal/riscv/crt0.S)");
  exit_pc_ = *exit_pc;
  for (const auto& s : fw_.segments())
    if (s.addr < ACC_MAP_CPU_RAM_BASE + kGuardBytes || s.addr > ACC_MAP_CPU_RAM_BASE + ACC_MAP_CPU_RAM_SIZE ||
        s.mem_size > ACC_MAP_CPU_RAM_BASE + ACC_MAP_CPU_RAM_SIZE - s.addr)
      throw FirmwareError(fw_.origin() + ": segment at " + hex(s.addr) + " (" + std::to_string(s.mem_size) +
                          " bytes) is outside the CPU's program RAM " + hex(ACC_MAP_CPU_RAM_BASE + kGuardBytes) + ".." +
                          hex(ACC_MAP_CPU_RAM_BASE + ACC_MAP_CPU_RAM_SIZE));
  if (opt_.cpi <= 0) throw std::invalid_argument("riscv cpu: cycles per instruction must be positive");

  void* p = mmap(nullptr, ACC_MAP_CPU_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  ram_.reset(static_cast<uint8_t*>(p));
  for (const auto& s : fw_.segments())  // a segment without file bytes (.bss) has no data pointer to copy from
    if (!s.bytes.empty()) std::memcpy(ram_.get() + (s.addr - ACC_MAP_CPU_RAM_BASE), s.bytes.data(), s.bytes.size());

  (void)exception_pc_skew();  // measured before simulation starts
  uc_engine* uc = nullptr;
  check(uc_open(UC_ARCH_RISCV, UC_MODE_RISCV32, &uc), "uc_open");
  uc_.reset(uc);
  check(uc_mem_map_ptr(uc_.get(), ACC_MAP_CPU_RAM_BASE + kGuardBytes, ACC_MAP_CPU_RAM_SIZE - kGuardBytes, UC_PROT_ALL,
                       ram_.get() + kGuardBytes),
        "mapping CPU_RAM");

  uc_hook h;
  check(uc_hook_add(uc_.get(), &h, UC_HOOK_BLOCK,
                    reinterpret_cast<void*>(+[](uc_engine*, uint64_t pc, uint32_t size, void* cpu) {
                      static_cast<RiscvCpu*>(cpu)->on_block(static_cast<uint32_t>(pc), size);
                    }),
                    this, 1, 0),
        "block hook");
  if (opt_.insn_trace) insn_trace_ = std::make_unique<InsnTrace>(*opt_.insn_trace, uc_.get(), fw_);
  if (opt_.gdb_port) gdb_ = std::make_unique<GdbStub>(opt_.gdb_port, uc_.get(), debug_target());
  // A per-instruction hook slows the ISS down by orders of magnitude: only for the trace and gdb.
  if (opt_.insn_trace || gdb_)
    check(uc_hook_add(uc_.get(), &h, UC_HOOK_CODE,
                      reinterpret_cast<void*>(+[](uc_engine*, uint64_t pc, uint32_t, void* cpu) {
                        static_cast<RiscvCpu*>(cpu)->on_instruction(static_cast<uint32_t>(pc));
                      }),
                      this, 1, 0),
          "instruction hook");
  check(uc_hook_add(uc_.get(), &h, UC_HOOK_MEM_INVALID,
                    reinterpret_cast<void*>(+[](uc_engine*, uc_mem_type type, uint64_t addr, int size, int64_t, void* cpu) {
                      static_cast<RiscvCpu*>(cpu)->on_invalid_access(type, static_cast<uint32_t>(addr), static_cast<unsigned>(size));
                      return false;
                    }),
                    this, 1, 0),
        "invalid-access hook");
  check(uc_hook_add(uc_.get(), &h, UC_HOOK_INTR,
                    reinterpret_cast<void*>(+[](uc_engine*, uint32_t cause, void* cpu) { static_cast<RiscvCpu*>(cpu)->on_exception(cause); }),
                    this, 1, 0),
        "exception hook");
  check(uc_hook_add(uc_.get(), &h, UC_HOOK_INSN_INVALID,
                    reinterpret_cast<void*>(+[](uc_engine*, void* cpu) {
                      static_cast<RiscvCpu*>(cpu)->on_invalid_instruction();
                      return false;
                    }),
                    this, 1, 0),
        "invalid-instruction hook");

  SC_HAS_PROCESS(RiscvCpu);
  SC_THREAD(run);
  set_stack_size(kThreadStackBytes);
}

// gdb's view of the bus: device memory through TLM debug transport (no side effects).
GdbStub::Target RiscvCpu::debug_target() {
  GdbStub::Target t;
  for (const Region& r : map_)
    if (!r.direct) t.devices.emplace_back(r.base, r.size);
  t.debug_access = [this](bool write, uint32_t addr, uint8_t* data, unsigned len) {
    tlm::tlm_generic_payload p;
    p.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    p.set_address(addr);
    p.set_data_ptr(data);
    p.set_data_length(len);
    p.set_streaming_width(len);
    return socket->transport_dbg(p) == len;
  };
  t.kill = [this](const std::string& why) { fault(why); };
  return t;
}

void RiscvCpu::CloseEngine::operator()(uc_struct* uc) const { uc_close(uc); }

void RiscvCpu::UnmapRam::operator()(uint8_t* ram) const { munmap(ram, ACC_MAP_CPU_RAM_SIZE); }

// ---------------------------------------------------------------------------------------------
// Memory map

void RiscvCpu::map_direct_region(const Region& r) {
  uint8_t* p = dmi_ptr(r.base, r.size);
  if (!p || r.size % 0x1000) throw std::runtime_error("riscv cpu: no DMI over all of " + r.name + " (needed to map it)");
  // Data only: the firmware executes from CPU_RAM, a jump into DRAM is a fault.
  check(uc_mem_map_ptr(uc_.get(), r.base, r.size, UC_PROT_READ | UC_PROT_WRITE, p), "mapping DRAM");
}

// The DMI grant behind the direct regions was withdrawn (HostCpu::dmi_invalidated): between two
// blocks, the ISS drops the old pointers and maps the regions onto a new grant.
void RiscvCpu::remap_direct_regions() {
  dmi_stale_ = false;
  for (const Region& r : map_)
    if (r.direct) {
      check(uc_mem_unmap(uc_.get(), r.base, r.size), "unmapping DRAM");
      map_direct_region(r);
    }
}

void RiscvCpu::map_bus_regions() {
  constexpr uint64_t kPage = 0x1000;
  for (const Region& r : map_) {
    const uint64_t size = (r.size + kPage - 1) / kPage * kPage;  // the bus answers the tail with errors
    if (r.direct) {
      map_direct_region(r);
    } else {
      windows_.push_back(std::make_unique<MmioWindow>(MmioWindow{this, r.base}));
      check(uc_mmio_map(
                uc_.get(), r.base, size,
                [](uc_engine*, uint64_t offset, unsigned sz, void* w) {
                  auto* win = static_cast<MmioWindow*>(w);
                  return win->cpu->on_mmio_read(win->base + static_cast<uint32_t>(offset), sz);
                },
                windows_.back().get(),
                [](uc_engine*, uint64_t offset, unsigned sz, uint64_t value, void* w) {
                  auto* win = static_cast<MmioWindow*>(w);
                  win->cpu->on_mmio_write(win->base + static_cast<uint32_t>(offset), sz, static_cast<uint32_t>(value));
                },
                windows_.back().get()),
            "mapping an MMIO region");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The thread

void RiscvCpu::run() {
  map_bus_regions();
  const sc_core::sc_time quantum = tlm::tlm_global_quantum::instance().get();
  slice_insns_ = std::max<uint64_t>(1, static_cast<uint64_t>(quantum.to_seconds() * static_cast<double>(clock_.hz()) / opt_.cpi));
  slice_end_ = slice_insns_;
  line_high_ = irq.read();

  uint32_t pc = fw_.entry();
  if (gdb_) {  // stopped before the first instruction until gdb resumes
    gdb_->attach(pc);
    pc = reg(UC_RISCV_REG_PC);
    if (!fault_.empty()) return end_run(-1);
  }
  for (;;) {
    const uc_err err = uc_emu_start(uc_.get(), pc, exit_pc_, 0, 0);
    pc = reg(UC_RISCV_REG_PC);
    if (fault_.empty() && err != UC_ERR_OK) fault(std::string("the ISS stopped: ") + uc_strerror(err) + " at " + where(pc));
    if (!fault_.empty()) return end_run(-1);
    if (pc == exit_pc_) {
      sync_time();
      return end_run(static_cast<int32_t>(reg(UC_RISCV_REG_A0)));
    }
    if (dmi_stale_) {
      remap_direct_regions();  // the block at pc has not run: it runs on the new mapping
    } else if (trap_pending_) {
      trap_pending_ = false;
      trap_to_handler(pc);
      pc = reg(UC_RISCV_REG_PC);
    } else if (word_at(pc - 4) == kWfi) {
      if (insn_trace_) insn_trace_->flush();
      sleep_in_wfi(pc);
    } else {
      fault("the ISS stopped for no known reason at " + where(pc));
    }
    if (!fault_.empty()) return end_run(-1);
  }
}

// The firmware returned (code) or faulted (fault_ set): the trace and gdb see the end first.
void RiscvCpu::end_run(int code) {
  if (insn_trace_) insn_trace_->flush();
  if (gdb_) {
    if (fault_.empty()) gdb_->exited(code);
    else gdb_->faulted(fault_, fault_pc_);
  }
  finish(code, fault_);
}

// The machine external interrupt, taken at the start of the block at pc (privileged spec, trap
// entry in M-mode): the handler returns there with mret.
void RiscvCpu::trap_to_handler(uint32_t pc) {
  const uint32_t mstatus = reg(UC_RISCV_REG_MSTATUS);
  set_reg(UC_RISCV_REG_MEPC, pc);
  set_reg(UC_RISCV_REG_MCAUSE, kMcauseMachineExternal);
  set_reg(UC_RISCV_REG_MTVAL, 0);
  set_reg(UC_RISCV_REG_MSTATUS, (mstatus & ~(kMstatusMie | kMstatusMpie)) | ((mstatus & kMstatusMie) ? kMstatusMpie : 0) | kMstatusMpp);
  const uint32_t mtvec = reg(UC_RISCV_REG_MTVEC);
  const bool vectored = (mtvec & 3) == 1;
  set_reg(UC_RISCV_REG_PC, (mtvec & ~3u) + (vectored ? 4 * (kMcauseMachineExternal & 0x1F) : 0));
  ++interrupts_;
  note_wakeup_without_progress("interrupts taken", pc);
}

// Interrupts and wfi wake-ups are not progress by themselves: a handler that never clears the
// line traps forever, a wfi on a line left asserted returns at once, and both take few
// instructions each, so the instruction watchdog alone would take hours to notice.
void RiscvCpu::note_wakeup_without_progress(const char* what, uint32_t pc) {
  if (++wakeups_without_progress_ > kInterruptStormLimit)
    fault("interrupt storm: " + std::to_string(kInterruptStormLimit) + " " + what +
          " without a register write (is the interrupt left asserted, IRQ_STATUS never cleared?), at " + where_chain(pc));
}

// wfi stops the ISS (PC after the wfi). Sleeps until the interrupt line is asserted; a fault if no
// enabled interrupt could ever wake the core.
void RiscvCpu::sleep_in_wfi(uint32_t pc) {
  // The block hook counted the instructions after the wfi in its block: they have not run.
  const uint32_t block_end = block_pc_ + 4 * block_insns_;
  if (pc > block_pc_ && pc <= block_end) retired_ -= (block_end - pc) / 4;
  if (!(reg(UC_RISCV_REG_MIE) & kMieMeie)) {
    fault("wfi with the accelerator interrupt masked (mie.MEIE = 0): nothing can wake the core, at " + where_chain(pc - 4));
    return;
  }
  sync_time();
  if (irq.read())
    note_wakeup_without_progress("wfi returning at once", pc - 4);
  else
    note_progress();  // the core really sleeps
  sleeping_ = true;
  wfi_pc_ = pc - 4;
  wait_irq();
  sleeping_ = false;
  line_high_ = true;
}

// ---------------------------------------------------------------------------------------------
// Time

sc_core::sc_time RiscvCpu::span(uint64_t from, uint64_t to) const {
  auto cycles = [this](uint64_t n) { return static_cast<uint64_t>(std::llround(static_cast<double>(n) * opt_.cpi)); };
  return clock_.to_time(cycles(to)) - clock_.to_time(cycles(from));
}

void RiscvCpu::fold_time() {
  if (retired_ == folded_) return;
  qk_.inc(span(folded_, retired_));
  folded_ = retired_;
}

void RiscvCpu::sync_time() {
  fold_time();
  qk_.sync();
}

// Once per quantum of instructions: let the rest of the platform catch up, look at the
// interrupt line again, and check the watchdog.
void RiscvCpu::end_slice() {
  sync_time();
  line_high_ = irq.read();
  slice_end_ = retired_ + slice_insns_;
  if (retired_ - progress_mark_ > opt_.watchdog_instructions)
    fault("watchdog: " + std::to_string(retired_ - progress_mark_) +
          " instructions without a register write or a sleep in wfi (a spin loop or an interrupt storm?), at " + where_chain(block_pc_));
}

// The trap can be taken now: enabled in mstatus and mie, and the line still asserted at this
// instruction's time (the thread synchronises first, so that a line the firmware has just
// acknowledged is not taken for a new interrupt).
bool RiscvCpu::interrupt_deliverable() {
  if (!(reg(UC_RISCV_REG_MSTATUS) & kMstatusMie) || !(reg(UC_RISCV_REG_MIE) & kMieMeie)) return false;
  sync_time();
  line_high_ = irq.read();
  return line_high_;
}

// ---------------------------------------------------------------------------------------------
// Hooks

void RiscvCpu::on_block(uint32_t pc, uint32_t size) {
  // The hot path: two compares of a flag and one of a counter per block.
  if (dmi_stale_) {
    uc_emu_stop(uc_.get());  // stops before the block: run() maps DRAM again and resumes here
    return;
  }
  if (line_high_ && interrupt_deliverable()) {
    trap_pending_ = true;  // the block does not run: uc_emu_stop from a block hook stops before it
    uc_emu_stop(uc_.get());
    return;
  }
  block_pc_ = pc;
  block_insns_ = size / 4;  // RV32IM: 4 bytes per instruction (ElfImage refuses compressed code)
  retired_ += block_insns_;
  if (retired_ >= slice_end_) end_slice();
}

void RiscvCpu::on_instruction(uint32_t pc) {
  if (trap_pending_ || dmi_stale_ || !fault_.empty()) return;  // the block was stopped before it ran
  if (gdb_) gdb_->before_instruction(pc);
  if (insn_trace_ && fault_.empty()) trace_instruction(pc);
}

void RiscvCpu::trace_instruction(uint32_t pc) {
  // Its time: the CPU's local time, which covers the first `folded_` instructions (an access
  // earlier in this block may have folded in all of it), moved to this instruction.
  const uint64_t index = retired_ - block_insns_ + (pc - block_pc_) / 4;
  const sc_core::sc_time t = index >= folded_ ? local_now() + span(folded_, index) : local_now() - span(index, folded_);
  insn_trace_->instruction(t.to_seconds() * 1e9, pc, word_at(pc));
}

uint64_t RiscvCpu::on_mmio_read(uint32_t pa, unsigned size) {
  if (!fault_.empty()) return 0;  // the rest of a faulting block must not touch devices
  fold_time();
  uint32_t v = 0;
  if (!mmio(false, pa, v, size))
    fault("error response to a " + std::to_string(size * 8) + "-bit read of " + hex(pa) + ", at " + where_access(pa, false));
  line_high_ = irq.read();
  return v;
}

void RiscvCpu::on_mmio_write(uint32_t pa, unsigned size, uint32_t value) {
  if (!fault_.empty()) return;
  fold_time();
  if (!mmio(true, pa, value, size))
    fault("error response to a " + std::to_string(size * 8) + "-bit write of " + hex(value) + " to " + hex(pa) + ", at " +
          where_access(pa, true));
  note_progress();
  line_high_ = irq.read();
}

void RiscvCpu::on_invalid_access(int type, uint32_t addr, unsigned size) {
  switch (type) {
    case UC_MEM_FETCH_PROT:
      fault("instruction fetch from " + hex(addr) + ", which is not executable (the firmware runs from CPU_RAM; jumped from "
            "the block at " + where(block_pc_) + ")");
      break;
    case UC_MEM_FETCH_UNMAPPED:
      fault("instruction fetch from unmapped address " + hex(addr) + " (pc " + hex(addr) + ", jumped from the block at " +
            where(block_pc_) + ")");
      break;
    case UC_MEM_WRITE_UNMAPPED:
      fault(std::to_string(size * 8) + "-bit write to unmapped address " + hex(addr) + ", at " + where_access(addr, true));
      break;
    default:
      fault(std::to_string(size * 8) + "-bit read of unmapped address " + hex(addr) + ", at " + where_access(addr, false));
  }
}

void RiscvCpu::on_exception(uint32_t cause) {
  const uint32_t pc = reg(UC_RISCV_REG_PC) - exception_pc_skew();
  const char* name = exception_name(cause);
  std::string what = name ? name : "exception (mcause " + std::to_string(cause) + ")";
  if (cause == 2) what += " " + hex(word_at(pc));
  fault(what + " at " + where_chain(pc));
}

void RiscvCpu::on_invalid_instruction() {
  const uint32_t pc = reg(UC_RISCV_REG_PC);
  const uint32_t insn = word_at(pc);
  fault((insn == kEbreak ? std::string("breakpoint (ebreak: __builtin_trap or abort?)") : "invalid instruction " + hex(insn)) +
        " at " + where_chain(pc));
}

// ---------------------------------------------------------------------------------------------
// Faults and helpers

void RiscvCpu::fault(const std::string& what) {
  if (fault_.empty()) fault_ = what;
  uc_emu_stop(uc_.get());
}

std::string RiscvCpu::where(uint32_t pc) const {
  const std::string fn = fw_.function_at(pc);
  return "pc " + hex(pc) + (fn.empty() ? "" : " (" + fn + ")");
}

// The pc with the call chain that led there (call_chain.hpp), from the registers as they are now.
std::string RiscvCpu::where_chain(uint32_t pc) const {
  if (fault_.empty()) fault_pc_ = pc;  // a fault message names its instruction: gdb shows the fault there
  const auto load = [this](uint32_t addr) -> std::optional<uint32_t> {
    if (addr < ACC_MAP_CPU_RAM_BASE + kGuardBytes || addr > ACC_MAP_CPU_RAM_BASE + ACC_MAP_CPU_RAM_SIZE - 4) return std::nullopt;
    return word_at(addr);
  };
  return chain_.describe(chain_.walk(pc, reg(UC_RISCV_REG_RA), reg(UC_RISCV_REG_S0), load));
}

// Unicorn 2.0 keeps the pc of a memory access only per block. The registers, though, are those
// of the accessing instruction: the loads (or stores) of the block whose rs1 + offset is `addr`
// are the candidates, and usually there is exactly one.
std::string RiscvCpu::where_access(uint32_t addr, bool store) const {
  std::vector<uint32_t> hits;
  for (uint32_t i = 0; i < block_insns_; ++i) {
    const uint32_t pc = block_pc_ + 4 * i;
    const rv32::Insn in = rv32::decode(word_at(pc), pc);
    if (!(store ? in.store : in.load)) continue;
    if (reg(UC_RISCV_REG_X0 + in.rs1) + static_cast<uint32_t>(in.imm) == addr) hits.push_back(pc);
  }
  if (hits.size() == 1) return where_chain(hits[0]);
  return "one of the " + std::string(store ? "stores" : "loads") + " of the block at " + where(block_pc_);
}

uint32_t RiscvCpu::reg(int id) const {
  uint32_t v = 0;
  uc_reg_read(uc_.get(), id, &v);
  return v;
}

void RiscvCpu::set_reg(int id, uint32_t v) { check(uc_reg_write(uc_.get(), id, &v), "uc_reg_write"); }

uint32_t RiscvCpu::word_at(uint32_t addr) const {
  uint32_t w = 0;
  if (addr >= ACC_MAP_CPU_RAM_BASE + kGuardBytes && addr <= ACC_MAP_CPU_RAM_BASE + ACC_MAP_CPU_RAM_SIZE - 4)
    std::memcpy(&w, ram_.get() + (addr - ACC_MAP_CPU_RAM_BASE), 4);
  return w;
}

std::string RiscvCpu::state() const {
  if (!fault_.empty()) return "stopped by a fault: " + fault_;
  if (sleeping_) return "sleeping in wfi at " + where_chain(wfi_pc_) + ", waiting for the accelerator interrupt";
  return "running in the block at " + where(block_pc_);
}

void RiscvCpu::collect_stats(Stats& s, const StatsContext& ctx) const {
  HostCpu::collect_stats(s, ctx);
  s.put("cpu.instructions", retired_, "instructions", "Instructions the riscv CPU executed");
  s.put("cpu.interrupts", interrupts_, "interrupts", "Interrupts the riscv CPU took (traps to the firmware's handler)");
}

}  // namespace acc
