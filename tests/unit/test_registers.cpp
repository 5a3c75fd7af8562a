// Every register of platform/regmap.yaml, checked through the control block model over TLM:
// reset values, access rights, error responses, debug transport, misuse made visible, and the
// queue registers firmware can get wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "control_block.hpp"
#include "energy.hpp"
#include "regmap.hpp"
#include "tlm_probe.hpp"
#include "vp_test.hpp"

using namespace acc;
using acc::test::NullTarget;
using acc::test::Probe;

namespace {

// A descriptor ring in "DRAM" that holds only NOPs (all-zero descriptors): fetches succeed at once.
class NopRing : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<NopRing> socket;
  explicit NopRing(sc_core::sc_module_name name) : sc_module(name), socket("socket") {
    socket.register_b_transport(this, &NopRing::b_transport);
  }

 private:
  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time&) {
    std::fill_n(t.get_data_ptr(), t.get_data_length(), 0);
    t.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

// The control block alone, its register socket driven by a probe; its descriptor fetches fail,
// or (Fetch::NopRing) read a ring of NOPs.
enum class Fetch { Fails, NopRing };
struct Harness {
  explicit Harness(const std::string& preset, Fetch f = Fetch::Fails) : cfg(load_hw_config(preset)) {
    probe.socket.bind(cb.regs);
    if (f == Fetch::NopRing) {  // only the target in use exists: every socket must be bound
      ring = std::make_unique<NopRing>("ring");
      cb.fetch.bind(ring->socket);
    } else {
      fetch = std::make_unique<NullTarget>("fetch");
      cb.fetch.bind(fetch->socket);
    }
    cb.dma.bind(dma.socket);
    cb.pe.bind(pe.socket);
    cb.irq.bind(irq);
  }
  HwConfig cfg;
  Clock clock{700e6};
  ControlBlock cb{"control", cfg, clock};
  Probe probe{"probe"};
  NullTarget dma{"dma"}, pe{"pe"};
  std::unique_ptr<NullTarget> fetch;
  std::unique_ptr<NopRing> ring;
  sc_core::sc_signal<bool> irq{"irq"};

  void run(std::function<void(Probe&)> body) {
    probe.body = std::move(body);
    sc_core::sc_start();
    ASSERT_TRUE(probe.done);
  }
  // The same for at most `limit` of simulated time: a model that loops forever must not hang the test.
  void run_for(sc_core::sc_time limit, std::function<void(Probe&)> body) {
    probe.body = std::move(body);
    sc_core::sc_start(limit);
    ASSERT_TRUE(probe.done) << "the test body did not finish within " << limit;
  }
  // A ring of `entries` descriptors at the start of DRAM, the engine enabled with both interrupts.
  static void open_ring(Probe& p, uint32_t entries) {
    p.write32(ACC_REG_QUEUE_BASE, ACC_MAP_DRAM_BASE);
    p.write32(ACC_REG_QUEUE_SIZE, entries);
    p.write32(ACC_REG_IRQ_ENABLE, ACC_IRQ_ENABLE_DONE | ACC_IRQ_ENABLE_ERROR);
    p.write32(ACC_REG_CTRL, ACC_CTRL_ENABLE);
  }
  Stats stats() const {
    Stats s;
    const EnergyTable energy = EnergyTable::load(cfg);
    cb.collect_stats(s, StatsContext{cfg, energy, 0});
    return s;
  }
};

// A register write as the host CPU makes it, with the note the register target fills in.
MmioNoteExt noted_write(Probe& p, uint32_t offset, uint32_t value) {
  MmioNoteExt note;
  tlm::tlm_generic_payload t;
  t.set_command(tlm::TLM_WRITE_COMMAND);
  t.set_address(offset);
  t.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
  t.set_data_length(4);
  t.set_streaming_width(4);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  t.set_extension(&note);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  p.socket->b_transport(t, delay);
  t.clear_extension(&note);
  EXPECT_EQ(t.get_response_status(), tlm::TLM_OK_RESPONSE) << "misuse is answered OK, as the register map says";
  return note;
}

uint32_t expected_reset(const regmap::RegisterDef& r, const HwConfig& cfg) {
  return r.reset_config ? cfg.register_value(r.reset_config) : r.reset;
}

void check_reset_and_access(const std::string& preset) {
  test::require_fresh_kernel();
  Harness h(preset);
  h.run([&](Probe& p) {
    ASSERT_GT(regmap::kNumRegisters, 30u);
    for (size_t i = 0; i < regmap::kNumRegisters; ++i) {
      const auto& r = regmap::kRegisters[i];
      const uint32_t reset = expected_reset(r, h.cfg);
      EXPECT_EQ(p.read32(r.offset), reset) << r.name << " reset value";
      EXPECT_EQ(p.last, tlm::TLM_OK_RESPONSE) << r.name;
      // Write all ones, read back, restore. No time passes, so the engine does not act meanwhile.
      EXPECT_EQ(p.write32(r.offset, 0xFFFFFFFFu), tlm::TLM_OK_RESPONSE) << r.name;
      const uint32_t after = p.read32(r.offset);
      switch (r.access) {
        case regmap::Access::RO:
          EXPECT_EQ(after, reset) << r.name << " is read-only";
          break;
        case regmap::Access::RW:
          EXPECT_EQ(after, r.write_mask) << r.name << " keeps exactly its writable bits";
          p.write32(r.offset, reset);
          EXPECT_EQ(p.read32(r.offset), reset) << r.name;
          break;
        case regmap::Access::W1C:
          EXPECT_EQ(after, reset & ~r.write_mask) << r.name << " write-1-to-clear";
          break;
        case regmap::Access::WO:
          EXPECT_EQ(after, 0u) << r.name << " is write-only";
          break;
        case regmap::Access::PORT:  // table windows: LeopardThresholdTable checks them
          break;
      }
    }
  });
}

}  // namespace

