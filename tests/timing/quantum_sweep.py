#!/usr/bin/python3
"""Simulated time and every statistic are independent of the temporal-decoupling quantum.

Runs one job at several quanta and fails unless every statistic, the simulated time included,
is the same (only the simulator's wall-clock figures may differ).

    quantum_sweep.py PATH/TO/acceltran-vp QUANTUM,QUANTUM,... -- JOB ARGS...   (ctest: timing.quantum_sweep_*)
"""
import json
import os
import subprocess
import sys
import tempfile

WALL_CLOCK = {"sim.wall_seconds", "sim.cycles_per_wall_second"}


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flatten(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def run(vp, quantum, args, tmp):
    path = os.path.join(tmp, f"q{quantum}.json")
    out = subprocess.run([vp, *args, "--quantum", quantum, "--quiet", "--stats-out", path], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        sys.exit(f"the job failed at --quantum {quantum} (exit {out.returncode}):\n{out.stdout}{out.stderr}")
    with open(path) as f:
        # The provenance records how the run was asked for (its --quantum among it): not a statistic.
        stats = json.load(f)
        stats.pop("provenance", None)
        return {k: v for k, v in flatten(stats).items() if k not in WALL_CLOCK}


def main():
    vp, quanta, sep, *args = sys.argv[1:]
    assert sep == "--", __doc__
    quanta = quanta.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        runs = {q: run(vp, q, args, tmp) for q in quanta}
    first = quanta[0]
    if "sim.simulated_seconds" not in runs[first]:
        sys.exit("no sim.simulated_seconds in the statistics")
    failed = False
    for q in quanta[1:]:
        diffs = [f"  {k}: {runs[first].get(k)} at {first}, {runs[q].get(k)} at {q}"
                 for k in sorted(set(runs[first]) | set(runs[q])) if runs[first].get(k) != runs[q].get(k)]
        if diffs:
            failed = True
            print(f"--quantum {q} differs from --quantum {first}:\n" + "\n".join(diffs))
    if failed:
        sys.exit(1)
    print(f"same statistics and simulated time ({runs[first]['sim.simulated_seconds']} s) at quanta {', '.join(quanta)}")


if __name__ == "__main__":
    main()
