// GDB remote serial protocol server for the riscv CPU (--gdb PORT): gdb-multiarch attaches over
// TCP on 127.0.0.1 and sees an RV32 target (target description with the general registers, pc
// and the machine CSRs).
//
// The stub runs on the CPU's SystemC thread, inside the ISS's per-instruction hook: while the
// target is stopped the thread blocks on the socket, so neither simulated time nor any other
// SystemC process advances. Breakpoints (Z0, Z1) and single steps are checked before each
// instruction; watchpoints (Z2 write, Z3 read, Z4 access) decode the instruction's load or store
// and stop before it, as RISC-V debug triggers do (gdb steps over it with the watchpoint removed).
// Memory of the accelerator's devices goes through TLM debug transport: no side effects, and the
// devices refuse debug writes that would have some.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct uc_struct;

namespace acc {

struct GdbStubError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class GdbStub {
 public:
  // What the stub needs of the CPU beyond Unicorn's registers and memory.
  struct Target {
    // Address ranges whose accesses are bus transactions (registers, console, buffers).
    std::vector<std::pair<uint32_t, uint64_t>> devices;
    // A TLM debug access (transport_dbg) of len bytes; false if the target did not serve all of them.
    std::function<bool(bool write, uint32_t addr, uint8_t* data, unsigned len)> debug_access;
    // gdb killed the target: end the simulation with this message.
    std::function<void(const std::string& why)> kill;
  };

  // Listens on 127.0.0.1:port; throws GdbStubError if it cannot.
  GdbStub(uint16_t port, uc_struct* uc, Target target);
  ~GdbStub();
  GdbStub(const GdbStub&) = delete;
  GdbStub& operator=(const GdbStub&) = delete;

  // Waits for gdb and serves it with the target stopped at `pc`, before its first instruction.
  void attach(uint32_t pc);
  // Before every instruction the ISS executes.
  void before_instruction(uint32_t pc);
  // The firmware returned (exit code): gdb is told, and the connection closed.
  void exited(int code);
  // The firmware faulted: gdb gets the message and a SIGSEGV stop at the faulting instruction (pc,
  // if known) to inspect it; when gdb resumes, the program ends with SIGSEGV.
  void faulted(const std::string& why, std::optional<uint32_t> pc);

  // Protocol helpers, public for the unit test.
  static std::string frame(const std::string& payload);  // "$payload#cs" with '#', '$', '}', '*' escaped
  static const char* target_xml();

 private:
  enum class Watch { write = 2, read = 3, access = 4 };
  struct WatchRange {
    uint32_t addr, len;
    Watch kind;
  };

  void serve(const std::string& stop_reply, bool announce);  // until gdb resumes, detaches or kills
  std::string handle(const std::string& packet, bool& resume);
  bool read_packet(std::string& out);  // false: the connection is gone
  void send(const std::string& payload);
  bool interrupt_requested();  // Ctrl-C (0x03) arrived while running
  void close_connection();
  void resume(bool step);

  std::string read_registers();
  bool write_registers(const std::string& hex);
  bool read_register(unsigned n, uint32_t& v);
  bool write_register(unsigned n, uint32_t v);
  bool read_memory(uint32_t addr, uint32_t len, std::vector<uint8_t>& out);
  bool write_memory(uint32_t addr, const std::vector<uint8_t>& data);
  uint64_t device_bytes_at(uint32_t addr, uint32_t len, bool& device) const;  // length of the run of like memory
  std::string watch_hit(uint32_t pc);  // the stop reply if the instruction at pc touches a watched range

  uint16_t port_;
  uc_struct* uc_;
  Target target_;
  int listen_fd_ = -1, fd_ = -1;
  static constexpr uint32_t kMaxPacket = 4096;
  std::string inbuf_;
  size_t inpos_ = 0;
  std::string last_stop_ = "S05";
  bool no_ack_ = false;
  bool replied_ = false;  // handle() has sent its reply itself
  bool stepping_ = false;
  bool skip_first_ = false;  // the next instruction is the one gdb resumed at: run it
  uint32_t skip_pc_ = 0;
  uint32_t polls_ = 0;
  std::map<uint32_t, int> breakpoints_;  // pc -> count of Z0/Z1 inserted there
  std::vector<WatchRange> watches_;
};

}  // namespace acc
