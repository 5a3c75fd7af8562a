// What every libFuzzer harness of the project shares (docs/reliability.md).
//
// A harness feeds one input to one entry point. The entry point may refuse the input only with
// the error type it documents (a message for the user); any other exception, a crash, a
// sanitizer report, a leak or a hang is a finding, and the harness aborts so that libFuzzer
// saves the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

namespace acc::fuzz {

// Aborts with the exception's type and message: an error the entry point does not document.
[[noreturn]] void unexpected(const std::exception& e);
[[noreturn]] void unexpected(const char* what);

// A message the user would see must name something: non-empty and not a bare library text.
void check_message(const std::exception& e);

}  // namespace acc::fuzz

// Runs `body`; the documented error type `Documented` is a clean refusal, anything else a finding.
#define ACC_FUZZ_ONLY_THROWS(Documented, body)      \
  try {                                             \
    body;                                           \
  } catch (const Documented& e) {                   \
    ::acc::fuzz::check_message(e);                  \
  } catch (const std::exception& e) {               \
    ::acc::fuzz::unexpected(e);                     \
  } catch (...) {                                   \
    ::acc::fuzz::unexpected("a non-std exception"); \
  }
