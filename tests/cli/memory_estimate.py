#!/usr/bin/env python3
"""The memory check's estimate is an honest upper bound: for jobs of every kind (matmul, BERT with
synthetic tokens, a token file, .npy embeddings, a safetensors file, N:M, with and without the
reference check), the peak resident memory of a real run stays below the estimate the simulator
refuses a job with (--max-memory 1 makes it print the estimate).

    memory_estimate.py ACCELTRAN_VP SCRATCH_DIR
"""
import json
import os
import re
import struct
import subprocess
import sys

VP, SCRATCH = sys.argv[1], sys.argv[2]
UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


def estimate(args):
    r = subprocess.run([VP, *args, "-q", "--max-memory", "1"], capture_output=True, text=True)
    m = re.search(r"the job needs about ([0-9.]+) (\w+) of host memory", r.stderr)
    if r.returncode != 2 or not m:
        sys.exit(f"no estimate for {args}: exit {r.returncode}\n{r.stderr}")
    digits = m.group(1)
    # The message rounds to the printed digits: take the smallest value it can stand for.
    half = 0.5 * 10 ** -len(digits.split(".")[1]) if "." in digits else 0.5
    return (float(digits) - half) * UNITS[m.group(2)]


def peak_rss(args):
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execv(VP, [VP, *args, "-q"])
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        sys.exit(f"{args} failed: status {status}")
    return usage.ru_maxrss * 1024


def write_npy(path, shape):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % (tuple(shape),)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    n = shape[0] * shape[1] * shape[2]
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<f", 0.25) * n)


def write_safetensors(path, hidden, ffn, layers, vocab=30522, positions=512):
    """BERT weights with Hugging Face names, every value 0.01 (F32)."""
    tensors = [("embeddings.word_embeddings.weight", [vocab, hidden]), ("embeddings.position_embeddings.weight", [positions, hidden]),
               ("embeddings.token_type_embeddings.weight", [2, hidden]), ("embeddings.LayerNorm.weight", [hidden]),
               ("embeddings.LayerNorm.bias", [hidden]), ("pooler.dense.weight", [hidden, hidden]), ("pooler.dense.bias", [hidden])]
    for l in range(layers):
        p = f"encoder.layer.{l}."
        for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            tensors += [(p + name + ".weight", [hidden, hidden]), (p + name + ".bias", [hidden])]
        tensors += [(p + "intermediate.dense.weight", [ffn, hidden]), (p + "intermediate.dense.bias", [ffn]),
                    (p + "output.dense.weight", [hidden, ffn]), (p + "output.dense.bias", [hidden])]
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            tensors += [(p + ln + ".weight", [hidden]), (p + ln + ".bias", [hidden])]
    header, offset = {}, 0
    for name, shape in tensors:
        size = 4
        for d in shape:
            size *= d
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        f.write(struct.pack("<f", 0.01) * (offset // 4))


os.makedirs(SCRATCH, exist_ok=True)
npy = os.path.join(SCRATCH, "embeddings.npy")
write_npy(npy, (4, 128, 128))
weights = os.path.join(SCRATCH, "bert_tiny.safetensors")
write_safetensors(weights, 128, 512, 2)
tokens = os.path.join(SCRATCH, "tokens.txt")
with open(tokens, "w") as f:
    f.write("\n".join(" ".join(["101"] + ["2023"] * 60 + ["102"]) for _ in range(4)) + "\n")

# Small buffers for the BERT jobs, so that their own terms weigh more against the platform's fixed
# allowance (a matmul with them would take many more tiles, and seconds).
small = ["-p", "activation_buffer_size=1", "-p", "weight_buffer_size=1", "-p", "mask_buffer_size=0.25"]
jobs = [
    ["--job", "matmul", "--m", "256", "--k", "4096", "--n", "4096", "--check", "off"],
    ["--job", "matmul", "--m", "512", "--k", "1024", "--n", "1024"],
    small + ["--model", "bert-tiny", "--weights", weights, "--tokens", tokens, "--seq", "64", "--check", "on"],
    small + ["--model", "bert-tiny", "--embeddings", npy, "--seq", "128", "--nm", "2:4", "--nm-act", "2:4", "--check", "on"],
]
failed = False
for args in jobs:
    e, p = estimate(args), peak_rss(args)
    print(f"{' '.join(os.path.basename(a) for a in args if a not in small):70s} estimate {e / 2**20:8.1f} MiB, peak {p / 2**20:8.1f} MiB")
    if p > e:
        print("  the peak exceeds the estimate")
        failed = True
sys.exit(1 if failed else 0)
