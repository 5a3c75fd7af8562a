// The riscv CPU backend: the real firmware (firmware/riscv) and small test programs
// (tests/riscv/programs) on the RV32IM instruction-set simulator. Expected pcs come from the
// programs' symbol tables, expected times from the instruction counts and the configuration.
#include <gtest/gtest.h>

#include <elf.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>

#include "elf_image.hpp"
#include "fault_job.hpp"
#include "matmul_job.hpp"
#include "vp_test.hpp"

using namespace acc;
using acc::test::stat;

namespace {

std::string program(const std::string& name) { return std::string(ACC_RISCV_TEST_PROGRAMS) + "/" + name + ".elf"; }

SocOptions riscv(const std::string& firmware = "") {
  // The simulator's default quantum (tests otherwise run with none, i.e. a sync per block).
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(10, sc_core::SC_US));
  SocOptions o;
  o.cpu = "riscv";
  o.firmware = firmware;
  return o;
}

std::string hex(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}

uint32_t symbol(const std::string& elf, const char* name) {
  const auto v = ElfImage::load_file(elf).symbol(name);
  EXPECT_TRUE(v.has_value()) << elf << " has no symbol " << name;
  return v.value_or(0);
}

// A small job whose only purpose is a valid fw_job_t in DRAM (test programs ignore the rest).
MatmulJob small_job() {
  MatmulSpec s;
  s.m = s.k = s.n = 16;
  return MatmulJob(s);
}

// ---------------------------------------------------------------------------------------------
// The real firmware

struct JobCase {
  const char* preset;
  uint32_t m, k, n;
  double a_zeros;
  bool prune;
};

void PrintTo(const JobCase& c, std::ostream* os) { *os << c.preset << "_" << c.m << "x" << c.k << "x" << c.n; }

class RiscvMatmul : public ::testing::TestWithParam<JobCase> {};

TEST_P(RiscvMatmul, BitExactAgainstTheReference) {
  const JobCase c = GetParam();
  MatmulSpec spec;
  spec.m = c.m, spec.k = c.k, spec.n = c.n, spec.a_zeros = c.a_zeros, spec.prune = c.prune, spec.tau = 0.1, spec.seed = 7;
  MatmulJob job(spec);
  auto out = test::run_job(job, load_hw_config(c.preset), riscv());
  ASSERT_TRUE(out.finished) << out.fault << out.cpu_state;
  EXPECT_TRUE(out.result.ok) << out.result.message;
  EXPECT_EQ(stat(out.stats, "job.mismatches"), 0);
  EXPECT_EQ(stat(out.stats, "pe.dense_macs"), double(c.m) * c.k * c.n);
  EXPECT_GT(stat(out.stats, "cpu.instructions"), 1000);
}

INSTANTIATE_TEST_SUITE_P(Shapes, RiscvMatmul,
                         ::testing::Values(JobCase{"edge", 37, 100, 51, 0, false}, JobCase{"edge", 300, 700, 129, 0, false},
                                           JobCase{"server", 200, 300, 129, 0.3, true}),
                         [](const ::testing::TestParamInfo<JobCase>& i) {
                           return std::string(i.param.preset) + "_" + std::to_string(i.param.m) + "x" + std::to_string(i.param.k) +
                                  "x" + std::to_string(i.param.n);
                         });

