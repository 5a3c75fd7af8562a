#!/usr/bin/python3
"""Tests of acceltran-roofline's own arithmetic (run by ctest: roofline.bounds)."""
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
loader = importlib.machinery.SourceFileLoader("roofline", os.path.join(HERE, "acceltran-roofline"))
spec = importlib.util.spec_from_loader("roofline", loader)
roofline = importlib.util.module_from_spec(spec)
loader.exec_module(roofline)

EDGE = {"clock_mhz": "700", "pe": "64", "lanes_per_pe": "16", "mac_per_lane": "16", "main_memory.bandwidth_gbps": "25.6",
        "vp.buffer_bandwidth_gbps": "370", "vp.buffer_ports": "2"}


class Bounds(unittest.TestCase):
    def test_edge_1024_cubed(self):
        b = roofline.bounds(EDGE, 1024, 1024, 1024)
        self.assertAlmostEqual(b["compute"], 65536.0)  # 2^30 MACs on 16,384 multipliers
        # 3 x 2^20 words of 21 bits over 25.6 GB/s at 700 MHz (2048/7 bits per cycle)
        self.assertAlmostEqual(b["dram"], 3 * 2**20 * 21 * 7 / 2048)
        # the activation buffer moves A and C twice each (DMA and PEs) through 2 ports of 370 GB/s
        self.assertAlmostEqual(b["ports"], 4 * 2**20 * 21 / (2 * 370e9 * 8 / 700e6))

    def test_ragged_shape_and_fewer_pes(self):
        cfg = dict(EDGE, pe="1")
        b = roofline.bounds(cfg, 517, 768, 300)
        self.assertAlmostEqual(b["compute"], 517 * 768 * 300 / 256)
        self.assertAlmostEqual(b["dram"], (517 * 768 + 768 * 300 + 517 * 300) * 21 * 7 / 2048)

    def test_shape_parsing(self):
        self.assertEqual(roofline.parse_shape("16x32x48"), (16, 32, 48))
        for bad in ("16x32", "0x1x1", "ax1x1", "1x1x1x1"):
            with self.assertRaises(Exception):
                roofline.parse_shape(bad)

    def test_bad_vp_is_a_usage_error(self):
        out = subprocess.run([sys.executable, os.path.join(HERE, "acceltran-roofline"), "--vp", "/nonexistent"], capture_output=True,
                             text=True)
        self.assertEqual(out.returncode, 2)
        self.assertIn("--vp", out.stderr)


if __name__ == "__main__":
    unittest.main()