TEST(Registers, ResetValuesAndAccessRightsEdge) { check_reset_and_access("edge"); }
TEST(Registers, ResetValuesAndAccessRightsServer) { check_reset_and_access("server"); }

TEST(Registers, HardwareConfigurationRegistersReportThePreset) {
  test::require_fresh_kernel();
  Harness h("server");
  h.run([&](Probe& p) {
    EXPECT_EQ(p.read32(ACC_REG_ID), ACC_DEVICE_ID);
    EXPECT_EQ(p.read32(ACC_REG_HW_PE), 512u);
    EXPECT_EQ(p.read32(ACC_REG_HW_LANES), 32u);
    EXPECT_EQ(p.read32(ACC_REG_HW_MACS), 16u);
    EXPECT_EQ(p.read32(ACC_REG_HW_SOFTMAX), 32u);
    EXPECT_EQ(p.read32(ACC_REG_HW_TILE), 0x011010u);
    EXPECT_EQ(p.read32(ACC_REG_HW_ACT_WORDS), h.cfg.act_buffer_words());
    EXPECT_EQ(p.read32(ACC_REG_HW_DRAM_SIZE), h.cfg.dram_bytes());
  });
}

TEST(Registers, WriteOneToClearAndTheInterruptLine) {
  test::require_fresh_kernel();
  Harness h("edge");
  h.run([&](Probe& p) {
    // A doorbell with no ring configured stops the queue with QUEUE_CONFIG and raises ERROR.
    p.write32(ACC_REG_IRQ_ENABLE, ACC_IRQ_ENABLE_ERROR);
    p.write32(ACC_REG_CTRL, ACC_CTRL_ENABLE);
    p.write32(ACC_REG_QUEUE_TAIL, 1);
    sc_core::wait(1, sc_core::SC_US);
    EXPECT_EQ(p.read32(ACC_REG_STATUS), ACC_STATUS_ERROR);
    EXPECT_EQ(p.read32(ACC_REG_ERR_CODE), ACC_ERR_QUEUE_CONFIG);
    EXPECT_EQ(p.read32(ACC_REG_IRQ_STATUS), ACC_IRQ_STATUS_ERROR);
    EXPECT_TRUE(h.irq.read());
    p.write32(ACC_REG_IRQ_STATUS, ACC_IRQ_STATUS_DONE);  // the other bit: no effect
    EXPECT_EQ(p.read32(ACC_REG_IRQ_STATUS), ACC_IRQ_STATUS_ERROR);
    // The line follows a register write after the update method has run (a few delta cycles).
    const sc_core::sc_time settle(1, sc_core::SC_NS);
    p.write32(ACC_REG_IRQ_ENABLE, 0);  // masking drops the line, the status stays
    sc_core::wait(settle);
    EXPECT_FALSE(h.irq.read());
    p.write32(ACC_REG_IRQ_ENABLE, ACC_IRQ_ENABLE_ERROR);
    sc_core::wait(settle);
    EXPECT_TRUE(h.irq.read());
    p.write32(ACC_REG_IRQ_STATUS, ACC_IRQ_STATUS_ERROR);
    sc_core::wait(settle);
    EXPECT_EQ(p.read32(ACC_REG_IRQ_STATUS), 0u);
    EXPECT_FALSE(h.irq.read());
    // QUEUE_RESET clears the stop; the bit reads back as 0.
    p.write32(ACC_REG_CTRL, ACC_CTRL_ENABLE | ACC_CTRL_QUEUE_RESET);
    EXPECT_EQ(p.read32(ACC_REG_CTRL), ACC_CTRL_ENABLE);
    EXPECT_EQ(p.read32(ACC_REG_STATUS), 0u);
    EXPECT_EQ(p.read32(ACC_REG_ERR_CODE), ACC_ERR_NONE);
    EXPECT_EQ(p.read32(ACC_REG_QUEUE_TAIL), 0u);
  });
}

