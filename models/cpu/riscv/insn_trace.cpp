#include "insn_trace.hpp"

#include <unicorn/unicorn.h>

#include <cstdio>
#include <ostream>

#include "rv32_decode.hpp"

namespace acc {

void InsnTrace::instruction(double ns, uint32_t pc, uint32_t word) {
  flush();
  const rv32::Insn in = rv32::decode(word, pc);
  char line[192];
  std::snprintf(line, sizeof line, "[insn] %16.3f ns  0x%08x  0x%08x  %-24s  %s", ns, pc, word, fw_.function_at(pc).c_str(),
                in.text.c_str());
  pending_ = line;
  pending_rd_ = in.rd;
}

void InsnTrace::flush() {
  if (pending_.empty()) return;
  if (pending_rd_ > 0) {
    uint32_t v = 0;
    uc_reg_read(uc_, UC_RISCV_REG_X0 + pending_rd_, &v);
    char w[32];
    std::snprintf(w, sizeof w, "  %s=0x%08x", rv32::reg_name(pending_rd_), v);
    pending_ += w;
  }
  out_ << pending_ << '\n';
  pending_.clear();
}

}  // namespace acc
