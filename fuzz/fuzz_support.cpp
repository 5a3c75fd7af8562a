#include "fuzz_support.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <typeinfo>
#include <vector>

// libsystemc defines main() and calls sc_main(); libFuzzer brings its own main(), which wins, so
// sc_main is never called. It must exist for the shared library to link.
int sc_main(int, char**) { return 0; }

namespace acc::fuzz {

namespace {
// The scratch file of each suffix, removed when the process ends.
struct ScratchFiles {
  std::vector<std::string> paths;
  ~ScratchFiles() {
    for (const auto& p : paths) std::remove(p.c_str());
  }
};
ScratchFiles scratch;
}  // namespace

std::string input_file(const uint8_t* data, size_t size, const std::string& suffix) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/acc-fuzz-" + std::to_string(getpid()) + suffix;
  if (std::find(scratch.paths.begin(), scratch.paths.end(), path) == scratch.paths.end()) scratch.paths.push_back(path);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!f) unexpected("cannot write the scratch file");
  return path;
}

void unexpected(const std::exception& e) {
  std::fprintf(stderr, "fuzz: undocumented exception %s: %s\n", typeid(e).name(), e.what());
  std::abort();
}

void unexpected(const char* what) {
  std::fprintf(stderr, "fuzz: %s\n", what);
  std::abort();
}

void check_message(const std::exception& e) {
  if (!e.what() || !*e.what()) unexpected("an error with an empty message");
}

}  // namespace acc::fuzz
