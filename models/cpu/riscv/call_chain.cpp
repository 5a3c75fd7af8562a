#include "call_chain.hpp"

#include <elfutils/libdw.h>
#include <libelf.h>

#include <cstdio>

#include "rv32_decode.hpp"

namespace acc {

namespace {

constexpr int kRa = 1, kSp = 2, kS0 = 8;
constexpr unsigned kMaxFrames = 16;
constexpr uint32_t kMaxPrologue = 64;  // instructions decoded from a function's start

// Relative source paths from the build directory ("../../../firmware/x.c") as "firmware/x.c".
std::string tidy_path(std::string p) {
  while (p.rfind("../", 0) == 0) p.erase(0, 3);
  return p;
}

}  // namespace

struct CallChain::Dwarf {
  Elf* elf = nullptr;
  ::Dwarf* dw = nullptr;
  ~Dwarf() {
    if (dw) dwarf_end(dw);
    if (elf) elf_end(elf);
  }
};

CallChain::CallChain(const ElfImage& fw) : fw_(fw), dwarf_(std::make_unique<Dwarf>()) {
  elf_version(EV_CURRENT);
  auto& bytes = const_cast<std::vector<uint8_t>&>(fw_.file());  // libelf's API is not const; it only reads
  dwarf_->elf = elf_memory(reinterpret_cast<char*>(bytes.data()), bytes.size());
  if (dwarf_->elf) dwarf_->dw = dwarf_begin_elf(dwarf_->elf, DWARF_C_READ, nullptr);  // null: no debug information
}

CallChain::~CallChain() = default;

// The compilation unit that covers addr, found unit by unit: libdw's address-range lookup
// (dwarf_addrdie) gives up on the whole table for our firmware (its crt0.S unit has no ranges).
std::string CallChain::source_line(uint32_t addr) const {
  if (!dwarf_->dw) return "";
  Dwarf_Off off = 0, next = 0;
  size_t header = 0;
  while (dwarf_nextcu(dwarf_->dw, off, &next, &header, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu;
    if (dwarf_offdie(dwarf_->dw, off + header, &cu) && dwarf_haspc(&cu, addr) == 1) {
      Dwarf_Line* line = dwarf_getsrc_die(&cu, addr);
      int n = 0;
      const char* file = line ? dwarf_linesrc(line, nullptr, nullptr) : nullptr;
      if (!file || dwarf_lineno(line, &n) != 0) return "";
      return tidy_path(file) + ":" + std::to_string(n);
    }
    off = next;
  }
  return "";
}

std::vector<uint32_t> CallChain::walk(uint32_t pc, uint32_t ra, uint32_t fp, const LoadWord& load) const {
  std::vector<uint32_t> frames{pc};
  const auto start = fw_.function_start(pc);
  if (!start) return frames;
  // The innermost function's prologue up to the pc: has it saved ra, and is s0 its own frame
  // pointer yet (or again the caller's, restored in the epilogue)?
  bool ra_saved = false, own_fp = false;
  for (uint32_t a = *start; a < pc && a - *start < 4 * kMaxPrologue; a += 4) {
    const auto w = load(a);
    if (!w) break;
    const rv32::Insn in = rv32::decode(*w, a);
    if (in.store && in.rs1 == kSp && ((*w >> 20) & 0x1F) == kRa) ra_saved = true;
    if (in.rd == kS0) own_fp = !in.load;  // addi s0,sp,N builds the frame; lw s0,N(sp) restores the caller's
  }
  uint32_t caller_fp = fp;
  if (own_fp) {
    const auto saved_ra = ra_saved ? load(fp - 4) : std::optional<uint32_t>(ra);
    const auto saved_fp = load(fp - (ra_saved ? 8 : 4));
    if (!saved_ra || !saved_fp) return frames;
    ra = *saved_ra;
    caller_fp = *saved_fp;
  }
  // Every outer function has made a call, so its record holds ra and the fp of its caller. The
  // callers' frames lie above (the stack grows down): a record pointing down ends the chain, with
  // the return address it gave (_start's frame pointer is 0).
  auto in_code = [this](uint32_t ret) { return ret >= 4 && !fw_.function_at(ret - 4).empty(); };
  bool last = false;
  for (uint32_t ret = ra; in_code(ret) && frames.size() < kMaxFrames;) {
    frames.push_back(ret);
    if (last || fw_.function_at(ret - 4).rfind("_start+", 0) == 0 || caller_fp % 4) break;
    const auto next_ra = load(caller_fp - 4), next_fp = load(caller_fp - 8);
    if (!next_ra || !next_fp) break;
    last = *next_fp <= caller_fp;
    ret = *next_ra;
    caller_fp = *next_fp;
  }
  return frames;
}

std::string CallChain::describe(const std::vector<uint32_t>& frames) const {
  std::string s;
  for (size_t i = 0; i < frames.size(); ++i) {
    // A caller is named by its call instruction, the one before the return address.
    const uint32_t at = i == 0 ? frames[0] : frames[i] - 4;
    const std::string fn = fw_.function_at(at), line = source_line(at);
    if (i == 0) {
      char pc[24];
      std::snprintf(pc, sizeof pc, "pc 0x%08x", at);
      s = pc + (fn.empty() ? "" : " (" + fn + ")") + (line.empty() ? "" : " in " + line);
    } else {
      s += (i == 1 ? ", called from " : ", ") + fn + (line.empty() ? "" : " (" + line + ")");
    }
  }
  return s;
}

}  // namespace acc
