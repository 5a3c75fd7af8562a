#!/usr/bin/python3
"""Writes the seed corpora of the fuzz harnesses (fuzz/corpus/NAME/): small valid inputs of each
format, from which libFuzzer mutates. Run from anywhere; the ELF seed needs a build
(build/firmware/riscv/tests/fault_ebreak.elf).

    fuzz/make_seeds.py [BUILD_DIR]
"""
import json
import os
import random
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")

# The model of fuzz/bert_model.hpp: hidden 4, one layer of one head of 4, FFN 8, vocab 16, 16 positions.
H, A, F, VOCAB, POS, TYPES = 4, 4, 8, 16, 16, 2


def write(name, file, data):
    os.makedirs(os.path.join(CORPUS, name), exist_ok=True)
    with open(os.path.join(CORPUS, name, file), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(dtype="F32", prefix=""):
    shapes = {"embeddings.word_embeddings.weight": [VOCAB, H], "embeddings.position_embeddings.weight": [POS, H],
              "embeddings.token_type_embeddings.weight": [TYPES, H], "embeddings.LayerNorm.weight": [H],
              "embeddings.LayerNorm.bias": [H], "pooler.dense.weight": [H, H], "pooler.dense.bias": [H]}
    p = "encoder.layer.0."
    for n, s in [("attention.self.query", [A, H]), ("attention.self.key", [A, H]), ("attention.self.value", [A, H]),
                 ("attention.output.dense", [H, A]), ("intermediate.dense", [F, H]), ("output.dense", [H, F])]:
        shapes[p + n + ".weight"], shapes[p + n + ".bias"] = s, [s[0]]
    for n in ("attention.output.LayerNorm", "output.LayerNorm"):
        shapes[p + n + ".weight"], shapes[p + n + ".bias"] = [H], [H]
    size = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8}[dtype]
    header, body, rng = {}, b"", random.Random(1)
    for name, shape in shapes.items():
        count = 1
        for d in shape:
            count *= d
        if dtype == "F32":
            raw = struct.pack(f"<{count}f", *(rng.uniform(-1, 1) for _ in range(count)))
        elif dtype == "F64":
            raw = struct.pack(f"<{count}d", *(rng.uniform(-1, 1) for _ in range(count)))
        elif dtype == "F16":
            raw = struct.pack(f"<{count}e", *(rng.uniform(-1, 1) for _ in range(count)))
        else:  # BF16: the high half of a float32
            raw = b"".join(struct.pack("<f", rng.uniform(-1, 1))[2:] for _ in range(count))
        header[prefix + name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(body), len(body) + count * size]}
        body += raw
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def npy(shape, descr="<f4"):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, ", ".join(map(str, shape)) + ("," if len(shape) == 1 else ""))
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    count = 1
    for d in shape:
        count *= d
    fmt = "f" if descr.endswith("f4") else "d"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + struct.pack(f"<{count}{fmt}", *(0.25 * (i % 7 - 3) for i in range(count)))


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    write("safetensors", "f32", safetensors())
    write("safetensors", "bf16_prefixed", safetensors("BF16", "bert."))
    write("safetensors", "f16", safetensors("F16"))
    write("safetensors", "f64", safetensors("F64"))
    write("npy", "batch", npy([2, 8, H]))
    write("npy", "one_sequence_f8", npy([8, H], "<f8"))
    write("tokens", "two", "1 5 6 2\n1 7 2\n")
    write("tokens", "commas", "1,3,3,2\n")
    write("model_dict", "nano", json.dumps({"l": 1, "o": [["sa_sdp_16", "sa_sdp_16"]], "h": [32], "f": [[64]]}))
    write("model_dict", "two_layers", json.dumps({"l": 2, "o": [["sa_sdp_8"] * 4, ["sa_sdp_16"] * 2], "h": [32, 32], "f": [[64, 32], [128]]}))
    write("model_dict", "mixed", json.dumps({"l": 2, "o": [["sa_sdp_8", "sa_wma_4", "l_dft_4", "l_dct_4", "c_5_4"], ["c_2_8"]], "h": [16, 24], "f": [[32], [48]]}))
    write("hw_yaml", "small", "inherit: edge\npe: 8\nactivation_buffer_size: 1\nmain_memory:\n  size_mb: 64\nvp:\n  queue_window: 4\n")
    with open(os.path.join(ROOT, "platform", "presets", "server.yaml")) as f:
        write("hw_yaml", "server", f.read())
    with open(os.path.join(ROOT, "platform", "energy", "acceltran_14nm.yaml")) as f:
        write("energy_table", "acceltran_14nm", f.read())
    os.makedirs(os.path.join(CORPUS, "elf"), exist_ok=True)
    shutil.copy(os.path.join(build, "firmware", "riscv", "tests", "fault_ebreak.elf"), os.path.join(CORPUS, "elf", "fault_ebreak"))
    rng = random.Random(7)
    for name in ("control_block", "tlm_targets"):
        for i, n in enumerate((64, 256, 1024)):
            write(name, f"random_{i}", bytes(rng.randrange(256) for _ in range(n)))


if __name__ == "__main__":
    main()
