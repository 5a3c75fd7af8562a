// What every reader of user input shares: strict numbers, bounded file reading, strict YAML.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include "hw_config.hpp"
#include "input_file.hpp"
#include "parse_number.hpp"
#include "error_of.hpp"
#include "temp_file.hpp"
#include "yaml_reader.hpp"

using namespace acc;

using test::error_of;

namespace {
std::string uint_error(const std::string& text) { return error_of<NumberError>([&] { parse_unsigned(text, 0, 1000); }); }
std::string real_error(const std::string& text) { return error_of<NumberError>([&] { parse_real(text, 0, 8); }); }
std::string yaml_error(const std::string& text) { return error_of<ConfigError>([&] { load_strict_yaml(text, "hw.yaml"); }); }
}  // namespace

TEST(Numbers, UnsignedIntegersAreReadWhole) {
  EXPECT_EQ(parse_unsigned("0"), 0u);
  EXPECT_EQ(parse_unsigned("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parse_unsigned("0x10"), 16u);
  EXPECT_EQ(uint_error("-1"), "'-1' is not an unsigned integer");  // boost and strtoul wrap it to 2^64 - 1
  EXPECT_EQ(uint_error("-4294967295"), "'-4294967295' is not an unsigned integer");
  for (const char* bad : {"", "+5", " 5", "5 ", "5x", "1.0", "0x", "1e3"}) EXPECT_NE(uint_error(bad).find("is not an unsigned integer"), std::string::npos) << bad;
  EXPECT_NE(uint_error("010").find("'010': a leading zero is ambiguous"), std::string::npos);  // not 8, not 10
  EXPECT_EQ(uint_error("1001"), "1001 is outside 0..1000");
  EXPECT_NE(uint_error("18446744073709551616").find("is outside"), std::string::npos);  // 2^64: no wrap
}

TEST(Numbers, RealsAreFiniteDecimals) {
  EXPECT_DOUBLE_EQ(parse_real("0.5", 0, 8), 0.5);
  EXPECT_DOUBLE_EQ(parse_real(".5", 0, 8), 0.5);
  EXPECT_DOUBLE_EQ(parse_real("5e-1", 0, 8), 0.5);
  EXPECT_DOUBLE_EQ(parse_real("-2", -8, 8), -2.0);
  for (const char* bad : {"nan", "NaN", "inf", "-inf", "", ".", "1.2.3", "0x1p3", " 1", "1 ", "e5", "1e"})
    EXPECT_NE(real_error(bad).find("is not a number"), std::string::npos) << bad;
  EXPECT_NE(real_error("1e999").find("is outside"), std::string::npos);  // overflows to infinity
  EXPECT_NE(real_error("-0.1").find("is outside 0..8"), std::string::npos);
  EXPECT_NE(real_error("01.5").find("leading zero"), std::string::npos);
  EXPECT_EQ(parse_unsigned_option("--seq", "5", 1, 9), 5u);
  EXPECT_EQ(error_of<NumberError>([] { parse_unsigned_option("--seq", "-1", 1, 9); }), "--seq: '-1' is not an unsigned integer");
  EXPECT_EQ(error_of<NumberError>([] { parse_real_option("--tau", "nan", 0, 8); }), "--tau: 'nan' is not a number");
}

TEST(InputFiles, ReadWithinTheirLimit) {
  const std::string f = test::temp_file(".txt", "0123456789");
  EXPECT_EQ(read_input_file(f, 10, "test file"), "0123456789");
  // A regular file is refused by its size, a device after reading one byte past the limit: both at once.
  EXPECT_NE(error_of<InputFileError>([&] { read_input_file(f, 9, "test file"); }).find("test file '" + f + "': larger than 9 bytes"),
            std::string::npos);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_NE(error_of<InputFileError>([] { read_input_file("/dev/zero", kMaxHwConfigBytes, "hardware configuration file"); })
                .find("hardware configuration file '/dev/zero': larger than 1 MiB"),
            std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(read_input_file("/dev/null", 10, "test file"), "");
  EXPECT_NE(error_of<InputFileError>([] { read_input_file("/tmp", 10, "test file"); }).find("'/tmp': is a directory"), std::string::npos);
  EXPECT_NE(error_of<InputFileError>([] { read_input_file("/no/such/file", 10, "test file"); })
                .find("cannot open test file '/no/such/file': No such file or directory"),
            std::string::npos);
  // Text already in memory is held to the same limit, with the same message.
  EXPECT_NO_THROW(check_input_size(10, 10, "test file", "t.txt"));
  EXPECT_EQ(error_of<InputFileError>([] { check_input_size(11, 10, "test file", "t.txt"); }),
            "test file 't.txt': larger than 10 bytes, the limit of this kind of file (docs/reliability.md)");
  EXPECT_EQ(bytes_text(512), "512 bytes");
  EXPECT_EQ(bytes_text(kMiB), "1 MiB");
  EXPECT_EQ(bytes_text(3 * kMiB / 2), "1.5 MiB");
}

TEST(InputFiles, BytesOfAFileOrInMemoryAreReadWithinTheirSize) {
  const std::string f = test::temp_file(".bin", "0123456789");
  const InputBytes file = InputBytes::open_file(f, "test file");
  const char text[] = "0123456789";
  const InputBytes memory(text, 10, "memory");
  for (const InputBytes* b : {&file, &memory}) {
    EXPECT_EQ(b->size(), 10u);
    char out[4] = {};
    EXPECT_TRUE(b->read(6, out, 4));
    EXPECT_EQ(std::string(out, 4), "6789");
    EXPECT_TRUE(b->read(10, out, 0));
    EXPECT_FALSE(b->read(7, out, 4));            // past the end
    EXPECT_FALSE(b->read(UINT64_MAX, out, 2));   // no wrap of offset + length
    EXPECT_FALSE(b->read(2, out, UINT64_MAX));
  }
  EXPECT_EQ(file.name(), f);
  EXPECT_NE(error_of<InputFileError>([] { InputBytes::open_file("/dev/zero", "weights file"); }).find("not a regular file"), std::string::npos);
  EXPECT_NE(error_of<InputFileError>([] { InputBytes::open_file("/tmp", "weights file"); }).find("is a directory"), std::string::npos);
  EXPECT_NE(error_of<InputFileError>([] { InputBytes::open_file("/no/such/file", "weights file"); })
                .find("cannot open weights file '/no/such/file'"),
            std::string::npos);
}

// A FIFO with no writer is refused as not a regular file, at once: opening it must not wait for a
// writer that never comes.
TEST(InputFiles, AFifoIsRefusedWithoutWaitingForAWriter) {
  const std::string fifo = "/tmp/acceltran-vp-test-fifo-" + std::to_string(getpid());
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string error = error_of<InputFileError>([&] { InputBytes::open_file(fifo, "weights file"); });
  unlink(fifo.c_str());
  EXPECT_NE(error.find("not a regular file"), std::string::npos) << error;
}

TEST(StrictYaml, RefusesWhatYamlWouldAcceptSilently) {
  EXPECT_TRUE(load_strict_yaml("pe: 8\nmain_memory: {size_mb: 1}\nlist: [1, 2]\n", "hw.yaml").IsMap());
  EXPECT_EQ(yaml_error("vp: &v {x: *v}\n"), "hw.yaml:1: aliases (*name) are not accepted: write the value out");  // a cycle
  EXPECT_NE(yaml_error("a: &a 1\nb: *a\n").find("hw.yaml:2: aliases"), std::string::npos);
  EXPECT_EQ(yaml_error("pe: 8\npe: 16\n"), "hw.yaml:2: duplicate key 'pe'");
  EXPECT_EQ(yaml_error("main_memory:\n  size_mb: 1\n  size_mb: 2\n"), "hw.yaml:3: duplicate key 'main_memory.size_mb'");
  EXPECT_TRUE(load_strict_yaml("a: {x: 1}\nb: {x: 1}\n", "hw.yaml").IsMap());  // the same key in two mappings
  EXPECT_NE(yaml_error("? [a, b]\n: 1\n").find("a key must be a scalar"), std::string::npos);
  EXPECT_NE(yaml_error("pe: 8\n---\npe: 9\n").find("more than one YAML document"), std::string::npos);
  EXPECT_NE(yaml_error(std::string(1000, '[') + std::string(1000, ']')).find("nested deeper than 32 levels"), std::string::npos);
  EXPECT_NE(yaml_error("pe: [1, 2\n").find("hw.yaml: malformed YAML"), std::string::npos);
}
