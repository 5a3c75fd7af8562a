// Host memory: how much a run may use (--max-memory; by default the machine's physical memory)
// and what it needs, estimated from the job's shapes before anything large is allocated, so that
// a job that cannot fit is refused with the size it needs instead of ending in std::bad_alloc or
// the out-of-memory killer.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "hw_config.hpp"

namespace acc {

struct HostMemoryError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The simulator itself: program, libraries, the SystemC kernel, statistics (a small job peaks at
// ~20 MiB resident; the allowance is generous).
inline constexpr uint64_t kSimulatorBaseBytes = uint64_t{64} << 20;

uint64_t physical_memory_bytes();

// "8G", "512MiB", "1.5GiB", "1000000" (bytes): K, M, G, T are powers of 1024. Throws
// HostMemoryError naming the text.
uint64_t parse_memory_size(const std::string& text);

// What the platform for `cfg` may touch besides a job's DRAM image: the simulator itself, the
// on-chip buffers and the PE cluster's and the DMA's working copies of their words, the riscv
// CPU's program RAM.
uint64_t platform_host_bytes(const HwConfig& cfg, bool riscv_cpu);

// Throws HostMemoryError if the platform's and the job's bytes together exceed `limit`, naming
// both totals.
void require_host_memory(uint64_t platform_bytes, uint64_t job_bytes, uint64_t limit);

// Estimates add in double (a product of user-given sizes may exceed 64 bits); this converts the
// total back, saturating.
uint64_t saturated_bytes(double bytes);

}  // namespace acc
