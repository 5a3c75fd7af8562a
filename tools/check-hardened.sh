#!/usr/bin/env bash
# The hardened build (docs/reliability.md): clang with AddressSanitizer and UndefinedBehaviorSanitizer
# (not recovering), the libFuzzer harnesses, and the TLM rule checker on every socket binding. Runs
# every test there, and each fuzz harness for a bounded number of executions (ctest -L fuzz).
# CI (.ci/run) runs it after the README's test command; it shares ccache with the normal build.
#
#   tools/check-hardened.sh              # build-hardened/
#   BUILD=dir tools/check-hardened.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-hardened}
tools/setup-debian.sh
CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DACC_FUZZ=ON -DACC_TLM_CHECKS=ON
cmake --build "$BUILD"
ctest --test-dir "$BUILD" -j2 -LE train --output-on-failure   # training (python3-torch) aside, as in the README
