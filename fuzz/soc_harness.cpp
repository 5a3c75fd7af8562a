#include "soc_harness.hpp"

#include <systemc>

#include <pthread.h>

#include <memory>
#include <string>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/common_interface_defs.h>
#define ACC_FUZZ_ASAN 1
#endif
#endif

#include <cstring>

#include "acceltran_regs.h"
#include "fuzz_support.hpp"
#include "hal.h"
#include "hw_config.hpp"
#include "regmap.hpp"
#include "soc.hpp"

namespace acc::fuzz {

namespace {
struct Mailbox {
  const uint8_t* data = nullptr;
  size_t size = 0;
  const Handler* handler = nullptr;
  bool pending = false, handled = false;
  sc_core::sc_event go{"fuzz_input"};
};
Mailbox* mailbox = nullptr;
Soc* soc = nullptr;

// The firmware: handle inputs forever; after each, pause the kernel so that run() returns.
int input_loop() {
  for (;;) {
    while (!mailbox->pending) sc_core::wait(mailbox->go);
    mailbox->pending = false;
    (*mailbox->handler)(*soc, mailbox->data, mailbox->size);
    mailbox->handled = true;
    sc_core::sc_pause();
  }
}

// SystemC switches between its coroutines' stacks without telling AddressSanitizer, which then
// loses the bounds of the main thread's stack, and LeakSanitizer, scanning no stack for it, takes
// what main()'s frames hold (libFuzzer's state) for leaks. Back on the main stack, declare it
// again, as a switch of fiber to it; the fuzz tests then scan stacks (LSAN_OPTIONS=use_stacks=1).
void restore_main_stack_bounds() {
#ifdef ACC_FUZZ_ASAN
  static void* bottom = nullptr;
  static size_t size = 0;
  if (!bottom) {
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0 || pthread_attr_getstack(&attr, &bottom, &size) != 0)
      unexpected("cannot read the main thread's stack bounds");
    pthread_attr_destroy(&attr);
  }
  __sanitizer_start_switch_fiber(nullptr, bottom, size);
  __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
}

void build() {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  const HwConfig cfg = load_hw_config("edge", {"pe=4", "activation_buffer_size=0.25", "weight_buffer_size=0.25",
                                               "mask_buffer_size=0.0625", "main_memory.size_mb=8", "vp.queue_window=16"});
  SocOptions opt;
  opt.native_entry = input_loop;
  mailbox = new Mailbox;  // lives as long as the simulation (the process)
  soc = new Soc("soc", cfg, opt);
}
}  // namespace

Soc& platform() {
  if (!soc) build();
  return *soc;
}

void wait_until_idle() {
  auto reg = [](uint32_t offset) { return hal_read32(ACC_MAP_ACC_REGS_BASE + offset); };
  for (uint64_t us = 0; reg(ACC_REG_STATUS) & ACC_STATUS_BUSY; us += 10) {
    if (us >= kIdleBoundUs) unexpected("the accelerator is still busy after the idle bound: a hang");
    sc_core::wait(10, sc_core::SC_US);
  }
  if (reg(ACC_REG_STATUS) & ACC_STATUS_ERROR) {
    const uint32_t code = reg(ACC_REG_ERR_CODE);
    if (code == ACC_ERR_NONE || std::strcmp(regmap::error_name(code), "UNKNOWN") == 0)
      unexpected("an error stop without a known error code");
  }
}

void run(const uint8_t* data, size_t size, const Handler& handler) {
  if (!soc) build();
  mailbox->data = data, mailbox->size = size, mailbox->handler = &handler;
  mailbox->pending = true, mailbox->handled = false;
  if (sc_core::sc_get_status() == sc_core::SC_PAUSED) mailbox->go.notify(sc_core::SC_ZERO_TIME);
  sc_core::sc_start();
  restore_main_stack_bounds();
  if (!mailbox->handled) {
    const std::string why = soc->cpu().fault().empty() ? "the simulation ended before the input was handled ("
                                                         + soc->cpu().state() + ")"
                                                       : "firmware fault: " + soc->cpu().fault();
    unexpected(why.c_str());
  }
}

}  // namespace acc::fuzz
