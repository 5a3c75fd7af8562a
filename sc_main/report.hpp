// Turns the statistics list into the JSON file and the human summary.
#pragma once

#include <iosfwd>
#include <string>

#include "hw_config.hpp"
#include "stats.hpp"

namespace acc {

// Nested JSON object from the dotted keys (every value a number).
std::string stats_to_json(const Stats& s, const HwConfig& cfg);
void print_summary(std::ostream& out, const Stats& s, const HwConfig& cfg);

}  // namespace acc
