#include "report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <vector>

#include "saturation.hpp"
#include "regmap.hpp"

namespace acc {

std::string stats_to_json(const Stats& s, const HwConfig& cfg, const nlohmann::ordered_json& provenance) {
  // Objects all the way down (a numeric component such as a layer index is a key, not an index).
  nlohmann::ordered_json root = nlohmann::ordered_json::object();
  for (const auto& e : s.entries()) {
    nlohmann::ordered_json* node = &root;
    size_t from = 0;
    for (size_t dot = e.key.find('.'); dot != std::string::npos; from = dot + 1, dot = e.key.find('.', from)) {
      nlohmann::ordered_json& child = (*node)[e.key.substr(from, dot - from)];
      if (!child.is_object()) child = nlohmann::ordered_json::object();
      node = &child;
    }
    const std::string leaf = e.key.substr(from);
    if (e.integer)
      (*node)[leaf] = static_cast<uint64_t>(e.value);
    else
      (*node)[leaf] = e.value;
  }
  nlohmann::ordered_json c;
  c["name"] = cfg.name;
  c["clock_mhz"] = cfg.clock_mhz;
  c["pe"] = cfg.pe;
  c["lanes_per_pe"] = cfg.lanes_per_pe;
  c["mac_per_lane"] = cfg.mac_per_lane;
  c["main_memory"] = cfg.main_memory.type;
  c["number_format"] = cfg.number_format.name();
  root["config"] = c;
  root["provenance"] = provenance;
  return root.dump(2) + "\n";
}

namespace {
// v with an SI prefix: 1.23 kB, 45.6 uJ.
std::string human(double v, const char* unit) {
  static const char* prefixes[] = {"p", "n", "u", "m", "", "k", "M", "G", "T"};
  int i = 4;
  while (v != 0 && std::abs(v) < 1.0 && i > 0) v *= 1000.0, --i;
  while (std::abs(v) >= 1000.0 && i < 8) v /= 1000.0, ++i;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g %s%s", v, prefixes[i], unit);
  return buf;
}
std::string seconds(double s) {
  char buf[64];
  if (s < 1e-6)
    std::snprintf(buf, sizeof buf, "%.3g ns", s * 1e9);
  else if (s < 1e-3)
    std::snprintf(buf, sizeof buf, "%.3g us", s * 1e6);
  else if (s < 1)
    std::snprintf(buf, sizeof buf, "%.3g ms", s * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.3g s", s);
  return buf;
}
}  // namespace

void print_summary(std::ostream& out, const Stats& s, const HwConfig& cfg) {
  const double cycles = s.get("control.active_cycles");
  const double secs = cycles / cfg.clock_hz();
  char line[256];
  auto row = [&](const char* name, const std::string& value) { out << "  " << name << std::string(18 - std::string(name).size(), ' ') << value << "\n"; };
  auto count = [&](const char* key) { return static_cast<uint64_t>(s.get(key)); };

  // What the hardware itself reports beside the result: values it clipped (a "bit-exact" result
  // can still have saturated), its last error stop, register writes it ignored.
  if (s.has("saturation.total")) {
    Saturation sat;
    sat.matmul = count("saturation.matmul"), sat.score = count("saturation.score"), sat.activation = count("saturation.activation");
    sat.softmax = count("saturation.softmax"), sat.layernorm = count("saturation.layernorm"), sat.add = count("saturation.add");
    row("saturation", sat.describe(count("saturation.weights"), count("saturation.inputs")));
  }
  if (s.get("control.errors") > 0) {
    const auto code = static_cast<uint32_t>(count("control.error.code"));
    std::snprintf(line, sizeof line, "%s (0x%02x) at descriptor %llu, info 0x%08llx; %llu error stop%s", regmap::error_name(code), code,
                  static_cast<unsigned long long>(count("control.error.descriptor")),
                  static_cast<unsigned long long>(count("control.error.info")), static_cast<unsigned long long>(count("control.errors")),
                  s.get("control.errors") == 1 ? "" : "s");
    row("accelerator error", line);
  }
  const uint64_t ro_writes = count("control.registers.read_only_writes"), reserved = count("control.registers.reserved_bit_writes");
  if (ro_writes + reserved > 0) {
    std::snprintf(line, sizeof line, "%llu write%s to read-only registers, %llu setting reserved bits (%s; --trace-mmio marks them)",
                  static_cast<unsigned long long>(ro_writes), ro_writes == 1 ? "" : "s", static_cast<unsigned long long>(reserved),
                  cfg.strict_registers ? "bus errors: vp.strict_registers" : "ignored");
    row("register misuse", line);
  }

  std::snprintf(line, sizeof line, "%.0f (%s at %g MHz)", cycles, seconds(secs).c_str(), cfg.clock_mhz);
  row("cycles", line);
  const double dense = s.get("pe.dense_macs"), eff = s.get("pe.effectual_macs");
  std::snprintf(line, sizeof line, "%s dense, %s effectual (%.1f %% skipped)", human(dense, "").c_str(), human(eff, "").c_str(),
                dense > 0 ? 100.0 * (1.0 - eff / dense) : 0.0);
  row("MACs", line);
  std::snprintf(line, sizeof line, "%.2f %% of %llu multipliers (lanes busy %.2f %%)", 100.0 * s.get("pe.mac_utilisation"),
                static_cast<unsigned long long>(cfg.total_multipliers()), 100.0 * s.get("pe.lane_utilisation"));
  row("MAC utilisation", line);
  if (s.get("pe.softmax_busy_cycles") + s.get("pe.layernorm_busy_cycles") > 0) {
    std::snprintf(line, sizeof line, "softmax %.2f %%, layer-norm %.2f %%", 100.0 * s.get("pe.softmax_utilisation"),
                  100.0 * s.get("pe.layernorm_utilisation"));
    row("unit utilisation", line);
  }
  const double seqs = s.get("job.bert.sequences");
  if (seqs > 0) {
    std::snprintf(line, sizeof line, "%s sequences/s (%s per batch of %.0f), %s per sequence", human(s.get("perf.throughput_seq_per_s"), "").c_str(),
                  seconds(secs).c_str(), seqs, human(s.get("perf.energy_per_sequence_nj") * 1e-9, "J").c_str());
    row("throughput", line);
    std::snprintf(line, sizeof line, "%.1f %% of the pruned tensors' values are zero (%.1f %% over valid tokens)",
                  100.0 * s.get("sparsity.pruned_tensors.fraction"), 100.0 * s.get("sparsity.pruned_tensors.valid_fraction"));
    row("sparsity", line);
    std::string layers;
    for (int l = 0; s.has("layers." + std::to_string(l) + ".cycles"); ++l) {
      if (l == 12) {
        layers += " ...";
        break;
      }
      layers += (l ? ", " : "") + std::to_string(static_cast<uint64_t>(s.get("layers." + std::to_string(l) + ".cycles")));
    }
    if (!layers.empty()) row("layer cycles", layers);
    if (s.has("job.mlm.accuracy")) {  // --task mlm: the head ran on the host, on the accelerator's hidden states
      std::snprintf(line, sizeof line, "masked-token accuracy %.2f %% (%.0f of %.0f), loss %.4f nats (MLM head on the host)",
                    100.0 * s.get("job.mlm.accuracy"), s.get("job.mlm.correct"), s.get("job.mlm.masked_tokens"), s.get("job.mlm.loss"));
      row("task", line);
    }
  }
  if (s.has("job.gpt2.tokens_chosen")) {
    std::snprintf(line, sizeof line, "time to first token %s (prompt %.0f)", seconds(s.get("job.gpt2.time_to_first_token_s")).c_str(),
                  s.get("job.gpt2.prompt_len"));
    std::string text = line;
    if (s.has("job.gpt2.per_token_latency_s")) {
      std::snprintf(line, sizeof line, ", %s per token over %.0f decode steps (%s tokens/s)", seconds(s.get("job.gpt2.per_token_latency_s")).c_str(),
                    s.get("job.gpt2.decode_steps"), human(s.get("job.gpt2.tokens_per_s"), "").c_str());
      text += line;
    }
    row("generation", text);
    std::snprintf(line, sizeof line, "%s per token; KV cache %s per sequence", human(s.get("perf.energy_per_token_nj") * 1e-9, "J").c_str(),
                  human(s.get("job.gpt2.kv_cache_bytes"), "B").c_str());
    row("tokens", line);
  }
  if (s.has("job.plan.steps")) {
    const bool ij = s.get("job.plan.order") == 1;
    std::snprintf(line, sizeof line, "%s, C tiles %.0f x %.0f (%.0f matmuls)%s; DRAM %s planned, least possible %s",
                  ij ? "b_i_j_k" : "b_j_i_k", s.get("job.plan.tile_m"), s.get("job.plan.tile_n"), s.get("job.plan.steps"),
                  s.get("job.plan.keep") > 0 ? (ij ? ", B kept" : ", A kept") : "", human(s.get("job.plan.dram_bytes"), "B").c_str(),
                  human(s.get("job.plan.min_dram_bytes"), "B").c_str());
    row("plan", line);
  }
  const double stalls_dep = s.get("control.stall_dependency_cycles"), stalls_fetch = s.get("control.stall_fetch_cycles"),
               stalls_window = s.get("control.stall_window_cycles");
  std::snprintf(line, sizeof line, "data hazards %.0f, descriptor fetch %.0f, in-flight window %.0f cycles", stalls_dep, stalls_fetch,
                stalls_window);
  row("issue stalls", line);
  const double rd = s.get("dram.read_bytes"), wr = s.get("dram.write_bytes");
  std::snprintf(line, sizeof line, "%s read, %s written (%.1f %% of peak bandwidth)", human(rd, "B").c_str(), human(wr, "B").c_str(),
                secs > 0 ? 100.0 * (rd + wr) * 8 / (cfg.bits_per_second(cfg.main_memory.bandwidth_gbps) * secs) : 0.0);
  row("DRAM traffic", line);

  // Energy by module, largest first.
  std::vector<std::pair<std::string, double>> modules;
  for (const auto& e : s.entries()) {
    if (e.key.rfind("energy.", 0) != 0 || e.key == "energy.total_nj") continue;
    const std::string rest = e.key.substr(7);
    const std::string module = rest.substr(0, rest.find('.'));
    auto it = std::find_if(modules.begin(), modules.end(), [&](const auto& m) { return m.first == module; });
    if (it == modules.end())
      modules.emplace_back(module, e.value);
    else
      it->second += e.value;
  }
  std::sort(modules.begin(), modules.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  const double total_nj = s.get("energy.total_nj");
  std::snprintf(line, sizeof line, "%s (%s average power)", human(total_nj * 1e-9, "J").c_str(),
                human(secs > 0 ? total_nj * 1e-9 / secs : 0.0, "W").c_str());
  row("energy", line);
  for (const auto& [module, nj] : modules) {
    std::snprintf(line, sizeof line, "%-18s %10s  %5.1f %%", module.c_str(), human(nj * 1e-9, "J").c_str(),
                  total_nj > 0 ? 100.0 * nj / total_nj : 0.0);
    row("", line);
  }
  std::snprintf(line, sizeof line, "%.3f mm2", s.get("area.total_mm2"));
  row("area", line);
  const double wall = s.get("sim.wall_seconds");
  std::snprintf(line, sizeof line, "%.3f s wall, %s simulated cycles per second", wall, human(wall > 0 ? cycles / wall : 0, "").c_str());
  row("simulator", line);
}

}  // namespace acc
