// Small TLM-2.0 helpers shared by the targets: access checks that answer with the right error
// response (never an assert), and the payload extensions the accelerator's initiators attach.
#pragma once

#include <tlm>

#include <cstdint>
#include <map>

#include "fixed_point.hpp"

namespace acc {

// Checks a register access: a 32-bit aligned single-word read or write with all bytes enabled.
// Sets the error response and returns false otherwise.
inline bool check_word_access(tlm::tlm_generic_payload& t) {
  if (t.get_command() == tlm::TLM_IGNORE_COMMAND) {
    t.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return false;
  }
  if (t.get_data_length() != 4 || t.get_streaming_width() < 4) {
    t.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return false;
  }
  if (t.get_byte_enable_ptr()) {
    t.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  if (t.get_address() % 4) {
    t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  return true;
}

// Attached by the DMA to DRAM and buffer transfers of tensor data. The data travel as 32-bit
// containers of words of the number format; the target charges the zero-free size the hardware moves:
// a word (20 bits in Q4.16) per non-zero word plus one mask bit per word (the AccelTran paper; AccelTran's simulator/src/buffer.py). The target fills in
// what it charged and when the data moved. `stream_end` makes a transfer cut-through: the DMA
// writes a burst as its source data arrive, so the write cannot finish before the last of them.
struct TransferExt : tlm::tlm_extension<TransferExt> {
  uint32_t tag = 0;             // in: trace tag of the descriptor (statistics only)
  uint32_t nm_index_bits = 0;   // in: > 0 for N:M compressed words: 20 + this many bits each, no mask
  uint64_t stream_end = 0;      // in: cycle the data feeding this transfer end (0: all present)
  static constexpr uint64_t kUncounted = UINT64_MAX;
  uint64_t known_nonzero = kUncounted;  // in: the data's non-zero words when the initiator has counted them (a DMA
                                        // writing what it has just read); else the target counts them
  uint64_t words = 0;           // out: words transferred
  uint64_t counted_nonzero = 0; // out: non-zero words counted in the data
  uint64_t nonzero = 0;         // out: non-zero words charged (compat.global_sparsity may set them)
  uint64_t modelled_bits = 0;   // out: bits charged
  uint64_t data_start = 0;      // out: cycle the first data moved
  tlm::tlm_extension_base* clone() const override { return new TransferExt(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const TransferExt&>(e); }
};

// Attached by the control block to its descriptor fetches: the memory controller serves them ahead
// of the bulk bursts already queued (their latency is on the critical path of every descriptor;
// their few bits still count against the channel's bandwidth).
struct PriorityExt : tlm::tlm_extension<PriorityExt> {
  tlm::tlm_extension_base* clone() const override { return new PriorityExt(*this); }
  void copy_from(const tlm::tlm_extension_base&) override {}
};

// Attached by the PE cluster to a TLM_IGNORE_COMMAND addressed to an operand in a buffer. No data
// move (the PEs reach their operands through DMI), but the buffer reserves a port for the
// zero-free bits of the words the PEs read or write there, and counts the access for energy; the
// annotated delay returns when the access has finished.
struct PortAccessExt : tlm::tlm_extension<PortAccessExt> {
  bool write = false;           // in: the PEs write results (else they read operands)
  uint64_t words = 0, nonzero = 0;  // in: words accessed, non-zero among them
  uint32_t tag = 0;             // in: trace tag (statistics only)
  uint64_t stream_end = 0;      // in: cycle the last word is produced (writes), as for TransferExt
  uint64_t spread_end = 0;      // in: the units consume (produce) the words evenly until this cycle
  uint64_t data_start = 0;      // out: cycle the first word moved
  tlm::tlm_extension_base* clone() const override { return new PortAccessExt(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const PortAccessExt&>(e); }
};

// Attached by the host CPU to its MMIO accesses, for the register trace (--trace-mmio): a register
// target notes here what the access rules ignored of a write. The write is still answered OK, as
// the register map documents; the note only makes the misuse visible.
struct MmioNoteExt : tlm::tlm_extension<MmioNoteExt> {
  bool read_only = false;      // out: the register is read-only, the write was ignored
  uint32_t reserved_bits = 0;  // out: bits written outside the register's defined bits, ignored
  tlm::tlm_extension_base* clone() const override { return new MmioNoteExt(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const MmioNoteExt&>(e); }
};

// Bits the zero-free format moves for `words` words of which `nonzero` are non-zero.
inline uint64_t zero_free_bits(uint64_t words, uint64_t nonzero) { return nonzero * fx::word_bits() + words; }
// Bits of N:M compressed words: each carries a value and its index, no mask.
inline uint64_t nm_bits(uint64_t words, uint32_t index_bits) { return words * (fx::word_bits() + index_bits); }

// The (layer, class) part of a trace tag: the key of per-tag statistics.
inline uint32_t tag_key(uint32_t tag) { return tag & ((0xFFu << 5) | 0x1Fu); }

// Per-tag counters (key: tag_key) that remember the last entry used: a DMA's bursts come in runs of
// one tag, so a burst costs no map lookup. Iterates in key order, as a std::map.
template <class T>
class ByTag {
 public:
  T& operator[](uint32_t tag) {
    const uint32_t key = tag_key(tag);
    if (key != last_key_ || !last_) last_key_ = key, last_ = &map_[key];  // std::map entries stay put
    return *last_;
  }
  auto begin() const { return map_.begin(); }
  auto end() const { return map_.end(); }

 private:
  std::map<uint32_t, T> map_;
  uint32_t last_key_ = 0;
  T* last_ = nullptr;
};

// Non-zero words among `n` containers, in the number format (a transfer's zero-free size).
uint64_t count_nonzero_words(const int32_t* p, uint64_t n);

}  // namespace acc
