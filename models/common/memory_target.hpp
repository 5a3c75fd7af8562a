// Base of the memory-like targets (DRAM, on-chip buffers): byte storage, b_transport with
// TLM error responses, debug transport and DMI. Derived models supply the timing of a
// transaction through schedule() and count what they need for energy.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>

#include "clock.hpp"

namespace acc {

class BackgroundFill;

class MemoryTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<MemoryTarget> socket;

  MemoryTarget(sc_core::sc_module_name name, uint64_t size_bytes, const Clock& clock);
  ~MemoryTarget() override;

  uint8_t* data() { return mem_; }
  uint64_t size() const { return size_; }
  // Contents still being written beside the simulation (offsets into this memory): transactions,
  // debug accesses and DMI grants wait for, or stop short of, what is not written yet.
  void set_background_fill(const BackgroundFill* fill) { fill_ = fill; }

  // Digest of the bytes from the lowest to the highest address written by transactions (for
  // DRAM: the accelerator's results; DMI writes are not seen), folded to 48 bits so that it is
  // exact in the statistics. Two runs with the same digest produced the same results.
  uint64_t written_digest() const;

  // Withdraws every DMI grant of this memory (IEEE 1666-2011 11.2.9): its users must ask again.
  void invalidate_dmi();

 protected:
  // A transfer to time: `bits` that may start at cycle `start` and, when fed by a stream, cannot
  // end before `stream_end`. `words`/`nonzero` describe zero-free tensor transfers (else 0).
  struct Transfer {
    bool write = false;
    bool pe_access = false;  // a PE cluster's port access (no data through the transaction)
    bool priority = false;   // served ahead of queued bulk transfers (PriorityExt)
    uint64_t start = 0, stream_end = 0, spread_end = 0, bits = 0, words = 0, nonzero = 0;
    uint32_t tag = 0;
  };
  struct Timing {
    uint64_t data_start, done;  // the first data move; the data are complete
  };
  // Reserves the resource for a transfer and counts it.
  virtual Timing schedule(const Transfer& x) = 0;
  // Latency the DMI user should add per access.
  virtual sc_core::sc_time dmi_latency() const { return sc_core::SC_ZERO_TIME; }

  const Clock& clock_;
  // compat.global_sparsity: >= 0 replaces the data's zeros in the zero-free size of every tensor
  // transfer by this fraction (and the mask bits by nothing), as AccelTran's simulator sizes them.
  double global_sparsity_ = -1;

 private:
  void apply_global_sparsity(Transfer& x, uint32_t nm_index_bits) const;
  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& t);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& t, tlm::tlm_dmi& dmi);
  bool check(tlm::tlm_generic_payload& t) const;

  uint8_t* mem_ = nullptr;
  const BackgroundFill* fill_ = nullptr;
  uint64_t size_;
  uint64_t written_lo_ = UINT64_MAX, written_hi_ = 0;  // [lo, hi) spanned by write transactions
};

}  // namespace acc
