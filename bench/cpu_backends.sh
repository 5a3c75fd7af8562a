#!/usr/bin/env bash
# Benchmark of the ISS overhead: wall time of every job of a table (default: the jobs the
# native-vs-riscv equality test runs, tests/riscv/backend_jobs.txt) on the native and the riscv
# CPU backend, best of N runs of the whole simulator process, their ratio, the extra wall time of
# the riscv run and the RISC-V instructions it executed. Not a test: the numbers
# depend on the machine; -r makes it fail when a ratio is above a limit.
#
#   bench/cpu_backends.sh [-b BUILD_DIR] [-n RUNS] [-t TABLE] [-r MAX_RATIO] [JOB...]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
runs=3
table=$root/tests/riscv/backend_jobs.txt
max_ratio=""
usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}
while getopts "b:n:t:r:h" opt; do
  case $opt in
    b) build=$OPTARG ;;
    n) runs=$OPTARG ;;
    t) table=$OPTARG ;;
    r) max_ratio=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
vp=$build/bin/acceltran-vp
[[ -x $vp ]] || { echo "cpu_backends: no simulator at $vp (build first, or give -b)" >&2; exit 2; }
[[ -r $table ]] || { echo "cpu_backends: cannot read the job table $table" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "cpu_backends: -n wants a positive number of runs" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# best_ns CPU ARGS...: the shortest wall time (ns) of $runs runs; the last run's statistics stay
# in $tmp/CPU.json.
best_ns() {
  local cpu=$1 best="" t0 t1
  shift
  for ((i = 0; i < runs; i++)); do
    t0=$(date +%s%N)
    if ! "$vp" "$@" --cpu "$cpu" -q --stats-out "$tmp/$cpu.json" > "$tmp/out" 2>&1; then
      echo "cpu_backends: the job failed on the $cpu CPU: $*" >&2
      cat "$tmp/out" >&2
      exit 1
    fi
    t1=$(date +%s%N)
    if [[ -z $best ]] || ((t1 - t0 < best)); then best=$((t1 - t0)); fi
  done
  echo "$best"
}

printf '%-24s %11s %11s %7s %11s %13s\n' job "native [s]" "riscv [s]" ratio "extra [ms]" instructions
worst=0
found=0
while IFS= read -r line; do
  [[ $line =~ ^([a-z0-9_-]+):[[:space:]]*(.*)$ ]] || continue
  name=${BASH_REMATCH[1]}
  read -ra args <<< "${BASH_REMATCH[2]}"
  if (($# > 0)) && [[ " $* " != *" $name "* ]]; then continue; fi
  found=$((found + 1))
  native=$(best_ns native "${args[@]}")
  riscv=$(best_ns riscv "${args[@]}")
  insns=$(grep -o '"instructions": [0-9]*' "$tmp/riscv.json" | grep -o '[0-9]*$')
  ratio=$(awk -v n="$native" -v r="$riscv" 'BEGIN { printf "%.2f", r / n }')
  awk -v job="$name" -v n="$native" -v r="$riscv" -v i="$insns" -v q="$ratio" \
    'BEGIN { printf "%-24s %11.3f %11.3f %7s %11.1f %13d\n", job, n / 1e9, r / 1e9, q, (r - n) / 1e6, i }'
  worst=$(awk -v a="$worst" -v b="$ratio" 'BEGIN { print (b > a) ? b : a }')
done < "$table"

((found > 0)) || { echo "cpu_backends: no job of $table matches: $*" >&2; exit 2; }
echo "best of $runs runs each; wall time of the whole simulator process; highest ratio $worst"
if [[ -n $max_ratio ]] && awk -v w="$worst" -v m="$max_ratio" 'BEGIN { exit !(w > m) }'; then
  echo "cpu_backends: a ratio is above $max_ratio" >&2
  exit 1
fi
