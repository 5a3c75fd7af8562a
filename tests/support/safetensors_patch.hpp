// Overwrites one F32 value of a tensor in a safetensors file: for tests that need a weights file
// holding values the Q4.16 format cannot (outside +-8, or between two words).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>

namespace acc::test {

inline void set_safetensors_value(const std::string& path, const std::string& tensor, uint64_t index, float value) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  uint64_t header_bytes = 0;
  f.read(reinterpret_cast<char*>(&header_bytes), 8);
  std::string header(header_bytes, '\0');
  f.read(header.data(), static_cast<std::streamsize>(header_bytes));
  const nlohmann::json entry = nlohmann::json::parse(header).at(tensor);
  if (entry.at("dtype") != "F32") throw std::runtime_error(tensor + " is not F32");
  const uint64_t at = 8 + header_bytes + entry.at("data_offsets").at(0).get<uint64_t>() + 4 * index;
  if (at + 4 > 8 + header_bytes + entry.at("data_offsets").at(1).get<uint64_t>()) throw std::runtime_error(tensor + ": index out of range");
  f.seekp(static_cast<std::streamoff>(at));
  f.write(reinterpret_cast<const char*>(&value), 4);
  if (!f) throw std::runtime_error("cannot patch " + path);
}

}  // namespace acc::test
