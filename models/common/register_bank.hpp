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

  // Initiator-side access; false if no register lives at `offset`.
  bool read(uint32_t offset, uint32_t& value) const;
  bool write(uint32_t offset, uint32_t value);

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
};

}  // namespace acc
