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

[[noreturn]] void too_large(const std::string& what, const std::string& path, uint64_t limit) {
  fail(what, path, "larger than " + bytes_text(limit) + ", the limit of this kind of file (docs/reliability.md)");
}

}  // namespace

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
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > limit) too_large(what, path, limit);
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
    if (data.size() > limit) too_large(what, path, limit);
  }
  return data;
}

uint64_t regular_file_size(const std::string& path, const std::string& what) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) throw InputFileError("cannot open " + named(what, path) + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(what, path, S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file (the reader seeks in it)");
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace acc
