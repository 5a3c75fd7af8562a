// Which register accesses --trace-mmio writes (--trace-mmio-filter LIST): LIST names registers of
// platform/regmap.yaml and CONSOLE, separated by commas. Names select; names prefixed with '-'
// leave out. Without a selecting name every access is traced but those left out, e.g.
//   -CONSOLE                      everything but the firmware's console output
//   QUEUE_TAIL,QUEUE_HEAD,IRQ_STATUS  only these registers
#pragma once

#include <cstdint>
#include <set>
#include <string>

namespace acc {

// The name --trace-mmio shows for an address: a register, CONSOLE, or "" (buffers and holes).
const char* mmio_name(uint32_t pa);

class MmioTraceFilter {
 public:
  // Throws std::invalid_argument naming an unknown register.
  explicit MmioTraceFilter(const std::string& list);
  bool selected(uint32_t pa) const;

 private:
  std::set<std::string> include_, exclude_;
};

}  // namespace acc
