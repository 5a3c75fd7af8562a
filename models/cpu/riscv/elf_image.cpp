#include "elf_image.hpp"

#include <elf.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iterator>

#include "input_file.hpp"

namespace acc {

namespace {

// Reads a T at `offset` of the file, checking the bounds.
template <typename T>
T read_at(const uint8_t* data, size_t size, uint64_t offset, const std::string& origin, const char* what) {
  if (offset > size || sizeof(T) > size - offset)
    throw FirmwareError(origin + ": truncated ELF file (" + what + " past the end of the file)");
  T v;
  std::memcpy(&v, data + offset, sizeof v);
  return v;
}

std::string hex(uint32_t v) {
  char s[16];
  std::snprintf(s, sizeof s, "0x%08x", v);
  return s;
}

}  // namespace

ElfImage ElfImage::parse(const uint8_t* data, size_t size, const std::string& origin) {
  ElfImage img;
  img.origin_ = origin;
  img.file_.assign(data, data + size);
  if (size < EI_NIDENT || std::memcmp(data, ELFMAG, SELFMAG) != 0) throw FirmwareError(origin + ": not an ELF file");
  if (data[EI_CLASS] != ELFCLASS32 || data[EI_DATA] != ELFDATA2LSB)
    throw FirmwareError(origin + ": not a 32-bit little-endian ELF file (the riscv CPU is RV32)");
  const auto eh = read_at<Elf32_Ehdr>(data, size, 0, origin, "header");
  if (eh.e_machine != EM_RISCV) throw FirmwareError(origin + ": not a RISC-V executable (e_machine " + std::to_string(eh.e_machine) + ")");
  if (eh.e_type != ET_EXEC) throw FirmwareError(origin + ": not an executable (a relocatable object or shared library?)");
  // The CPU model counts instructions as block bytes / 4 and locates faulting accesses by
  // decoding 4-byte instructions: compressed code would break both.
  if (eh.e_flags & EF_RISCV_RVC) throw FirmwareError(origin + ": built with compressed instructions (C); build for rv32im");
  if (eh.e_flags & (EF_RISCV_FLOAT_ABI | EF_RISCV_RVE))
    throw FirmwareError(origin + ": built for a floating-point or RV32E ABI; build for rv32im/ilp32");
  img.entry_ = eh.e_entry;

  // Program headers: a table of e_phnum entries of the size this loader reads, inside the file.
  if (eh.e_phnum > 0 && eh.e_phentsize != sizeof(Elf32_Phdr))
    throw FirmwareError(origin + ": program header entries of " + std::to_string(eh.e_phentsize) + " bytes (" +
                        std::to_string(sizeof(Elf32_Phdr)) + " expected)");
  if (uint64_t{eh.e_phoff} + uint64_t{eh.e_phnum} * sizeof(Elf32_Phdr) > size)
    throw FirmwareError(origin + ": truncated ELF file (the program headers end past the end of the file)");
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    const auto ph = read_at<Elf32_Phdr>(data, size, uint64_t{eh.e_phoff} + uint64_t{i} * eh.e_phentsize, origin, "program header");
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    const std::string segment = "segment " + std::to_string(i);
    if (ph.p_filesz > ph.p_memsz)
      throw FirmwareError(origin + ": " + segment + " has more file bytes (" + std::to_string(ph.p_filesz) + ") than memory bytes (" +
                          std::to_string(ph.p_memsz) + ")");
    if (uint64_t{ph.p_offset} + ph.p_filesz > size)
      throw FirmwareError(origin + ": truncated ELF file (" + segment + " past the end of the file)");
    if (uint64_t{ph.p_paddr} + ph.p_memsz > (uint64_t{1} << 32))
      throw FirmwareError(origin + ": " + segment + " (" + std::to_string(ph.p_memsz) + " bytes at " + hex(ph.p_paddr) +
                          ") wraps past the end of the 32-bit address space");
    Segment s;
    s.addr = ph.p_paddr;
    s.mem_size = ph.p_memsz;
    s.bytes.assign(data + ph.p_offset, data + ph.p_offset + ph.p_filesz);
    img.segments_.push_back(std::move(s));
  }
  if (img.segments_.empty()) throw FirmwareError(origin + ": no loadable segment");

