#include "fuzz_support.hpp"

#include <cstdio>
#include <cstdlib>
#include <typeinfo>

// libsystemc defines main() and calls sc_main(); libFuzzer brings its own main(), which wins, so
// sc_main is never called. It must exist for the shared library to link.
int sc_main(int, char**) { return 0; }

namespace acc::fuzz {

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
