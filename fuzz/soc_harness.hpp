// A platform for the harnesses that drive the hardware: the SoC of a small configuration whose
// native CPU runs, instead of the driver firmware, a loop that takes one fuzz input at a time.
//
// One simulation serves every input (SystemC elaborates once per process): run() hands the input
// to the CPU's thread and simulates until that thread has handled it and paused the kernel. The
// handler runs inside a SystemC thread, so it may wait and issue blocking transactions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace acc {
class Soc;
}

namespace acc::fuzz {

using Handler = std::function<void(Soc& soc, const uint8_t* data, size_t size)>;

// The platform, built on the first call (before the simulation starts: a harness may still bind
// sockets of its own to it).
Soc& platform();

// Builds the platform if needed (edge with 4 PEs, 256 KiB buffers, 8 MiB of DRAM and a queue
// window of 16 descriptors, as many as the control-block harness's ring: any program is small,
// and a full window is reached often), then runs `handler` on the input in the CPU's thread. A firmware
// fault (an MMIO access that got an error response) ends the simulation and is a finding.
void run(const uint8_t* data, size_t size, const Handler& handler);

// Simulated time the handler may wait for the accelerator to go idle before it is a hang.
constexpr uint64_t kIdleBoundUs = 50000;

// From the handler: waits until the accelerator is idle (STATUS.BUSY clear), at most
// kIdleBoundUs (then it is a finding); an error stop must name a known error code.
void wait_until_idle();

}  // namespace acc::fuzz
