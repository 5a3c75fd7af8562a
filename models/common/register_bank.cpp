#include "register_bank.hpp"

namespace acc {

RegisterBank::RegisterBank(const HwConfig& cfg, uint32_t window_bytes) : slots_(window_bytes / 4), strict_(cfg.strict_registers) {
  for (size_t i = 0; i < regmap::kNumRegisters; ++i) {
    const auto& def = regmap::kRegisters[i];
    Slot& s = slots_.at(def.offset / 4);
    s.def = &def;
    s.reset = def.reset_config ? cfg.register_value(def.reset_config) : def.reset;
  }
  reset();
}

void RegisterBank::reset() {
  for (auto& s : slots_) s.value = s.reset;
}

bool RegisterBank::read(uint32_t offset, uint32_t& value) const {
  if (offset % 4 || offset / 4 >= slots_.size()) return false;
  const Slot& s = slots_[offset / 4];
  if (!s.def) return false;
  if (s.def->access == regmap::Access::WO) {
    value = 0;
  } else {
    value = s.read_hook ? s.read_hook() : s.value;
  }
  return true;
}

bool RegisterBank::write(uint32_t offset, uint32_t value, Misuse* misuse) {
  if (offset % 4 || offset / 4 >= slots_.size()) return false;
  Slot& s = slots_[offset / 4];
  if (!s.def) return false;
  Misuse local;
  Misuse& m = misuse ? *misuse : local;
  m = Misuse{};
  const uint32_t before = s.value;
  if (s.def->access == regmap::Access::RO) {
    m.read_only = true;
    ++read_only_writes_;
    return !strict_;  // ignored, as the table documents, or a bus error (vp.strict_registers)
  }
  m.reserved_bits = value & ~s.def->defined_mask;
  reserved_bit_writes_ += m.reserved_bits != 0;
  if (m.reserved_bits && strict_) return false;  // nothing written
  switch (s.def->access) {
    case regmap::Access::RW:
    case regmap::Access::PORT:  // the owner's hooks move the value to or from the table
      s.value = value & s.def->write_mask;
      break;
    case regmap::Access::W1C:
      s.value = before & ~(value & s.def->write_mask);
      break;
    case regmap::Access::RO:  // returned above
    case regmap::Access::WO:
      break;
  }
  if (s.write_hook) s.write_hook(offset, before, value);
  return true;
}

}  // namespace acc
