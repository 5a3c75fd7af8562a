// SHA-256 (FIPS 180-4) of a file, for the provenance of a run's input files. Small and
// self-contained: the project links no crypto library and needs only this one digest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace acc {

class Sha256 {
 public:
  Sha256();
  void update(const uint8_t* data, size_t n);
  // The digest as 64 lower-case hex digits; the object is spent afterwards.
  std::string hex();

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t used_ = 0;
  uint64_t bytes_ = 0;
};

// The file's digest; throws std::runtime_error naming the file if it cannot be read.
std::string sha256_of_file(const std::string& path);

}  // namespace acc
