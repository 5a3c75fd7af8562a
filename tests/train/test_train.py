#!/usr/bin/python3
"""Tests of tools/train.

    test_train.py VP WORKDIR smoke        # a few training steps (needs python3-torch): the loss falls, the VP loads the file
    test_train.py VP WORKDIR formats      # the tokenizer's vocabulary and the F16 safetensors writer (numpy only)
    test_train.py VP WORKDIR attention    # attention_figure.py on the committed models: far from uniform
    test_train.py VP WORKDIR leopard      # learn_leopard.py --per-head (needs python3-torch): the VP prunes what torch learnt to
    test_train.py VP WORKDIR nm           # finetune_nm.py (needs python3-torch): N:M weights, better than one-shot on the VP
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN = os.path.join(ROOT, "tools", "train")
sys.path.insert(0, TRAIN)


def run_vp(vp, *args):
    r = subprocess.run([vp, "-q", *args], capture_output=True, text=True, timeout=240)
    return r.returncode, r.stdout + r.stderr


def smoke(vp, work):
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.exit("FAIL: python3-torch is missing: the `train` tests need it; install it with `tools/setup-debian.sh --train`")
    out = os.path.join(work, "nano")
    r = subprocess.run(["/usr/bin/python3", os.path.join(TRAIN, "train_mlm.py"), "--shape", "bert-nano", "--steps", "40", "--batch", "8",
                        "--seq", "32", "--lr", "5e-3", "--max-bytes", "40000", "--threads", "1", "--out", out],
                       capture_output=True, text=True, timeout=400)
    assert r.returncode == 0, r.stdout + r.stderr
    summary = json.load(open(os.path.join(out, "train.json")))
    print(f"loss {summary['first_loss']:.3f} -> {summary['last_loss']:.3f}")
    assert summary["last_loss"] < summary["first_loss"] - 0.3, f"the loss did not fall: {summary}"
    weights = os.path.join(out, "model.safetensors")
    rc, text = run_vp(vp, "--model", "bert-nano", "--weights", weights, "--seq", "32", "--batch", "1")
    assert rc == 0 and "bit-exact" in text, text
    rc, text = run_vp(vp, "--model", "bert-nano", "--weights", weights, "--seq", "32", "--batch", "2", "--task", "mlm", "--text",
                      os.path.join(out, "heldout.txt"))
    assert rc == 0 and "masked-token accuracy" in text, text


def formats(vp, work):
    import numpy as np
    import safetensors_io
    import tokenizer
    path = os.path.join(work, "vocab.txt")
    tokenizer.write_vocab(path)
    lines = open(path).read().splitlines()
    assert len(lines) == tokenizer.VOCAB_SIZE == 261 and lines[tokenizer.MASK] == "[MASK]" and lines[tokenizer.FIRST_BYTE + 0x41] == "<0x41>"
    assert tokenizer.decode(tokenizer.encode(b"GNU GPL\n")) == b"GNU GPL\n"
    t = {"a": np.arange(6, dtype=np.float32).reshape(2, 3) / 4, "b": np.array([1e-3, -2.5], dtype=np.float32)}
    f = os.path.join(work, "t.safetensors")
    safetensors_io.save_f16(t, f, {"x": 1})
    back = safetensors_io.load(f)
    assert back["a"].shape == (2, 3) and back["a"].dtype == np.float16
    assert np.allclose(back["a"], t["a"]) and abs(back["b"][0] - 1e-3) < 1e-6
    try:
        safetensors_io.save_f16({"big": np.array([1e6], dtype=np.float32)}, f)
        raise AssertionError("a value beyond F16 was written")
    except ValueError:
        pass
    # The VP refuses a vocabulary of another layout by its line.
    bad = os.path.join(work, "bad_vocab.txt")
    with open(bad, "w") as g:
        g.write("\n".join(lines[:7] + ["hello"] + lines[8:]) + "\n")
    nano = os.path.join(ROOT, "platform", "bert", "trained", "bert-nano")
    rc, text = run_vp(vp, "--model", "bert-nano", "--weights", os.path.join(nano, "model.safetensors"), "--task", "mlm", "--text",
                      os.path.join(nano, "heldout.txt"), "--vocab", bad, "--seq", "32", "--batch", "1")
    assert rc == 2 and "bad_vocab.txt:8: 'hello'" in text, text


def attention(vp, work):
    import re
    for shape in ("bert-nano", "bert-tiny"):
        png = os.path.join(work, f"attention-{shape}.png")
        r = subprocess.run(["/usr/bin/python3", os.path.join(TRAIN, "attention_figure.py"), os.path.join(ROOT, "platform", "bert", "trained", shape),
                            "--sequences", "4", "--out", png], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        print(shape + ":\n" + r.stdout)
        figure = lambda pattern: float(re.search(pattern, r.stdout).group(1))  # noqa: E731
        uniform = figure(r"uniform attention: every probability [0-9.]+, entropy ([0-9.]+) nats")
        entropy = figure(r"mean row entropy ([0-9.]+) nats")
        below = figure(r"below 0.01: ([0-9.]+) %")
        largest = figure(r"mean largest probability of a row: ([0-9.]+)")
        # Far from uniform (docs/accuracy.md): uniform attention over 64 tokens puts 1/64 everywhere
        # (none below 0.01, the largest 0.016, entropy ln 64 = 4.16 nats). The committed models put
        # most probabilities near zero and a large share of each row on its largest.
        assert below > 50 and largest > 0.25 and entropy < uniform - 1.0, f"{shape}: attention close to uniform:\n{r.stdout}"
        # Trained for the VP's datapath: its scores (q/sqrt d).k, the logits, stay within Q4.16's +-8.
        beyond = figure(r"scores \(q/sqrt d\).k beyond the Q4.16 range \+-8: ([0-9.]+) %")
        assert beyond < 1.0, r.stdout
        with open(png, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def run_tool_on_nano(vp, script, *args):
    """A tools/train script on the committed bert-nano, briefly, comparing on the VP (--vp): its output."""
    r = subprocess.run(["/usr/bin/python3", os.path.join(TRAIN, script), os.path.join(ROOT, "platform", "bert", "trained", "bert-nano"),
                        "--steps", "30", "--threads", "1", *args, "--vp", os.path.dirname(vp), "--vp-batch", "16"],
                       capture_output=True, text=True, timeout=400)
    assert r.returncode == 0, r.stdout + r.stderr
    print(r.stdout)
    return r.stdout


def leopard(vp, work):
    import re
    th = os.path.join(work, "th.json")
    out = run_tool_on_nano(vp, "learn_leopard.py", "--per-head", "--lam", "1.0", "--out", th)
    learnt = json.load(open(th))
    assert learnt["format"] == "acceltran-vp LeOPArd thresholds" and learnt["per_head"] and [len(t) for t in learnt["thresholds"]] == [2], learnt
    torch_rate = learnt["target_rate"]
    rows = {m.group(1): float(m.group(2)) / 100 for m in re.finditer(r"\| (learnt|calibrated)[^|]*\| ([0-9.]+) % \|", out)}
    # The thresholds' units are right: the VP prunes on held-out text about what torch pruned on training text.
    assert torch_rate > 0.05 and abs(rows["learnt"] - torch_rate) < 0.1, (torch_rate, rows)
    # The comparison is at equal sparsity.
    assert abs(rows["calibrated"] - rows["learnt"]) < 0.02, rows


def nm(vp, work):
    import re
    import numpy as np
    import safetensors_io
    out = os.path.join(work, "nm")
    text = run_tool_on_nano(vp, "finetune_nm.py", "--nm", "2:4", "--out", out)
    t = safetensors_io.load(os.path.join(out, "model.safetensors"))
    w = t["bert.encoder.layer.0.intermediate.dense.weight"]  # [out, in]: groups of 4 along in
    assert (np.count_nonzero(w.reshape(w.shape[0], -1, 4), axis=-1) <= 2).all(), "a group keeps more than 2 of 4"
    assert np.count_nonzero(t["bert.embeddings.word_embeddings.weight"]) > 0.9 * t["bert.embeddings.word_embeddings.weight"].size
    loss = {m.group(1): float(m.group(2)) for m in re.finditer(r"\| (one-shot|SR-STE)[^|]*\| [0-9.]+ % \| ([0-9.]+) \|", text)}
    # Fine-tuning recovers some of what one-shot N:M loses, measured by the VP's own --nm run.
    assert loss["SR-STE"] < loss["one-shot"], loss
    rc, text = run_vp(vp, "--model", "bert-nano", "--weights", os.path.join(out, "model.safetensors"), "--nm", "2:4", "--seq", "32", "--batch", "1")
    assert rc == 0 and "bit-exact" in text, text


def main():
    vp, work, case = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    {"smoke": smoke, "formats": formats, "attention": attention, "leopard": leopard, "nm": nm}[case](vp, work)
    print(f"{case}: ok")


if __name__ == "__main__":
    main()
