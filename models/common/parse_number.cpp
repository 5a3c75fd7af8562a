#include "parse_number.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace acc {

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

[[noreturn]] void leading_zero(const std::string& text) {
  throw NumberError("'" + text + "': a leading zero is ambiguous (octal in C and YAML 1.1, decimal in YAML 1.2); write it without");
}

template <typename T>
[[noreturn]] void outside(const std::string& text, T lo, T hi) {
  std::ostringstream s;
  s << text << " is outside " << lo << ".." << hi;
  throw NumberError(s.str());
}

}  // namespace

uint64_t parse_unsigned(const std::string& text, uint64_t lo, uint64_t hi) {
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const size_t start = hex ? 2 : 0;
  if (text.size() == start) throw NumberError("'" + text + "' is not an unsigned integer");
  for (size_t i = start; i < text.size(); ++i)
    if (!(hex ? std::isxdigit(static_cast<unsigned char>(text[i])) != 0 : digit(text[i])))
      throw NumberError("'" + text + "' is not an unsigned integer");
  if (!hex && text.size() > 1 && text[0] == '0') leading_zero(text);
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str() + start, nullptr, hex ? 16 : 10);
  if (errno == ERANGE || v < lo || v > hi) outside(text, lo, hi);
  return v;
}

double parse_real(const std::string& text, double lo, double hi) {
  // [+-] digits [. digits] | [+-] . digits, then an optional exponent.
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  const size_t int_start = i;
  while (i < text.size() && digit(text[i])) ++i;
  const size_t int_digits = i - int_start;
  size_t frac_digits = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    for (; i < text.size() && digit(text[i]); ++i) ++frac_digits;
  }
  bool ok = int_digits + frac_digits > 0;
  if (ok && i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    const size_t exp_start = i;
    while (i < text.size() && digit(text[i])) ++i;
    ok = i > exp_start;
  }
  if (!ok || i != text.size()) throw NumberError("'" + text + "' is not a number");
  if (int_digits > 1 && text[int_start] == '0') leading_zero(text);
  const double v = std::strtod(text.c_str(), nullptr);
  if (!std::isfinite(v) || v < lo || v > hi) outside(text, lo, hi);
  return v;
}

uint64_t parse_unsigned_option(const std::string& option, const std::string& text, uint64_t lo, uint64_t hi) {
  try {
    return parse_unsigned(text, lo, hi);
  } catch (const NumberError& e) {
    throw NumberError(option + ": " + e.what());
  }
}

double parse_real_option(const std::string& option, const std::string& text, double lo, double hi) {
  try {
    return parse_real(text, lo, hi);
  } catch (const NumberError& e) {
    throw NumberError(option + ": " + e.what());
  }
}

}  // namespace acc