// Unicorn is opened when the riscv CPU is made (models/cpu/riscv/unicorn_on_demand.cpp): a
// native run never loads it.
bool unicorn_mapped() {
  std::ifstream maps("/proc/self/maps");
  const std::string text((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
  return text.find("libunicorn") != std::string::npos;
}

TEST(RiscvCpu, ANativeRunNeverLoadsUnicorn) {
  MatmulSpec spec;
  spec.m = 16, spec.k = 16, spec.n = 16;
  MatmulJob job(spec);
  ASSERT_TRUE(test::run_job(job, load_hw_config("edge")).result.ok);
  EXPECT_FALSE(unicorn_mapped());
}

TEST(RiscvCpu, MakingTheCpuLoadsUnicorn) {
  EXPECT_FALSE(unicorn_mapped());
  RiscvCpu cpu("riscv_cpu", ElfImage::load_file(program("timed_loop")), RiscvCpu::Options{}, {});
  EXPECT_TRUE(unicorn_mapped());
}

// The platform withdraws DMI grants while the firmware and the accelerator work (IEEE 1666-2011
// 11.2.9): the ISS maps DRAM again on a new grant, the PE cluster asks again for its buffers, and
// the job's results are as exact as ever.
TEST(RiscvCpu, HonoursDmiInvalidation) {
  MatmulSpec spec;
  spec.m = 64, spec.k = 96, spec.n = 48, spec.seed = 3;
  MatmulJob job(spec);
  auto out = test::run_job(job, load_hw_config("edge"), riscv(),
                           [](Soc& soc) { test::invalidate_dmi_periodically(soc, sc_core::sc_time(250, sc_core::SC_NS), 40); });
  ASSERT_TRUE(out.finished) << out.fault << out.cpu_state;
  EXPECT_TRUE(out.result.ok) << out.result.message;
  EXPECT_EQ(stat(out.stats, "job.mismatches"), 0);
  EXPECT_GT(out.dmi_requests, 1u) << "the CPU never asked for DRAM again";
}

TEST(RiscvCpu, FaultJobReportsTheErrorAndRecovers) {
  MatmulSpec recovery;
  recovery.m = 48, recovery.k = 64, recovery.n = 40;
  FaultJob job(FW_FAULT_DRAM, recovery);
  auto out = test::run_job(job, load_hw_config("edge"), riscv());
  ASSERT_TRUE(out.finished) << out.fault;
  EXPECT_EQ(job.outcome().status, static_cast<uint32_t>(FW_ERR_ACCEL));
  EXPECT_EQ(job.outcome().err_code, expected_error(FW_FAULT_DRAM));
  EXPECT_EQ(job.outcome().err_info, 0xFFFFFFC0u);
  EXPECT_TRUE(out.result.ok) << out.result.message;
  EXPECT_NE(out.console.find("fault job: error"), std::string::npos) << out.console;
}

TEST(RiscvCpu, TakesOneInterruptPerCompletion) {
  // The fault job waits twice: for the error stop, then for the recovery matmul.
  MatmulSpec recovery;
  FaultJob job(FW_FAULT_OPCODE, recovery);
  auto out = test::run_job(job, load_hw_config("edge"), riscv());
  ASSERT_TRUE(out.result.ok) << out.result.message << out.fault;
  EXPECT_EQ(stat(out.stats, "control.busy_periods"), 2);
  EXPECT_EQ(stat(out.stats, "cpu.interrupts"), 2);
  EXPECT_EQ(stat(out.stats, "cpu.irq_waits"), 2);
}

TEST(RiscvCpu, TakesTheInterruptWhileRunning) {
  // No wfi: the trap must interrupt the spin loop (at a block start, within a quantum).
  auto job = small_job();
  auto out = test::run_job(job, load_hw_config("edge"), riscv(program("async_interrupt")));
  ASSERT_TRUE(out.finished) << out.fault << out.cpu_state;
  EXPECT_EQ(out.exit_code, 0);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out.console, m, std::regex("interrupt taken after ([0-9]+) spins, mcause 0x8000000b")))
      << out.console;
  EXPECT_GT(std::stoul(m[1]), 0u);
  EXPECT_EQ(stat(out.stats, "cpu.interrupts"), 1);
  EXPECT_EQ(stat(out.stats, "cpu.irq_waits"), 0);
}

// ---------------------------------------------------------------------------------------------
// Time, exit code, traces

struct TimingCase {
  double clock_mhz, cpi;
};

void PrintTo(const TimingCase& c, std::ostream* os) { *os << c.clock_mhz << " MHz, CPI " << c.cpi; }

class RiscvTiming : public ::testing::TestWithParam<TimingCase> {};

