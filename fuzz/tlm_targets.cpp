// Every TLM target of the platform fed arbitrary generic payloads: the bus (through an initiator
// of the harness's own), and behind or beside it the DRAM, the buffers, the console, the control
// block's registers and the DMA's and PE cluster's command ports. Each transaction is a blocking
// transport, a debug transport or a DMI request with any command, address, data length, streaming
// width and byte enables (including a byte-enable pointer with a length of 0). A target must
// answer, never crash, and set a response status; a debug transport returns at most the bytes
// asked; a DMI grant holds the address asked and a pointer.
#include <fuzzer/FuzzedDataProvider.h>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <string>
#include <vector>

#include "acceltran_regs.h"
#include "bus.hpp"
#include "fuzz_support.hpp"
#include "soc.hpp"
#include "soc_harness.hpp"
#include "tlm_checker.hpp"

namespace {
using TargetSocket = tlm::tlm_base_target_socket_b<32, tlm::tlm_fw_transport_if<>, tlm::tlm_bw_transport_if<>>;

// An initiator on the bus, beside the CPU; it ignores DMI invalidations (it keeps no pointer).
struct BusInitiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<BusInitiator> socket{"socket"};
  explicit BusInitiator(sc_core::sc_module_name n) : sc_module(n) {
    socket.register_invalidate_direct_mem_ptr(this, &BusInitiator::invalidate);
  }
  void invalidate(sc_dt::uint64, sc_dt::uint64) {}
};
BusInitiator* bus_initiator = nullptr;

struct Target {
  std::string name;
  tlm::tlm_fw_transport_if<>* fw;
};
std::vector<Target> targets;

void find_targets(sc_core::sc_object* o) {
  if (dynamic_cast<acc::TlmChecker*>(o)) return;  // a pass-through (ACC_TLM_CHECKS): its target is found on its own
  if (auto* t = dynamic_cast<TargetSocket*>(o); t && !dynamic_cast<tlm_utils::multi_passthrough_target_socket<acc::Bus>*>(o))
    targets.push_back({o->name(), &t->get_base_interface()});
  for (sc_core::sc_object* c : o->get_child_objects()) find_targets(c);
}

uint64_t address(FuzzedDataProvider& p) {
  static const uint64_t bases[] = {0, ACC_MAP_ACC_REGS_BASE, ACC_MAP_CONSOLE_BASE, ACC_MAP_ACT_BUF_BASE, ACC_MAP_WGT_BUF_BASE,
                                   ACC_MAP_DRAM_BASE, ACC_MAP_DRAM_BASE + (8u << 20) - 64};
  switch (p.ConsumeIntegralInRange<int>(0, 2)) {
    case 0: return p.ConsumeIntegralInRange<uint64_t>(0, 0x2000);
    case 1: return bases[p.ConsumeIntegralInRange<size_t>(0, std::size(bases) - 1)] + p.ConsumeIntegralInRange<uint64_t>(0, 256);
    default: return p.ConsumeIntegral<uint64_t>();
  }
}

void transaction(FuzzedDataProvider& p) {
  const size_t which = p.ConsumeIntegralInRange<size_t>(0, targets.size());  // == size(): through the bus
  tlm::tlm_fw_transport_if<>* fw = which < targets.size() ? targets[which].fw : nullptr;
  const std::string name = fw ? targets[which].name : "bus";

  tlm::tlm_generic_payload t;
  const int command = p.ConsumeIntegralInRange<int>(0, 2);
  t.set_command(command == 0 ? tlm::TLM_READ_COMMAND : command == 1 ? tlm::TLM_WRITE_COMMAND : tlm::TLM_IGNORE_COMMAND);
  t.set_address(address(p));
  const unsigned len = p.ConsumeBool() ? p.ConsumeIntegralInRange<unsigned>(0, 16) : p.ConsumeIntegralInRange<unsigned>(0, 1u << 16);
  std::vector<unsigned char> data(len ? len : 1);
  for (auto& b : data) b = p.ConsumeIntegral<uint8_t>();
  t.set_data_ptr(data.data());
  t.set_data_length(len);
  switch (p.ConsumeIntegralInRange<int>(0, 2)) {
    case 0: t.set_streaming_width(len); break;
    case 1: t.set_streaming_width(0); break;
    default: t.set_streaming_width(p.ConsumeIntegralInRange<unsigned>(0, 64));
  }
  std::vector<unsigned char> be(16);
  if (p.ConsumeBool()) {
    for (auto& b : be) b = p.ConsumeBool() ? TLM_BYTE_ENABLED : TLM_BYTE_DISABLED;
    t.set_byte_enable_ptr(be.data());
    t.set_byte_enable_length(p.ConsumeIntegralInRange<unsigned>(0, 16));  // 0 with a pointer is allowed to happen
  }
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);

  const int kind = p.ConsumeIntegralInRange<int>(0, 2);
  if (kind == 0) {
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    if (fw)
      fw->b_transport(t, delay);
    else
      bus_initiator->socket->b_transport(t, delay);
    if (t.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE)
      acc::fuzz::unexpected(("b_transport on " + name + " left the response status incomplete").c_str());
  } else if (kind == 1) {
    const unsigned n = fw ? fw->transport_dbg(t) : bus_initiator->socket->transport_dbg(t);
    if (n > len) acc::fuzz::unexpected(("transport_dbg on " + name + " reports more bytes than asked").c_str());
  } else {
    tlm::tlm_dmi dmi;
    const uint64_t addr = t.get_address();
    const bool granted = fw ? fw->get_direct_mem_ptr(t, dmi) : bus_initiator->socket->get_direct_mem_ptr(t, dmi);
    if (granted && (!dmi.get_dmi_ptr() || dmi.get_start_address() > addr || dmi.get_end_address() < addr))
      acc::fuzz::unexpected(("get_direct_mem_ptr on " + name + " granted a region without the address asked").c_str());
  }
}

void payloads(acc::Soc& soc, const uint8_t* data, size_t size) {
  if (targets.empty()) find_targets(&soc);
  FuzzedDataProvider p(data, size);
  for (int i = 0; i < 32 && p.remaining_bytes() > 0; ++i) transaction(p);
  acc::fuzz::wait_until_idle();  // register writes may have started the accelerator
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  acc::Soc& soc = acc::fuzz::platform();
  auto* bus = dynamic_cast<tlm_utils::multi_passthrough_target_socket<acc::Bus>*>(sc_core::sc_find_object("soc.bus.targets_in"));
  if (!bus) acc::fuzz::unexpected("no soc.bus.targets_in");
  bus_initiator = new BusInitiator("fuzz_bus_initiator");
  bus_initiator->socket.bind(*bus);
  // This harness breaks the initiator's rules on purpose (e.g. a streaming width of 0) to see that
  // every target answers; the rule checkers of a build with ACC_TLM_CHECKS would stop it there.
  acc::TlmChecker::set_enabled(false);
  (void)soc;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  acc::fuzz::run(data, size, payloads);
  return 0;
}
