// Where the firmware is, for fault and stall reports: the function and offset of the pc and of
// each caller, with file and line from the ELF's DWARF line table where it has one (libdw), e.g.
//   pc 0x00041050 (hal_write32+0x0) in firmware/hal/riscv/hal_riscv.c:17, called from
//   acc_open+0x24 (firmware/driver/acc_driver.c:20), fw_main+0x4c (firmware/apps/fw_main.c:80), ...
//
// The chain follows the frame pointers (the firmware is built with -fno-omit-frame-pointer; GCC's
// RV32 frame record: return address at fp-4, the caller's fp at fp-8). The innermost function
// may be a leaf, whose record holds only the caller's fp (at fp-4), or may not have built its
// frame yet: its prologue, decoded from the function's start up to the pc, says which.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "elf_image.hpp"

namespace acc {

class CallChain {
 public:
  explicit CallChain(const ElfImage& fw);
  ~CallChain();

  // A word of the CPU's memory, if mapped.
  using LoadWord = std::function<std::optional<uint32_t>(uint32_t addr)>;
  // The pcs of the frames: pc, then the return address of each caller (innermost first).
  std::vector<uint32_t> walk(uint32_t pc, uint32_t ra, uint32_t fp, const LoadWord& load) const;
  // "pc 0x... (fn+0x..) in file:line, called from fn+0x.. (file:line), ..." for those frames.
  std::string describe(const std::vector<uint32_t>& frames) const;
  // "file:line" of an address, "" without line information.
  std::string source_line(uint32_t addr) const;

 private:
  struct Dwarf;
  const ElfImage& fw_;
  std::unique_ptr<Dwarf> dwarf_;
};

}  // namespace acc