TEST_P(RiscvTiming, InstructionsBecomeTimeAtTheConfiguredRate) {
  // timed_loop writes 'a', runs 100000 iterations of two instructions, writes 'b'.
  const TimingCase c = GetParam();
  HwConfig cfg = load_hw_config("edge");
  cfg.cpu_clock_mhz = c.clock_mhz;
  cfg.cpu_cpi = c.cpi;
  std::ostringstream trace;
  SocOptions opt = riscv(program("timed_loop"));
  opt.mmio_trace = &trace;
  auto job = small_job();
  auto out = test::run_job(job, cfg, opt);
  ASSERT_TRUE(out.finished) << out.fault;

  std::map<char, double> at_ns;
  std::istringstream lines(trace.str());
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, std::regex(R"(^\[mmio\] +([0-9.]+) ns  W32 0x10001000 = 0x000000(6[12]))")))
      at_ns[m[2] == "61" ? 'a' : 'b'] = std::stod(m[1]);
  }
  ASSERT_EQ(at_ns.size(), 2u) << trace.str();
  const double insn_ns = c.cpi * 1e3 / c.clock_mhz;
  const double loop_ns = 200000 * insn_ns;
  // Besides the loop: the first write's bus latency (one accelerator cycle) and a few instructions.
  EXPECT_GE(at_ns['b'] - at_ns['a'], loop_ns);
  EXPECT_LE(at_ns['b'] - at_ns['a'], loop_ns + 20 * insn_ns + 2.0);
  EXPECT_GE(stat(out.stats, "cpu.instructions"), 200000);
  EXPECT_LT(stat(out.stats, "cpu.instructions"), 201000);
}

INSTANTIATE_TEST_SUITE_P(ClockAndCpi, RiscvTiming,
                         ::testing::Values(TimingCase{1000, 1}, TimingCase{500, 2.5}, TimingCase{1200, 0.5}),
                         [](const ::testing::TestParamInfo<TimingCase>& i) {
                           const int tenths = int(i.param.cpi * 10 + 0.5);
                           return std::to_string(int(i.param.clock_mhz)) + "MHz_cpi" + std::to_string(tenths / 10) + "p" +
                                  std::to_string(tenths % 10);
                         });

TEST(RiscvCpu, ExitCodeIsWhatFwMainReturns) {
  auto job = small_job();
  auto out = test::run_job(job, load_hw_config("edge"), riscv(program("timed_loop")));
  ASSERT_TRUE(out.finished) << out.fault;
  EXPECT_EQ(out.exit_code, 42);
  EXPECT_EQ(out.console, "ab\n");
}

TEST(RiscvCpu, InstructionTraceHasOneLinePerExecutedInstruction) {
  const std::string elf = program("timed_loop");
  std::ostringstream trace;
  SocOptions opt = riscv(elf);
  opt.insn_trace = &trace;
  auto job = small_job();
  auto out = test::run_job(job, load_hw_config("edge"), opt);
  ASSERT_TRUE(out.finished) << out.fault;
  std::istringstream lines(trace.str());
  std::string line, first;
  uint64_t n = 0;
  double last_ns = -1;
  bool times_ordered = true;
  while (std::getline(lines, line)) {
    if (n++ == 0) first = line;
    const double t = std::stod(line.substr(7));
    times_ordered = times_ordered && t > last_ns;
    last_ns = t;
  }
  EXPECT_EQ(n, static_cast<uint64_t>(stat(out.stats, "cpu.instructions")));
  EXPECT_TRUE(times_ordered) << "an instruction's time is not after the previous one's";
  EXPECT_NE(first.find(hex(symbol(elf, "_start")) + "  "), std::string::npos) << first;
  EXPECT_NE(trace.str().find("fw_main+0x"), std::string::npos);
}

TEST(RiscvCpu, RegisterTraceHasEveryAccessWithItsRegister) {
  std::ostringstream trace;
  SocOptions opt = riscv();
  opt.mmio_trace = &trace;
  auto job = small_job();
  auto out = test::run_job(job, load_hw_config("edge"), opt);
  ASSERT_TRUE(out.result.ok) << out.result.message;
  const std::string t = trace.str();
  EXPECT_EQ(std::count(t.begin(), t.end(), '\n'), stat(out.stats, "cpu.mmio_reads") + stat(out.stats, "cpu.mmio_writes"));
  EXPECT_NE(t.find("R32 0x10000000 = 0x41435452  ID\n"), std::string::npos) << t;
  EXPECT_TRUE(std::regex_search(t, std::regex(R"(W32 0x10000024 = 0x0000000[1-9a-f]  QUEUE_TAIL)"))) << t;
}

