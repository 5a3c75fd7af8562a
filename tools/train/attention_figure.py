#!/usr/bin/python3
"""The distribution of a trained model's attention probabilities on held-out text (docs/accuracy.md).

Runs the model's encoder in NumPy (float64, from the safetensors file: no torch needed) on the
held-out text cut into sequences of --seq bytes, collects every softmax probability of every head
and layer, and draws their histogram beside the uniform attention 1/seq that near-random weights
give. Prints the figures docs/accuracy.md quotes.

    tools/train/attention_figure.py platform/bert/trained/bert-tiny --out docs/figures/attention-bert-tiny.png
"""
import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
import tokenizer  # noqa: E402


def layer_norm(x, g, b, eps=1e-12):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def attention_probabilities(t, ids, heads, raws):
    """Every layer's probabilities [layers, heads, seq, seq] for one sequence of ids; the VP's scores
    (q/sqrt(d)).k, the softmax's logits, are appended to raws."""
    g = lambda n: t["bert." + n].astype(np.float64)  # noqa: E731
    lin = lambda x, n: x @ g(n + ".weight").T + g(n + ".bias")  # noqa: E731
    s = len(ids)
    x = g("embeddings.word_embeddings.weight")[ids] + g("embeddings.position_embeddings.weight")[:s] + g("embeddings.token_type_embeddings.weight")[0]
    x = layer_norm(x, g("embeddings.LayerNorm.weight"), g("embeddings.LayerNorm.bias"))
    probs, layer = [], 0
    while f"bert.encoder.layer.{layer}.attention.self.query.weight" in t:
        p = f"encoder.layer.{layer}."
        h = x.shape[1]
        d = h // heads
        split = lambda y: y.reshape(s, heads, d).transpose(1, 0, 2)  # noqa: E731
        q, k, v = (split(lin(x, p + "attention.self." + n)) for n in ("query", "key", "value"))
        # The VP folds the softmax's 1/sqrt(d) into the query projection: its score, which saturates
        # at Q4.16's +-8, is (q/sqrt(d)).k, the logit itself.
        sc = (q / math.sqrt(d)) @ k.transpose(0, 2, 1)
        raws.append(sc)
        e = np.exp(sc - sc.max(-1, keepdims=True))
        pr = e / e.sum(-1, keepdims=True)
        probs.append(pr)
        ctx = (pr @ v).transpose(1, 0, 2).reshape(s, h)
        x = layer_norm(x + lin(ctx, p + "attention.output.dense"), g(p + "attention.output.LayerNorm.weight"), g(p + "attention.output.LayerNorm.bias"))
        f = lin(gelu(lin(x, p + "intermediate.dense")), p + "output.dense")
        x = layer_norm(x + f, g(p + "output.LayerNorm.weight"), g(p + "output.LayerNorm.bias"))
        layer += 1
    return np.stack(probs)


def distribution(model_dir, heads=2, seq=64, sequences=16):
    """The model's attention on its held-out text: every probability [sequences, layers, heads, seq,
    seq] and every score (q/sqrt d).k, flat."""
    t = safetensors_io.load(os.path.join(model_dir, "model.safetensors"))
    text = open(os.path.join(model_dir, "heldout.txt"), "rb").read()
    body = seq - 2
    all_p, raws = [], []
    for i in range(sequences):
        chunk = text[i * body:(i + 1) * body]
        if len(chunk) < body:
            break
        ids = [tokenizer.CLS] + tokenizer.encode(chunk) + [tokenizer.SEP]
        all_p.append(attention_probabilities(t, np.array(ids), heads, raws))
    return np.stack(all_p), np.concatenate([r.ravel() for r in raws])


TAUS = (0.001, 0.01, 0.05)


def figures(p, raw):
    """What docs/accuracy.md quotes of a distribution (tools/docs-figures draws its table from these)."""
    flat = p.ravel()
    return {"below_001": (flat < 0.01).mean(), "below_half_uniform": (flat < 0.5 / p.shape[-1]).mean(),
            "largest": p.max(-1).mean(), "entropy": -(p * np.log(np.maximum(p, 1e-300))).sum(-1).mean(),
            "beyond_range": (np.abs(raw) >= 8).mean(), "largest_score": np.abs(raw).max(),
            "pruned": {tau: (flat <= tau).mean() for tau in TAUS}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dir", help="a directory with model.safetensors and heldout.txt (tools/train/train_mlm.py --out)")
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--sequences", type=int, default=16)
    ap.add_argument("--out", help="the figure (PNG); without it, the figures are only printed")
    a = ap.parse_args()
    p, raw = distribution(a.model_dir, a.heads, a.seq, a.sequences)
    f = figures(p, raw)
    uniform = 1.0 / a.seq
    flat = p.ravel()
    print(f"{p.shape[0]} sequences of {a.seq}, {p.shape[1]} layers x {p.shape[2]} heads: {flat.size} probabilities")
    print(f"uniform attention: every probability {uniform:.4f}, entropy {math.log(a.seq):.3f} nats")
    print(f"below 0.01: {100 * f['below_001']:.1f} %;  below uniform/2: {100 * f['below_half_uniform']:.1f} %")
    print(f"mean largest probability of a row: {f['largest']:.3f};  mean row entropy {f['entropy']:.3f} nats")
    print(f"scores (q/sqrt d).k beyond the Q4.16 range +-8: {100 * f['beyond_range']:.2f} %; largest |score| {f['largest_score']:.2f}")
    for tau in TAUS:
        print(f"DynaTran tau {tau}: {100 * f['pruned'][tau]:.1f} % of the probabilities pruned (float)")
    if a.out:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        bins = np.logspace(-12, 0, 61)  # smaller probabilities are counted in the first bin
        ax.hist(np.clip(flat, 1e-12, 1), bins=bins, color="#3b6ea5", label="trained model, held-out text")
        ax.set_yscale("log")
        ax.axvline(uniform, color="#c0392b", linestyle="--", label=f"uniform attention (1/{a.seq})")
        ax.set_xscale("log")
        ax.set_xlabel("attention probability (below 1e-12: in the first bin)")
        ax.set_ylabel("count")
        ax.set_title(f"{os.path.basename(os.path.normpath(a.model_dir))}: attention probabilities, all layers and heads")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(a.out, dpi=90, metadata={"Software": None})
        print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
