// Native host CPU: the firmware (firmware/, compiled for the host) runs in this module's
// SystemC thread; the HAL functions it calls are implemented here: MMIO becomes TLM
// transactions, hal_wait_irq() waits on the interrupt port, DRAM is reached through DMI.
// Instruction time is not modelled, only the time of the transactions.
#pragma once

#include "host_cpu.hpp"

namespace acc {

class NativeCpu : public HostCpu {
 public:
  using Entry = int (*)(void);
  NativeCpu(sc_core::sc_module_name name, double clock_hz, Entry entry);
  std::string state() const override;

  // HAL backend (called from the firmware through the C HAL functions).
  uint32_t hal_read32(uint32_t pa);
  void hal_write32(uint32_t pa, uint32_t value);
  void hal_wait_irq();
  void* hal_phys_to_virt(uint32_t pa);

 private:
  void run();
  [[noreturn]] void firmware_fault(const std::string& what);
  Entry entry_;
  bool waiting_irq_ = false;
  uint32_t last_pa_ = 0;
};

}  // namespace acc
