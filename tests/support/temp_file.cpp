#include "temp_file.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace acc::test {

namespace {
struct RemoveAtExit {
  std::vector<std::string> paths;
  ~RemoveAtExit() {
    for (const auto& p : paths) std::remove(p.c_str());
  }
};
RemoveAtExit created;
}  // namespace

std::string temp_file(const std::string& suffix, const std::string& content) {
  std::string name = "/tmp/acc_test_XXXXXX" + suffix;
  const int fd = mkstemps(name.data(), static_cast<int>(suffix.size()));
  if (fd < 0) throw std::runtime_error("cannot create a temporary file " + name);
  close(fd);
  created.paths.push_back(name);
  std::ofstream(name, std::ios::binary) << content;
  return name;
}

std::string npy_bytes(const std::string& dict, const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  const uint16_t hl = static_cast<uint16_t>(header.size());
  out.append(reinterpret_cast<const char*>(&hl), 2);
  return out + header + data;
}

}  // namespace acc::test
