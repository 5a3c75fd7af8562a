// Turns the statistics list into the JSON file and the human summary.
#pragma once

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>

#include "hw_config.hpp"
#include "stats.hpp"

namespace acc {

// Nested JSON object from the dotted keys (every value a number), the configuration's headline
// figures under `config`, and the run's provenance (provenance.hpp) under `provenance`.
std::string stats_to_json(const Stats& s, const HwConfig& cfg, const nlohmann::ordered_json& provenance);
void print_summary(std::ostream& out, const Stats& s, const HwConfig& cfg);

}  // namespace acc
