#include "tlm_checker.hpp"

#include <cstdio>
#include <cstdlib>

namespace acc {

uint64_t TlmChecker::checked_ = 0;

namespace {

// The attributes a target (and an interconnect, once the call returns) must leave as they were.
struct Immutable {
  tlm::tlm_command command;
  unsigned char* data;
  unsigned length, streaming_width, byte_enable_length;
  unsigned char* byte_enables;

  explicit Immutable(const tlm::tlm_generic_payload& t)
      : command(t.get_command()),
        data(t.get_data_ptr()),
        length(t.get_data_length()),
        streaming_width(t.get_streaming_width()),
        byte_enable_length(t.get_byte_enable_length()),
        byte_enables(t.get_byte_enable_ptr()) {}

  // The first attribute that changed, or null.
  const char* changed(const tlm::tlm_generic_payload& t) const {
    if (t.get_command() != command) return "command";
    if (t.get_data_ptr() != data) return "data pointer";
    if (t.get_data_length() != length) return "data length";
    if (t.get_streaming_width() != streaming_width) return "streaming width";
    if (t.get_byte_enable_ptr() != byte_enables) return "byte-enable pointer";
    if (t.get_byte_enable_length() != byte_enable_length) return "byte-enable length";
    return nullptr;
  }
};

bool valid_command(tlm::tlm_command c) {
  return c == tlm::TLM_READ_COMMAND || c == tlm::TLM_WRITE_COMMAND || c == tlm::TLM_IGNORE_COMMAND;
}

}  // namespace

TlmChecker::TlmChecker(sc_core::sc_module_name name) : sc_module(name), in("in"), out("out") {
  in.register_b_transport(this, &TlmChecker::b_transport);
  in.register_nb_transport_fw(this, &TlmChecker::nb_transport_fw);
  in.register_transport_dbg(this, &TlmChecker::transport_dbg);
  in.register_get_direct_mem_ptr(this, &TlmChecker::get_direct_mem_ptr);
  out.register_nb_transport_bw(this, &TlmChecker::nb_transport_bw);
  out.register_invalidate_direct_mem_ptr(this, &TlmChecker::invalidate_direct_mem_ptr);
}

void TlmChecker::violation(const char* call, const std::string& rule) const {
  std::fprintf(stderr, "TLM rule violated on %s, %s: %s (IEEE 1666-2011)\n", name(), call, rule.c_str());
  std::fflush(stderr);
  std::abort();
}

// The initiator's duties for a payload it sends (14.8 to 14.15: initial values and attributes).
void TlmChecker::check_request(const tlm::tlm_generic_payload& t, const char* call) const {
  if (t.get_response_status() != tlm::TLM_INCOMPLETE_RESPONSE)
    violation(call, "the response status must be TLM_INCOMPLETE_RESPONSE when a transaction is sent");
  if (t.is_dmi_allowed()) violation(call, "the DMI-allowed attribute must be false when a transaction is sent");
  if (!valid_command(t.get_command())) violation(call, "the command must be read, write or ignore");
  if (t.get_data_length() == 0) violation(call, "the data length must not be 0");
  if (!t.get_data_ptr()) violation(call, "the data pointer must not be null");
  if (t.get_streaming_width() == 0) violation(call, "the streaming width must not be 0");
  if (t.get_byte_enable_ptr() && t.get_byte_enable_length() == 0)
    violation(call, "a byte-enable pointer needs a byte-enable length greater than 0");
}

void TlmChecker::b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
  ++checked_;
  check_request(t, "b_transport");
  const Immutable before(t);
  const sc_core::sc_time delay_in = delay, now = sc_core::sc_time_stamp();
  out->b_transport(t, delay);
  if (t.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE) violation("b_transport", "the target did not set the response status");
  if (const char* what = before.changed(t)) violation("b_transport", std::string("the target changed the ") + what);
  // A target that waits lets SystemC time move: what counts is the time the annotation stands for.
  if (sc_core::sc_time_stamp() + delay < now + delay_in) violation("b_transport", "the timing annotation went backwards");
}

