#!/usr/bin/python3
"""Trains a small BERT masked-language model on text every Debian machine has, on the CPU.

The model is Hugging Face's BERT (Devlin et al. 2019) as the VP runs it: learnt position
embeddings, post-layer-norm encoder layers with erf-GELU, a tanh pooler, and the MLM head
(dense + GELU + LayerNorm, a decoder tied to the word embeddings). It is written as safetensors
with Hugging Face's tensor names ("bert.*", "cls.predictions.*") in F16, beside the vocabulary of
the tokenizer (tokenizer.py: byte-level). The corpus, its held-out split, the masking and the
initialisation all follow one seed, so a run is reproducible on the same machine.

Needs python3-torch (Debian; `tools/setup-debian.sh --train`). docs/accuracy.md has the commands.
"""
import argparse
import hashlib
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tokenizer  # noqa: E402
import safetensors_io  # noqa: E402

try:
    import torch
    from torch import nn
except ImportError:
    sys.exit("train_mlm.py: python3-torch is missing: install the training dependencies with `tools/setup-debian.sh --train`")

SHAPES = {  # the VP's zoo (platform/bert/model.cpp): layers, hidden, heads, FFN
    "bert-nano": (1, 32, 2, 64),
    "bert-tiny": (2, 128, 2, 512),
    "bert-mini": (4, 256, 4, 1024),
}
LN_EPS = 1e-12  # the VP's (Model::ln_eps)
MAX_POSITIONS, TYPE_VOCAB = 512, 2


class DatapathRange:
    """AccelTran's Q4.16 words hold [-8, 8): the VP saturates every matmul output (the scores
    (q/sqrt(d)).k among them: the query projection carries the softmax scale), every sum and every
    LayerNorm output there. A
    model trained without that limit puts values far outside it and loses its accuracy on the
    VP; so the forward pass clips at the same sites, and a penalty on what had to be clipped
    (its squared excess) teaches the model to stay inside. limit 0: no clipping (float)."""

    def __init__(self, limit):
        self.limit, self.excess = limit, []

    def __call__(self, x):
        if not self.limit:
            return x
        if x.requires_grad:
            self.excess.append(torch.relu(x.abs() - self.limit).pow(2).mean())
        return x.clamp(-self.limit, self.limit)

    def penalty(self):
        total = sum(self.excess) if self.excess else torch.zeros(())
        self.excess = []
        return total


def corpus_files(directory):
    """The regular files of the corpus, once each (GPL is a link to GPL-3), in name order."""
    seen, files = set(), []
    for name in sorted(os.listdir(directory)):
        path = os.path.realpath(os.path.join(directory, name))
        if os.path.isfile(path) and path not in seen:
            seen.add(path)
            files.append(path)
    if not files:
        sys.exit(f"train_mlm.py: no files in the corpus directory '{directory}'")
    return files


def split_corpus(files, chunk, held_out_every):
    """Bytes of every file cut into chunks; every n-th chunk (by position in the corpus) is held out."""
    train, held = bytearray(), bytearray()
    index = 0
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        for at in range(0, len(data), chunk):
            (held if index % held_out_every == held_out_every - 1 else train).extend(data[at:at + chunk])
            index += 1
    return bytes(train), bytes(held)


class SelfAttention(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.query, self.key, self.value = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)