// ---------------------------------------------------------------------------------------------
// Faults: each ends the run with the pc (from the symbol fault_here unless said) and the cause

struct FaultCase {
  const char* program;
  const char* message;  // regex; {pc} is fault_here's address
  uint64_t watchdog = 1'000'000'000;
};

void PrintTo(const FaultCase& c, std::ostream* os) { *os << c.program; }

class RiscvFault : public ::testing::TestWithParam<FaultCase> {};

TEST_P(RiscvFault, EndsTheRunNamingThePcAndTheCause) {
  const FaultCase c = GetParam();
  const std::string elf = program(c.program);
  std::string pattern = c.message;
  const size_t at = pattern.find("{pc}");
  // ... and the call chain, with the source lines (the programs are built with frame pointers and -g).
  if (at != std::string::npos)
    pattern.replace(at, 4, "pc " + hex(symbol(elf, "fault_here")) + " \\(fw_main\\+0x[0-9a-f]+\\) in [^ ]*" + c.program +
                               ".c:[0-9]+, called from _start\\+0x[0-9a-f]+ \\([^)]*crt0.S:[0-9]+\\)");
  SocOptions opt = riscv(elf);
  opt.watchdog_instructions = c.watchdog;
  auto job = small_job();
  auto out = test::run_job(job, load_hw_config("edge"), opt);
  EXPECT_FALSE(out.finished);
  EXPECT_TRUE(std::regex_search(out.fault, std::regex(pattern))) << "fault: " << out.fault << "\nexpected: " << pattern;
  EXPECT_NE(out.cpu_state.find("stopped by a fault"), std::string::npos) << out.cpu_state;
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, RiscvFault,
    ::testing::Values(
        FaultCase{"fault_illegal", "^illegal instruction 0xffffffff at {pc}$"},
        FaultCase{"fault_ebreak", "^breakpoint \\(ebreak.*\\) at {pc}$"},
        FaultCase{"fault_load_unmapped", "^32-bit read of unmapped address 0x50000000, at {pc}$"},
        FaultCase{"fault_store_unmapped", "^32-bit write to unmapped address 0x60000008, at {pc}$"},
        FaultCase{"fault_null", "^32-bit read of unmapped address 0x00000000, at {pc}$"},
        FaultCase{"fault_stack_overflow", "^32-bit write to unmapped address 0x00000[0-9a-f]{3}, at pc 0x[0-9a-f]{8} \\(recurse\\+"},
        FaultCase{"fault_fetch_unmapped", "^instruction fetch from unmapped address 0x70000000 \\(pc 0x70000000, jumped from .*fw_main"},
        FaultCase{"fault_exec_dram", "^instruction fetch from 0x80100000, which is not executable"},
        FaultCase{"fault_bus_error", "^error response to a 32-bit read of 0x10000ffc, at {pc}$"},
        FaultCase{"fault_wfi_masked", "^wfi with the accelerator interrupt masked \\(mie.MEIE = 0\\).* at {pc}$"},
        FaultCase{"fault_spin", "^watchdog: [0-9]+ instructions without a register write or a sleep in wfi .* at {pc}$", 100000},
        FaultCase{"fault_interrupt_storm", "^interrupt storm: 10000 interrupts taken without a register write .* at pc 0x[0-9a-f]+ \\(fw_main"},
        FaultCase{"fault_wfi_storm", "^interrupt storm: 10000 wfi returning at once without a register write .* at pc 0x[0-9a-f]+ \\(fw_main"}),
    [](const ::testing::TestParamInfo<FaultCase>& i) { return std::string(i.param.program); });

TEST(RiscvCpu, WatchdogAllowsLongWorkBetweenRegisterWrites) {
  // timed_loop runs 200000 instructions between two console writes.
  SocOptions opt = riscv(program("timed_loop"));
  opt.watchdog_instructions = 250000;
  auto job = small_job();
  auto out = test::run_job(job, load_hw_config("edge"), opt);
  EXPECT_TRUE(out.finished) << out.fault;
}

TEST(RiscvCpu, WatchdogFiresWhenTheWorkExceedsIt) {
  SocOptions opt = riscv(program("timed_loop"));
  opt.watchdog_instructions = 150000;
  auto job = small_job();
  auto out = test::run_job(job, load_hw_config("edge"), opt);
  EXPECT_FALSE(out.finished);
  EXPECT_NE(out.fault.find("watchdog"), std::string::npos) << out.fault;
}

