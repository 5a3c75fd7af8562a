// --replay: re-running the point a statistics JSON records in its provenance (provenance.hpp).
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace acc {

// A statistics file that cannot be replayed, or a replay that would not be the recorded point.
struct ReplayError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What --replay took from a statistics file: the recorded provenance, checked against the re-run's.
struct Replay {
  std::string path;
  nlohmann::json provenance;
};

Replay read_replay(const std::string& path);

// The command line that re-runs a recorded point: its --hw, its -p overrides and every option it
// recorded (none of which may be one of `output_options`).
std::vector<std::string> replay_arguments(const Replay& r, const std::set<std::string>& output_options);

// Before a replay runs: its configuration and input files must be those recorded, or it would
// not be the same point (ReplayError naming every difference). A different tool revision is only
// noted on stderr.
void check_replay(const Replay& r, const nlohmann::ordered_json& now);

}  // namespace acc
