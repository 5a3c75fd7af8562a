#!/usr/bin/env python3
"""The weights cache changes nothing but the time: BERT-Mini with its reference check gives the same
statistics (results included, as dram.result_digest) with no cache, with a cache it fills, with the
cache it filled (whose files it then reads: they become the most recently used), and with a
damaged file (drawn again and replaced).

    weights_cache.py ACCELTRAN_VP SCRATCH_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import time

VP, SCRATCH = sys.argv[1], sys.argv[2]
CACHE = os.path.join(SCRATCH, "weights")
ARGS = ["--model", "bert-mini", "--check", "on", "-q"]


def statistics(cache, name):
    out = os.path.join(SCRATCH, name + ".json")
    env = dict(os.environ, ACCELTRAN_VP_WEIGHTS_CACHE=cache, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    r = subprocess.run([VP, *ARGS, "--stats-out", out], env=env, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        sys.exit(f"{name}: exit {r.returncode}\n{r.stderr}")
    with open(out) as f:
        stats = json.load(f)
    for host_only in ("sim", "provenance"):  # wall time, and the command line
        stats.pop(host_only, None)
    return stats


def files():
    return sorted(os.path.join(CACHE, f) for f in os.listdir(CACHE))


shutil.rmtree(SCRATCH, ignore_errors=True)
os.makedirs(SCRATCH)
without = statistics("off", "off")
if os.path.exists(CACHE):
    sys.exit("the cache was written while turned off")
if statistics(CACHE, "filling") != without:
    sys.exit("statistics differ when the cache is filled")
kept = files()
if not kept or any(not f.endswith(".words") for f in kept):
    sys.exit(f"the cache holds {kept}, expected the large tensors' .words files")
hour_ago = time.time() - 3600
for f in kept:
    os.utime(f, (hour_ago, hour_ago))
if statistics(CACHE, "reading") != without:
    sys.exit("statistics differ when the tensors are read from the cache")
unread = [f for f in kept if os.path.getmtime(f) < hour_ago + 60]
if unread:
    sys.exit(f"files not read from the cache: {unread}")
with open(kept[0], "r+b") as f:  # one word in the middle of the first tensor
    f.seek(4096 + (os.path.getsize(kept[0]) - 4096) // 2)
    f.write(b"\x55\xaa\x55\xaa")
before = open(kept[0], "rb").read()
if statistics(CACHE, "damaged") != without:
    sys.exit("statistics differ with a damaged file in the cache")
if open(kept[0], "rb").read() == before:
    sys.exit("the damaged file was not replaced")
print(f"same statistics without the cache, filling it, reading its {len(kept)} files, and with one damaged")
