// Statistics: every model owns its counters and writes them, with unit and meaning, into a Stats
// list at the end of simulation. The report turns the list into JSON and the stdout summary;
// docs/statistics.md documents every key (a test checks that no emitted key is undocumented).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace acc {

struct HwConfig;
class EnergyTable;

struct StatEntry {
  std::string key;  // dotted path, e.g. "dram.read_bytes"
  double value;
  bool integer;
  std::string unit;
  std::string meaning;
};

class Stats {
 public:
  void put(const std::string& key, uint64_t v, const char* unit, const char* meaning) {
    entries_.push_back({key, static_cast<double>(v), true, unit, meaning});
  }
  void put_real(const std::string& key, double v, const char* unit, const char* meaning) {
    entries_.push_back({key, v, false, unit, meaning});
  }
  const std::vector<StatEntry>& entries() const { return entries_; }
  // Value of a key, or `fallback` if absent.
  double get(const std::string& key, double fallback = 0) const {
    for (const auto& e : entries_)
      if (e.key == key) return e.value;
    return fallback;
  }
  bool has(const std::string& key) const {
    for (const auto& e : entries_)
      if (e.key == key) return true;
    return false;
  }

 private:
  std::vector<StatEntry> entries_;
};

// Dynamic energy attributed to (layer, tensor class) through the descriptors' trace tags, summed
// over the models at the end of a run. Key: the tag's layer and class bits.
struct Attribution {
  std::map<uint32_t, double> nj;
  void add(uint32_t key, double v) { nj[key] += v; }
};

// What a model needs to turn activity into energy at the end of a run.
struct StatsContext {
  const HwConfig& cfg;
  const EnergyTable& energy;
  uint64_t active_cycles;  // accelerator cycles the job kept the accelerator powered
};

}  // namespace acc
