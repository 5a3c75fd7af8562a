#!/usr/bin/env bash
# Speed benchmark (not a test): wall time of the simulator on the jobs the speed targets name.
# Each job runs REPEAT times (default 5); the median run is reported and held against the targets
# (the best is printed beside it: a shared machine's noise only ever adds). "simulation" is the time inside
# sc_start (the statistic sim.wall_seconds), "command" the whole process (set-up, synthetic weights,
# loading DRAM, checks, report). Reference checks are off unless the job says --check on: they
# measure the reference model, not the VP.
#
# The exact-arithmetic limit: the VP computes every MAC of the job, so no simulator of it can be
# faster than an fp64 GEMM of the same number of MACs on this machine, single-threaded (OpenBLAS's
# dgemm through numpy with the kernels the simulator used, provenance.blas_kernels; measured in the
# same run, best of REPEAT). "sim/GEMM" and "cmd/GEMM" are the median times over that. The last
# column says whether the job meets its targets ("ok" or "SLOW").
#
# Synthetic weights come from a weights cache of the benchmark's own (platform/bert/weights_cache.hpp),
# empty when it starts: each job's first run draws them and fills it, the others read them back, as
# a sweep's points after its first do. "cold cmd" is that first run.
#
#   bench/run.sh                       # build/bin/acceltran-vp
#   bench/run.sh BERT-Base             # only the jobs whose name contains BERT-Base
#   VP=path/to/acceltran-vp REPEAT=9 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VP=${VP:-build/bin/acceltran-vp}
REPEAT=${REPEAT:-5}
[[ -x "$VP" ]] || { echo "bench: $VP not built (cmake --build build)" >&2; exit 2; }

# name | target: simulation seconds | target: command seconds | arguments
jobs=(
  "BERT-Tiny, Edge, batch 4, DynaTran|0.5|-|--hw edge --model bert-tiny --batch 4"
  "main job: BERT-Tiny, Edge, checked|-|0.2|--hw edge --model bert-tiny --batch 4 --check on"
  "BERT-Base, Server, batch 1, seq 128|5|0.8|--hw server --model bert-base --batch 1 --seq 128"
  "BERT-Base, Server, batch 4, seq 128|-|-|--hw server --model bert-base --batch 4 --seq 128"
  "BERT-Large, Server, batch 1, seq 128|-|3|--hw server --model bert-large --batch 1 --seq 128"
  "GPT-2 124M, Server, prompt 128 + 128 new|-|10|--hw server --job generate --model gpt2 --prompt-len 128 --new-tokens 128 --batch 1"
  "ViT-Base/16, Server, 1 image|-|-|--hw server --model vit-base --batch 1"
)

less() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
median() { printf "%s\n" "$@" | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
best() { printf "%s\n" "$@" | sort -g | head -1; }

# Seconds an fp64 GEMM of $1 multiply-accumulates takes: an n x n x n dgemm (n^3 near $1), the best
# of REPEAT, scaled to $1 MACs.
gemm_seconds() {
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 - "$1" "$REPEAT" <<'PY'
import sys, time
import numpy as np
macs, repeat = float(sys.argv[1]), int(sys.argv[2])
n = max(16, round(macs ** (1 / 3)))
a, b = np.random.default_rng(1).random((2, n, n))
best = float("inf")
for _ in range(repeat):
    t = time.perf_counter()
    a @ b
    best = min(best, time.perf_counter() - t)
print(best * macs / n ** 3)
PY
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ACCELTRAN_VP_WEIGHTS_CACHE="$tmp/weights" ACCELTRAN_VP_WEIGHTS_CACHE_MB=16384
printf "%-38s %13s %12s %12s %12s %12s %10s %11s %9s %9s %14s %6s\n" "job" "targets s/c" "simulation" "command" "best cmd" "cold cmd" \
  "MACs" "fp64 GEMM" "sim/GEMM" "cmd/GEMM" "cycles/s" ""
for job in "${jobs[@]}"; do
  IFS='|' read -r name target_sim target_cmd args <<<"$job"
  [[ "$name" == *"${1:-}"* ]] || continue
  [[ "$args" == *--check* ]] || args="$args --check off"
  sims=() cmds=() rates=()
  for ((i = 0; i < REPEAT; i++)); do
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$VP" $args --quiet --stats-out "$tmp/s.json" >"$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
    end=$(date +%s.%N)
    cmds+=("$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")
    read -r sim rate macs kernels < <(/usr/bin/python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))
print(s["sim"]["wall_seconds"], s["sim"]["cycles_per_wall_second"], s["pe"]["dense_macs"], s["provenance"]["blas_kernels"])' "$tmp/s.json")
    sims+=("$sim") rates+=("$rate")
  done
  med_sim=$(median "${sims[@]}") med_cmd=$(median "${cmds[@]}") best_cmd=$(best "${cmds[@]}") med_rate=$(median "${rates[@]}")
  cold_cmd=${cmds[0]}
  gemm=$(OPENBLAS_CORETYPE=$kernels gemm_seconds "$macs")  # with the kernels the simulator used
  verdict=""
  if [[ "$target_sim" != "-" ]] && ! less "$med_sim" "$target_sim"; then verdict="SLOW"; fi
  if [[ "$target_cmd" != "-" ]] && ! less "$med_cmd" "$target_cmd"; then verdict="SLOW"; fi
  if [[ -z "$verdict" && ("$target_sim" != "-" || "$target_cmd" != "-") ]]; then verdict="ok"; fi
  printf "%-38s %13s %10.3f s %10.3f s %10.3f s %10.3f s %10.3g %9.2g s %9.0f %9.0f %14.3g %6s\n" "$name" "$target_sim/$target_cmd" \
    "$med_sim" "$med_cmd" "$best_cmd" "$cold_cmd" "$macs" "$gemm" "$(awk -v a="$med_sim" -v b="$gemm" 'BEGIN { print a / b }')" \
    "$(awk -v a="$med_cmd" -v b="$gemm" 'BEGIN { print a / b }')" "$med_rate" "$verdict"
done
