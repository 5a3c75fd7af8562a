"""Safetensors (Hugging Face's format) without the safetensors package: an 8-byte little-endian
header length, a JSON header (dtype, shape, data_offsets per tensor), then the data."""
import json
import struct

import numpy as np


def save_f16(tensors, path, metadata=None):
    """Writes every tensor (torch or numpy) as F16, in name order."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name]
        a = np.ascontiguousarray((t.cpu().numpy() if hasattr(t, "cpu") else np.asarray(t)).astype("<f2"))
        if not np.all(np.isfinite(a)):
            raise ValueError(f"tensor {name} does not fit F16")
        blob = a.tobytes()
        header[name] = {"dtype": "F16", "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load(path):
    """name -> numpy array (F16, F32 or F64)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F16": "<f2", "F32": "<f4", "F64": "<f8"}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(data[begin:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    return out


def metadata(path):
    """The header's __metadata__ (name -> text), or {}."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)).get("__metadata__", {})
