// The RV32IM decoder of --trace-insn and the gdb stub against the cross toolchain's objdump
// (-M no-aliases) on every instruction of the firmware and of the test programs.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <regex>
#include <string>

#include "gdb_stub.hpp"
#include "rv32_decode.hpp"

namespace {

struct Listing {
  int checked = 0;
  std::vector<std::string> mismatches;
};

// objdump's "   41004:\t91818193          \taddi\tgp,gp,-1768 # 4a918 <...>" against decode(0x91818193, 0x41004).
Listing compare_with_objdump(const std::string& elf) {
  Listing l;
  const std::string cmd = std::string(ACC_RISCV_OBJDUMP) + " -d -M no-aliases " + elf;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return l;
  static const std::regex line(R"(^ +([0-9a-f]+):\t([0-9a-f]{8}) +\t([a-z.]+)\t?([^#<]*?)\s*(<[^>]*>)?\s*(#.*)?$)");
  char buf[512];
  while (fgets(buf, sizeof buf, p.get())) {
    std::string s(buf);
    if (!s.empty() && s.back() == '\n') s.pop_back();
    std::smatch m;
    if (!std::regex_match(s, m, line)) continue;
    const auto pc = static_cast<uint32_t>(std::stoul(m[1], nullptr, 16));
    const auto word = static_cast<uint32_t>(std::stoul(m[2], nullptr, 16));
    const std::string want = m[4].str().empty() ? m[3].str() : m[3].str() + " " + m[4].str();
    const std::string got = acc::rv32::decode(word, pc).text;
    ++l.checked;
    if (got != want && l.mismatches.size() < 10) l.mismatches.push_back(m[1].str() + ": objdump '" + want + "', decoder '" + got + "'");
  }
  return l;
}

TEST(Rv32Decode, AgreesWithObjdumpOnTheFirmware) {
  const Listing l = compare_with_objdump(ACC_RISCV_FIRMWARE_ELF);
  EXPECT_GT(l.checked, 5000);
  for (const auto& m : l.mismatches) ADD_FAILURE() << m;
}

TEST(Rv32Decode, AgreesWithObjdumpOnTheTestPrograms) {
  for (const char* p : {"fault_illegal", "async_interrupt", "queue_misuse", "fault_wfi_masked"}) {
    const Listing l = compare_with_objdump(std::string(ACC_RISCV_TEST_PROGRAMS) + "/" + p + ".elf");
    EXPECT_GT(l.checked, 20) << p;
    for (const auto& m : l.mismatches) ADD_FAILURE() << p << " " << m;
  }
}

TEST(Rv32Decode, RegistersWrittenAndMemoryAccessed) {
  const auto lw = acc::rv32::decode(0x00c12703, 0x1000);  // lw a4,12(sp)
  EXPECT_EQ(lw.rd, 14);
  EXPECT_TRUE(lw.load);
  EXPECT_EQ(lw.rs1, 2);
  EXPECT_EQ(lw.imm, 12);
  EXPECT_EQ(lw.bytes, 4u);
  const auto sb = acc::rv32::decode(0x02030ea3, 0x1000);  // sb zero,61(t1)
  EXPECT_TRUE(sb.store);
  EXPECT_EQ(sb.rd, -1);
  EXPECT_EQ(sb.imm, 61);
  EXPECT_EQ(sb.bytes, 1u);
  EXPECT_EQ(acc::rv32::decode(0x00000013, 0).rd, -1);  // addi zero,zero,0 writes nothing
  EXPECT_EQ(acc::rv32::decode(0xffffffff, 0).text, ".word 0xffffffff");
}

TEST(GdbStub, PacketFramingEscapesAndSums) {
  EXPECT_EQ(acc::GdbStub::frame("OK"), "$OK#9a");
  EXPECT_EQ(acc::GdbStub::frame("a#b"), "$a}\x03" "b#43");  // '#' escaped as '}' '#'^0x20, summed as sent
  const std::string xml = acc::GdbStub::target_xml();
  EXPECT_NE(xml.find("<architecture>riscv:rv32</architecture>"), std::string::npos);
  EXPECT_NE(xml.find("name=\"mstatus\" bitsize=\"32\" type=\"int\" regnum=\"833\""), std::string::npos);
}

}  // namespace
