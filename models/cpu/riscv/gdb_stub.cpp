#include "gdb_stub.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unicorn/unicorn.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "rv32_decode.hpp"

namespace acc {

namespace {

// gdb's RISC-V register numbers: x0..x31, pc, the FPRs (33..64, absent here), then CSR n at 65 + n.
constexpr unsigned kPcRegnum = 32, kFirstCsrRegnum = 65;

struct Csr {
  const char* name;
  uint32_t number;
  int uc_reg;
};
const Csr kCsrs[] = {
    {"mstatus", 0x300, UC_RISCV_REG_MSTATUS}, {"misa", 0x301, UC_RISCV_REG_MISA},     {"mie", 0x304, UC_RISCV_REG_MIE},
    {"mtvec", 0x305, UC_RISCV_REG_MTVEC},     {"mscratch", 0x340, UC_RISCV_REG_MSCRATCH}, {"mepc", 0x341, UC_RISCV_REG_MEPC},
    {"mcause", 0x342, UC_RISCV_REG_MCAUSE},   {"mtval", 0x343, UC_RISCV_REG_MTVAL},   {"mip", 0x344, UC_RISCV_REG_MIP},
    {"mhartid", 0xf14, UC_RISCV_REG_MHARTID},
};

const char kHex[] = "0123456789abcdef";

std::string hex_bytes(const uint8_t* p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += kHex[p[i] >> 4], s += kHex[p[i] & 15];
  return s;
}

std::string hex_u32_le(uint32_t v) {
  uint8_t b[4];
  std::memcpy(b, &v, 4);  // the host is little-endian, as RV32
  return hex_bytes(b, 4);
}

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_hex_bytes(const std::string& s, std::vector<uint8_t>& out) {
  if (s.size() % 2) return false;
  out.clear();
  for (size_t i = 0; i < s.size(); i += 2) {
    const int hi = nibble(s[i]), lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return true;
}

// A hex number at s[pos..], advancing pos; false if there is none or it overflows 32 bits.
bool parse_hex(const std::string& s, size_t& pos, uint32_t& v) {
  v = 0;
  const size_t start = pos;
  for (; pos < s.size() && nibble(s[pos]) >= 0; ++pos) {
    if (pos - start == 8) return false;
    v = v << 4 | static_cast<uint32_t>(nibble(s[pos]));
  }
  return pos > start;
}

// "addr,len" from s[pos..]; `end` gets the position after it.
bool parse_addr_len(const std::string& s, size_t pos, uint32_t& addr, uint32_t& len, size_t* end = nullptr) {
  if (!parse_hex(s, pos, addr) || pos >= s.size() || s[pos] != ',' || !parse_hex(s, ++pos, len)) return false;
  if (end) *end = pos;
  return true;
}

std::string build_target_xml() {
  std::string x =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n"
      "<architecture>riscv:rv32</architecture>\n<feature name=\"org.gnu.gdb.riscv.cpu\">\n";
  for (int i = 0; i < 32; ++i) {
    const char* type = i == 1 ? "code_ptr" : i == 2 ? "data_ptr" : "int";
    x += "  <reg name=\"" + std::string(rv32::reg_name(i)) + "\" bitsize=\"32\" type=\"" + type + "\" regnum=\"" +
         std::to_string(i) + "\"/>\n";
  }
  x += "  <reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\" regnum=\"32\"/>\n</feature>\n<feature name=\"org.gnu.gdb.riscv.csr\">\n";
  for (const Csr& c : kCsrs)
    x += "  <reg name=\"" + std::string(c.name) + "\" bitsize=\"32\" type=\"int\" regnum=\"" +
         std::to_string(kFirstCsrRegnum + c.number) + "\" group=\"csr\"/>\n";
  return x + "</feature>\n</target>\n";
}

}  // namespace

const char* GdbStub::target_xml() {
  static const std::string xml = build_target_xml();
  return xml.c_str();
}

GdbStub::GdbStub(uint16_t port, uc_struct* uc, Target target) : port_(port), uc_(uc), target_(std::move(target)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw GdbStubError(std::string("--gdb: cannot create a socket: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // local debugging only: never exposed on the network
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(listen_fd_, 1) != 0) {
    const std::string why = std::strerror(errno);
    ::close(listen_fd_);
    throw GdbStubError("--gdb " + std::to_string(port) + ": cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + why);
  }
}

GdbStub::~GdbStub() {
  close_connection();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void GdbStub::close_connection() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  breakpoints_.clear();
  watches_.clear();
  stepping_ = false;
}

// ---------------------------------------------------------------------------------------------
// Execution control

void GdbStub::attach(uint32_t pc) {
  std::cerr << "acceltran-vp: gdb: waiting for a connection on 127.0.0.1:" << port_ << " (target remote :" << port_ << ")"
            << std::endl;
  for (;;) {
    fd_ = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd_ >= 0 || errno != EINTR) break;
  }
  ::close(listen_fd_);  // one debugging session per run
  listen_fd_ = -1;
  if (fd_ < 0) throw GdbStubError(std::string("--gdb: accept failed: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  uc_reg_write(uc_, UC_RISCV_REG_PC, &pc);
  skip_first_ = false;
  serve("S05", false);
  // Resumed before the first instruction: that instruction runs without stopping again.
  uint32_t resumed_pc = 0;
  uc_reg_read(uc_, UC_RISCV_REG_PC, &resumed_pc);
  skip_first_ = true;
  skip_pc_ = resumed_pc;
}

void GdbStub::before_instruction(uint32_t pc) {
  if (fd_ < 0) return;
  if (skip_first_) {
    skip_first_ = false;
    if (pc == skip_pc_) return;
  }
  if (stepping_) return serve("S05", true);
  if (!breakpoints_.empty() && breakpoints_.count(pc)) return serve("S05", true);
  if (!watches_.empty()) {
    const std::string hit = watch_hit(pc);
    if (!hit.empty()) return serve(hit, true);
  }
  // Ctrl-C: a poll() per instruction would cost more than the instruction; every 1024 is prompt enough.
  if ((++polls_ & 1023) == 0 && interrupt_requested()) serve("S02", true);
}

void GdbStub::exited(int code) {
  if (fd_ < 0) return;
  send("W" + std::string{kHex[(code >> 4) & 15], kHex[code & 15]});
  close_connection();
}

void GdbStub::faulted(const std::string& why, std::optional<uint32_t> pc) {
  if (fd_ < 0) return;
  const std::string text = "acceltran-vp: firmware fault: " + why + "\n";
  send("O" + hex_bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  if (pc) uc_reg_write(uc_, UC_RISCV_REG_PC, &*pc);
  breakpoints_.clear();  // nothing runs any more
  watches_.clear();
  serve("S0b", true);  // as a process stopped by SIGSEGV: registers, memory and backtrace at the fault
  send("X0b");          // resumed: the program ends, as one killed by SIGSEGV
  close_connection();
}

void GdbStub::resume(bool step) { stepping_ = step; }

// The target is stopped: answer gdb until it resumes (c, s, vCont), detaches or kills. While
// running, gdb waits for the stop reply; at attach it asks for it with '?'.
void GdbStub::serve(const std::string& stop_reply, bool announce) {
  last_stop_ = stop_reply;
  stepping_ = false;
  if (announce) send(stop_reply);
  std::string packet;
  while (fd_ >= 0) {
    if (!read_packet(packet)) {  // gdb went away: run on, as after a detach
      close_connection();
      return;
    }
    bool resume_now = false;
    replied_ = false;
    const std::string reply = handle(packet, resume_now);
    if (resume_now) return;
    if (fd_ >= 0 && !replied_) send(reply);
  }
}

// ---------------------------------------------------------------------------------------------
// Packets

std::string GdbStub::handle(const std::string& p, bool& resume_now) {
  const char cmd = p.empty() ? '\0' : p[0];
  uint32_t addr = 0, len = 0, v = 0;
  size_t pos = 0;
  switch (cmd) {
    case '?': return last_stop_;
    case 'g': return read_registers();
    case 'G': return write_registers(p.substr(1)) ? "OK" : "E01";
    case 'p':
      pos = 1;
      if (!parse_hex(p, pos, addr) || !read_register(addr, v)) return "E01";
      return hex_u32_le(v);
    case 'P': {
      pos = 1;
      std::vector<uint8_t> b;
      if (!parse_hex(p, pos, addr) || pos >= p.size() || p[pos] != '=' || !parse_hex_bytes(p.substr(pos + 1), b) || b.size() != 4)
        return "E01";
      std::memcpy(&v, b.data(), 4);
      return write_register(addr, v) ? "OK" : "E01";
    }
    case 'm': {
      std::vector<uint8_t> data;
      if (!parse_addr_len(p, 1, addr, len) || len > kMaxPacket / 2 || !read_memory(addr, len, data)) return "E01";
      return hex_bytes(data.data(), data.size());
    }
    case 'M':
    case 'X': {
      std::vector<uint8_t> data;
      if (!parse_addr_len(p, 1, addr, len, &pos) || pos >= p.size() || p[pos] != ':') return "E01";
      const std::string body = p.substr(pos + 1);
      if (cmd == 'M') {
        if (!parse_hex_bytes(body, data)) return "E01";
      } else {
        data.assign(body.begin(), body.end());  // binary, already unescaped by read_packet
      }
      if (data.size() != len) return "E01";
      return len == 0 || write_memory(addr, data) ? "OK" : "E01";
    }
    case 'c':
    case 's':
      if (p.size() > 1) {  // "c ADDR": resume elsewhere
        pos = 1;
        if (!parse_hex(p, pos, addr)) return "E01";
        uc_reg_write(uc_, UC_RISCV_REG_PC, &addr);
      }
      resume(cmd == 's');
      resume_now = true;
      return "";
    case 'C':
    case 'S':  // with a signal: there are no signals to deliver on bare metal
      resume(cmd == 'S');
      resume_now = true;
      return "";
    case 'D':
      send("OK");
      close_connection();  // breakpoints gone: the firmware runs on to its end
      return "";
    case 'k':
      close_connection();
      target_.kill("killed by gdb");
      return "";
    case 'H':
    case 'T': return "OK";  // one thread
    case 'Z':
    case 'z': {
      if (p.size() < 3 || p[1] < '0' || p[1] > '4' || p[2] != ',' || !parse_addr_len(p, 3, addr, len)) return "E01";
      const int type = p[1] - '0';
      const bool insert = cmd == 'Z';
      if (type <= 1) {  // software and hardware breakpoints alike: the hook sees every pc
        if (insert) {
          ++breakpoints_[addr];
        } else if (auto it = breakpoints_.find(addr); it != breakpoints_.end() && --it->second == 0) {
          breakpoints_.erase(it);
        }
        return "OK";
      }
      if (len == 0) return "E01";
      const auto kind = static_cast<Watch>(type);
      if (insert) {
        watches_.push_back({addr, len, kind});
      } else {
        auto it = std::find_if(watches_.begin(), watches_.end(),
                               [&](const WatchRange& w) { return w.addr == addr && w.len == len && w.kind == kind; });
        if (it != watches_.end()) watches_.erase(it);
      }
      return "OK";
    }
    case 'v':
      if (p == "vCont?") return "vCont;c;C;s;S";
      if (p.rfind("vCont;", 0) == 0) {  // one thread: the first action is the one
        resume(p[6] == 's' || p[6] == 'S');
        resume_now = true;
        return "";
      }
      if (p.rfind("vKill", 0) == 0) {
        send("OK");
        close_connection();
        target_.kill("killed by gdb");
        return "";
      }
      return "";  // vMustReplyEmpty and anything unknown
    case 'q':
      if (p.rfind("qSupported", 0) == 0)
        return "PacketSize=" + std::to_string(kMaxPacket) + ";qXfer:features:read+;QStartNoAckMode+;vContSupported+";
      if (p.rfind("qXfer:features:read:target.xml:", 0) == 0) {
        if (!parse_addr_len(p, std::strlen("qXfer:features:read:target.xml:"), addr, len)) return "E01";
        const std::string xml = target_xml();
        if (addr >= xml.size()) return "l";
        const std::string part = xml.substr(addr, std::min<size_t>(len, kMaxPacket - 16));
        return (addr + part.size() >= xml.size() ? "l" : "m") + part;
      }
      if (p.rfind("qXfer:features:read:", 0) == 0) return "E00";
      if (p == "qAttached") return "1";  // attached to a running "process": kill is not the default on quit
      if (p == "qC") return "QC1";
      if (p == "qfThreadInfo") return "m1";
      if (p == "qsThreadInfo") return "l";
      if (p.rfind("qSymbol", 0) == 0) return "OK";
      if (p.rfind("qRcmd,", 0) == 0) return "";
      return "";
    case 'Q':
      if (p == "QStartNoAckMode") {
        send("OK");
        no_ack_ = true;
        replied_ = true;
        return "";
      }
      return "";
    default: return "";
  }
}

// A packet's payload; acknowledges it unless no-ack mode is on. A 0x03 while stopped is dropped.
bool GdbStub::read_packet(std::string& out) {
  enum { idle, body, escape, sum1, sum2 } state = idle;
  uint8_t sum = 0;
  for (;;) {
    if (inbuf_.empty()) {
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      inbuf_.assign(buf, static_cast<size_t>(n));
      inpos_ = 0;
    }
    while (inpos_ < inbuf_.size()) {
      const char c = inbuf_[inpos_++];
      switch (state) {
        case idle:
          if (c == '$') state = body, out.clear(), sum = 0;
          break;  // '+', '-' and 0x03 outside packets
        case body:
          if (c == '#') {
            state = sum1;
          } else {
            sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
            if (c == '}') state = escape;
            else out += c;
          }
          break;
        case escape:
          sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
          out += static_cast<char>(c ^ 0x20);
          state = body;
          break;
        case sum1: state = sum2; break;
        case sum2:
          if (inpos_ == inbuf_.size()) inbuf_.clear();
          if (!no_ack_) ::send(fd_, "+", 1, MSG_NOSIGNAL);
          return true;
      }
    }
    inbuf_.clear();
  }
}

std::string GdbStub::frame(const std::string& payload) {
  std::string f = "$";
  uint8_t sum = 0;
  for (const char c : payload) {
    if (c == '$' || c == '#' || c == '}' || c == '*') {
      f += '}';
      f += static_cast<char>(c ^ 0x20);
      sum = static_cast<uint8_t>(sum + '}' + static_cast<uint8_t>(c ^ 0x20));
    } else {
      f += c;
      sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
    }
  }
  f += '#';
  f += kHex[sum >> 4];
  f += kHex[sum & 15];
  return f;
}

// Sends a packet; without no-ack mode, waits for gdb's '+' (resending on '-').
void GdbStub::send(const std::string& payload) {
  if (fd_ < 0) return;
  const std::string f = frame(payload);
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (::send(fd_, f.data(), f.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(f.size())) {
      close_connection();
      return;
    }
    if (no_ack_) return;
    for (;;) {
      if (inbuf_.empty() || inpos_ >= inbuf_.size()) {
        char buf[4096];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          close_connection();
          return;
        }
        inbuf_.assign(buf, static_cast<size_t>(n));
        inpos_ = 0;
      }
      const char c = inbuf_[inpos_++];
      if (c == '+') return;
      if (c == '-') break;  // resend
    }
  }
}

bool GdbStub::interrupt_requested() {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  char buf[256];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {  // gdb went away
    close_connection();
    return false;
  }
  return std::memchr(buf, 0x03, static_cast<size_t>(n)) != nullptr;
}

// ---------------------------------------------------------------------------------------------
// Registers and memory

namespace {

// Unicorn's register id for gdb's register number n, -1 if the target has none.
int uc_register(unsigned n) {
  if (n < 32) return UC_RISCV_REG_X0 + static_cast<int>(n);
  if (n == kPcRegnum) return UC_RISCV_REG_PC;
  for (const Csr& c : kCsrs)
    if (n == kFirstCsrRegnum + c.number) return c.uc_reg;
  return -1;
}

}  // namespace

bool GdbStub::read_register(unsigned n, uint32_t& v) {
  const int id = uc_register(n);
  v = 0;
  return id >= 0 && uc_reg_read(uc_, id, &v) == UC_ERR_OK;
}

bool GdbStub::write_register(unsigned n, uint32_t v) {
  if (n == 0) return true;  // x0 is hard-wired
  const int id = uc_register(n);
  return id >= 0 && uc_reg_write(uc_, id, &v) == UC_ERR_OK;
}

// 'g': x0..x31 and pc (the CSRs gdb reads one by one with 'p').
std::string GdbStub::read_registers() {
  std::string s;
  for (unsigned n = 0; n <= kPcRegnum; ++n) {
    uint32_t v = 0;
    read_register(n, v);
    s += hex_u32_le(v);
  }
  return s;
}

bool GdbStub::write_registers(const std::string& hex) {
  std::vector<uint8_t> b;
  if (!parse_hex_bytes(hex, b) || b.size() < 4 * (kPcRegnum + 1)) return false;
  for (unsigned n = 0; n <= kPcRegnum; ++n) {
    uint32_t v;
    std::memcpy(&v, b.data() + 4 * n, 4);
    if (!write_register(n, v)) return false;
  }
  return true;
}

// Bytes from addr on that are all device memory (device = true) or all not, up to len.
uint64_t GdbStub::device_bytes_at(uint32_t addr, uint32_t len, bool& device) const {
  uint64_t end = uint64_t{addr} + len;
  device = false;
  for (const auto& [base, size] : target_.devices) {
    if (addr >= base && addr - base < size) {
      device = true;
      return std::min<uint64_t>(end, uint64_t{base} + size) - addr;
    }
    if (base > addr) end = std::min<uint64_t>(end, base);
  }
  return end - addr;
}

bool GdbStub::read_memory(uint32_t addr, uint32_t len, std::vector<uint8_t>& out) {
  out.assign(len, 0);
  for (uint32_t done = 0; done < len;) {
    bool device = false;
    const auto n = static_cast<uint32_t>(device_bytes_at(addr + done, len - done, device));
    const bool ok = device ? target_.debug_access(false, addr + done, out.data() + done, n)
                           : uc_mem_read(uc_, addr + done, out.data() + done, n) == UC_ERR_OK;
    if (!ok) {
      if (done == 0) return false;
      out.resize(done);  // a partial read: gdb asks again for the rest and gets the error
      return true;
    }
    done += n;
  }
  return true;
}

bool GdbStub::write_memory(uint32_t addr, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> buf(data);
  const auto len = static_cast<uint32_t>(buf.size());
  for (uint32_t done = 0; done < len;) {
    bool device = false;
    const auto n = static_cast<uint32_t>(device_bytes_at(addr + done, len - done, device));
    const bool ok = device ? target_.debug_access(true, addr + done, buf.data() + done, n)
                           : uc_mem_write(uc_, addr + done, buf.data() + done, n) == UC_ERR_OK;
    if (!ok) return false;
    done += n;
  }
  return true;
}

// Watchpoints stop before the load or store that would touch the watched bytes.
std::string GdbStub::watch_hit(uint32_t pc) {
  uint32_t word = 0;
  if (uc_mem_read(uc_, pc, &word, 4) != UC_ERR_OK) return "";
  const rv32::Insn in = rv32::decode(word, pc);
  if (!in.load && !in.store) return "";
  uint32_t base = 0;
  if (in.rs1) uc_reg_read(uc_, UC_RISCV_REG_X0 + in.rs1, &base);
  const uint32_t ea = base + static_cast<uint32_t>(in.imm);
  for (const WatchRange& w : watches_) {
    const bool kind_matches = w.kind == Watch::access || (w.kind == Watch::write) == in.store;
    if (!kind_matches || uint64_t{ea} + in.bytes <= w.addr || uint64_t{w.addr} + w.len <= ea) continue;
    const char* what = w.kind == Watch::write ? "watch" : w.kind == Watch::read ? "rwatch" : "awatch";
    char reply[48];
    std::snprintf(reply, sizeof reply, "T05%s:%x;", what, std::max(ea, w.addr));
    return reply;
  }
  return "";
}

}  // namespace acc
