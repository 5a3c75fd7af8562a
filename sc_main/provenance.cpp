#include "provenance.hpp"

#include <cstdlib>
#include <sstream>

#include "acc_version.h"  // generated at build time: ACC_VERSION, ACC_GIT_REVISION
#include "sha256.hpp"

namespace acc {

const char* tool_version() { return ACC_VERSION; }
const char* git_revision() { return ACC_GIT_REVISION; }

namespace {
// "128" -> 128, "0.5" -> 0.5, "true" -> true; anything else stays text.
nlohmann::ordered_json typed(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  if (!text.empty()) {
    char* end = nullptr;
    const unsigned long long u = std::strtoull(text.c_str(), &end, 10);
    if (*end == '\0' && text[0] != '-' && text[0] != '+') return static_cast<uint64_t>(u);
    const double d = std::strtod(text.c_str(), &end);
    if (*end == '\0') return d;
  }
  return text;
}
}  // namespace

nlohmann::ordered_json config_json(const HwConfig& cfg) {
  // dump_config is "key: value" per line, every key in declaration order.
  nlohmann::ordered_json c = nlohmann::ordered_json::object();
  std::istringstream lines(dump_config(cfg));
  for (std::string line; std::getline(lines, line);) {
    const size_t colon = line.find(": ");
    if (colon == std::string::npos) continue;
    c[line.substr(0, colon)] = typed(line.substr(colon + 2));
  }
  return c;
}

nlohmann::ordered_json provenance_json(const RunProvenance& p, const HwConfig& cfg) {
  nlohmann::ordered_json j;
  j["tool"] = "acceltran-vp";
  j["version"] = tool_version();
  j["git_revision"] = git_revision();
  j["command_line"] = p.command_line;
  if (!p.replay_of.empty()) j["replay_of"] = p.replay_of;
  j["cpu_backend"] = p.cpu_backend;
  j["blas_kernels"] = p.blas_kernels;
  j["hw"] = p.hw;
  j["overrides"] = p.overrides;
  j["config"] = config_json(cfg);
  nlohmann::ordered_json options = nlohmann::ordered_json::object();
  for (const auto& o : p.options) options[o.name] = o.flag ? nlohmann::ordered_json(true) : nlohmann::ordered_json(o.value);
  j["options"] = options;
  j["job"] = p.job;
  nlohmann::ordered_json files = nlohmann::ordered_json::object();
  for (const auto& [role, path] : p.input_files) files[role] = {{"path", path}, {"sha256", sha256_of_file(path)}};
  j["input_files"] = files;
  return j;
}

}  // namespace acc
