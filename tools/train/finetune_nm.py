#!/usr/bin/python3
"""Fine-tunes a trained model's encoder weights to N:M sparsity with SR-STE (Zhou et al., ICLR 2021),
and compares it on the VP with one-shot magnitude N:M of the same model.

The VP's N:M (`acceltran-vp --nm N:M`, docs/pruning.md) keeps, in every group of M consecutive
weights along the reduction dimension of Q, K, V, W_O and both FFN matrices, the N of largest
magnitude. One-shot: that rule applied to the trained weights. SR-STE: training goes on with the
forward pass using the N:M-masked weights (the mask recomputed from the dense weights every step),
the gradient passed straight through to the dense weights, plus the sparse-refined term
lambda_w * (1 - mask) * W that decays the pruned weights so the mask settles. The written file holds
the masked weights, so the VP's own N:M selection keeps exactly them.

    tools/train/finetune_nm.py platform/bert/trained/bert-nano --nm 2:4 --out /tmp/nm --vp build/bin
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_mlm  # noqa: E402  (exits naming python3-torch if it is missing)
import safetensors_io  # noqa: E402
from train_mlm import torch, nn  # noqa: E402


def nm_mask(w, n, m):
    """The VP's rule on an nn.Linear weight [out, in]: per output, groups of m along `in`, the n largest |w| kept."""
    out, k = w.shape
    pad = (-k) % m
    a = torch.nn.functional.pad(w.abs(), (0, pad)).view(out, -1, m)
    # Ties go to the lower index (as the VP): a stable sort of -|w|.
    order = torch.sort(-a, dim=-1, stable=True).indices
    keep = torch.zeros_like(a, dtype=torch.bool).scatter_(-1, order[..., :n], True)
    return keep.view(out, -1)[:, :k]


class SparseLinear(torch.autograd.Function):
    """SR-STE: forward with the masked weight; backward straight through, plus lambda_w (1 - mask) W."""

    @staticmethod
    def forward(ctx, w, mask, lam):
        ctx.save_for_backward(w, mask)
        ctx.lam = lam
        return w * mask

    @staticmethod
    def backward(ctx, grad):
        w, mask = ctx.saved_tensors
        return grad + ctx.lam * (~mask) * w, None, None


def encoder_linears(model):
    for layer in model.bert.encoder.layer:
        sa = getattr(layer.attention, "self")
        yield from (sa.query, sa.key, sa.value, layer.attention.output.dense, layer.intermediate.dense, layer.output.dense)


def vp_mlm(bin_dir, model_dir, shape, nm, seq, batch):
    with tempfile.TemporaryDirectory() as tmp:
        stats = os.path.join(tmp, "s.json")
        r = subprocess.run([os.path.join(bin_dir, "acceltran-vp"), "--model", shape, "--weights", os.path.join(model_dir, "model.safetensors"),
                            "--task", "mlm", "--text", os.path.join(model_dir, "heldout.txt"), "--seq", str(seq), "--batch", str(batch),
                            "--no-dynatran", "--nm", nm, "--check", "off", "-q", "--stats-out", stats], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"finetune_nm.py: acceltran-vp failed:\n{r.stdout}{r.stderr}")
        m = json.load(open(stats))["job"]["mlm"]
    return m["accuracy"], m["loss"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dir", help="a directory of tools/train/train_mlm.py (model.safetensors, vocab.txt, heldout.txt)")
    ap.add_argument("--nm", default="2:4", help="N:M, as acceltran-vp --nm")
    ap.add_argument("--corpus", default="/usr/share/common-licenses")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--decay", type=float, default=2e-4, help="SR-STE's lambda_w")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True, help="a directory: the fine-tuned model.safetensors, with the vocabulary and held-out text")
    ap.add_argument("--vp", help="a build's bin directory: compare with one-shot N:M on the held-out text")
    ap.add_argument("--vp-batch", type=int, default=32)
    a = ap.parse_args()
    try:
        n, m = (int(x) for x in a.nm.split(":"))
    except ValueError:
        sys.exit(f"finetune_nm.py: --nm '{a.nm}': expected N:M")
    if not (1 <= n <= m and 2 <= m <= 16) or a.steps < 1 or a.batch < 1:
        sys.exit("finetune_nm.py: N:M with 1 <= N <= M, 2 <= M <= 16; --steps and --batch at least 1")
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    model, shape = train_mlm.load_model(os.path.join(a.model_dir, "model.safetensors"))
    train, _ = train_mlm.split_corpus(train_mlm.corpus_files(a.corpus), chunk=2048, held_out_every=10)
    rows = train_mlm.sequences(train, a.seq)
    clip = train_mlm.DatapathRange(8.0)
    linears = list(encoder_linears(model))
    dense = {id(lin): lin.weight for lin in linears}
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.0)
    g = torch.Generator().manual_seed(a.seed)

    def forward_sparse():  # every encoder matrix through SR-STE for this step
        for lin in linears:
            w = dense[id(lin)]
            lin._parameters.pop("weight", None)
            lin.weight = SparseLinear.apply(w, nm_mask(w.detach(), n, m), a.decay)

    for step in range(a.steps):
        forward_sparse()
        pick = torch.randint(0, len(rows), (a.batch,), generator=g)
        masked, labels = train_mlm.mask_batch(rows[pick], g, 0.15)
        loss = train_mlm.masked_loss(model, masked, labels, clip)[0] + clip.penalty()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0 or step == a.steps - 1:
            print(f"step {step:4d}  loss {loss.item():.4f}", flush=True)
    for lin in linears:  # the masked weights, as parameters again
        w = dense[id(lin)].detach()
        del lin.weight
        lin.weight = nn.Parameter(w * nm_mask(w, n, m))

    os.makedirs(a.out, exist_ok=True)
    tensors = {name: t.detach() for name, t in model.state_dict().items()}
    tensors["cls.predictions.decoder.weight"] = tensors["bert.embeddings.word_embeddings.weight"]
    tensors["cls.predictions.decoder.bias"] = tensors["cls.predictions.bias"]
    safetensors_io.save_f16(tensors, os.path.join(a.out, "model.safetensors"),
                            {"format": "pt", "shape": shape, "trained_by": f"tools/train/finetune_nm.py --nm {a.nm} (SR-STE)"})
    for f in ("vocab.txt", "heldout.txt"):
        shutil.copy(os.path.join(a.model_dir, f), os.path.join(a.out, f))
    print(f"wrote {a.out}/model.safetensors ({a.nm} in every encoder matrix)")

    if a.vp:
        print(f"held-out on the VP ({a.vp_batch} sequences of {a.seq}), acceltran-vp --nm {a.nm}:")
        print("| weights | masked-token accuracy | loss (nats) |")
        print("|---|---|---|")
        for name, d in (("one-shot magnitude N:M of the trained model", a.model_dir), (f"SR-STE fine-tuned, {a.steps} steps", a.out)):
            acc, loss = vp_mlm(a.vp, d, shape, a.nm, a.seq, a.vp_batch)
            print(f"| {name} | {100 * acc:.2f} % | {loss:.4f} |")


if __name__ == "__main__":
    main()
