// JSON as the BERT input files use it (model dicts, LeOPArd thresholds, safetensors headers),
// read strictly: nlohmann keeps the last of duplicate keys silently, and nests without bound.
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace acc::bert {

// Objects and arrays nest at most this deep (the formats read here use 3 levels).
inline constexpr int kMaxJsonDepth = 32;

struct JsonError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses `text`; throws JsonError for malformed JSON, a duplicate key (with its path) or nesting
// deeper than kMaxJsonDepth.
nlohmann::json parse_strict_json(const std::string& text);

// The same, with the reader's error type and `prefix` ("model.json: malformed JSON: ") before the
// problem.
template <typename Error>
nlohmann::json parse_json_as(const std::string& text, const std::string& prefix) {
  try {
    return parse_strict_json(text);
  } catch (const JsonError& e) {
    throw Error(prefix + e.what());
  }
}

}  // namespace acc::bert
