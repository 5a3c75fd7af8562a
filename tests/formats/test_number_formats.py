#!/usr/bin/python3
"""The number_format configuration key on whole jobs (docs/configuration.md, "Number formats").

    test_number_formats.py VP bit-exact   # several formats, BERT and matmul jobs: bit-exact against the reference
    test_number_formats.py VP accuracy    # the trained bert-nano and bert-tiny: the error ordering the arithmetic implies
    test_number_formats.py VP cost        # DRAM bytes, buffer words and energy follow the word width
    test_number_formats.py VP refusals    # bad formats and what the per-tensor formats do not run: a clear message, exit 2

Each run is one acceltran-vp process; the statistics come from --stats-out.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAINED = os.path.join(ROOT, "platform", "bert", "trained", "bert-nano")
DICTS = os.path.join(ROOT, "tests", "platform", "model_dicts")


def run(vp, *args):
    """Statistics and printed text of one run; fails the test on a non-zero exit."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "s.json")
        out = subprocess.run([vp, *args, "--stats-out", path], capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"FAIL: {' '.join(args)} exited {out.returncode}:\n{out.stdout}{out.stderr}")
        with open(path) as f:
            return json.load(f), out.stdout


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        check.failed = True


check.failed = False


def width(f):
    """The word's bits: qM.N has M + N, intW (per-tensor scaled) W."""
    return int(f[3:]) if f.startswith("int") else sum(int(x) for x in f[1:].split("."))


def fmt_args(f):
    # Narrow words: the buffers hold more of them, and the mask buffer needs a bit for each.
    wide_mask = ["-p", "mask_buffer_size=2"] if width(f) < 12 else []
    return ["-p", f"number_format={f}", *wide_mask]


def bit_exact(vp):
    # Widths 8 to 20, few and many integer bits; the pruning units (score engine, N:M) in a 16-bit format.
    jobs = [[*fmt_args(f), "--job", "bert", "--model", "bert-nano", "--seq", "32", "--batch", "2", "--valid-len", "20,32", "--check", "on"]
            for f in ("q4.16", "q8.12", "q6.10", "q8.8", "q4.12", "q3.5", "q5.7")]
    jobs.append([*fmt_args("q8.8"), "--job", "bert", "--model", "bert-nano", "--seq", "32", "--batch", "2", "--check", "on",
                 "--hdp-heads", "top:1", "--hdp-blocks", "ratio:0.2", "--nm", "2:4", "--nm-act", "2:4"])
    jobs += [[*fmt_args(f), "--job", "matmul", "--m", "48", "--k", "80", "--n", "40", "--dynatran", "--tau", "0.01"]
             for f in ("q8.12", "q2.6", "q12.8")]
    # The per-tensor formats: a batch with padding, DynaTran (on by default) at a tau of their own
    # units, top-k (both modes), BERT-Tiny, N:M weights and activations.
    for f in ("int8", "int16"):
        jobs.append([*fmt_args(f), "--job", "bert", "--model", "bert-nano", "--seq", "32", "--batch", "3", "--valid-len", "20,32,9",
                     "--tau", "0.02", "--check", "on"])
        jobs.append([*fmt_args(f), "--job", "bert", "--model", "bert-nano", "--seq", "32", "--batch", "2", "--no-dynatran",
                     "--topk", "6", "--topk-mode", "exact", "--check", "on"])
        jobs.append([*fmt_args(f), "--job", "bert", "--model", "bert-tiny", "--seq", "16", "--batch", "2", "--topk", "4",
                     "--check", "on"])
        jobs.append([*fmt_args(f), "--job", "bert", "--model", "bert-nano", "--seq", "32", "--batch", "2", "--nm", "1:4", "--nm-act", "1:4",
                     "--check", "on"])
    for args in jobs:
        s, out = run(vp, *args)
        what = " ".join(args)
        check("bit-exact" in out and s["job"]["mismatches"] == 0, f"bit-exact: {what}")
        check(s["config"]["number_format"] == args[1].split("=")[1] == s["provenance"]["config"]["number_format"],
              f"the statistics and the provenance record the format: {what}")


