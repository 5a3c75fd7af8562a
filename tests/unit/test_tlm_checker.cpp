// The TLM rule checker (models/interconnect/tlm_checker.hpp) lets correct traffic through and
// aborts, naming the rule, on each kind of violation: an initiator's bad payload or DMI request,
// and a target that leaves the response unset, changes what it must not or grants DMI wrongly.
#include <gtest/gtest.h>

#include <tlm_utils/simple_target_socket.h>

#include <functional>
#include <memory>

#include "dram.hpp"
#include "tlm_checker.hpp"
#include "tlm_probe.hpp"
#include "vp_test.hpp"

using namespace acc;
using acc::test::Probe;

namespace {

// A target that misbehaves as told.
struct BadTarget : sc_core::sc_module {
  tlm_utils::simple_target_socket<BadTarget> socket;
  std::function<void(tlm::tlm_generic_payload&, sc_core::sc_time&)> transport;
  std::function<bool(tlm::tlm_generic_payload&, tlm::tlm_dmi&)> dmi;
  explicit BadTarget(sc_core::sc_module_name n) : sc_module(n), socket("socket") {
    socket.register_b_transport(this, &BadTarget::b_transport);
    socket.register_get_direct_mem_ptr(this, &BadTarget::get_dmi);
  }
  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& d) { transport(t, d); }
  bool get_dmi(tlm::tlm_generic_payload& t, tlm::tlm_dmi& d) { return dmi(t, d); }
};

// Runs `body` on a probe whose socket goes through a checker to a DRAM model, or to `bad` if set.
void run_checked(const std::function<void(Probe&)>& body, BadTarget* (*make_bad)() = nullptr) {
  HwConfig cfg = load_hw_config("edge", {"main_memory.size_mb=1"});
  Clock clock(700e6);
  TlmChecker checker("checker");
  Probe probe("probe");
  probe.socket.bind(checker.in);
  std::unique_ptr<BadTarget> bad(make_bad ? make_bad() : nullptr);
  std::unique_ptr<Dram> dram(bad ? nullptr : new Dram("dram", cfg, clock));
  if (bad)
    checker.out.bind(bad->socket);
  else
    checker.out.bind(dram->socket);
  probe.body = body;
  sc_core::sc_start();
}

void fill(tlm::tlm_generic_payload& t, uint32_t* word) {
  t.set_command(tlm::TLM_WRITE_COMMAND);
  t.set_address(0);
  t.set_data_ptr(reinterpret_cast<unsigned char*>(word));
  t.set_data_length(4);
  t.set_streaming_width(4);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

void send(Probe& p, tlm::tlm_generic_payload& t) {
  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  p.socket->b_transport(t, d);
}

}  // namespace

