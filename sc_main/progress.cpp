#include "progress.hpp"

#include <systemc>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ostream>
#include <string>

#include "soc.hpp"
#include "stats.hpp"

namespace acc {
namespace {

constexpr double kQuietSeconds = 2.0;     // runs shorter than this show nothing
constexpr double kRedrawSeconds = 0.5;    // between two redraws of the line
constexpr double kSliceWallSeconds = 0.1; // wall time one slice of simulated time should take

std::string clock_text(double seconds) {
  char buf[32];
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  return buf;
}

}  // namespace

void run_simulation(Soc& soc, const ProgressGoal& goal, std::ostream* out) {
  if (!out) {
    sc_core::sc_start();
    return;
  }
  // A slice in which nothing happens is expected here, not a sign of a stuck model.
  sc_core::sc_report_handler::set_actions(sc_core::SC_ID_NO_SC_START_ACTIVITY_, sc_core::SC_DO_NOTHING);
  using Clock = std::chrono::steady_clock;
  const auto seconds_since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  const auto start = Clock::now();
  auto last_draw = start;
  bool drawn = false;
  sc_core::sc_time slice(1, sc_core::SC_US);
  do {
    const auto slice_start = Clock::now();
    sc_core::sc_start(slice, sc_core::SC_EXIT_ON_STARVATION);
    // Slices of about kSliceWallSeconds: short enough to redraw on time, long enough to cost nothing.
    const double took = seconds_since(slice_start);
    if (took < kSliceWallSeconds / 4)
      slice = slice * 2;
    else if (took > kSliceWallSeconds * 4 && slice > sc_core::sc_time(1, sc_core::SC_NS))
      slice = slice / 2;
    const double elapsed = seconds_since(start);
    if (elapsed < kQuietSeconds || seconds_since(last_draw) < kRedrawSeconds) continue;
    last_draw = Clock::now();
    Stats now;
    soc.collect_stats(now);
    // The encoder layers all have the same shape, so the MACs done say how many layers are.
    const double done = goal.total_macs ? std::min(1.0, now.get("pe.dense_macs") / static_cast<double>(goal.total_macs)) : 0.0;
    std::string line = "acceltran-vp: ";
    char text[160];
    if (goal.layers > 0) {
      std::snprintf(text, sizeof text, "%u of %u layers done, ", static_cast<unsigned>(done * goal.layers), goal.layers);
      line += text;
    }
    std::snprintf(text, sizeof text, "%.4g us simulated, %s elapsed", sc_core::sc_time_stamp().to_seconds() * 1e6,
                  clock_text(elapsed).c_str());
    line += text;
    if (done > 0.01) {
      std::snprintf(text, sizeof text, ", ETA %s", clock_text(elapsed * (1 - done) / done).c_str());
      line += text;
    }
    *out << "\r\033[K" << line << std::flush;
    drawn = true;
  } while (sc_core::sc_get_status() != sc_core::SC_STOPPED && sc_core::sc_pending_activity());
  if (drawn) *out << "\r\033[K" << std::flush;
}

}  // namespace acc
