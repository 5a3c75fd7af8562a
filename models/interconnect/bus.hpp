// System interconnect: decodes addresses onto targets, adds its latency to every transaction,
// forwards debug transport and DMI (translating addresses both ways) and answers an address that
// no target claims with TLM_ADDRESS_ERROR_RESPONSE. Overlapping regions are rejected when they are
// mapped, so a bad address map fails at start-up.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "clock.hpp"

namespace acc {

struct AddressMapError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Bus : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Bus> targets_in;      // initiators bind here
  tlm_utils::multi_passthrough_initiator_socket<Bus> targets_out;  // bind to targets, in map() order

  Bus(sc_core::sc_module_name name, const Clock& clock, unsigned latency_cycles);

  // Maps [base, base+size) onto the next target bound to targets_out. Throws AddressMapError
  // if the region is empty or overlaps one already mapped.
  void map(const std::string& region, uint64_t base, uint64_t size);

  struct Region {
    std::string name;
    uint64_t base, size;
    unsigned port;
  };
  const std::vector<Region>& regions() const { return regions_; }
  uint64_t transactions() const { return transactions_; }

 private:
  const Region* decode(uint64_t addr, uint64_t len) const;
  void b_transport(int id, tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  unsigned int transport_dbg(int id, tlm::tlm_generic_payload& t);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& t, tlm::tlm_dmi& dmi);
  tlm::tlm_sync_enum nb_transport_fw(int id, tlm::tlm_generic_payload& t, tlm::tlm_phase& phase, sc_core::sc_time& delay);
  void invalidate_direct_mem_ptr(int port, sc_dt::uint64 start, sc_dt::uint64 end);
  void end_of_elaboration() override;

  const Clock& clock_;
  sc_core::sc_time latency_;
  std::vector<Region> regions_;
  uint64_t transactions_ = 0;
};

}  // namespace acc
