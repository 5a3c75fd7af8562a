#include "bus.hpp"

#include <sstream>

namespace acc {

Bus::Bus(sc_core::sc_module_name name, const Clock& clock, unsigned latency_cycles)
    : sc_module(name), targets_in("targets_in"), targets_out("targets_out"), clock_(clock), latency_(clock.to_time(latency_cycles)) {
  targets_in.register_b_transport(this, &Bus::b_transport);
  targets_in.register_nb_transport_fw(this, &Bus::nb_transport_fw);
  targets_in.register_transport_dbg(this, &Bus::transport_dbg);
  targets_in.register_get_direct_mem_ptr(this, &Bus::get_direct_mem_ptr);
  targets_out.register_invalidate_direct_mem_ptr(this, &Bus::invalidate_direct_mem_ptr);
}

void Bus::map(const std::string& region, uint64_t base, uint64_t size) {
  auto hex = [](uint64_t v) {
    std::ostringstream s;
    s << "0x" << std::hex << v;
    return s.str();
  };
  if (size == 0) throw AddressMapError("address map: region " + region + " is empty");
  for (const auto& r : regions_)
    if (base < r.base + r.size && r.base < base + size)
      throw AddressMapError("address map: region " + region + " [" + hex(base) + ", " + hex(base + size) + ") overlaps " + r.name +
                            " [" + hex(r.base) + ", " + hex(r.base + r.size) + ")");
  regions_.push_back({region, base, size, static_cast<unsigned>(regions_.size())});
}

void Bus::end_of_elaboration() {
  if (static_cast<size_t>(targets_out.size()) != regions_.size())
    throw AddressMapError("address map: " + std::to_string(regions_.size()) + " regions mapped but " +
                          std::to_string(targets_out.size()) + " targets bound");
}

const Bus::Region* Bus::decode(uint64_t addr, uint64_t len) const {
  for (const auto& r : regions_)
    if (addr >= r.base && addr - r.base < r.size) return (len <= r.size - (addr - r.base)) ? &r : nullptr;
  return nullptr;
}

void Bus::b_transport(int, tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
  ++transactions_;
  delay += latency_;
  const uint64_t addr = t.get_address();
  const Region* r = decode(addr, t.get_data_length());
  if (!r) {
    t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  t.set_address(addr - r->base);
  targets_out[r->port]->b_transport(t, delay);
  t.set_address(addr);
}

// An approximately-timed initiator is served in one call (base protocol: the target may answer
// BEGIN_REQ with TLM_COMPLETED): every target behind the bus is loosely timed and never waits.
tlm::tlm_sync_enum Bus::nb_transport_fw(int id, tlm::tlm_generic_payload& t, tlm::tlm_phase& phase, sc_core::sc_time& delay) {
  if (phase != tlm::BEGIN_REQ) {
    // The bus completes every transaction at BEGIN_REQ, so no other phase can follow one.
    SC_REPORT_ERROR(name(), "nb_transport_fw: only BEGIN_REQ is expected (every transaction completes at once)");
    return tlm::TLM_COMPLETED;
  }
  b_transport(id, t, delay);
  phase = tlm::END_RESP;
  return tlm::TLM_COMPLETED;
}

unsigned int Bus::transport_dbg(int, tlm::tlm_generic_payload& t) {
  const uint64_t addr = t.get_address();
  const Region* r = decode(addr, 1);
  if (!r) return 0;
  // Clip to the region; a debug access never spills into a neighbour.
  const unsigned len = t.get_data_length();
  const uint64_t room = r->size - (addr - r->base);
  if (len > room) t.set_data_length(static_cast<unsigned>(room));
  t.set_address(addr - r->base);
  const unsigned n = targets_out[r->port]->transport_dbg(t);
  t.set_address(addr);
  t.set_data_length(len);
  return n;
}

bool Bus::get_direct_mem_ptr(int, tlm::tlm_generic_payload& t, tlm::tlm_dmi& dmi) {
  const uint64_t addr = t.get_address();
  const Region* r = decode(addr, 1);
  if (!r) return false;
  t.set_address(addr - r->base);
  const bool ok = targets_out[r->port]->get_direct_mem_ptr(t, dmi);
  t.set_address(addr);
  if (ok) {
    // Translate back to system addresses and clip to the region.
    const uint64_t end = std::min<uint64_t>(dmi.get_end_address(), r->size - 1);
    dmi.set_start_address(dmi.get_start_address() + r->base);
    dmi.set_end_address(end + r->base);
    dmi.set_read_latency(dmi.get_read_latency() + latency_);
    dmi.set_write_latency(dmi.get_write_latency() + latency_);
  }
  return ok;
}

void Bus::invalidate_direct_mem_ptr(int port, sc_dt::uint64 start, sc_dt::uint64 end) {
  const Region& r = regions_.at(static_cast<size_t>(port));
  const sc_dt::uint64 s = r.base + start;
  const sc_dt::uint64 e = (end >= r.size - 1) ? r.base + r.size - 1 : r.base + end;
  for (unsigned i = 0; i < targets_in.size(); ++i) targets_in[i]->invalidate_direct_mem_ptr(s, e);
}

}  // namespace acc
