#include "host_cpu.hpp"

#include <cstdio>
#include <cstring>
#include <ostream>

#include "acceltran_regs.h"
#include "regmap.hpp"
#include "tlm_util.hpp"

namespace acc {

HostCpu::HostCpu(sc_core::sc_module_name name, double clock_hz) : sc_module(name), socket("socket"), irq("irq"), clock_(clock_hz) {
  socket.register_invalidate_direct_mem_ptr(this, &HostCpu::invalidate_direct_mem_ptr);
}

bool HostCpu::mmio(bool write, uint32_t pa, uint32_t& value, unsigned size) {
  tlm::tlm_generic_payload t;
  uint32_t data = value;  // a narrower access uses the low bytes (the host is little-endian, as RISC-V)
  t.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  t.set_address(pa);
  t.set_data_ptr(reinterpret_cast<unsigned char*>(&data));
  t.set_data_length(size);
  t.set_streaming_width(size);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  MmioNoteExt note;  // for the trace: what a register ignored of a write
  t.set_extension(&note);
  const sc_core::sc_time issued = local_now();
  sc_core::sc_time delay = qk_.get_local_time();
  socket->b_transport(t, delay);
  t.clear_extension(&note);
  qk_.set(delay);
  if (qk_.need_sync()) qk_.sync();
  (write ? mmio_writes_ : mmio_reads_)++;
  const bool ok = t.is_response_ok();
  if (ok && !write) value = data;
  if (mmio_trace_) trace_mmio(issued, write, pa, write || ok ? value : 0, size, ok, note);
  return ok;
}

void HostCpu::trace_mmio(const sc_core::sc_time& issued, bool write, uint32_t pa, uint32_t value, unsigned size, bool ok,
                         const MmioNoteExt& note) const {
  const char* name = "";
  if (pa >= ACC_MAP_ACC_REGS_BASE && pa - ACC_MAP_ACC_REGS_BASE < ACC_MAP_ACC_REGS_SIZE) {
    if (const auto* r = regmap::find_register(pa - ACC_MAP_ACC_REGS_BASE)) name = r->name;
  } else if (pa == ACC_MAP_CONSOLE_BASE) {
    name = "CONSOLE";
  }
  char misuse[64] = "";  // register misuse: the write was answered OK but (partly) ignored
  if (note.read_only)
    std::snprintf(misuse, sizeof misuse, "  (read-only: ignored)");
  else if (note.reserved_bits)
    std::snprintf(misuse, sizeof misuse, "  (reserved bits 0x%08x: ignored)", note.reserved_bits);
  char line[224];
  std::snprintf(line, sizeof line, "[mmio] %16.3f ns  %c%u 0x%08x = 0x%08x  %s%s%s\n", issued.to_seconds() * 1e9,
                write ? 'W' : 'R', size * 8, pa, value, name, ok ? "" : "  (error response)", misuse);
  *mmio_trace_ << line;
}

void HostCpu::wait_irq() {
  ++irq_waits_;
  qk_.sync();
  while (!irq.read()) sc_core::wait(irq.value_changed_event());
}

uint8_t* HostCpu::dmi_ptr(uint32_t pa, uint64_t len) {
  if (!dmi_valid_ || pa < dmi_.get_start_address() || uint64_t{pa} + len - 1 > dmi_.get_end_address()) {
    // The firmware reads and writes DRAM through the pointer: ask for write access.
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_WRITE_COMMAND);
    t.set_address(pa);
    dmi_.init();
    ++dmi_requests_;
    dmi_valid_ = socket->get_direct_mem_ptr(t, dmi_) && dmi_.is_read_write_allowed();
    if (!dmi_valid_ || pa < dmi_.get_start_address() || uint64_t{pa} + len - 1 > dmi_.get_end_address()) return nullptr;
  }
  return dmi_.get_dmi_ptr() + (pa - dmi_.get_start_address());
}

void HostCpu::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
  if (!dmi_valid_ || end < dmi_.get_start_address() || start > dmi_.get_end_address()) return;
  dmi_valid_ = false;
  dmi_invalidated();
}

void HostCpu::finish(int code, const std::string& fault) {
  qk_.sync();  // the run ends at the CPU's own time, wherever the last quantum boundary fell
  finished_ = fault.empty();
  exit_code_ = code;
  fault_ = fault;
  sc_core::sc_stop();
}

void HostCpu::collect_stats(Stats& s, const StatsContext&) const {
  s.put("cpu.mmio_reads", mmio_reads_, "transactions", "Register reads by the firmware");
  s.put("cpu.mmio_writes", mmio_writes_, "transactions", "Register writes by the firmware");
  s.put("cpu.irq_waits", irq_waits_, "waits", "Times the firmware slept waiting for the interrupt");
}

}  // namespace acc
