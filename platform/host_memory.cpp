#include "host_memory.hpp"

#include <unistd.h>

#include <cctype>
#include <cmath>

#include "acceltran_regs.h"
#include "input_file.hpp"
#include "parse_number.hpp"

namespace acc {

uint64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : UINT64_MAX;
}

uint64_t parse_memory_size(const std::string& text) {
  size_t unit_at = text.size();
  while (unit_at > 0 && std::isalpha(static_cast<unsigned char>(text[unit_at - 1]))) --unit_at;
  std::string unit = text.substr(unit_at);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  int shift = -1;
  for (const auto& [names, s] : {std::pair{"|B|", 0}, {"|K|KB|KIB|", 10}, {"|M|MB|MIB|", 20}, {"|G|GB|GIB|", 30}, {"|T|TB|TIB|", 40}})
    if (unit.empty() || std::string(names).find("|" + unit + "|") != std::string::npos) {
      shift = unit.empty() ? 0 : s;
      break;
    }
  const std::string bad = "--max-memory '" + text + "': expected a size such as 8G, 512M or 1.5GiB";
  if (shift < 0) throw HostMemoryError(bad);
  double v = 0;
  try {
    v = parse_real(text.substr(0, unit_at), 0.0) * std::ldexp(1.0, shift);
  } catch (const NumberError&) {
    throw HostMemoryError(bad);
  }
  if (v < 1.0 || v >= 0x1p64) throw HostMemoryError("--max-memory '" + text + "': outside 1 byte..16 EiB");
  return static_cast<uint64_t>(v);
}

uint64_t platform_host_bytes(const HwConfig& cfg, bool riscv_cpu) {
  // Per buffer word: 4 bytes of storage (a 20-bit word; the mask buffer has no storage of its
  // own), the PE cluster's copies of an op's operands and result as doubles for its BLAS kernel
  // (operands live in the buffers: 16 bytes per word at most), the DMA's staging (4).
  const double buffers = 24.0 * (double(cfg.act_buffer_words()) + double(cfg.weight_buffer_words()));
  return saturated_bytes(double(kSimulatorBaseBytes) + buffers + (riscv_cpu ? double(ACC_MAP_CPU_RAM_SIZE) : 0.0));
}

void require_host_memory(uint64_t platform_bytes, uint64_t job_bytes, uint64_t limit) {
  const uint64_t need = job_bytes > UINT64_MAX - platform_bytes ? UINT64_MAX : platform_bytes + job_bytes;
  if (need > limit)
    throw HostMemoryError(std::string("the job needs ") + (need == UINT64_MAX ? "over " : "about ") + bytes_text(need) +
                          " of host memory, more than the " + bytes_text(limit) +
                          " it may use (--max-memory; default: the machine's physical memory)");
}

uint64_t saturated_bytes(double bytes) { return bytes >= 0x1p64 ? UINT64_MAX : static_cast<uint64_t>(std::ceil(bytes)); }

}  // namespace acc