def accuracy(vp):
    base = ["--job", "bert", "--model", "bert-nano", "--weights", os.path.join(TRAINED, "model.safetensors"), "--seq", "64", "--batch", "16",
            "--task", "mlm", "--text", os.path.join(TRAINED, "heldout.txt"), "--no-dynatran"]
    err, sat, mlm, float_mlm = {}, {}, {}, {}
    for f in ("q8.4", "q8.8", "q8.12", "q6.6", "q6.10", "q6.14", "q4.16", "q3.17", "q2.18", "int8", "int16", "q4.4", "q3.5", "q2.6"):
        s, out = run(vp, *fmt_args(f), *base)
        check("bit-exact" in out, f"{f}: bit-exact against the reference model")
        err[f] = s["job"]["float"]["hidden_mean_abs_error"]
        sat[f] = s["saturation"]["total"]
        mlm[f], float_mlm[f] = s["job"]["mlm"]["accuracy"], s["job"]["mlm"]["float_accuracy"]
        print(f"     {f}: mean |error| {err[f]:.6g}, saturated {sat[f]:.0f}")
    # More fraction bits, the same integer bits: a finer grid, so a strictly smaller error.
    for a, b, c in (("q8.4", "q8.8", "q8.12"), ("q6.6", "q6.10", "q6.14")):
        check(err[a] > err[b] > err[c], f"error falls with the fraction bits: {a} {err[a]:.3g} > {b} {err[b]:.3g} > {c} {err[c]:.3g}")
    # The same 20 bits, fewer integer bits: a smaller range, so more values clip.
    check(sat["q2.18"] > sat["q3.17"] > sat["q4.16"], f"saturation grows as integer bits go: q2.18 {sat['q2.18']:.0f} > "
          f"q3.17 {sat['q3.17']:.0f} > q4.16 {sat['q4.16']:.0f}")
    # The softmax's 1/sqrt(d) folded into W_q and range-aware training keep the trained model's
    # logits (nearly all) within Q4.16's +-8: against double precision on the file's own weights the
    # datapath's error stays small, and the task does not notice it.
    check(err["q4.16"] < 1e-2 and abs(mlm["q4.16"] - float_mlm["q4.16"]) < 0.02,
          f"q4.16 close to double precision on the trained model: mean |error| {err['q4.16']:.3g}, masked-token accuracy "
          f"{mlm['q4.16']:.4f} against {float_mlm['q4.16']:.4f}")
    # A wider range clips no more values.
    check(sat["q8.4"] <= sat["q6.6"] <= sat["q4.16"] and sat["q8.12"] <= sat["q6.14"] <= sat["q4.16"],
          f"clipping never grows with the integer bits: q8 {sat['q8.12']:.0f} <= q6 {sat['q6.14']:.0f} <= q4.16 {sat['q4.16']:.0f}")
    if sat["q4.16"]:
        # Q4.16 clips some of this model's values: at its width, range then matters more than resolution.
        check(err["q8.12"] < err["q4.16"], f"q8.12 {err['q8.12']:.3g} beats q4.16 {err['q4.16']:.3g} (which clips {sat['q4.16']:.0f} values)")
    else:
        # Nothing clips at 20 bits (range-aware training, the softmax's scale folded into W_q): the
        # finest grid of the same width is the closest.
        check(err["q4.16"] < err["q6.14"] < err["q8.12"],
              f"nothing clipped: q4.16 {err['q4.16']:.3g} < q6.14 {err['q6.14']:.3g} < q8.12 {err['q8.12']:.3g}")


    # Per-tensor scales: each tensor's scale fits its own range, so at the same width the word
    # spends its bits where that tensor's values are. int16 holds every tensor of this model with
    # more fraction bits than any 16-bit qM.N; int8 needs no range-for-resolution trade of a fixed q.
    check(err["int16"] < err["int8"], f"int16 {err['int16']:.3g} finer than int8 {err['int8']:.3g}")
    check(err["int16"] < err["q8.8"] and err["int16"] < err["q4.4"],
          f"int16 {err['int16']:.3g} beats q8.8 {err['q8.8']:.3g} and q4.4 {err['q4.4']:.3g}")
    best_q8 = min(err[f] for f in ("q4.4", "q3.5", "q2.6"))
    check(err["int8"] < best_q8, f"int8 {err['int8']:.3g} beats every 8-bit qM.N (best {best_q8:.3g})")
    check(sat["int8"] < min(sat[f] for f in ("q4.4", "q3.5", "q2.6")),
          f"int8 clips fewer values ({sat['int8']:.0f}) than any 8-bit qM.N (q4.4 {sat['q4.4']:.0f})")
    check(abs(mlm["int16"] - float_mlm["int16"]) < 0.02,
          f"int16 keeps the task: masked-token accuracy {mlm['int16']:.4f} against {float_mlm['int16']:.4f}")


    # The same on the trained BERT-Tiny (larger activations: 8-bit qM.N formats lose the task there).
    tiny = os.path.join(ROOT, "platform", "bert", "trained", "bert-tiny")
    base = ["--job", "bert", "--model", "bert-tiny", "--weights", os.path.join(tiny, "model.safetensors"), "--seq", "64", "--batch", "8",
            "--task", "mlm", "--text", os.path.join(tiny, "heldout.txt"), "--no-dynatran"]
    terr, tmlm = {}, {}
    for f in ("int8", "int16", "q4.4", "q3.5", "q2.6", "q8.8", "q6.10", "q4.12"):
        s, out = run(vp, *fmt_args(f), *base)
        check("bit-exact" in out, f"bert-tiny {f}: bit-exact against the reference model")
        terr[f], tmlm[f] = s["job"]["float"]["hidden_mean_abs_error"], (s["job"]["mlm"]["accuracy"], s["job"]["mlm"]["float_accuracy"])
        print(f"     bert-tiny {f}: mean |error| {terr[f]:.6g}, saturated {s['saturation']['total']:.0f}")
    best8, best16 = min(terr[f] for f in ("q4.4", "q3.5", "q2.6")), min(terr[f] for f in ("q8.8", "q6.10", "q4.12"))
    check(terr["int16"] < terr["int8"] < best8, f"bert-tiny: int16 {terr['int16']:.3g} < int8 {terr['int8']:.3g} < best 8-bit qM.N {best8:.3g}")
    check(terr["int16"] < best16, f"bert-tiny: int16 {terr['int16']:.3g} < best 16-bit qM.N {best16:.3g}")
    check(abs(tmlm["int16"][0] - tmlm["int16"][1]) < 0.02, f"bert-tiny: int16 keeps the task ({tmlm['int16'][0]:.4f} against {tmlm['int16'][1]:.4f})")


