// The riscv CPU's firmware loader (models/cpu/riscv/elf_image.cpp): refused only with a
// FirmwareError; an accepted image's segments and symbols are all readable.
#include "elf_image.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ACC_FUZZ_ONLY_THROWS(acc::FirmwareError, {
    const acc::ElfImage image = acc::ElfImage::parse(data, size, "fuzz.elf");
    uint64_t sum = image.entry();
    for (const auto& s : image.segments()) {
      if (s.bytes.size() > s.mem_size) acc::fuzz::unexpected("a segment with more file bytes than memory");
      for (uint8_t b : s.bytes) sum += b;
    }
    sum += image.function_at(image.entry()).size();
    if (sum == 0 && image.segments().empty() && image.entry() != 0) acc::fuzz::unexpected("unreachable");  // keeps the reads
  });
  return 0;
}
