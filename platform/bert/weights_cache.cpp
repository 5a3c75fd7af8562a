#include "weights_cache.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string_view>
#include <system_error>
#include <vector>

#include "fixed_point.hpp"
#include "weights.hpp"

namespace acc::bert {

namespace fs = std::filesystem;

namespace {

// A file: this header, zero-padded to kHeaderBytes (so the words start page-aligned) but for its
// last 8 bytes, the words' checksum; then the words.
constexpr size_t kPageBytes = 4096, kHeaderBytes = kPageBytes, kChecksumAt = kHeaderBytes - 8;

std::string header(const SyntheticTensor& t, uint64_t seed) {
  char numbers[256];
  std::snprintf(numbers, sizeof numbers, "seed %" PRIu64 "\nmean %a\nstd %a\nwords %" PRIu64 "\nformat %s one %d min %d max %d\n", seed,
                t.mean, t.std, t.n, fx::format().name().c_str(), fx::one(), fx::min_word(), fx::max_word());
  return "acceltran-vp synthetic tensor\nname " + t.name + "\n" + numbers;
}

std::string file_name(const std::string& head) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a: only names the file, whose header is compared whole
  for (unsigned char c : head) h = (h ^ c) * 1099511628211ull;
  char name[32];
  std::snprintf(name, sizeof name, "%016" PRIx64 ".words", h);
  return name;
}

// Where `t` drawn from `seed` is kept: the cache's directory, the file's header and its path. False
// when the cache is off (or the header is too long for its page).
struct CacheFile {
  std::string dir, head, path;
};
bool cache_file(const SyntheticTensor& t, uint64_t seed, CacheFile& f) {
  f.dir = weights_cache_dir(), f.head = header(t, seed);
  if (f.dir.empty() || f.head.size() > kChecksumAt) return false;
  f.path = f.dir + "/" + file_name(f.head);
  return true;
}

uint64_t megabytes_allowed() {
  const char* v = std::getenv("ACCELTRAN_VP_WEIGHTS_CACHE_MB");
  char* end = nullptr;
  const unsigned long long mb = v && *v ? std::strtoull(v, &end, 10) : 4096;
  return end && *end ? 4096 : mb;  // not a number: the default
}

// Each word xor its index, summed: a changed word always changes it, words moved almost always.
// Vectorises.
uint64_t checksum(const int32_t* words, uint64_t first, uint64_t n) {
  uint64_t sum = 0;
  for (uint64_t i = 0; i < n; ++i) sum += uint32_t(words[i]) ^ uint32_t(first + i);
  return sum;
}

bool read_all(int fd, void* to, size_t bytes, off_t at) {
  auto* p = static_cast<char*>(to);
  while (bytes) {
    const ssize_t got = ::pread(fd, p, bytes, at);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got, at += got, bytes -= size_t(got);
  }
  return true;
}

bool write_all(int fd, const void* from, size_t bytes) {
  const auto* p = static_cast<const char*>(from);
  while (bytes) {
    const ssize_t put = ::write(fd, p, bytes);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    p += put, bytes -= size_t(put);
  }
  return true;
}

// After a failed MAP_FIXED, which may have unmapped the range: zero-filled pages again. Failing
// that (the process is out of memory), the memory is gone: the process ends, saying so.
void remap_anonymous(void* at, size_t bytes) {
  if (::mmap(at, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) != MAP_FAILED) return;
  std::fprintf(stderr, "acceltran-vp: out of memory: %zu bytes of DRAM could not be mapped again (%s)\n", bytes, std::strerror(errno));
  std::_Exit(2);
}

// Sixteen words spread over the tensor, first and last included, drawn afresh (in place: a draw
// writes its words where they lie in the tensor).
bool spot_check(const SyntheticTensor& t, uint64_t seed, int32_t* words) {
  for (uint64_t k = 0; k < 16; ++k) {
    const uint64_t i = k * (t.n - 1) / 15;
    const int32_t read = words[i];
    t.draw(seed, i, i + 1, words);
    if (words[i] != read) return false;
  }
  return true;
}

// Removes the least recently used files until the directory holds at most the allowed size, and
// files left half-written (by a process that died) an hour ago.
void evict(const fs::path& dir) try {
  struct Entry {
    fs::path path;
    uint64_t bytes;
    fs::file_time_type used;
  };
  std::vector<Entry> files;
  uint64_t total = 0;
  std::error_code ec;
  const auto hour_ago = fs::file_time_type::clock::now() - std::chrono::hours(1);
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const fs::path& p = e.path();
    const auto used = e.last_write_time(ec);
    if (ec) continue;
    if (p.extension() == ".tmp" && used < hour_ago) {
      fs::remove(p, ec);
    } else if (p.extension() == ".words") {
      const uint64_t bytes = e.file_size(ec);
      if (ec) continue;
      files.push_back({p, bytes, used});
      total += bytes;
    }
  }
  const uint64_t allowed = megabytes_allowed() << 20;
  std::sort(files.begin(), files.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
  for (const Entry& f : files) {
    if (total <= allowed) break;
    if (fs::remove(f.path, ec)) total -= f.bytes;
  }
} catch (const std::exception&) {
  // A directory that changed under the listing, say: the next file kept tries again.
}

}  // namespace

std::string weights_cache_dir() {
  if (const char* set = std::getenv("ACCELTRAN_VP_WEIGHTS_CACHE")) return std::string_view(set) == "off" ? "" : set;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/acceltran-vp/weights";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/acceltran-vp/weights";
  return "";
}

