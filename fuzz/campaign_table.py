#!/usr/bin/python3
"""The markdown table of a fuzzing campaign (fuzz/campaign.sh): one row per harness, from the
final statistics libFuzzer printed (-print_final_stats=1) and the inputs it saved as findings.

    fuzz/campaign_table.py OUT_DIR
"""
import glob
import os
import re
import sys


def row(out, name):
    text = open(os.path.join(out, name + ".log"), errors="replace").read()
    stat = dict(re.findall(r"^stat::(\w+):\s+(\d+)", text, re.M))
    last = re.findall(r"^#\d+\s+\w+\s+cov: (\d+) ft: \d+ corp: (\d+)/", text, re.M)
    cov, corpus = last[-1] if last else ("?", "?")
    findings = len(glob.glob(os.path.join(out, "artifacts", name + "-*")))
    runs = int(stat.get("number_of_executed_units", 0))
    rate = int(stat.get("average_exec_per_sec", 0))
    return f"| `fuzz_{name}` | {runs:,} | {rate:,} | {cov} | {corpus} | {findings} |"


def main():
    out = sys.argv[1]
    names = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(out, "*.log")))
    print("| harness | executions | per second | coverage (edges) | corpus (inputs) | findings |")
    print("|---|---|---|---|---|---|")
    for n in names:
        print(row(out, n))


if __name__ == "__main__":
    main()
