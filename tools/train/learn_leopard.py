#!/usr/bin/python3
"""Learns LeOPArd's per-layer score thresholds on a trained model, as the paper does: a soft threshold
and a sparsity term, by gradient descent (Li et al., LeOPArd, ISCA 2022).

In training, a score s (the VP's raw score (q/sqrt(d)).k: the VP folds the softmax's 1/sqrt(d)
into the query projection, so s is the logit, and LeOPArd's domain on the VP) is kept with the soft
weight m = sigmoid((s - th) / T); the softmax sees logit + log m, so a score far below th gets no
probability, as a pruned one. The loss is the MLM loss plus lambda times the mean of
m over all scores: the regulariser asks for pruning, the task loss resists it, and each layer's th
settles where they balance. The model's weights stay as they are (only the thresholds are learnt),
so the result compares with acceltran-calibrate's quantile thresholds on the same weights.

It writes the thresholds in the file format `acceltran-vp --leopard` reads (integers in the
engine's raw domain: q in Q4.16 times the key's B most significant bits, i.e. s * 2^(12 + B)).
With --vp it then compares, on the held-out text, the learnt thresholds with acceltran-calibrate's
at the sparsity the learnt ones reach on the VP (docs/accuracy.md).

    tools/train/learn_leopard.py platform/bert/trained/bert-nano --lam 0.5 --out th.json --vp build/bin
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_mlm  # noqa: E402  (exits naming python3-torch if it is missing)
from train_mlm import torch  # noqa: E402


def vp_run(bin_dir, model_dir, shape, seq, batch, *extra):
    """One acceltran-vp --task mlm run on the held-out text: (accuracy, loss, masked score fraction)."""
    with tempfile.TemporaryDirectory() as tmp:
        stats = os.path.join(tmp, "s.json")
        r = subprocess.run([os.path.join(bin_dir, "acceltran-vp"), "--model", shape, "--weights", os.path.join(model_dir, "model.safetensors"),
                            "--task", "mlm", "--text", os.path.join(model_dir, "heldout.txt"), "--seq", str(seq), "--batch", str(batch),
                            "--no-dynatran", "--check", "off", "-q", "--stats-out", stats, *extra], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"learn_leopard.py: acceltran-vp failed:\n{r.stdout}{r.stderr}")
        s = json.load(open(stats))
    pr = s["pruning"]
    return s["job"]["mlm"]["accuracy"], s["job"]["mlm"]["loss"], pr.get("leopard", {}).get("masked", 0) / max(1, pr.get("scores", 0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dir", help="a directory of tools/train/train_mlm.py (model.safetensors, heldout.txt)")
    ap.add_argument("--corpus", default="/usr/share/common-licenses", help="the training text (its training split is used)")
    ap.add_argument("--lam", type=float, default=0.5, help="weight of the sparsity term (larger: more pruning)")
    ap.add_argument("--temperature", type=float, default=0.25, help="T of the soft threshold, in raw score units")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--key-bits", type=int, default=12)
    ap.add_argument("--per-head", action="store_true", help="a threshold per layer and head (else per layer)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True, help="the thresholds file (acceltran-vp --leopard)")
    ap.add_argument("--vp", help="a build's bin directory: compare with acceltran-calibrate at equal sparsity on the held-out text")
    ap.add_argument("--vp-batch", type=int, default=32, help="held-out sequences of --seq for that comparison")
    a = ap.parse_args()
    if a.steps < 1 or a.batch < 1 or a.temperature <= 0 or a.lam < 0 or not 1 <= a.key_bits <= 20:
        sys.exit("learn_leopard.py: --steps and --batch at least 1, --temperature above 0, --lam at least 0, --key-bits within 1..20")
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    model, shape = train_mlm.load_model(os.path.join(a.model_dir, "model.safetensors"))
    for p in model.parameters():
        p.requires_grad_(False)
    layers = len(model.bert.encoder.layer)
    heads = model.bert.encoder.layer[0].heads if a.per_head else 1
    train, _ = train_mlm.split_corpus(train_mlm.corpus_files(a.corpus), chunk=2048, held_out_every=10)
    rows = train_mlm.sequences(train, a.seq)
    clip = train_mlm.DatapathRange(8.0)

    # Start each threshold at its layer's 5 % quantile of scores: little is pruned, and the soft
    # threshold sits where scores are, so it has a gradient.
    kept = []
    g = torch.Generator().manual_seed(a.seed)
    with torch.no_grad():
        record = [lambda raw: kept.append(raw) or 0 for _ in range(layers)]
        train_mlm.masked_loss(model, *train_mlm.mask_batch(rows[:a.batch], g, 0.15, bert_mix=False), clip, record)
    th = torch.nn.Parameter(torch.tensor([[torch.quantile(raw[:, h if heads > 1 else slice(None)].flatten()[:100000], 0.05).item()
                                           for h in range(heads)] for raw in kept]))

    def gates(hard=False):
        def gate(i):
            def g(raw):
                t = th[i].view(1, heads, 1, 1)  # raw: [batch, heads, seq, seq]
                m = (raw >= t).float() if hard else torch.sigmoid((raw - t) / a.temperature)
                kept.append((i, m))
                return torch.log(m.clamp_min(1e-30))
            return g
        return [gate(i) for i in range(layers)]

    opt = torch.optim.Adam([th], lr=a.lr)
    for step in range(a.steps):
        pick = torch.randint(0, len(rows), (a.batch,), generator=g)
        masked, labels = train_mlm.mask_batch(rows[pick], g, 0.15, bert_mix=False)
        kept.clear()
        loss = train_mlm.masked_loss(model, masked, labels, clip, gates())[0]
        density = torch.stack([m.mean() for _, m in kept]).mean()
        total = loss + a.lam * density
        opt.zero_grad()
        total.backward()
        opt.step()
        if step % 50 == 0 or step == a.steps - 1:
            print(f"step {step:4d}  loss {loss.item():.4f}  soft kept {density.item():.3f}  thresholds {[[round(x, 3) for x in r] for r in th.tolist()]}", flush=True)

    # Hard thresholds on the training sample: each layer's pruned fraction.
    with torch.no_grad():
        pick = torch.randint(0, len(rows), (64,), generator=g)
        masked, labels = train_mlm.mask_batch(rows[pick], g, 0.15, bert_mix=False)
        kept.clear()
        train_mlm.masked_loss(model, masked, labels, clip, gates(hard=True))
        rates = [1 - m.mean().item() for _, m in kept]
    scale = 2 ** (12 + a.key_bits)  # q (2^16) times k's B most significant bits (2^(16 - (20 - B)))
    out = {"format": "acceltran-vp LeOPArd thresholds", "model": shape, "key_bits": a.key_bits, "per_head": a.per_head,
           "target_rate": sum(rates) / len(rates), "thresholds": [[int(round(t * scale)) for t in row] for row in th.tolist()],
           "calibrated_rate": rates, "learned_by": "tools/train/learn_leopard.py", "lambda": a.lam, "temperature": a.temperature}
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {a.out}: thresholds {[[round(t, 3) for t in r] for r in th.tolist()]} (raw (q/sqrt d).k), pruning {[round(r, 3) for r in rates]} of the training sample's scores")

    if a.vp:
        dense = vp_run(a.vp, a.model_dir, shape, a.seq, a.vp_batch)
        learnt = vp_run(a.vp, a.model_dir, shape, a.seq, a.vp_batch, "--leopard", a.out)
        with tempfile.TemporaryDirectory() as tmp:
            cal = os.path.join(tmp, "cal.json")
            r = subprocess.run([os.path.join(a.vp, "acceltran-calibrate"), "--model", shape, "--weights", os.path.join(a.model_dir, "model.safetensors"),
                                "--text", os.path.join(a.model_dir, "heldout.txt"), "--seq", str(a.seq), "--batch", str(a.vp_batch),
                                "--rate", f"{learnt[2]:.6f}", "--key-bits", str(a.key_bits), "--no-dynatran", "--out", cal]
                               + (["--per-head"] if a.per_head else []),
                               capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"learn_leopard.py: acceltran-calibrate failed:\n{r.stdout}{r.stderr}")
            calibrated = vp_run(a.vp, a.model_dir, shape, a.seq, a.vp_batch, "--leopard", cal)
        print(f"held-out on the VP ({a.vp_batch} sequences of {a.seq}):")
        print("| thresholds | scores pruned | masked-token accuracy | loss (nats) |")
        print("|---|---|---|---|")
        for name, (acc, loss, rate) in (("none (dense)", dense), (f"learnt (lambda {a.lam})", learnt), ("calibrated (acceltran-calibrate)", calibrated)):
            print(f"| {name} | {100 * rate:.1f} % | {100 * acc:.2f} % | {loss:.4f} |")


if __name__ == "__main__":
    main()
