// The interconnect: address decoding, error responses, latency, debug transport, DMI translation
// and invalidation, nb_transport; a bad address map is rejected at start-up.
#include <gtest/gtest.h>

#include <cstring>

#include "buffer.hpp"
#include "bus.hpp"
#include "dram.hpp"
#include "tlm_probe.hpp"
#include "vp_test.hpp"

using namespace acc;
using acc::test::Probe;

TEST(Interconnect, OverlappingRegionsAreRejectedAtStartUp) {
  Clock clock(700e6);
  Bus bus("bus", clock, 1);
  bus.map("A", 0x1000, 0x1000);
  bus.map("B", 0x2000, 0x1000);  // adjacent is fine
  try {
    bus.map("C", 0x2800, 0x1000);
    FAIL() << "overlap accepted";
  } catch (const AddressMapError& e) {
    EXPECT_NE(std::string(e.what()).find("region C [0x2800, 0x3800) overlaps B [0x2000, 0x3000)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(bus.map("D", 0x0, 0x1001), AddressMapError);
  EXPECT_THROW(bus.map("E", 0x9000, 0), AddressMapError);
  EXPECT_EQ(bus.regions().size(), 2u);
}

namespace {
struct Bench {
  HwConfig cfg = load_hw_config("edge", {"main_memory.size_mb=1"});
  Clock clock{700e6};
  Bus bus{"bus", clock, 3};
  Dram dram{"dram", cfg, clock};
  MaskBuffer mask{cfg};
  Buffer act{"act", "activation", 0.0625, cfg, clock, mask};
  Probe probe{"probe"};
  static constexpr uint64_t kDram = 0x80000000, kAct = 0x20000000;
  Bench() {
    bus.map("DRAM", kDram, dram.size());
    bus.targets_out.bind(dram.socket);
    bus.map("ACT", kAct, act.size());
    bus.targets_out.bind(act.socket);
    probe.socket.bind(bus.targets_in);
  }
};
}  // namespace

TEST(Interconnect, DecodesAddsLatencyAndAnswersHolesWithAddressErrors) {
  test::require_fresh_kernel();
  Bench b;
  b.probe.body = [&](Probe& p) {
    uint32_t v = 0x12345678;
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    ASSERT_EQ(p.access(tlm::TLM_WRITE_COMMAND, Bench::kDram + 8, &v, 4, &d), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(*reinterpret_cast<uint32_t*>(b.dram.data() + 8), 0x12345678u);  // the target saw a local address
    // 3 bus cycles, DRAM latency ceil(45 ns) = 32 cycles, 32 bits at 2048/7 bits per cycle = 1 cycle.
    EXPECT_EQ(b.clock.to_cycles(d), 3u + 32u + 1u);
    EXPECT_EQ(p.access(tlm::TLM_READ_COMMAND, 0x50000000, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(p.access(tlm::TLM_READ_COMMAND, Bench::kDram + b.dram.size() - 2, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(p.access(tlm::TLM_READ_COMMAND, Bench::kAct + b.act.size(), &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  };
  sc_core::sc_start();
  EXPECT_TRUE(b.probe.done);
}

TEST(Interconnect, DebugTransportAndDmiAreTranslated) {
  test::require_fresh_kernel();
  Bench b;
  b.probe.body = [&](Probe& p) {
    uint8_t buf[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    EXPECT_EQ(p.debug(tlm::TLM_WRITE_COMMAND, Bench::kAct + 4, buf, 16), 16u);
    EXPECT_EQ(b.act.data()[4], 1);
    uint8_t back[16] = {};
    // A debug access that runs past the end of the region is clipped to it.
    EXPECT_EQ(p.debug(tlm::TLM_READ_COMMAND, Bench::kAct + b.act.size() - 8, back, 16), 8u);
    EXPECT_EQ(p.debug(tlm::TLM_READ_COMMAND, 0x50000000, back, 4), 0u);
    tlm::tlm_dmi dmi;
    ASSERT_TRUE(p.dmi(Bench::kAct + 100, dmi));
    EXPECT_EQ(dmi.get_start_address(), Bench::kAct);
    EXPECT_EQ(dmi.get_end_address(), Bench::kAct + b.act.size() - 1);
    EXPECT_EQ(dmi.get_dmi_ptr(), b.act.data());
    // Granted what was asked: a read request gets read access, a write request read and write.
    EXPECT_TRUE(dmi.is_read_allowed());
    EXPECT_FALSE(dmi.is_write_allowed());
    EXPECT_EQ(b.clock.to_cycles(dmi.get_read_latency()), 3u + 1u);  // bus + buffer latency
    ASSERT_TRUE(p.dmi(Bench::kAct + 100, dmi, tlm::TLM_WRITE_COMMAND));
    EXPECT_TRUE(dmi.is_read_write_allowed());
    EXPECT_FALSE(p.dmi(Bench::kAct + 100, dmi, tlm::TLM_IGNORE_COMMAND));
    ASSERT_TRUE(p.dmi(Bench::kDram, dmi));
    EXPECT_EQ(dmi.get_dmi_ptr(), b.dram.data());
    EXPECT_FALSE(p.dmi(0x50000000, dmi));
  };
  sc_core::sc_start();
  EXPECT_TRUE(b.probe.done);
}

// An approximately-timed initiator is served at BEGIN_REQ: the bus answers TLM_COMPLETED with the
// same response and latency as b_transport.
TEST(Interconnect, NbTransportCompletesAtBeginRequest) {
  test::require_fresh_kernel();
  Bench b;
  b.probe.body = [&](Probe& p) {
    uint32_t v = 0xCAFEF00D;
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_WRITE_COMMAND);
    t.set_address(Bench::kDram + 16);
    t.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
    t.set_data_length(4);
    t.set_streaming_width(4);
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    tlm::tlm_phase phase = tlm::BEGIN_REQ;
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    EXPECT_EQ(p.socket->nb_transport_fw(t, phase, d), tlm::TLM_COMPLETED);
    EXPECT_EQ(phase, tlm::END_RESP);
    EXPECT_EQ(t.get_response_status(), tlm::TLM_OK_RESPONSE);
    EXPECT_GE(b.clock.to_cycles(d), 3u);  // at least the bus latency
    uint32_t back = 0;
    std::memcpy(&back, b.dram.data() + 16, 4);
    EXPECT_EQ(back, 0xCAFEF00Du);
  };
  sc_core::sc_start();
  EXPECT_TRUE(b.probe.done);
}

// A memory that withdraws its DMI grants reaches every initiator, with the range in system
// addresses.
TEST(Interconnect, DmiInvalidationReachesInitiatorsInSystemAddresses) {
  test::require_fresh_kernel();
  Bench b;
  b.probe.body = [&](Probe& p) {
    tlm::tlm_dmi dmi;
    ASSERT_TRUE(p.dmi(Bench::kDram, dmi, tlm::TLM_WRITE_COMMAND));
    b.dram.invalidate_dmi();
    EXPECT_EQ(p.invalidations, 1u);
    EXPECT_EQ(p.invalidated_start, Bench::kDram);
    EXPECT_EQ(p.invalidated_end, Bench::kDram + b.dram.size() - 1);
  };
  sc_core::sc_start();
  EXPECT_TRUE(b.probe.done);
}
