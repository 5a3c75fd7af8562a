// --trace-insn: one line per executed instruction with its time, pc, encoding, function, the
// instruction disassembled (rv32_decode.hpp) and the register it wrote, e.g.
//   [insn]          1.000 ns  0x00041004  0x91818193  _start+0x4                addi gp,gp,-1768  gp=0x0004a918
// A line is written once its instruction has completed (at the next instruction, or when the CPU
// sleeps or stops), so that it can show the value written; the register accesses an instruction
// makes (--trace-mmio to the same file) therefore come before its line.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "elf_image.hpp"

struct uc_struct;

namespace acc {

class InsnTrace {
 public:
  InsnTrace(std::ostream& out, uc_struct* uc, const ElfImage& fw) : out_(out), uc_(uc), fw_(fw) {}
  ~InsnTrace() { flush(); }
  // The instruction at pc is about to execute at `ns`: completes the previous line, starts its own.
  void instruction(double ns, uint32_t pc, uint32_t word);
  // Completes the pending line (the CPU sleeps in wfi, faults or finishes).
  void flush();

 private:
  std::ostream& out_;
  uc_struct* uc_;
  const ElfImage& fw_;
  std::string pending_;
  int pending_rd_ = -1;
};

}  // namespace acc