bool load_cached(const SyntheticTensor& t, uint64_t seed, int32_t* out, CacheRead how) {
  CacheFile file;
  if (!cache_file(t, seed, file)) return false;
  const std::string& head = file.head;
  const int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  char found[kHeaderBytes];
  bool ok = ::fstat(fd, &st) == 0 && uint64_t(st.st_size) == kHeaderBytes + t.n * 4 && read_all(fd, found, kHeaderBytes, 0) &&
            head.compare(0, head.size(), found, head.size()) == 0 &&
            std::all_of(found + head.size(), found + kChecksumAt, [](char c) { return c == 0; });
  uint64_t mapped = 0;  // bytes: the whole pages at the start of `out`, if mapped
  if (ok && how == CacheRead::Map && reinterpret_cast<uintptr_t>(out) % kPageBytes == 0) {
    const uint64_t whole = t.n * 4 / kPageBytes * kPageBytes;
    if (whole && ::mmap(out, whole, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, kHeaderBytes) != MAP_FAILED)
      mapped = whole;
    else if (whole)
      remap_anonymous(out, whole);  // and the words are read
  }
  uint64_t expected = 0, sum = 0;
  std::memcpy(&expected, found + kChecksumAt, 8);
  // Summed a chunk at a time, while its words are in the cache (and its mapped pages are faulted
  // in here, on the caller's thread, rather than where the simulation first reads them).
  constexpr uint64_t kChunk = 1 << 18;  // words
  const uint64_t first_read = mapped / 4;
  for (uint64_t i = 0; ok && i < t.n; i += kChunk) {
    const uint64_t m = std::min(kChunk, t.n - i), from = std::max(i, first_read);
    if (from < i + m) ok = read_all(fd, out + from, (i + m - from) * 4, off_t(kHeaderBytes + from * 4));
    sum += checksum(out + i, i, m);
  }
  ok = ok && sum == expected && spot_check(t, seed, out);
  if (ok) ::futimens(fd, nullptr);  // recently used: evicted last
  ::close(fd);
  return ok;
}

namespace {

// A new file beside `final_path` that no other writer uses (the pid and a count), opened for
// writing; the file is renamed to `final_path` once whole.
int open_part(const std::string& dir, const std::string& final_path, std::string& part, int mode) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  static std::atomic<unsigned> parts{0};
  part = final_path + "." + std::to_string(::getpid()) + "." + std::to_string(parts++) + ".tmp";
  return ::open(part.c_str(), mode | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
}

// The header, padded, with the words' checksum.
std::string padded_header(std::string head, uint64_t sum) {
  head.resize(kHeaderBytes, '\0');
  std::memcpy(&head[kChecksumAt], &sum, 8);
  return head;
}

}  // namespace

void store_cached(const SyntheticTensor& t, uint64_t seed, const int32_t* words) {
  CacheFile file;
  if (!cache_file(t, seed, file)) return;
  std::string part;
  const int fd = open_part(file.dir, file.path, part, O_WRONLY);
  if (fd < 0) return;
  const std::string padded = padded_header(file.head, checksum(words, 0, t.n));
  const bool written = write_all(fd, padded.data(), padded.size()) && write_all(fd, words, t.n * 4);
  if (::close(fd) != 0 || !written || ::rename(part.c_str(), file.path.c_str()) != 0) {
    ::unlink(part.c_str());  // a full disk, say: the next process draws the tensor again
    return;
  }
  evict(file.dir);
}

bool draw_into_cache(const SyntheticTensor& t, uint64_t seed, int32_t* out, const std::function<void(int32_t*)>& draw) {
  CacheFile file;
  if (reinterpret_cast<uintptr_t>(out) % kPageBytes || !cache_file(t, seed, file)) return false;
  std::string part;
  const int fd = open_part(file.dir, file.path, part, O_RDWR);
  if (fd < 0) return false;
  const uint64_t bytes = kHeaderBytes + t.n * 4, whole = t.n * 4 / kPageBytes * kPageBytes;
  void* shared = MAP_FAILED;
  // The file's blocks first: a page of a sparse file that the disk cannot hold would fault (SIGBUS).
  if (::posix_fallocate(fd, 0, off_t(bytes)) == 0) shared = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (shared == MAP_FAILED) {
    ::close(fd);
    ::unlink(part.c_str());
    return false;
  }
  auto* words = reinterpret_cast<int32_t*>(static_cast<char*>(shared) + kHeaderBytes);
  draw(words);
  if (whole && ::mmap(out, whole, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, kHeaderBytes) == MAP_FAILED) {
    remap_anonymous(out, whole);
    std::memcpy(out, words, whole);
  }
  std::memcpy(reinterpret_cast<char*>(out) + whole, reinterpret_cast<const char*>(words) + whole, t.n * 4 - whole);
  // Summed from `out`: its pages are faulted in here, not where the simulation first reads them.
  const std::string padded = padded_header(file.head, checksum(out, 0, t.n));
  std::memcpy(shared, padded.data(), kHeaderBytes);
  ::munmap(shared, bytes);
  if (::close(fd) != 0 || ::rename(part.c_str(), file.path.c_str()) != 0)
    ::unlink(part.c_str());  // `out` holds the words all the same
  else
    evict(file.dir);
  return true;
}

}  // namespace acc::bert
