// A test initiator: runs a test body in an SC_THREAD and offers raw TLM accesses (so tests can
// see error responses, delays, debug transport and DMI that firmware never sees).
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <functional>

#include "tlm_util.hpp"

namespace acc::test {

class Probe : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Probe> socket;

  explicit Probe(sc_core::sc_module_name name) : sc_module(name), socket("socket") {
    socket.register_invalidate_direct_mem_ptr(this, &Probe::invalidate);
    SC_HAS_PROCESS(Probe);
    SC_THREAD(run);
  }

  std::function<void(Probe&)> body;

  // One transaction; returns the response status and adds the target's latency to `delay`.
  tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t addr, void* data, unsigned len,
                                  sc_core::sc_time* delay = nullptr, unsigned char* byte_enables = nullptr,
                                  TransferExt* ext = nullptr) {
    tlm::tlm_generic_payload t;
    t.set_command(cmd);
    t.set_address(addr);
    t.set_data_ptr(static_cast<unsigned char*>(data));
    t.set_data_length(len);
    t.set_streaming_width(len);
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    if (byte_enables) {
      t.set_byte_enable_ptr(byte_enables);
      t.set_byte_enable_length(len);
    }
    if (ext) t.set_extension(ext);
    sc_core::sc_time d = delay ? *delay : sc_core::SC_ZERO_TIME;
    socket->b_transport(t, d);
    if (ext) t.clear_extension(ext);
    if (delay) *delay = d;
    return t.get_response_status();
  }
  uint32_t read32(uint64_t addr) {
    uint32_t v = 0xDEADBEEF;
    last = access(tlm::TLM_READ_COMMAND, addr, &v, 4);
    return v;
  }
  tlm::tlm_response_status write32(uint64_t addr, uint32_t v) { return last = access(tlm::TLM_WRITE_COMMAND, addr, &v, 4); }
  unsigned debug(tlm::tlm_command cmd, uint64_t addr, void* data, unsigned len) {
    tlm::tlm_generic_payload t;
    t.set_command(cmd);
    t.set_address(addr);
    t.set_data_ptr(static_cast<unsigned char*>(data));
    t.set_data_length(len);
    return socket->transport_dbg(t);
  }
  bool dmi(uint64_t addr, tlm::tlm_dmi& d, tlm::tlm_command cmd = tlm::TLM_READ_COMMAND) {
    tlm::tlm_generic_payload t;
    t.set_command(cmd);
    t.set_address(addr);
    d.init();
    return socket->get_direct_mem_ptr(t, d);
  }

  tlm::tlm_response_status last = tlm::TLM_INCOMPLETE_RESPONSE;
  bool done = false;
  // DMI invalidations received: how many, and the last range.
  unsigned invalidations = 0;
  sc_dt::uint64 invalidated_start = 0, invalidated_end = 0;

 private:
  void invalidate(sc_dt::uint64 start, sc_dt::uint64 end) {
    ++invalidations;
    invalidated_start = start, invalidated_end = end;
  }
  void run() {
    if (body) body(*this);
    done = true;
  }
};

// A target that answers every transaction with an error (binds sockets a test does not use).
class NullTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<NullTarget> socket;
  explicit NullTarget(sc_core::sc_module_name name) : sc_module(name), socket("socket") {
    socket.register_b_transport(this, &NullTarget::b_transport);
  }
  unsigned calls = 0;

 private:
  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time&) {
    ++calls;
    t.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
  }
};

}  // namespace acc::test
