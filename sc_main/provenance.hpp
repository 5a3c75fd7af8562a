// Provenance of a run: what is needed to tell a statistics JSON from another and to re-run its
// point (--replay): the tool's version and git revision, the command line, the hardware
// configuration after overrides (every key), the options that shape the job, its resolved
// parameters, and the SHA-256 of every input file.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "hw_config.hpp"

namespace acc {

struct RunProvenance {
  std::vector<std::string> command_line;  // argv as given
  std::string hw;                         // --hw: preset name or YAML file
  std::vector<std::string> overrides;     // every -p key=value, in order
  // Options that shape the run (name without "--", value; a flag has the value "true" and
  // flag=true), defaults included, so that a replay does not depend on later defaults.
  struct Option {
    std::string name, value;
    bool flag = false;
  };
  std::vector<Option> options;
  std::vector<std::pair<std::string, std::string>> input_files;  // option or role -> path
  std::string cpu_backend;
  std::string blas_kernels;  // OpenBLAS's kernels (models/common/blas_kernels.hpp): the speed, not the results
  nlohmann::ordered_json job;  // the job's resolved parameters
  std::string replay_of;       // the statistics file this run replays, or empty
};

// The tool's version (the CMake project's) and the git revision it was built from ("unknown"
// outside a git checkout).
const char* tool_version();
const char* git_revision();

// Every configuration key with its value as --print-config prints it; numbers and booleans as
// JSON numbers and booleans.
nlohmann::ordered_json config_json(const HwConfig& cfg);

// The `provenance` object of the statistics JSON (docs/statistics.md, "Provenance"). Hashes the
// input files; throws std::runtime_error if one cannot be read.
nlohmann::ordered_json provenance_json(const RunProvenance& p, const HwConfig& cfg);

}  // namespace acc