class AttentionOutput(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.dense, self.LayerNorm = nn.Linear(hidden, hidden), nn.LayerNorm(hidden, eps=LN_EPS)


class Attention(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        setattr(self, "self", SelfAttention(hidden))
        self.output = AttentionOutput(hidden)


class Dense(nn.Module):
    def __init__(self, n_in, n_out, norm=False):
        super().__init__()
        self.dense = nn.Linear(n_in, n_out)
        if norm:
            self.LayerNorm = nn.LayerNorm(n_out, eps=LN_EPS)


class Layer(nn.Module):
    def __init__(self, hidden, heads, ffn):
        super().__init__()
        self.heads = heads
        self.attention = Attention(hidden)
        self.intermediate = Dense(hidden, ffn)
        self.output = Dense(ffn, hidden, norm=True)

    def forward(self, x, clip, probs_out=None, gate=None):
        """gate (learn_leopard.py): raw scores -> a log-weight added to each softmax logit (a soft mask)."""
        b, s, h = x.shape
        d = h // self.heads
        sa = getattr(self.attention, "self")
        split = lambda t: t.view(b, s, self.heads, d).transpose(1, 2)  # noqa: E731
        # The VP folds the softmax's 1/sqrt(d) into the query projection (W_q/sqrt(d), b_q/sqrt(d), as
        # inference compilers do), so the query it saturates is q/sqrt(d) and the score it saturates,
        # (q/sqrt(d)).k, is the softmax logit itself: the +-range then bounds the logits, not q.k.
        q = split(clip(sa.query(x) / math.sqrt(d)))
        k, v = split(clip(sa.key(x))), split(clip(sa.value(x)))
        raw = clip(q @ k.transpose(-1, -2))  # the VP's score (q/sqrt(d)).k: the softmax logit, and LeOPArd's domain
        p = torch.softmax(raw + (gate(raw) if gate else 0), dim=-1)
        if probs_out is not None:
            probs_out.append(p.detach())
        ctx = clip((p @ v).transpose(1, 2).reshape(b, s, h))
        o = self.attention.output
        x = clip(o.LayerNorm(clip(x + clip(o.dense(ctx)))))
        f = self.output
        inner = clip(nn.functional.gelu(clip(self.intermediate.dense(x))))
        return clip(f.LayerNorm(clip(x + clip(f.dense(inner)))))


class Embeddings(nn.Module):
    def __init__(self, vocab, hidden):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, hidden)
        self.position_embeddings = nn.Embedding(MAX_POSITIONS, hidden)
        self.token_type_embeddings = nn.Embedding(TYPE_VOCAB, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=LN_EPS)

    def forward(self, ids, clip):
        pos = torch.arange(ids.shape[1])
        return clip(self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings(pos) + self.token_type_embeddings.weight[0]))


class Encoder(nn.Module):
    def __init__(self, layers, hidden, heads, ffn):
        super().__init__()
        self.layer = nn.ModuleList([Layer(hidden, heads, ffn) for _ in range(layers)])


class Bert(nn.Module):
    def __init__(self, vocab, layers, hidden, heads, ffn):
        super().__init__()
        self.embeddings = Embeddings(vocab, hidden)
        self.encoder = Encoder(layers, hidden, heads, ffn)
        self.pooler = Dense(hidden, hidden)  # not trained by MLM; the VP runs it, so it is written


