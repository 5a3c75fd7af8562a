// Reading the files a user gives (hardware YAML, energy tables, model dicts, thresholds, tokens,
// firmware, weights, embeddings, vocabularies, MLM text) within known limits: no reader reads more than its file's real
// size and the limit of its kind, so that /dev/zero, a FIFO or a huge file is an error that
// names it, not a hang or an exhausted memory. docs/reliability.md lists the limits.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace acc {

inline constexpr uint64_t kKiB = uint64_t{1} << 10;
inline constexpr uint64_t kMiB = uint64_t{1} << 20;

// The limits, one per kind of file. Text formats hold a few kilobytes in practice; binary formats
// are bounded by their size on disk, and their headers by these.
inline constexpr uint64_t kMaxHwConfigBytes = 1 * kMiB;      // a hardware YAML file (and each file it inherits from)
inline constexpr uint64_t kMaxEnergyTableBytes = 1 * kMiB;   // an energy table (the built-in one has 3 KiB)
inline constexpr uint64_t kMaxModelDictBytes = 1 * kMiB;     // an AccelTran model dict (JSON)
inline constexpr uint64_t kMaxThresholdsBytes = 16 * kMiB;   // LeOPArd thresholds (JSON; a few bytes per layer and head)
inline constexpr uint64_t kMaxTokenFileBytes = 16 * kMiB;    // token ids (text; 4096 sequences of 512 ids take ~12 MiB)
inline constexpr uint64_t kMaxFirmwareBytes = 64 * kMiB;     // a firmware ELF (its image must fit 4 MiB of CPU_RAM; the rest symbols, debug info)
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100 * kMiB;  // the safetensors format's own limit on its JSON header
inline constexpr uint64_t kMaxNpyHeaderBytes = 64 * kKiB;    // a .npy header (NumPy writes ~128 bytes)
inline constexpr uint64_t kMaxVocabBytes = 1 * kMiB;         // a tokenizer's vocabulary (the byte-level one has 2 KiB)
inline constexpr uint64_t kMaxMlmTextBytes = 1 * kMiB;       // the text of --task mlm (~8,000 sequences of 128 bytes)

// A file that cannot be read or is larger than its limit; the message names the file and why.
struct InputFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The whole content of `path`. A regular file larger than `limit` is refused by its size before
// anything is read; anything else (a pipe, a device) is read up to the limit and refused if it
// has more. `what` names the kind of file in messages ("hardware configuration file").
std::string read_input_file(const std::string& path, uint64_t limit, const std::string& what);

// Refuses content of `size` bytes above `limit`, with read_input_file's message: the check of the
// readers' in-memory entry points (text given as a string), which their file entry points share.
void check_input_size(uint64_t size, uint64_t limit, const std::string& what, const std::string& name);

// The bytes a reader seeks in (safetensors, .npy): a regular file, read where asked, or bytes
// already in memory (tests, fuzz harnesses). Both are bounded by their real size.
class InputBytes {
 public:
  // A regular file (anything else is an InputFileError naming it, as regular_file_size).
  static InputBytes open_file(const std::string& path, const std::string& what);
  // `size` bytes at `data`, which must outlive this object; `name` names them in messages.
  InputBytes(const void* data, uint64_t size, std::string name);

  const std::string& name() const { return name_; }
  uint64_t size() const { return size_; }
  // Copies the `n` bytes at `offset` to `out`; false if they are not all there.
  bool read(uint64_t offset, void* out, uint64_t n) const;

 private:
  InputBytes() = default;
  std::string name_;
  uint64_t size_ = 0;
  const unsigned char* data_ = nullptr;  // in memory, or
  std::shared_ptr<const int> fd_;        // an open file
};

// The same, with the reader's own error type.
template <typename Error>
std::string read_input_file_as(const std::string& path, uint64_t limit, const std::string& what) {
  try {
    return read_input_file(path, limit, what);
  } catch (const InputFileError& e) {
    throw Error(e.what());
  }
}
template <typename Error>
InputBytes open_input_bytes_as(const std::string& path, const std::string& what) {
  try {
    return InputBytes::open_file(path, what);
  } catch (const InputFileError& e) {
    throw Error(e.what());
  }
}
template <typename Error>
void check_input_size_as(uint64_t size, uint64_t limit, const std::string& what, const std::string& name) {
  try {
    check_input_size(size, limit, what, name);
  } catch (const InputFileError& e) {
    throw Error(e.what());
  }
}
// "1 MiB", "3.5 GiB", "512 bytes": a size for messages.
std::string bytes_text(uint64_t bytes);

}  // namespace acc
