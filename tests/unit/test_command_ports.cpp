// The DMA's and the PE cluster's command ports: malformed dispatches get TLM error responses,
// unknown opcodes are refused with an error code, debug transport moves nothing.
#include <gtest/gtest.h>

#include "command.hpp"
#include "dma.hpp"
#include "pe_cluster.hpp"
#include "tlm_probe.hpp"
#include "vp_test.hpp"

using namespace acc;
using acc::test::NullTarget;
using acc::test::Probe;

TEST(CommandPorts, MalformedDispatchesAreRefused) {
  test::require_fresh_kernel();
  const HwConfig cfg = load_hw_config("edge");
  Clock clock(700e6);
  Dma dma("dma", cfg, clock);
  PeCluster pe("pe", cfg, clock);
  Probe to_dma("to_dma"), to_pe("to_pe");
  NullTarget bus1("bus1"), bus2("bus2");
  to_dma.socket.bind(dma.cmd);
  to_pe.socket.bind(pe.cmd);
  dma.bus.bind(bus1.socket);
  pe.bus.bind(bus2.socket);
  to_dma.body = [&](Probe& p) {
    acc_desc_t d{};
    d.w[0] = ACC_OP_LOAD;
    EXPECT_EQ(p.access(tlm::TLM_READ_COMMAND, 0, &d, sizeof d), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(p.access(tlm::TLM_WRITE_COMMAND, 0, &d, 32), tlm::TLM_BURST_ERROR_RESPONSE);
    d.w[0] = ACC_OP_MATMUL;  // not a DMA opcode
    EXPECT_EQ(p.access(tlm::TLM_WRITE_COMMAND, 0, &d, sizeof d), tlm::TLM_COMMAND_ERROR_RESPONSE);
    // The DMA accepts a LOAD and completes it later, when the control block steps it; a LOAD
    // whose bus transfer fails completes with BUS and the address.
    d.load = {ACC_OP_LOAD, 0x80000000u, 64, 1, 16, ACC_BUF_ACT, 0, 16, {}, 0};
    DispatchExt ext;
    ext.id = 7;
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_WRITE_COMMAND);
    t.set_data_ptr(reinterpret_cast<unsigned char*>(&d));
    t.set_data_length(sizeof d);
    t.set_streaming_width(sizeof d);
    t.set_extension(&ext);
    sc_core::sc_time delay = clock.to_time(5);
    p.socket->b_transport(t, delay);
    t.clear_extension(&ext);
    EXPECT_EQ(t.get_response_status(), tlm::TLM_OK_RESPONSE);
    EXPECT_TRUE(ext.deferred);
    std::vector<Completion> done;
    for (int steps = 0; done.empty() && dma.next_step() != UINT64_MAX && steps < 10; ++steps) dma.step(done);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].id, 7u);
    EXPECT_EQ(done[0].start, 5u);
    EXPECT_EQ(done[0].error, ACC_ERR_BUS);
    EXPECT_EQ(done[0].info, 0x80000000u);
    EXPECT_EQ(dma.next_step(), UINT64_MAX);
    EXPECT_EQ(p.debug(tlm::TLM_READ_COMMAND, 0, &d, sizeof d), 0u);
  };
  to_pe.body = [&](Probe& p) {
    acc_desc_t d{};
    d.w[0] = ACC_OP_STORE;  // not a compute opcode
    EXPECT_EQ(p.access(tlm::TLM_WRITE_COMMAND, 0, &d, sizeof d), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(p.access(tlm::TLM_WRITE_COMMAND, 0, &d, 8), tlm::TLM_BURST_ERROR_RESPONSE);
    EXPECT_EQ(p.debug(tlm::TLM_READ_COMMAND, 0, &d, sizeof d), 0u);
  };
  sc_core::sc_start();
  EXPECT_TRUE(to_dma.done);
  EXPECT_TRUE(to_pe.done);
}
