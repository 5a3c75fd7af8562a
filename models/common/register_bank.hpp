// A bank of 32-bit registers declared by the generated register table (platform/regmap.yaml).
// Access semantics (ro, rw with write mask, w1c, wo) live here once; behaviour lives in callbacks
// that the owning model attaches to individual offsets.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "hw_config.hpp"
#include "regmap.hpp"

namespace acc {

class RegisterBank {
 public:
  // Called after a write took effect: offset, value before, value the initiator wrote.
  using WriteHook = std::function<void(uint32_t offset, uint32_t before, uint32_t written)>;
  // Supplies the value of a register computed on demand (performance counters, HEAD).
  using ReadHook = std::function<uint32_t()>;

  RegisterBank(const HwConfig& cfg, uint32_t window_bytes);

  // What the access rules ignored of a write (the write itself succeeds, as the table documents).
  struct Misuse {
    bool read_only = false;      // the register is read-only: nothing was written
    uint32_t reserved_bits = 0;  // bits set outside the register's defined bits (write mask, write-only fields)
  };

  // Initiator-side access; false if no register lives at `offset`. A write reports in `misuse`
  // what it attempted that the register ignores; the bank counts such writes. With
  // vp.strict_registers such a write is refused instead (false, nothing written).
  bool read(uint32_t offset, uint32_t& value) const;
  bool write(uint32_t offset, uint32_t value, Misuse* misuse = nullptr);

  uint64_t read_only_writes() const { return read_only_writes_; }
  uint64_t reserved_bit_writes() const { return reserved_bit_writes_; }

  // Hardware-side access (no access rules, no hooks).
  uint32_t get(uint32_t offset) const { return slots_[offset / 4].value; }
  void set(uint32_t offset, uint32_t value) { slots_[offset / 4].value = value; }

  void on_write(uint32_t offset, WriteHook hook) { slots_[offset / 4].write_hook = std::move(hook); }
  void on_read(uint32_t offset, ReadHook hook) { slots_[offset / 4].read_hook = std::move(hook); }

  // Restores every register's reset value.
  void reset();

 private:
  struct Slot {
    const regmap::RegisterDef* def = nullptr;
    uint32_t reset = 0;
    uint32_t value = 0;
    WriteHook write_hook;
    ReadHook read_hook;
  };
  std::vector<Slot> slots_;
  uint64_t read_only_writes_ = 0, reserved_bit_writes_ = 0;
  bool strict_ = false;  // vp.strict_registers
};

}  // namespace acc
