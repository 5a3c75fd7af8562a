// The weights cache: a tensor read back is the tensor drawn; a damaged, stale or foreign file is
// drawn again; small tensors and a cache turned off keep nothing; the least recently used files go
// first.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "fixed_point.hpp"
#include "bert/weights.hpp"
#include "bert/weights_cache.hpp"

namespace acc::bert {
namespace {

namespace fs = std::filesystem;

class WeightsCache : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/acc_weights_cache_XXXXXX";
    ASSERT_NE(::mkdtemp(name), nullptr);
    dir_ = name;
    ::setenv("ACCELTRAN_VP_WEIGHTS_CACHE", name, 1);
    ::unsetenv("ACCELTRAN_VP_WEIGHTS_CACHE_MB");
  }
  void TearDown() override {
    fs::remove_all(dir_);
    ::unsetenv("ACCELTRAN_VP_WEIGHTS_CACHE");
  }
  std::vector<fs::path> files() const {
    std::vector<fs::path> f;
    for (const auto& e : fs::directory_iterator(dir_)) f.push_back(e.path());
    return f;
  }
  // `t` drawn with no cache at all.
  static std::vector<int32_t> fresh(const SyntheticTensor& t, uint64_t seed) {
    std::vector<int32_t> w(t.n);
    t.draw(seed, 0, t.n, w.data());
    return w;
  }
  static std::vector<int32_t> drawn(const SyntheticTensor& t, uint64_t seed) {
    std::vector<int32_t> w(t.n);
    t.draw(seed, w.data());
    return w;
  }
  static bool loads(const SyntheticTensor& t, uint64_t seed) {
    std::vector<int32_t> w(t.n);
    return load_cached(t, seed, w.data()) && w == fresh(t, seed);
  }
  // Flips the bits of the word at `index` in the tensor's one file.
  void damage(uint64_t index) const {
    ASSERT_EQ(files().size(), 1u);
    std::fstream f(files()[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(std::streamoff(4096 + index * 4));
    int32_t w = 0;
    f.read(reinterpret_cast<char*>(&w), 4);
    w = ~w;
    f.seekp(std::streamoff(4096 + index * 4));
    f.write(reinterpret_cast<const char*>(&w), 4);
  }
  static void set_age(const fs::path& p, int hours) {
    fs::last_write_time(p, fs::file_time_type::clock::now() - std::chrono::hours(hours));
  }
  std::string dir_;
};

const SyntheticTensor kLarge{"encoder.layer.0.ffn.0.weight", kCachedFromWords + 5, 0.05, 0.01};

TEST_F(WeightsCache, ATensorReadBackIsTheTensorDrawn) {
  EXPECT_FALSE(loads(kLarge, 7));
  const std::vector<int32_t> first = drawn(kLarge, 7);  // drawn, then kept
  EXPECT_EQ(first, fresh(kLarge, 7));
  ASSERT_EQ(files().size(), 1u);
  EXPECT_EQ(fs::file_size(files()[0]), 4096 + kLarge.n * 4);
  EXPECT_TRUE(loads(kLarge, 7));
  EXPECT_EQ(drawn(kLarge, 7), first);
  std::vector<int32_t> one_thread(kLarge.n);
  kLarge.draw(7, one_thread.data(), 1);
  EXPECT_EQ(one_thread, first);
  EXPECT_EQ(files().size(), 1u);
}

TEST_F(WeightsCache, MappedIntoPrivateMemoryTheFileIsReadAndNeverWritten) {
  drawn(kLarge, 7);
  const size_t bytes = (kLarge.n * 4 + 4095) / 4096 * 4096;  // whole pages mapped, the last part-page read
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(memory, MAP_FAILED);
  auto* words = static_cast<int32_t*>(memory);
  ASSERT_TRUE(load_cached(kLarge, 7, words, CacheRead::Map));
  const std::vector<int32_t> expected = fresh(kLarge, 7);
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), words));
  for (uint64_t i = 0; i < kLarge.n; i += 997) words[i] = 0;  // written copy-on-write: the file stays
  EXPECT_TRUE(loads(kLarge, 7));
  ::munmap(memory, bytes);
}

TEST_F(WeightsCache, DrawnForPrivateMemoryATensorGoesStraightIntoTheCache) {
  const size_t bytes = (kLarge.n * 4 + 4095) / 4096 * 4096;
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(memory, MAP_FAILED);
  auto* words = static_cast<int32_t*>(memory);
  kLarge.draw(7, words, 2, CacheRead::Map);  // nothing cached: drawn into a new file, mapped here
  const std::vector<int32_t> expected = fresh(kLarge, 7);
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), words));
  ASSERT_EQ(files().size(), 1u);
  EXPECT_EQ(files()[0].extension(), ".words");
  EXPECT_TRUE(loads(kLarge, 7));
  for (uint64_t i = 0; i < kLarge.n; i += 997) words[i] = 0;  // copy-on-write: the file stays
  EXPECT_TRUE(loads(kLarge, 7));
  ::setenv("ACCELTRAN_VP_WEIGHTS_CACHE", "off", 1);  // no cache: drawn in place all the same
  kLarge.draw(7, words, 1, CacheRead::Map);
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), words));
  ::munmap(memory, bytes);
}

