// DRAM and buffer timing, zero-free transfer sizes and energy counts, through TLM.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "background_fill.hpp"
#include "buffer.hpp"
#include "dram.hpp"
#include "energy.hpp"
#include "tlm_probe.hpp"
#include "tlm_util.hpp"
#include "vp_test.hpp"

using namespace acc;
using acc::test::Probe;

TEST(Dram, TransferCyclesUseEightBitsPerByte) {
  const HwConfig edge = load_hw_config("edge", {"main_memory.size_mb=1"});
  Clock clock(700e6);
  Dram d("dram", edge, clock);
  // 25.6 GB/s at 700 MHz = 2048/7 bits per cycle.
  EXPECT_EQ(d.transfer_cycles(2048), 7u);
  EXPECT_EQ(d.transfer_cycles(2049), 8u);
  EXPECT_EQ(d.transfer_cycles(5376), 19u);  // a dense 16x16 tile: 256 x 20 bits + 256 mask bits
  EXPECT_EQ(d.latency_cycles(), 32u);       // 45 ns
}

TEST(Dram, ZeroFreeTransfersChargeNonZeroWordsAndMaskBits) {
  test::require_fresh_kernel();
  const HwConfig cfg = load_hw_config("edge", {"main_memory.size_mb=1"});
  Clock clock(700e6);
  Dram dram("dram", cfg, clock);
  Probe probe("probe");
  probe.socket.bind(dram.socket);
  probe.body = [&](Probe& p) {
    std::vector<int32_t> words(256, 0);
    for (int i = 0; i < 64; ++i) words[i * 4] = i + 1;  // 64 of 256 non-zero
    TransferExt zf;
    sc_core::sc_time t1 = sc_core::SC_ZERO_TIME;
    ASSERT_EQ(p.access(tlm::TLM_WRITE_COMMAND, 0, words.data(), 1024, &t1, nullptr, &zf), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(zf.words, 256u);
    EXPECT_EQ(zf.nonzero, 64u);
    EXPECT_EQ(zf.modelled_bits, 64u * 20 + 256);
    // latency 32 + ceil(1536 * 7 / 2048) = 32 + 6
    EXPECT_EQ(clock.to_cycles(t1), 38u);
    EXPECT_EQ(zf.data_start, 32u);
    // A second burst queues on the channel behind the first (its latency overlaps). The channel
    // counts in fractions of a cycle: the first burst holds it for 5.25 cycles, [32, 37.25), so
    // the second, 5.25 more, ends at 42.5: cycle 43 (44 if each burst were rounded on its own).
    sc_core::sc_time t2 = sc_core::SC_ZERO_TIME;
    std::vector<int32_t> back(256);
    ASSERT_EQ(p.access(tlm::TLM_READ_COMMAND, 0, back.data(), 1024, &t2, nullptr, &zf), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(back, words);
    EXPECT_EQ(zf.data_start, 37u);
    EXPECT_EQ(clock.to_cycles(t2), 43u);
    // A plain (non-tensor) transfer is charged at 8 bits per byte.
    sc_core::sc_time t3 = clock.to_time(1000);
    ASSERT_EQ(p.access(tlm::TLM_READ_COMMAND, 0, back.data(), 64, &t3), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(clock.to_cycles(t3), 1000u + 32 + 2);  // 512 bits -> ceil(1.75)
    // Cut-through: a write fed by a stream that ends at cycle 2000 cannot end before it; the
    // channel is reserved for its 5.25 cycles just before then, [1994.75, 2000).
    TransferExt fed;
    fed.stream_end = 2000;
    sc_core::sc_time t4 = clock.to_time(1100);
    ASSERT_EQ(p.access(tlm::TLM_WRITE_COMMAND, 0, words.data(), 1024, &t4, nullptr, &fed), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(clock.to_cycles(t4), 2000u);
    EXPECT_EQ(fed.data_start, 1994u);
    uint32_t v;
    EXPECT_EQ(p.access(tlm::TLM_READ_COMMAND, dram.size() - 2, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(p.access(tlm::TLM_IGNORE_COMMAND, 0, &v, 4), tlm::TLM_COMMAND_ERROR_RESPONSE);
    unsigned char be[4] = {TLM_BYTE_ENABLED, TLM_BYTE_DISABLED, TLM_BYTE_DISABLED, TLM_BYTE_ENABLED};
    v = 0xAABBCCDD;
    ASSERT_EQ(p.access(tlm::TLM_WRITE_COMMAND, 2048, &v, 4, nullptr, be), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(*reinterpret_cast<uint32_t*>(dram.data() + 2048), 0xAA0000DDu);
    // A byte-enable pointer with a length of 0 has no pattern to repeat: an error, not a division by 0.
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_WRITE_COMMAND);
    t.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
    t.set_data_length(4);
    t.set_streaming_width(4);
    t.set_byte_enable_ptr(be);
    t.set_byte_enable_length(0);
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    p.socket->b_transport(t, d);
    EXPECT_EQ(t.get_response_status(), tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  };
  sc_core::sc_start();
  ASSERT_TRUE(probe.done);
  Stats s;
  const EnergyTable t = EnergyTable::load(cfg);
  dram.collect_stats(s, {cfg, t, 0});
  EXPECT_EQ(s.get("dram.write_bytes"), (2 * 1536 + 32 + 7) / 8);  // incl. the 4-byte write
  EXPECT_EQ(s.get("dram.blocks"), 2 + 2 + 1 + 2 + 1);             // ceil(1536/1280) = 2 per tile, 1 per small transfer
  EXPECT_DOUBLE_EQ(s.get("energy.dram.dynamic_nj"), 8 * 13.438);
}

TEST(Dram, ReadsAndDmiGrantsWaitForWhatABackgroundFillHasNotWritten) {
  test::require_fresh_kernel();
  const HwConfig cfg = load_hw_config("edge", {"main_memory.size_mb=1"});
  Clock clock(700e6);
  Dram dram("dram", cfg, clock);
  BackgroundFill fill;
  dram.set_background_fill(&fill);
  int32_t* words = reinterpret_cast<int32_t*>(dram.data());
  std::promise<void> go;
  std::shared_future<void> going = go.get_future().share();
  fill.queue(4096, 8192, [words, going] {  // words 1024..2047, once released
    going.wait();
    for (int i = 1024; i < 2048; ++i) words[i] = i;
  });
  Probe probe("probe");
  probe.socket.bind(dram.socket);
  std::thread release;
  probe.body = [&](Probe& p) {
    tlm::tlm_dmi dmi;
    ASSERT_TRUE(p.dmi(100, dmi));  // below the region: granted up to it, not into it
    EXPECT_EQ(dmi.get_start_address(), 0u);
    EXPECT_EQ(dmi.get_end_address(), 4095u);
    ASSERT_TRUE(p.dmi(8192, dmi));
    EXPECT_EQ(dmi.get_start_address(), 8192u);
    EXPECT_EQ(dmi.get_dmi_ptr(), dram.data() + 8192);
    release = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      go.set_value();
    });
    std::vector<int32_t> back(16);
    TransferExt zf;
    ASSERT_EQ(p.access(tlm::TLM_READ_COMMAND, 4096 + 64, back.data(), 64, nullptr, nullptr, &zf), tlm::TLM_OK_RESPONSE);
    for (int i = 0; i < 16; ++i) EXPECT_EQ(back[i], 1040 + i);  // what the fill wrote, not the zeros before it
    EXPECT_EQ(zf.nonzero, 16u);
    ASSERT_TRUE(p.dmi(100, dmi));  // written: the whole memory again
    EXPECT_EQ(dmi.get_end_address(), dram.size() - 1);
  };
  sc_core::sc_start();
  release.join();
  ASSERT_TRUE(probe.done);
}

TEST(Buffer, PortsWorkInParallelAndAddTheAccessLatency) {
  test::require_fresh_kernel();
  const HwConfig cfg = load_hw_config("edge");
  Clock clock(700e6);
  MaskBuffer mask(cfg);
  Buffer buf("act", "activation", 4, cfg, clock, mask);
  EXPECT_EQ(buf.words(), 4ull * 1048576 * 8 / 20);
  Probe probe("probe");
  probe.socket.bind(buf.socket);
  probe.body = [&](Probe& p) {
    std::vector<int32_t> w(1024, 1);
    TransferExt zf;
    // 1024 x 21 bits through one 370 GB/s port (4228.57 bits/cycle): 5.09 cycles, + 1 latency.
    // The two ports are one channel of twice the bandwidth, of which a burst takes half: the
    // first burst holds that channel for 2.54 cycles and lasts 5.09, the next starts at 2.54.
    sc_core::sc_time a = sc_core::SC_ZERO_TIME, b = sc_core::SC_ZERO_TIME, c = sc_core::SC_ZERO_TIME;
    p.access(tlm::TLM_WRITE_COMMAND, 0, w.data(), 4096, &a, nullptr, &zf);
    p.access(tlm::TLM_WRITE_COMMAND, 4096, w.data(), 4096, &b, nullptr, &zf);
    p.access(tlm::TLM_WRITE_COMMAND, 8192, w.data(), 4096, &c, nullptr, &zf);
    EXPECT_EQ(clock.to_cycles(a), 6u + 1);   // [0, 5.09)
    EXPECT_EQ(clock.to_cycles(b), 8u + 1);   // [2.54, 7.63)
    EXPECT_EQ(clock.to_cycles(c), 11u + 1);  // [5.08, 10.17)
    // The PE cluster's port access: no data move, the ports are taken for the zero-free bits of
    // the words it reads (here 1024 words, 512 non-zero: 11264 bits, interleaved over both
    // ports: 1.33 cycles each) and counted.
    PortAccessExt pe;
    pe.words = 1024, pe.nonzero = 512;
    sc_core::sc_time d = clock.to_time(100);
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_IGNORE_COMMAND);
    t.set_address(0);
    t.set_data_ptr(reinterpret_cast<unsigned char*>(w.data()));
    t.set_data_length(4096);
    t.set_streaming_width(4096);
    t.set_extension(&pe);
    p.socket->b_transport(t, d);
    t.clear_extension(&pe);
    EXPECT_EQ(t.get_response_status(), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(clock.to_cycles(d), 100u + 2 + 1);  // 1.33 cycles of the summed bandwidth: [100, 101.33)
    EXPECT_EQ(pe.data_start, 101u);  // a read delivers its first word after the access latency
    // Without the extension an IGNORE command is refused.
    EXPECT_EQ(p.access(tlm::TLM_IGNORE_COMMAND, 0, w.data(), 4), tlm::TLM_COMMAND_ERROR_RESPONSE);
    uint32_t v;
    EXPECT_EQ(p.access(tlm::TLM_READ_COMMAND, buf.size(), &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  };
  sc_core::sc_start();
  ASSERT_TRUE(probe.done);
  Stats s;
  const EnergyTable t = EnergyTable::load(cfg);
  buf.collect_stats(s, {cfg, t, 700});  // 1 us active
  mask.collect_stats(s, {cfg, t, 700});
  EXPECT_EQ(s.get("buffers.activation.words_written"), 3072);
  EXPECT_EQ(s.get("buffers.activation.words_read"), 1024);
  EXPECT_EQ(s.get("buffers.activation.pe_accesses"), 1);
  EXPECT_EQ(s.get("buffers.activation.dma_transfers"), 3);
  EXPECT_EQ(s.get("buffers.activation.blocks"), 48 + 8);  // zero-free: 512 non-zero words read = 8 blocks
  EXPECT_NEAR(s.get("energy.activation_buffer.dynamic_nj"), 56 * 0.079275 * 2.0, 1e-9);  // sqrt(4 MB) = 2
  EXPECT_NEAR(s.get("energy.activation_buffer.leakage_nj"), 247.92 * 4 * 1e-3 * 1e-6 * 1e9, 1e-6);
  EXPECT_EQ(s.get("buffers.mask.blocks"), 48 + 16);
}
