// The message of the E that f() throws, or "" if it throws none: for tests of readers whose
// errors must name the problem.
#pragma once

#include <string>

namespace acc::test {

template <typename E, typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

}  // namespace acc::test
