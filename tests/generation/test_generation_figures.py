#!/usr/bin/python3
"""GPT-2's generation figures (docs/transformers.md, "GPT-2 checks and statistics") against
computations independent of the ones that print them:

  * the time to first token is the accelerator time of a run that stops at the first token
    (--new-tokens 0: the prefill and its logits, nothing else);
  * the steps' cycles (the firmware's reads of the cycle counter) partition the run: with one
    sequence they add up to the control block's active cycles;
  * per-token latency is the decode steps' cycles over their number, at the clock;
  * energy per token is the job's energy over the tokens chosen.

    test_generation_figures.py VP

Each run is one acceltran-vp process; the statistics come from --stats-out.
"""
import json
import os
import subprocess
import sys
import tempfile

COMMON = ["--hw", "edge", "--job", "generate", "--model", "gpt2-tiny", "--prompt-len", "20", "--batch", "1", "--quiet"]


def run(vp, *args):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "s.json")
        out = subprocess.run([vp, *COMMON, *args, "--stats-out", path], capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            sys.exit(f"FAIL: {' '.join(args)} exited {out.returncode}:\n{out.stdout}{out.stderr}")
        with open(path) as f:
            return json.load(f)


def close(a, b, what):
    if abs(a - b) > 1e-9 * max(1.0, abs(a), abs(b)):
        sys.exit(f"FAIL: {what}: {a} != {b}")


def main():
    vp = sys.argv[1]
    T = 4
    prefill = run(vp, "--new-tokens", "0")
    gen = run(vp, "--new-tokens", str(T))
    hz = gen["config"]["clock_mhz"] * 1e6
    g = gen["job"]["gpt2"]
    steps = [g["steps"][str(t)]["cycles"] for t in range(T + 1)]

    close(g["time_to_first_token_s"] * hz, prefill["control"]["active_cycles"], "time to first token x clock vs the prefill-only run's cycles")
    if prefill["job"]["gpt2"]["steps"]["0"]["token"] != g["steps"]["0"]["token"]:
        sys.exit("FAIL: the prefill-only run chose another first token")
    if sum(steps) != gen["control"]["active_cycles"]:
        sys.exit(f"FAIL: steps' cycles {steps} add up to {sum(steps)}, the control block counted {gen['control']['active_cycles']}")
    close(g["per_token_latency_s"] * hz, sum(steps[1:]) / T, "per-token latency x clock vs the decode steps' mean cycles")
    close(gen["perf"]["energy_per_token_nj"], gen["energy"]["total_nj"] / (T + 1), "energy per token vs total energy / tokens chosen")
    if not all(s > 0 for s in steps):
        sys.exit(f"FAIL: a step took no cycles: {steps}")
    print("ok: time to first token, per-token latency and energy per token agree with independent computations")


if __name__ == "__main__":
    main()
