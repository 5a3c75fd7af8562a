#!/usr/bin/python3
"""Progress on stderr: shown on a terminal for a run longer than 2 s, silenced by --quiet, never
shown to a pipe; and a run that shows it gives the same statistics as one that does not.

    test_progress.py VP SCRATCH_DIR

The terminal is a pseudo-terminal from util-linux's `script`.
"""
import json
import os
import shlex
import subprocess
import sys

VP, SCRATCH = sys.argv[1], sys.argv[2]
os.makedirs(SCRATCH, exist_ok=True)
# About 3 s of simulation on an idle 2-core machine (more when it is loaded): long enough for the
# progress line, which waits 2 s, to appear.
JOB = ["--model", "bert-medium", "--batch", "8", "--check", "off"]


def on_terminal(*args):
    command = shlex.join([VP, *JOB, *args])
    r = subprocess.run(["script", "-qfec", command, "/dev/null"], capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        sys.exit(f"FAILED: {command} on a terminal: exit {r.returncode}\n{r.stdout}{r.stderr}")
    return r.stdout


def statistics(path):
    with open(path) as f:
        s = json.load(f)
    s.pop("sim")
    s.pop("provenance")
    return s


def check(cond, what):
    if not cond:
        sys.exit("FAILED: " + what)


shown = on_terminal("--stats-out", os.path.join(SCRATCH, "terminal.json"))
lines = [part for part in shown.replace("\r", "\n").splitlines() if "layers done" in part]
check(lines, f"a progress line on the terminal:\n{shown!r}")
check("Warning" not in shown, f"no SystemC warnings on the terminal:\n{shown!r}")
check(all(" us simulated, " in line and " elapsed" in line and " of 8 layers done" in line for line in lines),
      f"the line has the layers done, the simulated time and the elapsed time: {lines}")
check(any(", ETA " in line for line in lines), f"an ETA: {lines}")
check("\x1b[K" in shown.split(lines[-1])[-1], "the line is erased at the end")

quiet = on_terminal("--quiet")
check("layers done" not in quiet, f"--quiet silences the progress:\n{quiet!r}")

piped = subprocess.run([VP, *JOB, "--stats-out", os.path.join(SCRATCH, "pipe.json")], capture_output=True, text=True,
                       timeout=120)
check(piped.returncode == 0 and "layers done" not in piped.stderr + piped.stdout, "no progress to a pipe")
check(statistics(os.path.join(SCRATCH, "terminal.json")) == statistics(os.path.join(SCRATCH, "pipe.json")),
      "a run that shows progress (the simulation in slices) gives the same statistics")
print("ok")