TEST(TlmChecker, LetsCorrectTrafficThrough) {
  test::require_fresh_kernel();
  bool done = false;
  run_checked([&](Probe& p) {
    uint32_t v = 7;
    EXPECT_EQ(p.access(tlm::TLM_WRITE_COMMAND, 0, &v, 4), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(p.access(tlm::TLM_READ_COMMAND, 1 << 30, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    tlm::tlm_dmi dmi;
    EXPECT_TRUE(p.dmi(0, dmi, tlm::TLM_WRITE_COMMAND));
    EXPECT_EQ(p.debug(tlm::TLM_READ_COMMAND, 0, &v, 4), 4u);
    done = true;
  });
  EXPECT_TRUE(done);
  EXPECT_EQ(TlmChecker::checked(), 4u);
}

using TlmCheckerDeathTest = ::testing::Test;

TEST(TlmCheckerDeathTest, AnInitiatorsBadPayloadAborts) {
  test::require_fresh_kernel();
  auto with = [](std::function<void(tlm::tlm_generic_payload&)> spoil) {
    run_checked([spoil](Probe& p) {
      uint32_t v = 0;
      tlm::tlm_generic_payload t;
      fill(t, &v);
      spoil(t);
      send(p, t);
    });
  };
  EXPECT_DEATH(with([](auto& t) { t.set_response_status(tlm::TLM_OK_RESPONSE); }), "response status must be TLM_INCOMPLETE_RESPONSE");
  EXPECT_DEATH(with([](auto& t) { t.set_streaming_width(0); }), "streaming width must not be 0");
  EXPECT_DEATH(with([](auto& t) { t.set_data_length(0); }), "data length must not be 0");
  EXPECT_DEATH(with([](auto& t) { t.set_dmi_allowed(true); }), "DMI-allowed attribute must be false");
  static unsigned char enables[4] = {0xFF, 0xFF, 0xFF, 0xFF};
  EXPECT_DEATH(with([](auto& t) { t.set_byte_enable_ptr(enables); t.set_byte_enable_length(0); }), "byte-enable length");
}

TEST(TlmCheckerDeathTest, AnUninitialisedDmiDescriptorAborts) {
  test::require_fresh_kernel();
  EXPECT_DEATH(run_checked([](Probe& p) {
                 tlm::tlm_generic_payload t;
                 t.set_command(tlm::TLM_READ_COMMAND);
                 tlm::tlm_dmi dmi;
                 dmi.set_start_address(64);  // left over from an earlier grant
                 p.socket->get_direct_mem_ptr(t, dmi);
               }),
               "initial state");
}

TEST(TlmCheckerDeathTest, ATargetsMistakesAbort) {
  test::require_fresh_kernel();
  auto target = [](std::function<void(tlm::tlm_generic_payload&, sc_core::sc_time&)> f) {
    static std::function<void(tlm::tlm_generic_payload&, sc_core::sc_time&)> behaviour;
    behaviour = f;
    run_checked(
        [](Probe& p) {
          uint32_t v = 0;
          tlm::tlm_generic_payload t;
          fill(t, &v);
          sc_core::sc_time d(10, sc_core::SC_NS);
          p.socket->b_transport(t, d);
        },
        [] {
          auto* b = new BadTarget("bad");
          b->transport = behaviour;
          return b;
        });
  };
  EXPECT_DEATH(target([](auto&, auto&) {}), "did not set the response status");
  EXPECT_DEATH(target([](auto& t, auto&) { t.set_response_status(tlm::TLM_OK_RESPONSE), t.set_data_length(2); }), "changed the data length");
  EXPECT_DEATH(target([](auto& t, auto& d) { t.set_response_status(tlm::TLM_OK_RESPONSE), d = sc_core::SC_ZERO_TIME; }),
               "timing annotation went backwards");
}

TEST(TlmCheckerDeathTest, AWrongDmiGrantAborts) {
  test::require_fresh_kernel();
  auto grant = [](std::function<bool(tlm::tlm_generic_payload&, tlm::tlm_dmi&)> f) {
    static std::function<bool(tlm::tlm_generic_payload&, tlm::tlm_dmi&)> behaviour;
    behaviour = f;
    run_checked(
        [](Probe& p) {
          tlm::tlm_dmi dmi;
          p.dmi(0x100, dmi, tlm::TLM_WRITE_COMMAND);
        },
        [] {
          auto* b = new BadTarget("bad");
          b->dmi = behaviour;
          return b;
        });
  };
  static unsigned char memory[64];
  EXPECT_DEATH(grant([](auto&, tlm::tlm_dmi& d) {
                 d.set_dmi_ptr(memory), d.set_start_address(0), d.set_end_address(63), d.allow_read_write();
                 return true;
               }),
               "cover the requested address");
  EXPECT_DEATH(grant([](auto&, tlm::tlm_dmi& d) {
                 d.set_dmi_ptr(memory), d.set_start_address(0x100), d.set_end_address(0x13F), d.allow_read();
                 return true;
               }),
               "allow the requested access");
}
