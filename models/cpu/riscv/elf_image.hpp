// A bare-metal RV32 firmware executable (ELF), as the riscv CPU model needs it: entry point,
// loadable segments and symbols. Checked strictly, so that a wrong file is an error that names
// the problem instead of a crash in the ISS.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace acc {

struct FirmwareError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ElfImage {
 public:
  struct Segment {
    uint32_t addr;               // physical (load) address
    uint32_t mem_size;           // bytes it occupies; past the file bytes it is zero
    std::vector<uint8_t> bytes;  // file contents
  };

  // Throws FirmwareError naming `origin` and the problem (not ELF, not RV32, compressed
  // instructions, hard-float ABI, truncated).
  static ElfImage parse(const uint8_t* data, size_t size, const std::string& origin);
  static ElfImage load_file(const std::string& path);

  const std::string& origin() const { return origin_; }
  uint32_t entry() const { return entry_; }
  const std::vector<Segment>& segments() const { return segments_; }
  std::optional<uint32_t> symbol(const std::string& name) const;
  // "function+0xoff" for an address inside a function, "" if none.
  std::string function_at(uint32_t addr) const;
  // Start of the function that contains addr.
  std::optional<uint32_t> function_start(uint32_t addr) const;
  // The whole file, for its debug information (call_chain.hpp).
  const std::vector<uint8_t>& file() const { return file_; }

 private:
  struct Symbol {
    std::string name;
    uint32_t value, size;
    bool function;
  };
  std::string origin_;
  uint32_t entry_ = 0;
  std::vector<Segment> segments_;
  std::vector<uint8_t> file_;
  std::vector<Symbol> symbols_;      // every named symbol
  std::vector<Symbol> functions_;    // sized function symbols, by address
};

}  // namespace acc
