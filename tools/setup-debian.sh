#!/usr/bin/env bash
# Installs the Debian packages acceltran-vp builds and tests with, if any is missing.
# Idempotent: does nothing (and needs no network) when everything is present.
#
#   tools/setup-debian.sh           # build and test (the default ctest suite, `ctest -LE train`)
#   tools/setup-debian.sh --train   # also training (tools/train, the `train` ctest label): python3-torch,
#                                   # ~540 MiB installed with its dependencies (150 packages), so it is not in the default set
set -euo pipefail

train=false
for arg in "$@"; do
  case "$arg" in
    --train) train=true ;;
    *) echo "usage: $0 [--train]" >&2; exit 2 ;;
  esac
done

packages=(
  cmake ninja-build g++ pkg-config ccache python3
  libsystemc-dev              # SystemC 2.3.4 + TLM-2.0 (built as C++17)
  libboost-program-options-dev
  libgtest-dev                # GoogleTest (we link GTest::gtest, never gtest_main)
  libyaml-cpp-dev             # hardware presets, register map source
  nlohmann-json3-dev          # statistics JSON, model-dict JSON
  libopenblas-dev             # exact fixed-point GEMM through dgemm (doubles hold every product exactly)
  libunicorn-dev              # RISC-V instruction-set simulator (host CPU backend)
  libdw-dev                   # DWARF line tables: file:line in the riscv firmware's fault reports
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf   # firmware cross-compiler + C library
  gdb-multiarch               # debugging the riscv firmware through --gdb (tests/riscv/gdb_session.py)
  clang libclang-rt-14-dev libfuzzer-14-dev               # the hardened build: sanitizers, libFuzzer
  python3-distributed python3-pandas python3-matplotlib python3-optuna python3-yaml   # acceltran-sweep (Dask, tables, plots, NSGA-II)
)

if $train; then
  packages+=(python3-torch python3-numpy)   # tools/train: masked-language-model training on the CPU (docs/accuracy.md)
fi

missing=()
for p in "${packages[@]}"; do
  [[ "$p" == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
