#include "fixed_point.hpp"

#include <stdexcept>

#include "parse_number.hpp"

namespace acc::fx {

Format Format::parse(const std::string& text) {
  if (text == "int8" || text == "INT8") return per_tensor_int(8);
  if (text == "int16" || text == "INT16") return per_tensor_int(16);
  const std::string expected = "'" + text +
                               "' is not a number format (qM.N: M integer bits with the sign, N fraction bits, e.g. q4.16; or int8, "
                               "int16: per-tensor-scaled integers)";
  const auto dot = text.find('.');
  if (text.size() < 4 || (text[0] != 'q' && text[0] != 'Q') || dot == std::string::npos) throw std::invalid_argument(expected);
  unsigned m = 0, n = 0;
  try {
    m = static_cast<unsigned>(parse_unsigned(text.substr(1, dot - 1), 0, 64));
    n = static_cast<unsigned>(parse_unsigned(text.substr(dot + 1), 0, 64));
  } catch (const NumberError&) {
    throw std::invalid_argument(expected);
  }
  if (m < 2) throw std::invalid_argument("number format " + text + ": needs at least 2 integer bits (the sign and the 1 of a probability)");
  if (m + n < kMinWordBits || m + n > kMaxWordBits)
    throw std::invalid_argument("number format " + text + ": " + std::to_string(m + n) + " bits; the datapath's words are " +
                                std::to_string(kMinWordBits) + " to " + std::to_string(kMaxWordBits) + " bits wide");
  return Format(static_cast<int>(m + n), static_cast<int>(n));
}

}  // namespace acc::fx
