// Progress of a long run on stderr: after about 2 s of wall time, a line redrawn in place that
// says how many layers are done, the simulated time and an estimate of the time left.
#pragma once

#include <cstdint>
#include <iosfwd>

namespace acc {

class Soc;

struct ProgressGoal {
  uint32_t layers = 0;      // encoder layers of a BERT job (0: not a layered job)
  uint64_t total_macs = 0;  // dense MACs the job will do, the measure of the ETA (0: unknown)
};

// Runs the simulation to its end, as sc_start() does. With `out`, it runs in slices of simulated
// time (the results are the same: slicing sc_start changes no event) and, once 2 s have passed,
// redraws the progress line on `out` between slices (layers done, simulated time, ETA); the
// line is erased at the end.
void run_simulation(Soc& soc, const ProgressGoal& goal, std::ostream* out);

}  // namespace acc
