#!/usr/bin/python3
"""acceltran-compare with the task metric (--text) on the trained bert-nano (docs/pruning.md).

    compare_task.py COMPARE VP CALIBRATE WORKDIR

Checks that every scheme and operating point gets a row with the masked-token accuracy and loss,
that these are acceltran-vp --task mlm's own figures (the dense row equals a direct run), that
LeOPArd is calibrated on the same masked text (its realised rate is near the target), and that
a pruned row's loss differs from dense.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NANO = os.path.join(ROOT, "platform", "bert", "trained", "bert-nano")


def main():
    compare, vp, calibrate, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    weights, text = os.path.join(NANO, "model.safetensors"), os.path.join(NANO, "heldout.txt")
    common = ["--model", "bert-nano", "--weights", weights, "--seq", "32", "--batch", "6"]
    out = os.path.join(work, "c.json")
    r = subprocess.run([compare, "--vp", vp, *common, "--text", text, "--tau", "0.01,0.1", "--topk", "2,8", "--leopard-rate", "0.6",
                        "--hdp-blocks", "ratio:0.5", "--nm", "2:4,1:4", "--json", out], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    print(r.stdout)
    rows = json.load(open(out))
    labels = [x["scheme"] for x in rows]
    assert labels == ["dense", "dynatran tau 0.01", "dynatran tau 0.1", "topk k 2", "topk k 8", "leopard rate 0.6",
                      "hdp blocks ratio:0.5", "nm 2:4", "nm 1:4"], labels
    for x in rows:
        assert 0 <= x["mlm_accuracy"] <= 1 and x["mlm_loss"] > 0 and x["mlm_masked_tokens"] > 0, x
        assert x["scheme"] in r.stdout
    assert len({x["mlm_masked_tokens"] for x in rows}) == 1, "every scheme sees the same masks"

    # The dense row is acceltran-vp --task mlm's own figure.
    stats = os.path.join(work, "dense.json")
    d = subprocess.run([vp, *common, "--task", "mlm", "--text", text, "--no-dynatran", "--check", "off", "-q", "--stats-out", stats],
                       capture_output=True, text=True, timeout=120)
    assert d.returncode == 0, d.stdout + d.stderr
    mlm = json.load(open(stats))["job"]["mlm"]
    assert rows[0]["mlm_accuracy"] == mlm["accuracy"] and rows[0]["mlm_loss"] == mlm["loss"], (rows[0], mlm)

    # LeOPArd was calibrated on the masked text the runs see: its realised rate is near the target.
    leopard = rows[5]
    assert abs(leopard["scores_masked_fraction"] - 0.6) < 0.1, leopard
    # Pruning harder moves the task loss away from dense.
    assert rows[2]["mlm_loss"] != rows[0]["mlm_loss"] and rows[8]["mlm_loss"] != rows[0]["mlm_loss"], rows

    # A malformed operating-point list is a usage error.
    bad = subprocess.run([compare, "--vp", vp, *common, "--tau", "0.01,,0.1"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--tau '0.01,,0.1': expected a comma-separated list" in bad.stderr, bad.stderr
    bad = subprocess.run([compare, "--vp", vp, *common, "--vocab", os.path.join(NANO, "vocab.txt")], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--vocab needs --text" in bad.stderr, bad.stderr
    print("compare_task: ok")


if __name__ == "__main__":
    main()
