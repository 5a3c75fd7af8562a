// A pass-through adapter that checks the generic-payload rules of IEEE 1666-2011 (section 14) on
// one socket binding, in both directions. The SoC inserts one on every binding when the build has
// ACC_TLM_CHECKS (cmake -DACC_TLM_CHECKS=ON, the hardened build of tools/check-hardened.sh).
//
// Checked, on the way in (the initiator's duties): a payload starts with an incomplete response
// and DMI not allowed, a valid command, data and a data length, a non-zero streaming width, and a
// byte-enable length with a byte-enable pointer; a DMI request comes with a descriptor in its
// initial state. On the way out (the target's and the interconnect's duties): the response status
// is set, the attributes a target must not change are unchanged, the timing annotation did not go
// backwards, a debug access moved no more than it was asked, and a DMI grant covers the requested
// address with the requested access. Invalidations name a non-empty range.
//
// A violation is a bug in a model, never in firmware or input: it prints the rule and the
// binding and aborts, so that whichever test met it fails.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <string>

namespace acc {

class TlmChecker : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<TlmChecker> in;     // the initiator (or the interconnect) binds here
  tlm_utils::simple_initiator_socket<TlmChecker> out;  // bound to the target (or the interconnect)

  explicit TlmChecker(sc_core::sc_module_name name);

  // Transactions, debug accesses and DMI requests checked so far by every checker.
  static uint64_t checked() { return checked_; }

 private:
  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase, sc_core::sc_time& delay);
  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& t);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& t, tlm::tlm_dmi& dmi);
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);

  void check_request(const tlm::tlm_generic_payload& t, const char* call) const;
  void violation(const char* call, const std::string& rule) const;

  static uint64_t checked_;
};

}  // namespace acc
