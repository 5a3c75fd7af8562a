// Numbers as a user writes them (command line, configuration keys, input files), read strictly:
// the whole text is the number; unsigned values have no sign (so "-1" is not 4294967295); a
// leading zero before a digit is refused ("010" is octal in C and YAML 1.1 but decimal in YAML
// 1.2: an error that names it, not a guess); reals are finite decimals (no "nan", no "inf").
// Hexadecimal integers (0x...) are accepted.
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace acc {

// The message says what is wrong with the text ("'-1' is not an unsigned integer", "0 is outside
// 1..65536"); callers prefix the flag, key or file it came from.
struct NumberError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

uint64_t parse_unsigned(const std::string& text, uint64_t lo = 0, uint64_t hi = std::numeric_limits<uint64_t>::max());
double parse_real(const std::string& text, double lo = -std::numeric_limits<double>::max(),
                  double hi = std::numeric_limits<double>::max());

// The same for a command-line option: the message names it ("--seq: '-1' is not an unsigned
// integer").
uint64_t parse_unsigned_option(const std::string& option, const std::string& text, uint64_t lo, uint64_t hi);
double parse_real_option(const std::string& option, const std::string& text, double lo, double hi);

}  // namespace acc
