#!/usr/bin/env bash
# Speed benchmark (not a test): wall time of the simulator on the jobs the speed targets name.
# Each job runs REPEAT times (default 3); the best run is reported. "simulation" is the time inside
# sc_start (the statistic sim.wall_seconds), "command" the whole process (set-up, synthetic weights,
# loading DRAM, report). Reference checks are off: they measure the reference model, not the VP.
#
#   bench/run.sh                       # build/bin/acceltran-vp
#   VP=path/to/acceltran-vp REPEAT=5 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VP=${VP:-build/bin/acceltran-vp}
REPEAT=${REPEAT:-3}
[[ -x "$VP" ]] || { echo "bench: $VP not built (cmake --build build)" >&2; exit 2; }

# name | target (simulation seconds) | arguments
jobs=(
  "BERT-Tiny, Edge, batch 4, DynaTran|0.5|--hw edge --model bert-tiny --batch 4"
  "BERT-Base, Server, batch 1, seq 128|5|--hw server --model bert-base --batch 1 --seq 128"
  "BERT-Base, Server, batch 4, seq 128|-|--hw server --model bert-base --batch 4 --seq 128"
)

less() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf "%-38s %10s %12s %12s %14s %8s\n" "job" "target" "simulation" "command" "cycles/s" ""
for job in "${jobs[@]}"; do
  IFS='|' read -r name target args <<<"$job"
  best_sim="" best_cmd=""
  for ((i = 0; i < REPEAT; i++)); do
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$VP" $args --quiet --check off --stats-out "$tmp/s.json" >"$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
    end=$(date +%s.%N)
    cmd=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
    sim=$(grep -o '"wall_seconds": [0-9.e+-]*' "$tmp/s.json" | awk '{print $2}')
    rate=$(grep -o '"cycles_per_wall_second": [0-9.e+-]*' "$tmp/s.json" | awk '{print $2}')
    if [[ -z "$best_sim" ]] || less "$sim" "$best_sim"; then best_sim=$sim best_rate=$rate; fi
    if [[ -z "$best_cmd" ]] || less "$cmd" "$best_cmd"; then best_cmd=$cmd; fi
  done
  verdict=""
  if [[ "$target" != "-" ]]; then
    verdict=$(less "$best_sim" "$target" && echo "ok" || echo "SLOW")
    target="< ${target} s"
  fi
  printf "%-38s %10s %10.3f s %10.3f s %14.3g %8s\n" "$name" "$target" "$best_sim" "$best_cmd" "$best_rate" "$verdict"
done
