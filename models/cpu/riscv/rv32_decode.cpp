#include "rv32_decode.hpp"

#include <cstdarg>
#include <cstdio>

namespace acc::rv32 {

namespace {

const char* const kRegs[32] = {"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
                               "a1",   "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
                               "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};

std::string csr_name(uint32_t csr) {
  switch (csr) {
    case 0x300: return "mstatus";
    case 0x301: return "misa";
    case 0x302: return "medeleg";
    case 0x303: return "mideleg";
    case 0x304: return "mie";
    case 0x305: return "mtvec";
    case 0x306: return "mcounteren";
    case 0x310: return "mstatush";
    case 0x340: return "mscratch";
    case 0x341: return "mepc";
    case 0x342: return "mcause";
    case 0x343: return "mtval";
    case 0x344: return "mip";
    case 0xb00: return "mcycle";
    case 0xb02: return "minstret";
    case 0xb80: return "mcycleh";
    case 0xb82: return "minstreth";
    case 0xc00: return "cycle";
    case 0xc01: return "time";
    case 0xc02: return "instret";
    case 0xc80: return "cycleh";
    case 0xc81: return "timeh";
    case 0xc82: return "instreth";
    case 0xf11: return "mvendorid";
    case 0xf12: return "marchid";
    case 0xf13: return "mimpid";
    case 0xf14: return "mhartid";
    default: {
      char b[16];
      std::snprintf(b, sizeof b, "0x%x", csr);
      return b;
    }
  }
}

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char b[96];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(b, sizeof b, f, ap);
  va_end(ap);
  return b;
}

std::string fence_set(uint32_t bits) {
  std::string s;
  if (bits & 8) s += 'i';
  if (bits & 4) s += 'o';
  if (bits & 2) s += 'r';
  if (bits & 1) s += 'w';
  return s.empty() ? "0" : s;
}

// The low `bits` bits of v as a two's-complement number: shifted to the top as unsigned, then
// arithmetically back (no shift of a negative value).
int32_t sign_extend(uint32_t v, unsigned bits) { return static_cast<int32_t>(v << (32 - bits)) >> (32 - bits); }

}  // namespace

const char* reg_name(int x) { return x >= 0 && x < 32 ? kRegs[x] : "?"; }

Insn decode(uint32_t w, uint32_t pc) {
  Insn in;
  const uint32_t opcode = w & 0x7F, rd = (w >> 7) & 0x1F, f3 = (w >> 12) & 7, rs1 = (w >> 15) & 0x1F, rs2 = (w >> 20) & 0x1F,
                 f7 = w >> 25;
  const int32_t imm_i = sign_extend(w >> 20, 12);
  const int32_t imm_s = sign_extend(((w >> 25) << 5) | rd, 12);
  const int32_t imm_b = sign_extend(((w >> 31) << 12) | (((w >> 7) & 1) << 11) | (((w >> 25) & 0x3F) << 5) | (((w >> 8) & 0xF) << 1), 13);
  const int32_t imm_j = sign_extend(((w >> 31) << 20) | (((w >> 12) & 0xFF) << 12) | (((w >> 20) & 1) << 11) | (((w >> 21) & 0x3FF) << 1), 21);
  const char *D = kRegs[rd], *S1 = kRegs[rs1], *S2 = kRegs[rs2];
  auto writes = [&] { in.rd = rd ? static_cast<int>(rd) : -1; };
  auto invalid = [&] {
    in = Insn{};
    in.text = fmt(".word 0x%08x", w);
    return in;
  };
  switch (opcode) {
    case 0x37:
    case 0x17:
      in.text = fmt("%s %s,0x%x", opcode == 0x37 ? "lui" : "auipc", D, w >> 12);
      writes();
      return in;
    case 0x6F:
      in.text = fmt("jal %s,%x", D, pc + static_cast<uint32_t>(imm_j));
      writes();
      return in;
    case 0x67:
      if (f3) return invalid();
      in.text = fmt("jalr %s,%d(%s)", D, imm_i, S1);
      writes();
      return in;
    case 0x63: {
      static const char* const kB[8] = {"beq", "bne", nullptr, nullptr, "blt", "bge", "bltu", "bgeu"};
      if (!kB[f3]) return invalid();
      in.text = fmt("%s %s,%s,%x", kB[f3], S1, S2, pc + static_cast<uint32_t>(imm_b));
      return in;
    }
    case 0x03: {
      static const char* const kL[8] = {"lb", "lh", "lw", nullptr, "lbu", "lhu", nullptr, nullptr};
      if (!kL[f3]) return invalid();
      in.text = fmt("%s %s,%d(%s)", kL[f3], D, imm_i, S1);
      writes();
      in.load = true, in.rs1 = static_cast<int>(rs1), in.imm = imm_i, in.bytes = 1u << (f3 & 3);
      return in;
    }
    case 0x23: {
      static const char* const kS[8] = {"sb", "sh", "sw", nullptr, nullptr, nullptr, nullptr, nullptr};
      if (!kS[f3]) return invalid();
      in.text = fmt("%s %s,%d(%s)", kS[f3], S2, imm_s, S1);
      in.store = true, in.rs1 = static_cast<int>(rs1), in.imm = imm_s, in.bytes = 1u << f3;
      return in;
    }
    case 0x13: {
      writes();
      if (f3 == 1 || f3 == 5) {
        const char* m = f3 == 1 ? (f7 == 0 ? "slli" : nullptr) : f7 == 0 ? "srli" : f7 == 0x20 ? "srai" : nullptr;
        if (!m) return invalid();
        in.text = fmt("%s %s,%s,0x%x", m, D, S1, rs2);
        return in;
      }
      static const char* const kI[8] = {"addi", nullptr, "slti", "sltiu", "xori", nullptr, "ori", "andi"};
      in.text = fmt("%s %s,%s,%d", kI[f3], D, S1, imm_i);
      return in;
    }
    case 0x33: {
      static const char* const kR[8] = {"add", "sll", "slt", "sltu", "xor", "srl", "or", "and"};
      static const char* const kM[8] = {"mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"};
      const char* m = f7 == 0 ? kR[f3] : f7 == 1 ? kM[f3] : f7 == 0x20 && f3 == 0 ? "sub" : f7 == 0x20 && f3 == 5 ? "sra" : nullptr;
      if (!m) return invalid();
      in.text = fmt("%s %s,%s,%s", m, D, S1, S2);
      writes();
      return in;
    }
    case 0x0F:
      if (f3 == 1) {
        in.text = "fence.i";
        return in;
      }
      if (f3) return invalid();
      in.text = "fence " + fence_set((w >> 24) & 0xF) + "," + fence_set((w >> 20) & 0xF);
      return in;
    case 0x73: {
      if (f3 == 0) {
        switch (w) {
          case 0x00000073: in.text = "ecall"; return in;
          case 0x00100073: in.text = "ebreak"; return in;
          case 0x30200073: in.text = "mret"; return in;
          case 0x10200073: in.text = "sret"; return in;
          case 0x10500073: in.text = "wfi"; return in;
          default: return invalid();
        }
      }
      static const char* const kC[8] = {nullptr, "csrrw", "csrrs", "csrrc", nullptr, "csrrwi", "csrrsi", "csrrci"};
      if (!kC[f3]) return invalid();
      const std::string csr = csr_name(w >> 20);
      in.text = f3 < 4 ? fmt("%s %s,%s,%s", kC[f3], D, csr.c_str(), S1) : fmt("%s %s,%s,%u", kC[f3], D, csr.c_str(), rs1);
      writes();
      return in;
    }
    default: return invalid();
  }
}

}  // namespace acc::rv32
