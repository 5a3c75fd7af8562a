#include "input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace acc {

namespace {

std::string named(const std::string& what, const std::string& path) { return what + " '" + path + "'"; }

[[noreturn]] void fail(const std::string& what, const std::string& path, const std::string& problem) {
  throw InputFileError(named(what, path) + ": " + problem);
}

// Closes the descriptor on every path out.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

void check_input_size(uint64_t size, uint64_t limit, const std::string& what, const std::string& name) {
  if (size > limit) fail(what, name, "larger than " + bytes_text(limit) + ", the limit of this kind of file (docs/reliability.md)");
}

std::string bytes_text(uint64_t bytes) {
  if (bytes < kKiB) return std::to_string(bytes) + " bytes";
  static const char* const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes) / 1024.0;
  int u = 0;
  while (v >= 1024.0 && u < 5) v /= 1024.0, ++u;
  char s[32];
  std::snprintf(s, sizeof s, v == static_cast<double>(static_cast<uint64_t>(v)) ? "%.0f %s" : "%.1f %s", v, units[u]);
  return s;
}

std::string read_input_file(const std::string& path, uint64_t limit, const std::string& what) {
  Fd f{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) throw InputFileError("cannot open " + named(what, path) + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(f.fd, &st) != 0) fail(what, path, std::strerror(errno));
  if (S_ISDIR(st.st_mode)) fail(what, path, "is a directory");
  if (S_ISREG(st.st_mode)) check_input_size(static_cast<uint64_t>(st.st_size), limit, what, path);
  // Read up to one byte past the limit: a pipe or a device has no size to check in advance.
  std::string data;
  char chunk[65536];
  for (;;) {
    const uint64_t room = limit + 1 - data.size();
    const ssize_t n = read(f.fd, chunk, static_cast<size_t>(std::min<uint64_t>(sizeof chunk, room)));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(what, path, std::strerror(errno));
    }
    if (n == 0) break;
    data.append(chunk, static_cast<size_t>(n));
    check_input_size(data.size(), limit, what, path);
  }
  return data;
}

InputBytes InputBytes::open_file(const std::string& path, const std::string& what) {
  // Non-blocking: opening a FIFO would otherwise wait for a writer before fstat could refuse it.
  // (A regular file ignores the flag.)
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw InputFileError("cannot open " + named(what, path) + ": " + std::strerror(errno));
  InputBytes b;
  b.fd_ = std::shared_ptr<const int>(new int(fd), [](const int* p) {
    close(*p);
    delete p;
  });
  struct stat st {};
  if (fstat(fd, &st) != 0) fail(what, path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(what, path, S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file (the reader seeks in it)");
  b.name_ = path;
  b.size_ = static_cast<uint64_t>(st.st_size);
  return b;
}

InputBytes::InputBytes(const void* data, uint64_t size, std::string name)
    : name_(std::move(name)), size_(size), data_(static_cast<const unsigned char*>(data)) {}

bool InputBytes::read(uint64_t offset, void* out, uint64_t n) const {
  if (offset > size_ || n > size_ - offset) return false;
  if (n == 0) return true;
  if (data_) {
    std::memcpy(out, data_ + offset, n);
    return true;
  }
  auto* to = static_cast<char*>(out);
  while (n > 0) {  // pread may return less than asked
    const ssize_t got = pread(*fd_, to, static_cast<size_t>(std::min<uint64_t>(n, 1u << 30)), static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;  // an error, or the file shrank
    to += got, offset += static_cast<uint64_t>(got), n -= static_cast<uint64_t>(got);
  }
  return true;
}

}  // namespace acc
