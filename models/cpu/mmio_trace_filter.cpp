#include "mmio_trace_filter.hpp"

#include <sstream>
#include <stdexcept>

#include "acceltran_regs.h"
#include "regmap.hpp"

namespace acc {

const char* mmio_name(uint32_t pa) {
  if (pa >= ACC_MAP_ACC_REGS_BASE && pa - ACC_MAP_ACC_REGS_BASE < ACC_MAP_ACC_REGS_SIZE) {
    if (const auto* r = regmap::find_register(pa - ACC_MAP_ACC_REGS_BASE)) return r->name;
  } else if (pa == ACC_MAP_CONSOLE_BASE) {
    return "CONSOLE";
  }
  return "";
}

MmioTraceFilter::MmioTraceFilter(const std::string& list) {
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ',')) {
    const bool out = !name.empty() && name[0] == '-';
    if (out) name.erase(0, 1);
    bool known = name == "CONSOLE";
    for (size_t i = 0; i < regmap::kNumRegisters && !known; ++i) known = name == regmap::kRegisters[i].name;
    if (!known)
      throw std::invalid_argument("--trace-mmio-filter: '" + name +
                                  "' is not a register of platform/regmap.yaml (docs/registers.md) nor CONSOLE");
    (out ? exclude_ : include_).insert(name);
  }
  if (include_.empty() && exclude_.empty()) throw std::invalid_argument("--trace-mmio-filter: no register named");
}

bool MmioTraceFilter::selected(uint32_t pa) const {
  const std::string name = mmio_name(pa);
  if (exclude_.count(name)) return false;
  return include_.empty() || include_.count(name);
}

}  // namespace acc
