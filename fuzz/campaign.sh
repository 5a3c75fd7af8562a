#!/usr/bin/env bash
# A fuzzing campaign: every harness of the hardened build (tools/check-hardened.sh) for up to RUNS
# executions or SECONDS of wall time, all at once at the lowest priority, from its seed corpus
# into a working corpus under OUT. Prints the markdown table that docs/reliability.md records:
# executions, rate, coverage, corpus and findings (inputs libFuzzer saved as crashes, leaks,
# timeouts or out-of-memory) of each harness.
#
#   fuzz/campaign.sh                       # RUNS=1000000 SECONDS=2820 BUILD=build-hardened OUT=/tmp/fuzz-campaign
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-hardened}
OUT=${OUT:-/tmp/fuzz-campaign}
RUNS=${RUNS:-1000000}
SECONDS_EACH=${SECONDS:-2820}
harnesses=(safetensors npy tokens model_dict hw_yaml energy_table elf control_block tlm_targets)
max_len() { case $1 in safetensors) echo 8192 ;; elf) echo 16384 ;; *) echo 4096 ;; esac; }

mkdir -p "$OUT/artifacts"
for n in "${harnesses[@]}"; do
  mkdir -p "$OUT/$n"
  SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 LSAN_OPTIONS=use_stacks=1 nice -n 19 "$BUILD/fuzz/fuzz_$n" -runs="$RUNS" \
    -max_total_time="$SECONDS_EACH" -seed=7 -max_len="$(max_len "$n")" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$OUT/artifacts/$n-" "$OUT/$n" "fuzz/corpus/$n" >"$OUT/$n.log" 2>&1 &
done
wait || true
fuzz/campaign_table.py "$OUT"
