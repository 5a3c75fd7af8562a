// The control block (with the DMA, the buffers and the PE cluster behind it) fed arbitrary
// descriptors and register writes, as buggy firmware would write them.
//
// An input is a program of up to 64 operations: write a descriptor into the ring, ring the
// doorbell (QUEUE_TAIL, often past what was written), write any register (QUEUE_BASE, QUEUE_SIZE,
// CTRL, the pruning registers, ...) with any value, read any register, let time pass, or put data
// into DRAM. Descriptor words lean towards values that pass validation (small sizes, addresses
// inside DRAM) so that execution is reached too. Afterwards the accelerator must go idle within
// kIdleBoundUs of simulated time, and an error stop must name a known error code.
#include <fuzzer/FuzzedDataProvider.h>

#include <systemc>

#include <cstring>

#include "acceltran_regs.h"
#include "fuzz_support.hpp"
#include "hal.h"
#include "regmap.hpp"
#include "soc.hpp"
#include "soc_harness.hpp"

namespace {
constexpr uint32_t kRegs = ACC_MAP_ACC_REGS_BASE;
constexpr uint32_t kRing = ACC_MAP_DRAM_BASE + (1u << 20);  // 16 entries
constexpr uint32_t kRingEntries = 16;
constexpr uint32_t kData = ACC_MAP_DRAM_BASE + (2u << 20);  // 1 MiB the descriptors may point to
constexpr uint32_t kDataBytes = 1u << 20;

uint32_t reg(uint32_t offset) { return hal_read32(kRegs + offset); }
void set(uint32_t offset, uint32_t value) { hal_write32(kRegs + offset, value); }

// A descriptor word: small counts, buffer word indices, DRAM addresses, or anything.
uint32_t word(FuzzedDataProvider& p) {
  switch (p.ConsumeIntegralInRange<int>(0, 4)) {
    case 0: return p.ConsumeIntegralInRange<uint32_t>(0, 40);
    case 1: return p.ConsumeIntegralInRange<uint32_t>(0, 70000);
    case 2: return kData + 4 * p.ConsumeIntegralInRange<uint32_t>(0, kDataBytes / 4 - 1);
    case 3: return 0x80000000u | p.ConsumeIntegral<uint16_t>();  // MASKED-score-like values and flags
    default: return p.ConsumeIntegral<uint32_t>();
  }
}

void descriptor(FuzzedDataProvider& p, uint8_t* slot) {
  acc_desc_t d;
  std::memset(&d, 0, sizeof d);
  const uint32_t opcode = p.ConsumeBool() ? acc::regmap::kOpcodes[p.ConsumeIntegralInRange<size_t>(0, acc::regmap::kNumOpcodes - 1)].code
                                          : p.ConsumeIntegral<uint8_t>();
  const uint32_t flags = p.ConsumeBool() ? 0 : p.ConsumeIntegral<uint32_t>() << 8;
  d.w[0] = opcode | flags;
  const uint32_t words = p.ConsumeIntegralInRange<uint32_t>(0, ACC_DESC_WORDS - 1);
  for (uint32_t i = 1; i <= words; ++i) d.w[i] = word(p);
  std::memcpy(slot, &d, sizeof d);
}

void program(acc::Soc&, const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  // A known start: the queue reset (it waits for what is in flight), the ring, interrupts on.
  set(ACC_REG_CTRL, ACC_CTRL_QUEUE_RESET);
  set(ACC_REG_IRQ_STATUS, ACC_IRQ_STATUS_DONE | ACC_IRQ_STATUS_ERROR);
  set(ACC_REG_QUEUE_BASE, kRing);
  set(ACC_REG_QUEUE_SIZE, kRingEntries);
  set(ACC_REG_IRQ_ENABLE, ACC_IRQ_STATUS_DONE | ACC_IRQ_STATUS_ERROR);
  set(ACC_REG_CTRL, ACC_CTRL_ENABLE);
  uint8_t* ring = static_cast<uint8_t*>(hal_phys_to_virt(kRing));
  std::memset(ring, 0, kRingEntries * sizeof(acc_desc_t));
  uint32_t written = 0;
  for (int op = 0; op < 64 && p.remaining_bytes() > 0; ++op) {
    switch (p.ConsumeIntegralInRange<int>(0, 5)) {
      case 0:
        descriptor(p, ring + written % kRingEntries * sizeof(acc_desc_t));
        ++written;
        break;
      case 1:
        set(ACC_REG_QUEUE_TAIL, p.ConsumeBool() ? written % kRingEntries : word(p));
        break;
      case 2: {
        const auto& r = acc::regmap::kRegisters[p.ConsumeIntegralInRange<size_t>(0, acc::regmap::kNumRegisters - 1)];
        set(r.offset, word(p));
        break;
      }
      case 3:
        (void)reg(acc::regmap::kRegisters[p.ConsumeIntegralInRange<size_t>(0, acc::regmap::kNumRegisters - 1)].offset);
        break;
      case 4:
        sc_core::wait(p.ConsumeIntegralInRange<unsigned>(0, 20000), sc_core::SC_NS);
        break;
      default: {
        const uint32_t at = 4 * p.ConsumeIntegralInRange<uint32_t>(0, kDataBytes / 4 - 1);
        const uint32_t value = word(p);
        std::memcpy(static_cast<uint8_t*>(hal_phys_to_virt(kData + at)), &value, 4);
      }
    }
  }
  // Whatever the program did, the accelerator finishes, stops on an error, or was never started.
  acc::fuzz::wait_until_idle();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  acc::fuzz::run(data, size, program);
  return 0;
}