  // Symbols (optional: a stripped file loses only the names in fault messages and traces, not
  // _fw_exit, which the CPU model requires and checks for).
  if (eh.e_shnum > 0 && eh.e_shentsize != sizeof(Elf32_Shdr))
    throw FirmwareError(origin + ": section header entries of " + std::to_string(eh.e_shentsize) + " bytes (" +
                        std::to_string(sizeof(Elf32_Shdr)) + " expected)");
  if (uint64_t{eh.e_shoff} + uint64_t{eh.e_shnum} * sizeof(Elf32_Shdr) > size)
    throw FirmwareError(origin + ": truncated ELF file (the section headers end past the end of the file)");
  for (unsigned i = 0; i < eh.e_shnum; ++i) {
    const auto sh = read_at<Elf32_Shdr>(data, size, uint64_t{eh.e_shoff} + uint64_t{i} * eh.e_shentsize, origin, "section header");
    if (sh.sh_type != SHT_SYMTAB || sh.sh_entsize != sizeof(Elf32_Sym)) continue;
    if (uint64_t{sh.sh_offset} + sh.sh_size > size) throw FirmwareError(origin + ": truncated ELF file (symbol table)");
    if (sh.sh_link >= eh.e_shnum) throw FirmwareError(origin + ": the symbol table links to section " + std::to_string(sh.sh_link) +
                                                      " of " + std::to_string(eh.e_shnum));
    const auto strtab = read_at<Elf32_Shdr>(data, size, uint64_t{eh.e_shoff} + uint64_t{sh.sh_link} * eh.e_shentsize, origin,
                                            "string table header");
    if (uint64_t{strtab.sh_offset} + strtab.sh_size > size) throw FirmwareError(origin + ": truncated ELF file (string table)");
    for (uint32_t j = 1; j < sh.sh_size / sizeof(Elf32_Sym); ++j) {
      const auto sym = read_at<Elf32_Sym>(data, size, uint64_t{sh.sh_offset} + uint64_t{j} * sizeof(Elf32_Sym), origin, "symbol");
      if (sym.st_name == 0 || sym.st_name >= strtab.sh_size || sym.st_shndx == SHN_UNDEF) continue;
      const char* name = reinterpret_cast<const char*>(data + strtab.sh_offset + sym.st_name);
      const size_t len = strnlen(name, strtab.sh_size - sym.st_name);
      const bool function = ELF32_ST_TYPE(sym.st_info) == STT_FUNC;
      img.symbols_.push_back({std::string(name, len), sym.st_value, sym.st_size, function});
    }
  }
  std::copy_if(img.symbols_.begin(), img.symbols_.end(), std::back_inserter(img.functions_),
               [](const Symbol& s) { return s.function && s.size > 0; });
  std::sort(img.functions_.begin(), img.functions_.end(), [](const Symbol& a, const Symbol& b) { return a.value < b.value; });
  return img;
}

ElfImage ElfImage::load_file(const std::string& path) {
  const std::string bytes = read_input_file_as<FirmwareError>(path, kMaxFirmwareBytes, "firmware ELF file");
  return parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path);
}

std::optional<uint32_t> ElfImage::symbol(const std::string& name) const {
  for (const auto& s : symbols_)
    if (s.name == name) return s.value;
  return std::nullopt;
}

std::optional<uint32_t> ElfImage::function_start(uint32_t addr) const {
  auto it = std::upper_bound(functions_.begin(), functions_.end(), addr, [](uint32_t a, const Symbol& s) { return a < s.value; });
  if (it == functions_.begin() || addr - (it - 1)->value >= (it - 1)->size) return std::nullopt;
  return (it - 1)->value;
}

std::string ElfImage::function_at(uint32_t addr) const {
  auto it = std::upper_bound(functions_.begin(), functions_.end(), addr, [](uint32_t a, const Symbol& s) { return a < s.value; });
  if (it == functions_.begin()) return "";
  --it;
  if (addr - it->value >= it->size) return "";
  char off[16];
  std::snprintf(off, sizeof off, "+0x%x", addr - it->value);
  return it->name + off;
}

}  // namespace acc