TEST_F(WeightsCache, AnotherSeedRecipeOrFormatIsAnotherTensor) {
  drawn(kLarge, 7);
  EXPECT_FALSE(loads(kLarge, 8));
  SyntheticTensor wider = kLarge;
  wider.std = 0.06;
  EXPECT_FALSE(loads(wider, 7));
  SyntheticTensor renamed = kLarge;
  renamed.name = "encoder.layer.1.ffn.0.weight";
  EXPECT_FALSE(loads(renamed, 7));
  fx::set_format(fx::Format::parse("q6.12"));
  EXPECT_FALSE(loads(kLarge, 7));
  EXPECT_EQ(drawn(kLarge, 7), fresh(kLarge, 7));  // drawn in Q6.12, kept beside the Q4.16 file
  fx::set_format(fx::kQ4_16);
  EXPECT_TRUE(loads(kLarge, 7));
  EXPECT_EQ(files().size(), 2u);
}

TEST_F(WeightsCache, ADamagedFileIsDrawnAgainAndReplaced) {
  drawn(kLarge, 7);
  damage(1000);  // not one of the words drawn again to check the file: the checksum finds it
  EXPECT_FALSE(loads(kLarge, 7));
  EXPECT_EQ(drawn(kLarge, 7), fresh(kLarge, 7));
  EXPECT_TRUE(loads(kLarge, 7));
  std::filesystem::resize_file(files()[0], 4096 + 8);
  EXPECT_FALSE(loads(kLarge, 7));
  EXPECT_EQ(drawn(kLarge, 7), fresh(kLarge, 7));
}

TEST_F(WeightsCache, AFileOfAnotherGeneratorIsDrawnAgain) {
  // Whole and with a right checksum, but its words are not what the generator draws now.
  std::vector<int32_t> other = fresh(kLarge, 7);
  other[0] += 1;
  store_cached(kLarge, 7, other.data());
  EXPECT_FALSE(loads(kLarge, 7));
  EXPECT_EQ(drawn(kLarge, 7), fresh(kLarge, 7));
  EXPECT_TRUE(loads(kLarge, 7));
}

TEST_F(WeightsCache, SmallTensorsAndACacheTurnedOffKeepNothing) {
  const SyntheticTensor small{"embeddings.LayerNorm.weight", kCachedFromWords - 1, 0.05, 1.0};
  drawn(small, 7);
  EXPECT_TRUE(files().empty());
  ::setenv("ACCELTRAN_VP_WEIGHTS_CACHE", "off", 1);
  EXPECT_EQ(weights_cache_dir(), "");
  EXPECT_EQ(drawn(kLarge, 7), fresh(kLarge, 7));
  EXPECT_TRUE(files().empty());
}

TEST_F(WeightsCache, TheLeastRecentlyUsedFilesGoFirst) {
  ::setenv("ACCELTRAN_VP_WEIGHTS_CACHE_MB", "3", 1);  // room for two tensors of 1 MB and a page
  SyntheticTensor a = kLarge, b = kLarge, c = kLarge;
  a.n = b.n = c.n = kCachedFromWords;
  a.name = "a", b.name = "b", c.name = "c";
  drawn(a, 1);
  ASSERT_EQ(files().size(), 1u);
  const fs::path file_a = files()[0];
  drawn(b, 1);
  ASSERT_EQ(files().size(), 2u);
  const fs::path file_b = files()[0] == file_a ? files()[1] : files()[0];
  set_age(file_a, 3);
  set_age(file_b, 2);
  const std::string died = dir_ + "/" + file_a.filename().string() + ".1.0.tmp", writing = dir_ + "/" + file_a.filename().string() + ".2.0.tmp";
  std::ofstream(died) << "a process died writing this";
  set_age(died, 2);
  std::ofstream(writing) << "a process is writing this";
  EXPECT_TRUE(loads(a, 1));  // now the most recently used
  drawn(c, 1);               // three files are more than 3 MB: b goes
  EXPECT_TRUE(fs::exists(file_a));
  EXPECT_FALSE(fs::exists(file_b));
  EXPECT_TRUE(loads(a, 1));
  EXPECT_TRUE(loads(c, 1));
  EXPECT_FALSE(fs::exists(died));
  EXPECT_TRUE(fs::exists(writing));
}

}  // namespace
}  // namespace acc::bert
