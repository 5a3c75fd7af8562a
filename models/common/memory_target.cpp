#include "memory_target.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

#include "background_fill.hpp"
#include "scratch_buffer.hpp"
#include "tlm_util.hpp"

namespace acc {

// Every DMA burst is counted where it is read (its write is told the count): cloned for AVX2 and AVX-512.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
uint64_t count_nonzero_words(const int32_t* p, uint64_t n) { return fx::format().count_nonzero(p, n); }

MemoryTarget::MemoryTarget(sc_core::sc_module_name name, uint64_t size_bytes, const Clock& clock)
    : sc_module(name), socket("socket"), clock_(clock), size_(size_bytes) {
  // Lazily backed, zero-filled pages: a 2 GiB DRAM costs only what the job touches.
  mem_ = static_cast<uint8_t*>(map_anonymous(size_));
  socket.register_b_transport(this, &MemoryTarget::b_transport);
  socket.register_transport_dbg(this, &MemoryTarget::transport_dbg);
  socket.register_get_direct_mem_ptr(this, &MemoryTarget::get_direct_mem_ptr);
}

MemoryTarget::~MemoryTarget() { munmap(mem_, size_); }

bool MemoryTarget::check(tlm::tlm_generic_payload& t) const {
  const uint64_t a = t.get_address(), n = t.get_data_length();
  if (t.get_command() == tlm::TLM_IGNORE_COMMAND) {
    // Only a port access of the PE cluster (timing and energy, no data) is meaningful here.
    PortAccessExt* pa = nullptr;
    t.get_extension(pa);
    if (!pa) {
      t.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
      return false;
    }
  }
  if (a >= size_ || n > size_ - a) {
    t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  if (t.get_streaming_width() < n) {
    t.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return false;
  }
  if (t.get_byte_enable_ptr() && t.get_byte_enable_length() == 0) {  // the pattern repeats every length bytes
    t.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  return true;
}

static void copy_with_byte_enables(tlm::tlm_generic_payload& t, uint8_t* mem) {
  uint8_t* d = t.get_data_ptr();
  const unsigned n = t.get_data_length();
  const uint8_t* be = t.get_byte_enable_ptr();
  const unsigned be_len = t.get_byte_enable_length();
  const bool write = t.is_write();
  if (!be) {
    if (write)
      std::memcpy(mem, d, n);
    else
      std::memcpy(d, mem, n);
    return;
  }
  for (unsigned i = 0; i < n; ++i) {
    if (be[i % be_len] != TLM_BYTE_ENABLED) continue;
    if (write)
      mem[i] = d[i];
    else
      d[i] = mem[i];
  }
}

void MemoryTarget::b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
  if (!check(t)) return;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  Transfer x;
  x.start = clock_.to_cycles(now + delay);
  if (t.get_command() == tlm::TLM_IGNORE_COMMAND) {  // a PE port access: timing and energy only
    PortAccessExt* pa = nullptr;
    t.get_extension(pa);
    x.pe_access = true;
    x.write = pa->write, x.words = pa->words, x.nonzero = pa->nonzero, x.tag = pa->tag, x.stream_end = pa->stream_end;
    x.spread_end = pa->spread_end;
    x.bits = zero_free_bits(x.words, x.nonzero);
    apply_global_sparsity(x, 0);
    const Timing tm = schedule(x);
    pa->data_start = tm.data_start;
    delay = clock_.to_time(tm.done) - now;
    t.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  if (fill_) fill_->wait(t.get_address(), t.get_address() + t.get_data_length());
  uint8_t* mem = mem_ + t.get_address();
  x.write = t.is_write();
  x.bits = uint64_t{t.get_data_length()} * 8;
  TransferExt* zf = nullptr;
  t.get_extension(zf);
  PriorityExt* prio = nullptr;
  t.get_extension(prio);
  x.priority = prio != nullptr;
  if (zf && t.get_data_length() % 4 == 0) {
    x.words = t.get_data_length() / 4;
    x.nonzero = zf->known_nonzero != TransferExt::kUncounted
                    ? zf->known_nonzero
                    : count_nonzero_words(reinterpret_cast<const int32_t*>(x.write ? t.get_data_ptr() : mem), x.words);
    zf->counted_nonzero = x.nonzero;
    x.bits = zf->nm_index_bits ? nm_bits(x.words, zf->nm_index_bits) : zero_free_bits(x.words, x.nonzero);
    apply_global_sparsity(x, zf->nm_index_bits);
    x.tag = zf->tag;
    x.stream_end = zf->stream_end;
    zf->words = x.words;
    zf->nonzero = x.nonzero;
    zf->modelled_bits = x.bits;
  }
  copy_with_byte_enables(t, mem);
  if (x.write) {
    written_lo_ = std::min<uint64_t>(written_lo_, t.get_address());
    written_hi_ = std::max<uint64_t>(written_hi_, t.get_address() + t.get_data_length());
  }
  const Timing tm = schedule(x);
  if (zf) zf->data_start = tm.data_start;
  delay = clock_.to_time(tm.done) - now;
  t.set_dmi_allowed(true);
  t.set_response_status(tlm::TLM_OK_RESPONSE);
}

void MemoryTarget::apply_global_sparsity(Transfer& x, uint32_t nm_index_bits) const {
  if (global_sparsity_ < 0) return;
  x.nonzero = static_cast<uint64_t>(std::llround(static_cast<double>(x.words) * (1.0 - global_sparsity_)));
  x.bits = x.nonzero * (fx::word_bits() + nm_index_bits);
}

void MemoryTarget::invalidate_dmi() { socket->invalidate_direct_mem_ptr(0, size_ - 1); }

uint64_t MemoryTarget::written_digest() const {
  uint64_t h = 0xCBF29CE484222325ull;  // FNV-1a offset basis, over the range and then its bytes
  auto mix = [&h](uint64_t v) { h = (h ^ v) * 0x100000001B3ull; };
  if (written_lo_ < written_hi_) {
    if (fill_) fill_->wait(written_lo_, written_hi_);
    mix(written_lo_);
    mix(written_hi_);
    for (uint64_t a = written_lo_; a < written_hi_; a += 8) {
      uint64_t w = 0;
      std::memcpy(&w, mem_ + a, std::min<uint64_t>(8, written_hi_ - a));
      mix(w);
    }
  }
  return (h ^ (h >> 48)) & 0xFFFFFFFFFFFFull;
}

unsigned int MemoryTarget::transport_dbg(tlm::tlm_generic_payload& t) {
  const uint64_t a = t.get_address();
  if (t.get_command() == tlm::TLM_IGNORE_COMMAND || a >= size_) return 0;
  const unsigned n = static_cast<unsigned>(std::min<uint64_t>(t.get_data_length(), size_ - a));
  if (fill_) fill_->wait(a, a + n);
  if (t.is_write())
    std::memcpy(mem_ + a, t.get_data_ptr(), n);
  else
    std::memcpy(t.get_data_ptr(), mem_ + a, n);
  t.set_response_status(tlm::TLM_OK_RESPONSE);
  return n;
}

bool MemoryTarget::get_direct_mem_ptr(tlm::tlm_generic_payload& t, tlm::tlm_dmi& dmi) {
  // DMI is granted where it was asked and for what was asked (IEEE 1666-2011 11.2.5): a read
  // request gets read access, a write request read and write; the region is the whole memory, or
  // as much of it around the address as is written while a background fill runs.
  if (t.get_address() >= size_) return false;
  uint64_t lo = 0, hi = size_;
  if (fill_) {
    const auto written = fill_->written_around(t.get_address());
    lo = written.first, hi = std::min(hi, written.second);
  }
  if (t.is_read())
    dmi.allow_read();
  else if (t.is_write())
    dmi.allow_read_write();
  else
    return false;
  dmi.set_dmi_ptr(mem_ + lo);
  dmi.set_start_address(lo);
  dmi.set_end_address(hi - 1);
  dmi.set_read_latency(dmi_latency());
  dmi.set_write_latency(dmi_latency());
  return true;
}

}  // namespace acc
