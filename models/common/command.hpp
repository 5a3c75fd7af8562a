// Dispatch from the control block to an execution unit (DMA, PE cluster): the 64-byte descriptor
// travels as the data of a TLM write on a point-to-point socket. The annotated delay carries the
// cycle the unit may start. A unit that times the command at once (the PE cluster) returns the
// cycle it has finished (the control block keeps running ahead; it does not wait for the unit).
// A unit that shares a resource with later commands in time order (the DMA, on the DRAM channel)
// accepts the command and completes it later (DispatchExt::deferred): the control block steps it
// as a DeferredUnit. The extension carries the control state the unit needs (captured at issue)
// and brings back what the unit did, for the performance counters, or why it could not.
#pragma once

#include <tlm>

#include <cstdint>
#include <vector>

namespace acc {

struct PruningConfig;

struct DispatchExt : tlm::tlm_extension<DispatchExt> {
  // In: control state at issue.
  int32_t tau = 0;                          // DYNATRAN_TAU
  const PruningConfig* pruning = nullptr;   // the pruning units' registers
  uint32_t index = 0;                       // ring index of the descriptor (traces only)
  uint64_t id = 0;                          // the control block's name for the command (Completion::id)
  // Out: the unit completes the command later and reports a Completion (the rest stays unset).
  bool deferred = false;
  // Out: the cycle the unit began the command (later than the issue while the unit was busy).
  uint64_t start = 0;
  // Out: what the unit did.
  uint64_t tile_ops = 0, dense_macs = 0, effectual_macs = 0;
  uint64_t dram_read_bits = 0, dram_write_bits = 0;
  // Out: an execution error (ACC_ERR_*) and its detail.
  uint32_t error = 0, info = 0;

  tlm::tlm_extension_base* clone() const override { return new DispatchExt(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const DispatchExt&>(e); }
};

// What a deferred unit reports when a command completes.
struct Completion {
  uint64_t id = 0;                 // DispatchExt::id of the command
  uint64_t start = 0, done = 0;    // the unit began it; its last effect is complete
  uint64_t dram_read_bits = 0, dram_write_bits = 0;
  uint32_t error = 0, info = 0;    // ACC_ERR_* and its detail if it failed
};

// A unit that works through its commands in time order, in step with the control block. The
// control block steps it so that everything happens in simulated-time order: it never lets the
// unit step past a cycle at which it may still give it a command.
class DeferredUnit {
 public:
  virtual ~DeferredUnit() = default;
  // Cycle of the unit's next step (UINT64_MAX: nothing to do).
  virtual uint64_t next_step() const = 0;
  // Performs that step; appends the commands it completed.
  virtual void step(std::vector<Completion>& completed) = 0;
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
