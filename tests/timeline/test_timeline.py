#!/usr/bin/python3
"""The --timeline trace: a well-formed Chrome/Perfetto trace-event file that shows what overlapped.

    test_timeline.py PATH/TO/acceltran-vp      (ctest: timeline.*)
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

VP = None


def run(*args, timeline=True):
    """Runs the VP, with --timeline unless told otherwise; returns (trace or None, stats)."""
    with tempfile.TemporaryDirectory() as tmp:
        trace_path, stats_path = os.path.join(tmp, "t.json"), os.path.join(tmp, "s.json")
        extra = ["--timeline", trace_path] if timeline else []
        out = subprocess.run([VP, *args, "--quiet", *extra, "--stats-out", stats_path], capture_output=True, text=True)
        if out.returncode != 0:
            raise AssertionError(f"acceltran-vp {' '.join(args)} failed: {out.stdout}{out.stderr}")
        with open(stats_path) as g:
            stats = json.load(g)
        if not timeline:
            return None, stats
        with open(trace_path) as f:
            return json.load(f), stats


def slices(trace):
    """Complete events with their track name."""
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in trace["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name"}
    return [dict(e, track=names[(e["pid"], e["tid"])]) for e in trace["traceEvents"] if e["ph"] == "X"]


def overlap(a, b):
    return a["ts"] < b["ts"] + b["dur"] and b["ts"] < a["ts"] + a["dur"]


class Timeline(unittest.TestCase):
    def test_double_buffered_gemm_loads_while_it_computes(self):
        # 512 x 512 x 512 on Edge: the planner cuts it into several steps; the next step's LOAD
        # runs on a DMA track while a MATMUL runs on the MAC lanes.
        trace, stats = run("--job", "matmul", "--m", "512", "--k", "512", "--n", "512", "--check", "off")
        self.assertGreater(stats["job"]["plan"]["steps"], 1)
        ev = slices(trace)
        loads = [e for e in ev if e["track"].startswith("load channel") and e["name"] == "LOAD"]
        matmuls = [e for e in ev if e["track"].startswith("MAC lanes") and e["name"] == "MATMUL"]
        self.assertTrue(loads and matmuls)
        self.assertTrue(any(overlap(l, m) for l in loads for m in matmuls), "no LOAD overlaps a MATMUL")
        # Every descriptor has a slice on the control block's tracks, with what it did.
        descs = [e for e in ev if e["track"].startswith("descriptors")]
        self.assertEqual(len(descs), stats["control"]["descriptors"])
        for e in descs:
            self.assertIn("descriptor", e["args"])
            self.assertIn("class", e["args"])
            if e["name"] == "MATMUL":
                self.assertGreater(e["args"]["macs"], 0)
            if e["name"] in ("LOAD", "STORE"):
                self.assertGreater(e["args"]["bytes"], 0)
        # The accelerator is active from the first fetch (at the doorbell) to the last completion.
        start_us = min(e["ts"] for e in ev if e["track"] == "descriptor fetch")
        end_us = max(e["ts"] + e["dur"] for e in descs)
        self.assertAlmostEqual(end_us - start_us, stats["control"]["active_cycles"] / 700.0, places=6)
        # Counters: DRAM bandwidth never above the channel's 25.6 GB/s (per sampling interval).
        bw = [e["args"]["GB/s"] for e in trace["traceEvents"] if e["ph"] == "C" and e["name"] == "DRAM bandwidth"]
        self.assertTrue(bw)
        self.assertLessEqual(max(bw), 25.6 * 1.001)
        self.assertTrue(any(e["ph"] == "C" and e["name"].startswith("activation buffer") for e in trace["traceEvents"]))

    def test_a_window_of_one_is_strictly_serial(self):
        # With one descriptor in flight, every descriptor issues after the previous one completed.
        trace, stats = run("--job", "matmul", "--m", "256", "--k", "256", "--n", "256", "--check", "off", "-p", "vp.queue_window=1")
        descs = sorted((e for e in slices(trace) if e["track"].startswith("descriptors")), key=lambda e: e["args"]["descriptor"])
        self.assertEqual(len(descs), stats["control"]["descriptors"])
        for before, after in zip(descs, descs[1:]):
            self.assertGreaterEqual(after["ts"], before["ts"] + before["dur"] - 1e-9,
                                    f"descriptor {after['args']['descriptor']} started before {before['args']['descriptor']} ended")
        self.assertEqual(stats["control"]["issued_out_of_order"], 0)
        self.assertEqual(stats["control"]["peak_in_flight"], 1)
        # ... and takes longer than the same job with the default window, which overlaps.
        _, overlapped = run("--job", "matmul", "--m", "256", "--k", "256", "--n", "256", "--check", "off")
        self.assertLess(overlapped["control"]["active_cycles"], stats["control"]["active_cycles"])
        self.assertGreater(overlapped["control"]["peak_in_flight"], 1)

    def test_bert_tracks_name_layers_and_units(self):
        trace, stats = run("--model", "bert-nano", "--seq", "32", "--batch", "2", "--check", "off")
        ev = slices(trace)
        tracks = {e["track"] for e in ev}
        for prefix in ("descriptor fetch", "descriptors", "load channel", "store channel", "MAC lanes", "softmax", "layer-norm"):
            self.assertTrue(any(t.startswith(prefix) for t in tracks), prefix)
        self.assertTrue(any(e["args"].get("class") == "PROBS" and "layer" in e["args"] for e in ev))
        # Recording only observes: the same job without a timeline takes the same cycles and energy.
        _, plain = run("--model", "bert-nano", "--seq", "32", "--batch", "2", "--check", "off", timeline=False)
        self.assertEqual(plain["control"]["active_cycles"], stats["control"]["active_cycles"])
        self.assertEqual(plain["energy"]["total_nj"], stats["energy"]["total_nj"])


if __name__ == "__main__":
    VP = sys.argv.pop(1)
    unittest.main()