TEST(Registers, BadAccessesGetErrorResponses) {
  test::require_fresh_kernel();
  Harness h("edge");
  h.run([&](Probe& p) {
    uint32_t v = 0;
    EXPECT_EQ(p.access(tlm::TLM_READ_COMMAND, 0x200, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);   // no register
    EXPECT_EQ(p.access(tlm::TLM_READ_COMMAND, 0x002, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);   // misaligned
    EXPECT_EQ(p.access(tlm::TLM_WRITE_COMMAND, 0xFFC, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);  // past the table
    EXPECT_EQ(p.access(tlm::TLM_READ_COMMAND, 0x000, &v, 2), tlm::TLM_BURST_ERROR_RESPONSE);     // not 32 bits
    uint64_t wide = 0;
    EXPECT_EQ(p.access(tlm::TLM_READ_COMMAND, 0x000, &wide, 8), tlm::TLM_BURST_ERROR_RESPONSE);
    unsigned char be[4] = {0xFF, 0, 0xFF, 0};
    EXPECT_EQ(p.access(tlm::TLM_WRITE_COMMAND, ACC_REG_QUEUE_BASE, &v, 4, nullptr, be), tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    EXPECT_EQ(p.access(tlm::TLM_IGNORE_COMMAND, 0x000, &v, 4), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(p.read32(ACC_REG_ID), ACC_DEVICE_ID);  // still answering
  });
}

TEST(Registers, DebugTransportReadsWithoutSideEffects) {
  test::require_fresh_kernel();
  Harness h("edge");
  h.run([&](Probe& p) {
    p.write32(ACC_REG_QUEUE_BASE, 0x80001000u);
    uint32_t v = 0;
    EXPECT_EQ(p.debug(tlm::TLM_READ_COMMAND, ACC_REG_QUEUE_BASE, &v, 4), 4u);
    EXPECT_EQ(v, 0x80001000u);
    EXPECT_EQ(p.debug(tlm::TLM_READ_COMMAND, ACC_REG_HW_PE, &v, 4), 4u);
    EXPECT_EQ(v, 64u);
    v = 1;
    EXPECT_EQ(p.debug(tlm::TLM_WRITE_COMMAND, ACC_REG_QUEUE_TAIL, &v, 4), 0u);  // refused: would ring the doorbell
    EXPECT_EQ(p.read32(ACC_REG_QUEUE_TAIL), 0u);
    EXPECT_EQ(p.debug(tlm::TLM_READ_COMMAND, 0x200, &v, 4), 0u);
  });
}

TEST(Registers, LeopardThresholdTable) {
  test::require_fresh_kernel();
  Harness h("edge");
  h.run([&](Probe& p) {
    // Entries 5 and 6, written through the LO/HI window; HI stores and advances the index.
    p.write32(ACC_REG_LEOPARD_TH_INDEX, 5);
    p.write32(ACC_REG_LEOPARD_TH_LO, 0x89ABCDEFu);
    p.write32(ACC_REG_LEOPARD_TH_HI, 0xFFFFFFFEu);  // negative threshold
    EXPECT_EQ(p.read32(ACC_REG_LEOPARD_TH_INDEX), 6u);
    p.write32(ACC_REG_LEOPARD_TH_LO, 7);
    p.write32(ACC_REG_LEOPARD_TH_HI, 0);
    p.write32(ACC_REG_LEOPARD_TH_INDEX, 5);
    EXPECT_EQ(p.read32(ACC_REG_LEOPARD_TH_LO), 0x89ABCDEFu);
    EXPECT_EQ(p.read32(ACC_REG_LEOPARD_TH_HI), 0xFFFFFFFEu);
    p.write32(ACC_REG_LEOPARD_TH_INDEX, 6);
    EXPECT_EQ(p.read32(ACC_REG_LEOPARD_TH_LO), 7u);
    EXPECT_EQ(p.read32(ACC_REG_LEOPARD_TH_HI), 0u);
    p.write32(ACC_REG_LEOPARD_TH_INDEX, 0x1FF);  // 8-bit index
    EXPECT_EQ(p.read32(ACC_REG_LEOPARD_TH_INDEX), 0xFFu);
    p.write32(ACC_REG_LEOPARD_TH_LO, 1);
    p.write32(ACC_REG_LEOPARD_TH_HI, 2);
    EXPECT_EQ(p.read32(ACC_REG_LEOPARD_TH_INDEX), 0u);  // wraps
  });
}

TEST(Registers, PruningRegistersAreCheckedWhenADescriptorUsesThem) {
  test::require_fresh_kernel();
  Harness h("edge");
  h.run([&](Probe& p) {
    acc_desc_t mm{};
    mm.matmul = {ACC_OP_MATMUL | ACC_MATMUL_NM_WEIGHTS, 16, 64, 16, ACC_BUF_ACT, 0, 64, ACC_BUF_WGT, 0, 16, ACC_BUF_ACT, 4096, 16, 0, 0, 0};
    uint32_t info = 0;
    EXPECT_EQ(h.cb.validate(mm, info), ACC_ERR_NONE);  // reset NM_CFG is 2:4
    p.write32(ACC_REG_NM_CFG, 5u | 4u << 8);             // N > M
    EXPECT_EQ(h.cb.validate(mm, info), ACC_ERR_BAD_CONFIG);
    EXPECT_EQ(info, ACC_REG_NM_CFG);
    p.write32(ACC_REG_NM_CFG, 1u | 32u << 8);  // M above 16
    EXPECT_EQ(h.cb.validate(mm, info), ACC_ERR_BAD_CONFIG);
    p.write32(ACC_REG_NM_CFG, 2u | 4u << 8);
    mm.w[0] |= ACC_MATMUL_TRANSPOSE_B;  // compressed weights cannot be transposed
    EXPECT_EQ(h.cb.validate(mm, info), ACC_ERR_BAD_FLAGS);

    acc_desc_t sc{};
    sc.score = {ACC_OP_SCORE | ACC_SCORE_LEOPARD | ACC_SCORE_LEOPARD_PER_HEAD, 16, 16, 4, 16, ACC_BUF_ACT, 0, 64, ACC_BUF_ACT, 1024,
                64, ACC_BUF_ACT, 2048, 16, 250, 0};
    EXPECT_EQ(h.cb.validate(sc, info), ACC_ERR_NONE);
    sc.score.th_index = 253;  // heads 4: entries 253..256, past the 256-entry table
    EXPECT_EQ(h.cb.validate(sc, info), ACC_ERR_BAD_SHAPE);
    sc.score.th_index = 0;
    p.write32(ACC_REG_LEOPARD_KEY_BITS, 0);
    EXPECT_EQ(h.cb.validate(sc, info), ACC_ERR_BAD_CONFIG);
    EXPECT_EQ(info, ACC_REG_LEOPARD_KEY_BITS);
    p.write32(ACC_REG_LEOPARD_KEY_BITS, 12);
    sc.w[0] |= ACC_SCORE_HDP_APPROX;  // two score datapaths at once
    EXPECT_EQ(h.cb.validate(sc, info), ACC_ERR_BAD_FLAGS);
    sc.w[0] = ACC_OP_SCORE | ACC_SCORE_HDP_BLOCKS;
    p.write32(ACC_REG_HDP_BLOCK_CTRL, 0);  // a 0 x 0 block
    EXPECT_EQ(h.cb.validate(sc, info), ACC_ERR_BAD_CONFIG);
    EXPECT_EQ(info, ACC_REG_HDP_BLOCK_CTRL);
    p.write32(ACC_REG_HDP_BLOCK_CTRL, 0x0404 | ACC_HDP_BLOCK_CTRL_THRESHOLD_COUNT << ACC_HDP_BLOCK_CTRL_THRESHOLD_SHIFT);  // reserved
    EXPECT_EQ(h.cb.validate(sc, info), ACC_ERR_BAD_CONFIG);
    EXPECT_EQ(info, ACC_REG_HDP_BLOCK_CTRL);
    p.write32(ACC_REG_HDP_BLOCK_CTRL, 0x0404);
    EXPECT_EQ(h.cb.validate(sc, info), ACC_ERR_NONE);
    sc.w[0] = ACC_OP_SCORE | ACC_SCORE_HDP_HEADS;
    p.write32(ACC_REG_HDP_HEAD_CTRL, ACC_HDP_HEAD_CTRL_IMPORTANCE_COUNT);  // reserved importance function
    EXPECT_EQ(h.cb.validate(sc, info), ACC_ERR_BAD_CONFIG);
    EXPECT_EQ(info, ACC_REG_HDP_HEAD_CTRL);
    p.write32(ACC_REG_HDP_HEAD_CTRL, ACC_HDP_HEAD_CTRL_THRESHOLD_COUNT << ACC_HDP_HEAD_CTRL_THRESHOLD_SHIFT);  // reserved threshold
    EXPECT_EQ(h.cb.validate(sc, info), ACC_ERR_BAD_CONFIG);
    p.write32(ACC_REG_HDP_HEAD_CTRL, ACC_HDP_HEAD_CTRL_THRESHOLD_TOP << ACC_HDP_HEAD_CTRL_THRESHOLD_SHIFT);
    EXPECT_EQ(h.cb.validate(sc, info), ACC_ERR_NONE);
    sc.w[0] = ACC_OP_SCORE | ACC_SCORE_HDP_BLOCKS;
    sc.score.out_addr = 1024 + 8;  // output over K
    EXPECT_EQ(h.cb.validate(sc, info), ACC_ERR_OPERAND_OVERLAP);
  });
}

TEST(Registers, WritesToReadOnlyRegistersAndReservedBitsAreCountedAndNoted) {
  test::require_fresh_kernel();
  Harness h("edge");
  h.run([&](Probe& p) {
    MmioNoteExt n = noted_write(p, ACC_REG_QUEUE_HEAD, 5);  // read-only
    EXPECT_TRUE(n.read_only);
    EXPECT_EQ(p.read32(ACC_REG_QUEUE_HEAD), 0u);
    n = noted_write(p, ACC_REG_CTRL, ACC_CTRL_ENABLE | ACC_CTRL_QUEUE_RESET);  // a write-only field is not reserved
    EXPECT_FALSE(n.read_only);
    EXPECT_EQ(n.reserved_bits, 0u);
    n = noted_write(p, ACC_REG_CTRL, ACC_CTRL_ENABLE | 0x100u);
    EXPECT_EQ(n.reserved_bits, 0x100u);
    EXPECT_EQ(p.read32(ACC_REG_CTRL), ACC_CTRL_ENABLE);  // the defined bits took effect
    n = noted_write(p, ACC_REG_LEOPARD_TH_INDEX, 0x1FF);  // an 8-bit index
    EXPECT_EQ(n.reserved_bits, 0x100u);
    n = noted_write(p, ACC_REG_QUEUE_SIZE, 0xFFFFFFFFu);  // no write mask: every bit is defined
    EXPECT_EQ(n.reserved_bits, 0u);
    EXPECT_TRUE(noted_write(p, ACC_REG_PERF_CYCLES_LO, 1).read_only);
  });
  const Stats s = h.stats();
  EXPECT_EQ(s.get("control.registers.read_only_writes", -1), 2);
  EXPECT_EQ(s.get("control.registers.reserved_bit_writes", -1), 2);
}

TEST(Registers, QueueTailOutsideTheRingWhileBusyStopsTheQueue) {
  // Firmware writes QUEUE_TAIL = 0xffffffff while the engine works through a ring of NOPs: the
  // engine would never reach that tail and cycle the ring forever; it stops with QUEUE_CONFIG.
  test::require_fresh_kernel();
  Harness h("edge", Fetch::NopRing);
  h.run_for(sc_core::sc_time(20, sc_core::SC_US), [&](Probe& p) {
    Harness::open_ring(p, 64);
    p.write32(ACC_REG_QUEUE_TAIL, 63);
    sc_core::wait(h.clock.to_time(10));  // the engine decodes a NOP a cycle: the queue is busy
    ASSERT_EQ(p.read32(ACC_REG_STATUS) & ACC_STATUS_BUSY, ACC_STATUS_BUSY);
    p.write32(ACC_REG_QUEUE_TAIL, 0xFFFFFFFFu);
    sc_core::wait(2, sc_core::SC_US);
    EXPECT_EQ(p.read32(ACC_REG_STATUS), ACC_STATUS_ERROR);
    EXPECT_EQ(p.read32(ACC_REG_ERR_CODE), ACC_ERR_QUEUE_CONFIG);
    EXPECT_EQ(p.read32(ACC_REG_ERR_INFO), 0xFFFFFFFFu);
    EXPECT_EQ(p.read32(ACC_REG_IRQ_STATUS), ACC_IRQ_STATUS_ERROR);
    EXPECT_TRUE(h.irq.read());
    EXPECT_LT(p.read32(ACC_REG_PERF_DESC_DONE), 63u);  // it stopped early, not after the ring
  });
  EXPECT_EQ(h.stats().get("control.errors"), 1);
}

TEST(Registers, TheErrorRecordSurvivesAQueueResetThatClearsTheRegisters) {
  // The summary's "accelerator error" comes from the hardware's record of its last stop: firmware
  // that resets the queue before reading ERR_CODE reads NONE, the record still names the stop.
  test::require_fresh_kernel();
  Harness h("edge", Fetch::NopRing);
  h.run([&](Probe& p) {
    Harness::open_ring(p, 8);
    p.write32(ACC_REG_QUEUE_TAIL, 9);  // past the 8-entry ring: QUEUE_CONFIG at the doorbell
    sc_core::wait(1, sc_core::SC_US);
    EXPECT_EQ(p.read32(ACC_REG_ERR_CODE), ACC_ERR_QUEUE_CONFIG);
    p.write32(ACC_REG_CTRL, ACC_CTRL_ENABLE | ACC_CTRL_QUEUE_RESET);
    EXPECT_EQ(p.read32(ACC_REG_ERR_CODE), ACC_ERR_NONE);
  });
  EXPECT_EQ(h.cb.last_error().code, ACC_ERR_QUEUE_CONFIG);
  EXPECT_EQ(h.cb.last_error().info, 9u);
  const Stats s = h.stats();
  EXPECT_EQ(s.get("control.error.code", -1), ACC_ERR_QUEUE_CONFIG);
  EXPECT_EQ(s.get("control.error.info", -1), 9);
  EXPECT_EQ(s.get("control.errors", -1), 1);
}
