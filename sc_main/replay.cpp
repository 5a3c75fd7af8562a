#include "replay.hpp"

#include <fstream>
#include <iostream>

#include "provenance.hpp"

namespace acc {
namespace {
// A provenance of the wrong shape (a field of another type) is the file's fault, not the run's.
template <typename F>
auto malformed_is_replay_error(const Replay& r, F f) -> decltype(f()) {
  try {
    return f();
  } catch (const nlohmann::json::exception& e) {
    throw ReplayError("--replay '" + r.path + "': malformed provenance (" + e.what() + ")");
  }
}
}  // namespace

Replay read_replay(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ReplayError("--replay '" + path + "': cannot read the file");
  Replay r{path, {}};
  nlohmann::json stats;
  try {
    stats = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ReplayError("--replay '" + path + "': not JSON (" + e.what() + ")");
  }
  const auto bad = [&](const std::string& what) { return ReplayError("--replay '" + path + "': " + what); };
  if (!stats.is_object() || !stats.contains("provenance") || !stats["provenance"].is_object())
    throw bad("no 'provenance' object (a statistics file of an older acceltran-vp, or not one at all)");
  r.provenance = stats["provenance"];
  const auto& p = r.provenance;
  if (!p.contains("hw") || !p["hw"].is_string() || !p.contains("overrides") || !p["overrides"].is_array() || !p.contains("options") ||
      !p["options"].is_object() || !p.contains("config") || !p["config"].is_object())
    throw bad("the provenance lacks hw, overrides, options or config");
  return r;
}

std::vector<std::string> replay_arguments(const Replay& r, const std::set<std::string>& output_options) {
  return malformed_is_replay_error(r, [&] {
    const auto& p = r.provenance;
    std::vector<std::string> args = {"--hw", p["hw"].get<std::string>()};
    for (const auto& o : p["overrides"]) {
      if (!o.is_string()) throw ReplayError("--replay '" + r.path + "': an override is not text");
      args.insert(args.end(), {"-p", o.get<std::string>()});
    }
    for (const auto& [name, value] : p["options"].items()) {
      if (output_options.count(name) || name == "hw" || name == "param")
        throw ReplayError("--replay '" + r.path + "': '" + name + "' is not a recorded job option");
      if (value.is_boolean()) {
        if (value.get<bool>()) args.push_back("--" + name);
      } else if (value.is_string()) {
        args.insert(args.end(), {"--" + name, value.get<std::string>()});
      } else {
        throw ReplayError("--replay '" + r.path + "': option '" + name + "' is neither text nor a flag");
      }
    }
    return args;
  });
}

void check_replay(const Replay& r, const nlohmann::ordered_json& now) {
  malformed_is_replay_error(r, [&] {
    const auto& was = r.provenance;
    std::string diffs;
    for (const auto& [key, value] : was["config"].items())
      if (!now["config"].contains(key) || nlohmann::json(now["config"][key]) != value)
        diffs += "\n  configuration key " + key + ": recorded " + value.dump() +
                 (now["config"].contains(key) ? ", now " + now["config"][key].dump() : ", now unknown");
    if (was.contains("input_files") && was["input_files"].is_object())
      for (const auto& [role, file] : was["input_files"].items()) {
        const std::string sha = file.value("sha256", "");
        if (!now["input_files"].contains(role))
          diffs += "\n  input file " + role + ": recorded, now absent";
        else if (now["input_files"][role]["sha256"] != sha)
          diffs += "\n  input file " + role + " '" + now["input_files"][role]["path"].get<std::string>() + "' changed (SHA-256 recorded " +
                   sha + ", now " + now["input_files"][role]["sha256"].get<std::string>() + ")";
      }
    if (!diffs.empty()) throw ReplayError("--replay '" + r.path + "': not the recorded point:" + diffs);
    const std::string rev = was.value("git_revision", "unknown");
    if (rev != git_revision())
      std::cerr << "acceltran-vp: note: " << r.path << " was written by revision " << rev << ", this is " << git_revision() << "\n";
  });
}

}  // namespace acc
