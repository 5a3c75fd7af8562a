#include "native_cpu.hpp"

#include <cstdio>
#include <sstream>

#include "acceltran_regs.h"
#include "hal.h"

namespace acc {

namespace {
NativeCpu* g_cpu = nullptr;  // one simulation per process: the CPU the HAL talks to

struct FirmwareAbort {};  // unwinds the firmware's stack after a fault

std::string hex(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}
}  // namespace

NativeCpu::NativeCpu(sc_core::sc_module_name name, double clock_hz, Entry entry) : HostCpu(name, clock_hz), entry_(entry) {
  SC_HAS_PROCESS(NativeCpu);
  SC_THREAD(run);
}

void NativeCpu::run() {
  g_cpu = this;
  try {
    const int rc = entry_();
    finish(rc);
  } catch (const FirmwareAbort&) {
  }
  g_cpu = nullptr;
}

void NativeCpu::firmware_fault(const std::string& what) {
  finish(-1, what);
  throw FirmwareAbort{};
}

std::string NativeCpu::state() const {
  std::ostringstream s;
  if (waiting_irq_)
    s << "waiting for the accelerator interrupt";
  else
    s << "running (last MMIO access " << hex(last_pa_) << ")";
  return s.str();
}

uint32_t NativeCpu::hal_read32(uint32_t pa) {
  last_pa_ = pa;
  uint32_t v = 0;
  if (!mmio(false, pa, v)) firmware_fault("bus error on a read of " + hex(pa));
  return v;
}

void NativeCpu::hal_write32(uint32_t pa, uint32_t value) {
  last_pa_ = pa;
  if (!mmio(true, pa, value)) firmware_fault("bus error on a write of " + hex(value) + " to " + hex(pa));
}

void NativeCpu::hal_wait_irq() {
  waiting_irq_ = true;
  wait_irq();
  waiting_irq_ = false;
}

void* NativeCpu::hal_phys_to_virt(uint32_t pa) {
  uint8_t* p = dmi_ptr(pa, 1);
  if (!p) firmware_fault("hal_phys_to_virt(" + hex(pa) + "): no memory there");
  return p;
}

}  // namespace acc

// The C HAL the firmware links against, on the native backend.
extern "C" {
uint32_t hal_read32(uint32_t pa) { return acc::g_cpu->hal_read32(pa); }
void hal_write32(uint32_t pa, uint32_t value) { acc::g_cpu->hal_write32(pa, value); }
void hal_wait_irq(void) { acc::g_cpu->hal_wait_irq(); }
void* hal_phys_to_virt(uint32_t pa) { return acc::g_cpu->hal_phys_to_virt(pa); }
void hal_putc(char c) { acc::g_cpu->hal_write32(ACC_MAP_CONSOLE_BASE, static_cast<uint8_t>(c)); }
}
