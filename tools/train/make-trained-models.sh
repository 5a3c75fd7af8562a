#!/usr/bin/env bash
# Reproduces the trained models committed under platform/bert/trained/ (docs/accuracy.md):
# bert-nano and bert-tiny shapes, masked-language modelling on /usr/share/common-licenses, seed 1.
# Needs python3-torch (tools/setup-debian.sh --train). Takes ~4 and ~8 minutes on 2 busy cores (the machine this ran on was shared).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=platform/bert/trained
/usr/bin/python3 tools/train/train_mlm.py --shape bert-nano --steps 300 --lr 5e-3 --out "$out/bert-nano"
/usr/bin/python3 tools/train/train_mlm.py --shape bert-tiny --steps 450 --out "$out/bert-tiny"