TEST(RiscvCpu, SleepingWithNothingToWakeItIsAStallNotAHang) {
  const std::string elf = program("stall_in_wfi");
  auto job = small_job();
  auto out = test::run_job(job, load_hw_config("edge"), riscv(elf));
  EXPECT_FALSE(out.finished);
  EXPECT_EQ(out.fault, "");
  EXPECT_NE(out.cpu_state.find("sleeping in wfi at pc " + hex(symbol(elf, "fault_here"))), std::string::npos) << out.cpu_state;
}

// ---------------------------------------------------------------------------------------------
// The ELF loader

std::vector<uint8_t> firmware_bytes() {
  std::ifstream in(ACC_RISCV_FIRMWARE_ELF, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string parse_error(const std::vector<uint8_t>& bytes) {
  try {
    ElfImage::parse(bytes.data(), bytes.size(), "test.elf");
  } catch (const FirmwareError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(ElfImage, ReadsTheFirmwaresEntryAndSymbols) {
  const auto bytes = firmware_bytes();
  ASSERT_GT(bytes.size(), sizeof(Elf32_Ehdr));
  const ElfImage img = ElfImage::parse(bytes.data(), bytes.size(), "acc_firmware.elf");
  ASSERT_TRUE(img.symbol("_start") && img.symbol("fw_main") && img.symbol("_fw_exit"));
  EXPECT_EQ(img.entry(), *img.symbol("_start"));
  EXPECT_EQ(img.function_at(*img.symbol("fw_main") + 8), "fw_main+0x8");
  EXPECT_EQ(img.function_at(0x10), "");
  EXPECT_FALSE(img.symbol("no_such_symbol"));
}

// The firmware with its ELF header (and, through `bytes`, anything else) edited by edit(header, bytes).
template <typename Edit>
std::vector<uint8_t> with_header(Edit edit) {
  auto b = firmware_bytes();
  Elf32_Ehdr h;
  std::memcpy(&h, b.data(), sizeof h);
  edit(h, b);
  std::memcpy(b.data(), &h, sizeof h);
  return b;
}

TEST(ElfImage, RefusesWhatTheCpuCannotRun) {
  const auto good = firmware_bytes();
  ASSERT_EQ(parse_error(good), "(accepted)");
  EXPECT_EQ(parse_error({'h', 'e', 'l', 'l', 'o'}), "test.elf: not an ELF file");
  EXPECT_NE(parse_error(with_header([](Elf32_Ehdr& h, auto&) { h.e_ident[EI_CLASS] = ELFCLASS64; })).find("not a 32-bit"),
            std::string::npos);
  EXPECT_NE(parse_error(with_header([](Elf32_Ehdr& h, auto&) { h.e_machine = EM_X86_64; })).find("not a RISC-V executable"),
            std::string::npos);
  EXPECT_NE(parse_error(with_header([](Elf32_Ehdr& h, auto&) { h.e_type = ET_REL; })).find("not an executable"), std::string::npos);
  EXPECT_NE(parse_error(with_header([](Elf32_Ehdr& h, auto&) { h.e_flags |= EF_RISCV_RVC; })).find("compressed instructions"),
            std::string::npos);
  EXPECT_NE(parse_error(with_header([](Elf32_Ehdr& h, auto&) { h.e_flags |= EF_RISCV_FLOAT_ABI_DOUBLE; })).find("floating-point"),
            std::string::npos);
  EXPECT_NE(parse_error(std::vector<uint8_t>(good.begin(), good.begin() + 200)).find("truncated"), std::string::npos);
}

TEST(ElfImage, RefusesHeaderFieldsThatPointOutsideTheFileOrWrap) {
  const auto good = firmware_bytes();
  auto edited = [](auto edit) { return parse_error(with_header(edit)); };
  // The first loadable program header, edited in place.
  auto with_segment = [&](auto edit) {
    return edited([&](Elf32_Ehdr& h, std::vector<uint8_t>& b) {
      for (unsigned i = 0; i < h.e_phnum; ++i) {
        Elf32_Phdr ph;
        std::memcpy(&ph, b.data() + h.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type != PT_LOAD) continue;
        edit(ph);
        std::memcpy(b.data() + h.e_phoff + i * sizeof ph, &ph, sizeof ph);
        return;
      }
    });
  };
  EXPECT_NE(edited([](Elf32_Ehdr& h, auto&) { h.e_phentsize = 16; }).find("program header entries of 16 bytes (32 expected)"), std::string::npos);
  EXPECT_NE(edited([&](Elf32_Ehdr& h, auto&) { h.e_phoff = static_cast<uint32_t>(good.size() - 8); }).find("the program headers end past the end"),
            std::string::npos);
  EXPECT_NE(edited([](Elf32_Ehdr& h, auto&) { h.e_phoff = 0xffffffffu; }).find("the program headers end past the end"), std::string::npos);
  EXPECT_NE(edited([](Elf32_Ehdr& h, auto&) { h.e_phnum = 0xffff; }).find("the program headers end past the end"), std::string::npos);
  EXPECT_NE(with_segment([](Elf32_Phdr& ph) { ph.p_filesz = ph.p_memsz + 1; }).find("more file bytes"), std::string::npos);
  EXPECT_NE(with_segment([](Elf32_Phdr& ph) { ph.p_offset = 0xfffffff0u; }).find("past the end of the file"), std::string::npos);
  EXPECT_NE(with_segment([](Elf32_Phdr& ph) { ph.p_paddr = 0xfffff000u, ph.p_memsz = std::max<uint32_t>(ph.p_memsz, 0x2000); })
                .find("wraps past the end of the 32-bit address space"),
            std::string::npos);
  EXPECT_NE(edited([](Elf32_Ehdr& h, auto&) { h.e_shentsize = 8; }).find("section header entries of 8 bytes"), std::string::npos);
  EXPECT_NE(edited([](Elf32_Ehdr& h, auto&) { h.e_shoff = 0xfffffff0u; }).find("the section headers end past the end"), std::string::npos);
  // The symbol table's link to its string table, out of the section table.
  EXPECT_NE(edited([](Elf32_Ehdr& h, std::vector<uint8_t>& b) {
              for (unsigned i = 0; i < h.e_shnum; ++i) {
                Elf32_Shdr sh;
                std::memcpy(&sh, b.data() + h.e_shoff + i * sizeof sh, sizeof sh);
                if (sh.sh_type != SHT_SYMTAB) continue;
                sh.sh_link = 9999;
                std::memcpy(b.data() + h.e_shoff + i * sizeof sh, &sh, sizeof sh);
              }
            }).find("the symbol table links to section 9999"),
            std::string::npos);
  // A segment without file bytes (.bss) is loaded as zeros: it has no data to copy.
  const ElfImage img = ElfImage::parse(good.data(), good.size(), "acc_firmware.elf");
  EXPECT_TRUE(std::any_of(img.segments().begin(), img.segments().end(), [](const auto& s) { return s.bytes.empty() && s.mem_size > 0; }));
}

TEST(RiscvCpu, RefusesAnImageOutsideItsProgramRam) {
  // The firmware with its first loadable segment moved to DRAM.
  auto b = firmware_bytes();
  Elf32_Ehdr h;
  std::memcpy(&h, b.data(), sizeof h);
  for (unsigned i = 0; i < h.e_phnum; ++i) {
    Elf32_Phdr ph;
    std::memcpy(&ph, b.data() + h.e_phoff + i * h.e_phentsize, sizeof ph);
    if (ph.p_type != PT_LOAD) continue;
    ph.p_paddr = ACC_MAP_DRAM_BASE;
    std::memcpy(b.data() + h.e_phoff + i * h.e_phentsize, &ph, sizeof ph);
    break;
  }
  const std::string path = ::testing::TempDir() + "/outside_ram.elf";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  try {
    Soc soc("soc", load_hw_config("edge"), riscv(path));
    ADD_FAILURE() << "the SoC accepted a firmware image outside CPU_RAM";
  } catch (const FirmwareError& e) {
    EXPECT_NE(std::string(e.what()).find("segment at 0x80000000"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("outside the CPU's program RAM"), std::string::npos) << e.what();
  }
}

}  // namespace
