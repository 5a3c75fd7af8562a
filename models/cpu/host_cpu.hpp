// Host CPU: runs the driver firmware and talks to the platform only through its initiator
// socket (every MMIO access a TLM transaction, DRAM through DMI) and its interrupt input.
// Backends: native (firmware compiled into the simulator) and riscv (an ISS running the
// cross-compiled firmware). Both start at time 0 and stop the simulation when the firmware
// returns.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <cstdint>
#include <iosfwd>
#include <string>

#include "clock.hpp"
#include "stats.hpp"

namespace acc {

struct MmioNoteExt;

class HostCpu : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<HostCpu> socket;
  sc_core::sc_in<bool> irq;

  bool finished() const { return finished_; }
  int exit_code() const { return exit_code_; }
  // Why the firmware stopped abnormally (empty if it returned).
  const std::string& fault() const { return fault_; }
  // What the CPU was doing when the simulation ended, for a stall report.
  virtual std::string state() const = 0;
  virtual void collect_stats(Stats& s, const StatsContext& ctx) const;
  // Register-access trace (issue time, address, value of every MMIO access); null: off.
  void set_mmio_trace(std::ostream* out) { mmio_trace_ = out; }
  // Times the CPU asked the platform for a DMI grant (DRAM).
  uint64_t dmi_requests() const { return dmi_requests_; }

 protected:
  HostCpu(sc_core::sc_module_name name, double clock_hz);

  // An MMIO access of `size` bytes (the low bytes of value) as a TLM transaction on the CPU's
  // local time; false on an error response.
  bool mmio(bool write, uint32_t pa, uint32_t& value, unsigned size = 4);
  // Sleeps until the interrupt line is high.
  void wait_irq();
  // Pointer to `len` bytes at pa if DMI covers them (DRAM), else null.
  uint8_t* dmi_ptr(uint32_t pa, uint64_t len);
  // The CPU's notion of now: SystemC time plus its local time offset.
  sc_core::sc_time local_now() const { return sc_core::sc_time_stamp() + qk_.get_local_time(); }
  void finish(int code, const std::string& fault = "");
  // The platform withdrew the DMI grant that dmi_ptr's pointers came from: a backend that keeps
  // such a pointer must stop using it and ask dmi_ptr again.
  virtual void dmi_invalidated() {}

  Clock clock_;
  tlm_utils::tlm_quantumkeeper qk_;
  uint64_t mmio_reads_ = 0, mmio_writes_ = 0, irq_waits_ = 0;

 private:
  void trace_mmio(const sc_core::sc_time& issued, bool write, uint32_t pa, uint32_t value, unsigned size, bool ok,
                  const MmioNoteExt& note) const;

  std::ostream* mmio_trace_ = nullptr;
  tlm::tlm_dmi dmi_;
  bool dmi_valid_ = false;
  uint64_t dmi_requests_ = 0;
  bool finished_ = false;
  int exit_code_ = -1;
  std::string fault_;
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
};

}  // namespace acc
