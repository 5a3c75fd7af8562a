// Scratch files for tests of the file readers.
#pragma once

#include <string>

namespace acc::test {

// Writes `content` (bytes) to a new file in /tmp whose name ends in `suffix`, and returns its
// path. The file is removed when the test process exits.
std::string temp_file(const std::string& suffix, const std::string& content);

// The bytes of a .npy file: a version 1 header holding the dict literal `dict`, then `data`.
std::string npy_bytes(const std::string& dict, const std::string& data);

}  // namespace acc::test
