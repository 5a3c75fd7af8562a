#include "host_cpu.hpp"

#include <cstring>

namespace acc {

HostCpu::HostCpu(sc_core::sc_module_name name, double clock_hz) : sc_module(name), socket("socket"), irq("irq"), clock_(clock_hz) {
  socket.register_invalidate_direct_mem_ptr(this, &HostCpu::invalidate_direct_mem_ptr);
}

bool HostCpu::mmio(bool write, uint32_t pa, uint32_t& value) {
  tlm::tlm_generic_payload t;
  uint32_t data = value;
  t.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  t.set_address(pa);
  t.set_data_ptr(reinterpret_cast<unsigned char*>(&data));
  t.set_data_length(4);
  t.set_streaming_width(4);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = qk_.get_local_time();
  socket->b_transport(t, delay);
  qk_.set(delay);
  if (qk_.need_sync()) qk_.sync();
  (write ? mmio_writes_ : mmio_reads_)++;
  if (!t.is_response_ok()) return false;
  if (!write) value = data;
  return true;
}

void HostCpu::wait_irq() {
  ++irq_waits_;
  qk_.sync();
  while (!irq.read()) sc_core::wait(irq.value_changed_event());
}

uint8_t* HostCpu::dmi_ptr(uint32_t pa, uint32_t len) {
  if (!dmi_valid_ || pa < dmi_.get_start_address() || uint64_t{pa} + len - 1 > dmi_.get_end_address()) {
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_READ_COMMAND);
    t.set_address(pa);
    dmi_valid_ = socket->get_direct_mem_ptr(t, dmi_);
    if (!dmi_valid_ || pa < dmi_.get_start_address() || uint64_t{pa} + len - 1 > dmi_.get_end_address()) return nullptr;
  }
  return dmi_.get_dmi_ptr() + (pa - dmi_.get_start_address());
}

void HostCpu::finish(int code, const std::string& fault) {
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