tlm::tlm_sync_enum TlmChecker::nb_transport_fw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase, sc_core::sc_time& delay) {
  ++checked_;
  if (phase == tlm::BEGIN_REQ) check_request(t, "nb_transport_fw");
  const Immutable before(t);
  const sc_core::sc_time delay_in = delay;
  const tlm::tlm_sync_enum r = out->nb_transport_fw(t, phase, delay);
  if (r == tlm::TLM_COMPLETED && t.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE)
    violation("nb_transport_fw", "a transaction completed without a response status");
  if (const char* what = before.changed(t)) violation("nb_transport_fw", std::string("the target changed the ") + what);
  if (r != tlm::TLM_ACCEPTED && delay < delay_in) violation("nb_transport_fw", "the timing annotation went backwards");
  return r;
}

tlm::tlm_sync_enum TlmChecker::nb_transport_bw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase, sc_core::sc_time& delay) {
  return in->nb_transport_bw(t, phase, delay);
}

// Debug transport (11.3): the initiator sets command, address, data pointer and length; the
// target returns how many bytes it moved, never more than asked.
unsigned int TlmChecker::transport_dbg(tlm::tlm_generic_payload& t) {
  ++checked_;
  if (!valid_command(t.get_command())) violation("transport_dbg", "the command must be read, write or ignore");
  if (t.get_data_length() > 0 && !t.get_data_ptr()) violation("transport_dbg", "the data pointer must not be null");
  const tlm::tlm_command command = t.get_command();
  unsigned char* data = t.get_data_ptr();
  const unsigned length = t.get_data_length();
  const unsigned n = out->transport_dbg(t);
  if (n > length) violation("transport_dbg", "the target moved more bytes than the data length");
  if (t.get_command() != command || t.get_data_ptr() != data || t.get_data_length() != length)
    violation("transport_dbg", "the target changed the command, data pointer or data length");
  return n;
}

// DMI (11.2): the request carries a descriptor in its initial state and a read or write command;
// a grant covers the requested address, allows the requested access and gives a pointer.
bool TlmChecker::get_direct_mem_ptr(tlm::tlm_generic_payload& t, tlm::tlm_dmi& dmi) {
  ++checked_;
  if (dmi.get_dmi_ptr() || dmi.get_start_address() != 0 || dmi.get_end_address() != static_cast<sc_dt::uint64>(-1) ||
      dmi.get_granted_access() != tlm::tlm_dmi::DMI_ACCESS_NONE || dmi.get_read_latency() != sc_core::SC_ZERO_TIME ||
      dmi.get_write_latency() != sc_core::SC_ZERO_TIME)
    violation("get_direct_mem_ptr", "the DMI descriptor must be in its initial state (tlm_dmi::init) when DMI is requested");
  const tlm::tlm_command command = t.get_command();
  if (command != tlm::TLM_READ_COMMAND && command != tlm::TLM_WRITE_COMMAND)
    violation("get_direct_mem_ptr", "a DMI request must ask for read or write access");
  const sc_dt::uint64 address = t.get_address();
  const bool granted = out->get_direct_mem_ptr(t, dmi);
  if (!granted) return false;
  if (!dmi.get_dmi_ptr()) violation("get_direct_mem_ptr", "a DMI grant must give a pointer");
  if (address < dmi.get_start_address() || address > dmi.get_end_address())
    violation("get_direct_mem_ptr", "a DMI grant must cover the requested address");
  if (command == tlm::TLM_READ_COMMAND ? !dmi.is_read_allowed() : !dmi.is_write_allowed())
    violation("get_direct_mem_ptr", "a DMI grant must allow the requested access");
  return true;
}

void TlmChecker::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
  ++checked_;
  if (start > end) violation("invalidate_direct_mem_ptr", "the invalidated range must not be empty (start > end)");
  in->invalidate_direct_mem_ptr(start, end);
}

}  // namespace acc
