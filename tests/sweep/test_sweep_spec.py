#!/usr/bin/python3
"""The sweep file's parts without a simulator run: ranges, product and zip, constraints, points."""
import sys
import unittest

sys.path.insert(0, sys.argv.pop(1))  # the tool's modules
import sweep_spec  # noqa: E402


class FakeSimulator:
    config_keys = ["pe", "lanes_per_pe", "tile.tile_x", "activation_buffer_size"]
    options = ["job", "tau", "model", "a-zeros", "dynatran", "seq"]
    flags = {"dynatran"}
    vp = "acceltran-vp"


def sweep(**doc):
    return sweep_spec.Sweep(doc, FakeSimulator())


class Ranges(unittest.TestCase):
    def test_step_times_num(self):
        self.assertEqual(sweep_spec.axis_values("pe", {"from": 8, "to": 32, "step": 8}), [8, 16, 24, 32])
        self.assertEqual(sweep_spec.axis_values("pe", {"from": 4, "to": 64, "times": 2}), [4, 8, 16, 32, 64])
        self.assertEqual(sweep_spec.axis_values("tau", {"from": 0, "to": 0.1, "num": 3}), [0.0, 0.05, 0.1])
        self.assertEqual(sweep_spec.axis_values("tau", {"from": 0.0, "to": 0.3, "step": 0.1}), [0.0, 0.1, 0.2, 0.3])

    def test_bad_ranges_named(self):
        for spec in ({"from": 1}, {"from": 1, "to": 2}, {"from": 1, "to": 4, "step": 0}, [], "8"):
            with self.assertRaisesRegex(sweep_spec.SpecError, "axis 'pe'"):
                sweep_spec.axis_values("pe", spec)


class Combining(unittest.TestCase):
    def test_product_with_constraint(self):
        s = sweep(axes={"pe": [4, 8, 16], "lanes_per_pe": [8, 16]}, constraints=["pe * lanes_per_pe <= 64"])
        self.assertEqual([p.values for p in s.points()],
                         [{"pe": 4, "lanes_per_pe": 8}, {"pe": 4, "lanes_per_pe": 16}, {"pe": 8, "lanes_per_pe": 8}])

    def test_zip(self):
        s = sweep(axes={"pe": [4, 8], "tau": [0.1, 0.2]}, combine="zip")
        self.assertEqual([p.values for p in s.points()], [{"pe": 4, "tau": 0.1}, {"pe": 8, "tau": 0.2}])
        with self.assertRaisesRegex(sweep_spec.SpecError, "equal length"):
            sweep(axes={"pe": [4, 8], "tau": [0.1]}, combine="zip")

    def test_dotted_and_dashed_names_in_constraints(self):
        s = sweep(job={"a-zeros": 0.5}, axes={"tile.tile_x": [8, 16, 32]}, constraints=["tile_tile_x * a_zeros < 10"])
        self.assertEqual([p.values["tile.tile_x"] for p in s.points()], [8, 16])


class Points(unittest.TestCase):
    def test_arguments_and_hash(self):
        s = sweep(hw="server", params={"activation_buffer_size": 4}, job={"model": "bert-nano", "dynatran": True},
                  axes={"pe": [8], "tau": [0.05]})
        p = s.points()[0]
        self.assertEqual(p.args, ["--hw", "server", "-p", "activation_buffer_size=4", "-p", "pe=8", "--dynatran",
                                  "--model", "bert-nano", "--tau", "0.05"])
        # The hash is of the resolved point: the same point from another file has the same key.
        same = sweep(hw="server", params={"activation_buffer_size": 4, "pe": 8}, job={"model": "bert-nano", "dynatran": True},
                     axes={"tau": [0.05]}).points()[0]
        self.assertEqual(p.hash, same.hash)
        other = sweep(hw="server", params={"activation_buffer_size": 4}, job={"model": "bert-nano", "dynatran": True},
                      axes={"pe": [8], "tau": [0.06]}).points()[0]
        self.assertNotEqual(p.hash, other.hash)

    def test_metric_aliases(self):
        stats = {"perf": {"throughput_seq_per_s": 12.5}, "area": {"total_mm2": 3}}
        self.assertEqual(sweep_spec.metric(stats, "throughput"), 12.5)
        self.assertEqual(sweep_spec.metric(stats, "area.total_mm2"), 3)
        self.assertIsNone(sweep_spec.metric(stats, "energy"))


class Refusals(unittest.TestCase):
    def test_names(self):
        cases = [({"axes": {"lanes": [1]}}, "unknown configuration key or job option 'lanes'"),
                 ({"axes": {"pe": [1]}, "job": {"pe": 4}}, "job: unknown job option 'pe'"),
                 ({"axes": {"pe": [1]}, "constraints": ["pe < x"]}, "unknown name 'x'"),
                 ({"axes": {"pe": [1]}, "constraints": ["__import__('os')"]}, "only arithmetic"),
                 ({"axes": {"pe": [1]}, "metrics": ["pe"]}, "both an axis and a metric"),
                 ({"axes": {"pe": [1]}, "sweeps": 1}, "unknown section 'sweeps'")]
        for doc, message in cases:
            with self.assertRaisesRegex(sweep_spec.SpecError, message.replace("(", r"\(").replace(")", r"\)")):
                sweep(**doc)


if __name__ == "__main__":
    unittest.main()
