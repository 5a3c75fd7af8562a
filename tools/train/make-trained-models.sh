#!/usr/bin/env bash
# Reproduces the trained models committed under platform/bert/trained/ (docs/accuracy.md):
# bert-nano and bert-tiny shapes, masked-language modelling on /usr/share/common-licenses, seed 1:
# range-aware (Q4.16; the scores clipped are (q/sqrt d).k, as the VP folds 1/sqrt(d) into W_q),
# sinusoid-initialised positions, 60 % of the steps on 16-byte sequences.
# Needs python3-torch (tools/setup-debian.sh --train). One thread each: on the shared 2-core machine
# these ran on, two threads spent their time waiting on each other (docs/accuracy.md has the times).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=platform/bert/trained
/usr/bin/python3 tools/train/train_mlm.py --shape bert-nano --steps 3000 --batch 32 --seq 64 --short-share 0.6 --lr 3e-3 --warmup 0.05 \
  --threads 1 --out "$out/bert-nano"
/usr/bin/python3 tools/train/train_mlm.py --shape bert-tiny --steps 2000 --batch 32 --seq 64 --short-share 0.6 --lr 3e-3 --warmup 0.05 \
  --threads 1 --out "$out/bert-tiny"
