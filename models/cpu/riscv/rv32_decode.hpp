// RV32IM (plus Zicsr, the privileged mret/wfi) decoder: the text of an instruction in the syntax of
// `riscv64-unknown-elf-objdump -d -M no-aliases` (ABI register names, no pseudo-instructions),
// the register it writes and the memory it accesses. Used by --trace-insn and by the gdb stub
// (watchpoints stop before the accessing instruction, as RISC-V debug triggers do).
#pragma once

#include <cstdint>
#include <string>

namespace acc::rv32 {

struct Insn {
  std::string text;     // e.g. "lw a0,0(a0)", "beq a5,a4,41060"; ".word 0x..." if not RV32IM
  int rd = -1;          // general register written (x1..x31), -1: none
  bool load = false, store = false;
  int rs1 = 0;          // load/store: the address is x[rs1] + imm, `bytes` wide
  int32_t imm = 0;
  unsigned bytes = 0;
};

Insn decode(uint32_t word, uint32_t pc);
const char* reg_name(int x);  // ABI name of x0..x31

}  // namespace acc::rv32