def refusals(vp):
    """Each exits 2 with a message naming the problem."""
    cases = [
        (["-p", "number_format=int12"], "int8, int16"),
        (["-p", "number_format=int16", "--job", "matmul"], "BERT encoders only"),
        (["-p", "number_format=int16", "--job", "fault"], "BERT encoders only"),
        (["-p", "number_format=int16", "--model", "gpt2-tiny"], "BERT encoders only"),
        (["-p", "number_format=int16", "--model", "vit-tiny"], "BERT encoders only"),
        (["-p", "number_format=int16", "--model", "bert-nano", "--hdp-heads", "top:1"], "LeOPArd and HDP need a qM.N format"),
        (["-p", "number_format=int16", "--model", "bert-nano", "--tau", "16"], "--tau must be within 0..16"),
        (["-p", "number_format=int16", "--model", os.path.join(DICTS, "mixed_kinds.json"), "--seq", "16"], "sa_sdp heads of one size"),
        (["-p", "number_format=int16", "--model", os.path.join(DICTS, "per_layer_hidden.json"), "--seq", "16"], "changes the hidden size"),
    ]
    for args, message in cases:
        out = subprocess.run([vp, *args], capture_output=True, text=True)
        text = out.stdout + out.stderr
        check(out.returncode == 2 and message in text, f"{' '.join(args)}: exit {out.returncode} ({message!r} in the message)")


def cost(vp):
    base = ["--job", "bert", "--model", "bert-nano", "--seq", "32", "--batch", "2", "--check", "off"]
    runs = {f: run(vp, *fmt_args(f), *base)[0] for f in ("q4.16", "q8.8", "q4.4")}
    wide = runs["q4.16"]

    def bits_beyond_tensors(s, w):  # DRAM bits that are not tensor words (descriptors): the same in every format
        d = s["dram"]
        return 8 * (d["read_bytes"] + d["write_bytes"]) - (w * d["tensor_nonzero_words"] + d["tensor_words"])

    for f, w in (("q8.8", 16), ("q4.4", 8)):
        s = runs[f]
        # The zero-free format: w bits per non-zero word and a mask bit per word (bytes rounded up, per direction).
        check(abs(bits_beyond_tensors(s, w) - bits_beyond_tensors(wide, 20)) < 16, f"{f}: DRAM bits = {w} per non-zero word + 1 per word")
        lane = s["energy"]["mac_lanes"]["dynamic_nj"] / s["pe"]["lane_busy_cycles"]
        lane20 = wide["energy"]["mac_lanes"]["dynamic_nj"] / wide["pe"]["lane_busy_cycles"]
        check(abs(lane / lane20 - (w / 20) ** 2) < 1e-9, f"{f}: MAC-lane energy per busy cycle x (w/20)^2 = {(w / 20) ** 2:.2f}")
        area = s["area"]["mac_lanes_mm2"] / wide["area"]["mac_lanes_mm2"]
        check(abs(area - (w / 20) ** 2) < 1e-9, f"{f}: MAC-lane area x (w/20)^2")
        sm = s["area"]["softmax_mm2"] / wide["area"]["softmax_mm2"]
        check(abs(sm - w / 20) < 1e-9, f"{f}: softmax area x w/20")
        block = s["energy"]["weight_buffer"]["dynamic_nj"] / s["buffers"]["weight"]["blocks"]
        block20 = wide["energy"]["weight_buffer"]["dynamic_nj"] / wide["buffers"]["weight"]["blocks"]
        check(abs(block / block20 - w / 20) < 1e-9, f"{f}: buffer energy per block x w/20")
        check(s["energy"]["total_nj"] < wide["energy"]["total_nj"], f"{f}: less energy than q4.16")


def main():
    vp, what = sys.argv[1], sys.argv[2]
    {"bit-exact": bit_exact, "accuracy": accuracy, "cost": cost, "refusals": refusals}[what](vp)
    sys.exit(1 if check.failed else 0)


if __name__ == "__main__":
    main()