class Transform(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.dense, self.LayerNorm = nn.Linear(hidden, hidden), nn.LayerNorm(hidden, eps=LN_EPS)


class Predictions(nn.Module):
    def __init__(self, vocab, hidden):
        super().__init__()
        self.transform = Transform(hidden)
        self.bias = nn.Parameter(torch.zeros(vocab))


class Head(nn.Module):
    def __init__(self, vocab, hidden):
        super().__init__()
        self.predictions = Predictions(vocab, hidden)


class BertForMaskedLM(nn.Module):
    def __init__(self, vocab, layers, hidden, heads, ffn):
        super().__init__()
        self.bert = Bert(vocab, layers, hidden, heads, ffn)
        self.cls = Head(vocab, hidden)
        for m in self.modules():  # BERT's initialisation: normal(0, 0.02), zero biases
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
                if isinstance(m, nn.Linear):
                    nn.init.zeros_(m.bias)

    def init_sinusoid_positions(self):
        """Learnt positions that start as Vaswani et al.'s sinusoids (at the word embeddings' scale):
        a byte is predicted mostly from its neighbours, and with sinusoids attending at a fixed
        offset is a linear map of the positions from the first step, which random positions
        must first discover (the loss sits at the bytes' unigram entropy for hundreds of steps)."""
        table = self.bert.embeddings.position_embeddings.weight
        pos = torch.arange(table.shape[0], dtype=torch.float32)[:, None]
        freq = torch.exp(-math.log(10000.0) * torch.arange(0, table.shape[1], 2, dtype=torch.float32) / table.shape[1])
        with torch.no_grad():
            table[:, 0::2] = torch.sin(pos * freq) * 0.02 * math.sqrt(2)
            table[:, 1::2] = torch.cos(pos * freq) * 0.02 * math.sqrt(2)

    def encode(self, ids, clip, probs_out=None, gates=None):
        """The final hidden states: what the accelerator computes. gates: one per layer, or None."""
        x = self.bert.embeddings(ids, clip)
        for i, layer in enumerate(self.bert.encoder.layer):
            x = layer(x, clip, probs_out, gates[i] if gates else None)
        return x

    def head(self, x):
        """The MLM head (the VP runs it on the host, in double precision: not clipped)."""
        t = self.cls.predictions.transform
        x = t.LayerNorm(nn.functional.gelu(t.dense(x)))
        return x @ self.bert.embeddings.word_embeddings.weight.T + self.cls.predictions.bias  # tied decoder


def mask_batch(ids, generator, rate, bert_mix=True):
    """Chooses each byte token with probability `rate`. BERT's mix (training): of the chosen, 80 %
    become [MASK], 10 % a random byte, 10 % stay. Without it (evaluation, as the VP's --task mlm):
    every chosen byte becomes [MASK]."""
    chosen = (torch.rand(ids.shape, generator=generator) < rate) & (ids >= tokenizer.FIRST_BYTE)
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    roll = torch.rand(ids.shape, generator=generator)
    masked = ids.clone()
    if not bert_mix:
        masked[chosen] = tokenizer.MASK
        return masked, labels
    masked[chosen & (roll < 0.8)] = tokenizer.MASK
    random_bytes = torch.randint(tokenizer.FIRST_BYTE, tokenizer.VOCAB_SIZE, ids.shape, generator=generator)
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    masked[swap] = random_bytes[swap]
    return masked, labels


def sequences(data, seq):
    """[CLS] seq-2 bytes [SEP], cut one after the other (the last, short one is dropped)."""
    body = seq - 2
    rows = [[tokenizer.CLS] + tokenizer.encode(data[at:at + body]) + [tokenizer.SEP] for at in range(0, len(data) - body + 1, body)]
    return torch.tensor(rows, dtype=torch.long)


def masked_loss(model, masked, labels, clip, gates=None):
    """Cross-entropy of the masked tokens only (the head runs on those positions alone), and the logits."""
    sel = labels != -100
    logits = model.head(model.encode(masked, clip, gates=gates)[sel])
    return nn.functional.cross_entropy(logits, labels[sel]), logits, labels[sel]


def load_model(path):
    """A model written by this script (its shape in the file's metadata), as float32 for torch."""
    meta = safetensors_io.metadata(path)
    if meta.get("shape") not in SHAPES:
        sys.exit(f"{path}: not a model of tools/train (its metadata has no known shape)")
    model = BertForMaskedLM(tokenizer.VOCAB_SIZE, *SHAPES[meta["shape"]])
    tensors = safetensors_io.load(path)
    model.load_state_dict({k: torch.tensor(tensors[k].astype("float32")) for k in model.state_dict()})
    return model, meta["shape"]


def evaluate(model, rows, seed, clip):
    """Held-out loss and masked-token accuracy as the VP's --task mlm measures them (15 %, every
    chosen byte [MASK]), and the trivial baseline: always predicting the training text's most
    frequent byte (the space)."""
    g = torch.Generator().manual_seed(seed)
    masked, labels = mask_batch(rows, g, 0.15, bert_mix=False)
    with torch.no_grad():
        loss, logits, target = masked_loss(model, masked, labels, clip)
    return loss.item(), (logits.argmax(-1) == target).float().mean().item(), target


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shape", choices=sorted(SHAPES), default="bert-tiny")
    ap.add_argument("--corpus", default="/usr/share/common-licenses", help="a directory of text files")
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--short-seq", type=int, default=16,
                    help="the first --short-share of the steps train on sequences this long (as many tokens a step): see below")
    ap.add_argument("--short-share", type=float, default=0.0, help="the share of the steps at --short-seq (0: none)")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=float, default=0.1, help="the share of the steps with a linear warm-up (then a cosine decay)")
    ap.add_argument("--mask-rate", type=float, default=0.15, help="the share of the bytes chosen for prediction in training")
    ap.add_argument("--range", type=float, default=8.0, dest="limit",
                    help="clip activations and raw scores to +-this in training, as the VP's Q4.16 datapath does (0: do not)")
    ap.add_argument("--positions", choices=("sinusoid", "random"), default="sinusoid",
                    help="initial position embeddings: sinusoids (default) or BERT's normal(0, 0.02)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True, help="directory for model.safetensors, vocab.txt, heldout.txt, train.json")
    ap.add_argument("--max-bytes", type=int, default=0, help="use only the first N bytes of the corpus (smoke tests)")
    a = ap.parse_args()
    if (a.steps < 1 or a.batch < 1 or not 3 <= a.seq <= MAX_POSITIONS or not 3 <= a.short_seq <= a.seq or not 0 <= a.short_share < 1
            or not 0 < a.mask_rate < 1 or not 0 <= a.warmup < 1 or a.limit < 0):
        sys.exit("train_mlm.py: --steps and --batch must be at least 1, --seq within 3..512, --short-seq within 3..--seq, "
                 "--short-share within [0, 1), --mask-rate within (0, 1), --warmup within [0, 1), --range at least 0")
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    layers, hidden, heads, ffn = SHAPES[a.shape]

    files = corpus_files(a.corpus)
    train, held = split_corpus(files, chunk=2048, held_out_every=10)
    if a.max_bytes:
        train, held = train[:a.max_bytes], held[:max(a.max_bytes // 8, a.seq)]
    train_rows, held_rows = sequences(train, a.seq), sequences(held, a.seq)
    # Short sequences first: attending to a neighbour is what breaks the loss out of the bytes'
    # unigram entropy, and over 16 positions a neighbour has a quarter of the attention it has over
    # 64 at the start, so the model finds it in far fewer steps; the rest of the steps train all
    # the positions the VP runs.
    short_steps = int(a.steps * a.short_share)
    short_rows = sequences(train, a.short_seq) if short_steps else None
    short_batch = max(1, a.batch * a.seq // a.short_seq)
    if len(train_rows) == 0 or len(held_rows) == 0:
        sys.exit(f"train_mlm.py: the corpus is too small for sequences of {a.seq}")

    model = BertForMaskedLM(tokenizer.VOCAB_SIZE, layers, hidden, heads, ffn)
    if a.positions == "sinusoid":
        model.init_sinusoid_positions()
    clip = DatapathRange(a.limit)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    warmup = max(1, int(a.steps * a.warmup))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, 0.5 * (1 + math.cos(math.pi * min(s, a.steps) / a.steps))))
    g = torch.Generator().manual_seed(a.seed)
    history = []
    start = time.time()
    for step in range(a.steps):
        rows, batch = (short_rows, short_batch) if step < short_steps else (train_rows, a.batch)
        pick = torch.randint(0, len(rows), (batch,), generator=g)
        masked, labels = mask_batch(rows[pick], g, a.mask_rate)
        loss = masked_loss(model, masked, labels, clip)[0]
        total = loss + clip.penalty()
        opt.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        history.append(loss.item())
        if step % 250 == 0 or step == a.steps - 1:
            print(f"step {step:5d}  loss {loss.item():.4f}  ({time.time() - start:.0f} s)", flush=True)
    seconds = time.time() - start
    model.eval()
    held_loss, held_acc, target = evaluate(model, held_rows, a.seed, clip)
    common = max(set(train), key=train.count)
    baseline = (target == tokenizer.FIRST_BYTE + common).float().mean().item()
    print(f"held-out: loss {held_loss:.4f}, masked-token accuracy {held_acc:.4f}; always predicting byte {common:#04x}: {baseline:.4f} "
          f"({len(held_rows)} sequences)")

    os.makedirs(a.out, exist_ok=True)
    tensors = {name: t.detach() for name, t in model.state_dict().items()}
    tensors["cls.predictions.decoder.weight"] = tensors["bert.embeddings.word_embeddings.weight"]  # tied, as Hugging Face writes it
    tensors["cls.predictions.decoder.bias"] = tensors["cls.predictions.bias"]
    safetensors_io.save_f16(tensors, os.path.join(a.out, "model.safetensors"),
                            {"format": "pt", "shape": a.shape, "trained_by": "tools/train/train_mlm.py"})
    tokenizer.write_vocab(os.path.join(a.out, "vocab.txt"))
    with open(os.path.join(a.out, "heldout.txt"), "wb") as f:
        f.write(held)
    window = max(1, min(20, a.steps // 4))
    summary = {
        "shape": a.shape, "layers": layers, "hidden": hidden, "heads": heads, "ffn": ffn, "vocab": tokenizer.VOCAB_SIZE,
        "corpus": {os.path.basename(p): hashlib.sha256(open(p, "rb").read()).hexdigest() for p in files},
        "train_bytes": len(train), "heldout_bytes": len(held), "steps": a.steps, "batch": a.batch, "seq": a.seq, "lr": a.lr,
        "warmup": a.warmup, "mask_rate": a.mask_rate, "range": a.limit, "positions": a.positions,
        "short_seq": a.short_seq, "short_share": a.short_share,
        "seed": a.seed, "threads": a.threads, "torch": torch.__version__, "seconds": round(seconds, 1),
        "first_loss": sum(history[:window]) / window, "last_loss": sum(history[-window:]) / window,
        "heldout_loss": held_loss, "heldout_accuracy": held_acc, "heldout_most_common_byte_accuracy": baseline,
    }
    with open(os.path.join(a.out, "train.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: summary[k] for k in ("first_loss", "last_loss", "heldout_loss", "heldout_accuracy",
                                              "heldout_most_common_byte_accuracy", "seconds")}))


if __name__ == "__main__":
    main()
