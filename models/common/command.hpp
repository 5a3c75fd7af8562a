// Dispatch from the control block to an execution unit (DMA, PE cluster): the 64-byte descriptor
// travels as the data of a TLM write on a point-to-point socket. The annotated delay carries the
// cycle the unit may start, and comes back as the cycle the unit has finished (the control block
// keeps running ahead; it does not wait for the unit). The extension carries the control state
// the unit needs (captured at issue, in program order) and brings back what the unit did, for the
// performance counters, or why it could not.
#pragma once

#include <tlm>

#include <cstdint>

namespace acc {

struct PruningConfig;

struct DispatchExt : tlm::tlm_extension<DispatchExt> {
  // In: control state at issue.
  int32_t tau = 0;                          // DYNATRAN_TAU
  const PruningConfig* pruning = nullptr;   // the pruning units' registers
  // Out: what the unit did.
  uint64_t tile_ops = 0, dense_macs = 0, effectual_macs = 0;
  uint64_t dram_read_bits = 0, dram_write_bits = 0;
  // Out: an execution error (ACC_ERR_*) and its detail.
  uint32_t error = 0, info = 0;

  tlm::tlm_extension_base* clone() const override { return new DispatchExt(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const DispatchExt&>(e); }
};

// A dispatch is a 64-byte write. Anything else on a command port gets an error response.
inline bool check_dispatch(tlm::tlm_generic_payload& t, unsigned descriptor_bytes) {
  if (!t.is_write() || t.get_data_length() != descriptor_bytes || t.get_byte_enable_ptr()) {
    t.set_response_status(t.get_command() == tlm::TLM_IGNORE_COMMAND || !t.is_write() ? tlm::TLM_COMMAND_ERROR_RESPONSE
                                                                                      : tlm::TLM_BURST_ERROR_RESPONSE);
    return false;
  }
  return true;
}

// Command ports hold no memory: debug transport transfers nothing.
inline unsigned int no_debug(tlm::tlm_generic_payload&) { return 0; }

}  // namespace acc
