"""The sweep file: the job, the axes, how they combine, the constraints and the metrics to keep.

A point is resolved into the acceltran-vp arguments that run it; its hash (of those arguments) is
its key in the results database. Every name is checked against the simulator's own lists
(`acceltran-vp --config-keys`, `--help`) before anything runs.
"""
import ast
import difflib
import hashlib
import itertools
import json
import math
import re
import subprocess

# Options that only say where a run writes, or what it prints: never an axis nor part of a point.
OUTPUT_OPTIONS = {"help", "stats-out", "timeline", "quiet", "print-config", "config-keys", "stats-doc", "max-memory",
                  "replay", "outputs-out", "trace-mmio", "trace-insn", "hw", "param"}

# Short names of the statistics a study usually keeps; any dotted statistic name works too.
METRIC_ALIASES = {
    "throughput": "perf.throughput_seq_per_s",
    "latency": "perf.latency_s",
    "power": "perf.average_power_w",
    "energy": "energy.total_nj",
    "energy_per_sequence": "perf.energy_per_sequence_nj",
    "area": "area.total_mm2",
    "cycles": "control.active_cycles",
    "macs": "pe.effectual_macs",
    "mac_utilisation": "pe.mac_utilisation",
    "dram_bytes_read": "dram.read_bytes",
}


class SpecError(Exception):
    """A sweep file that cannot run; the message names the problem."""


class Simulator:
    """What the simulator accepts: its configuration keys and its options (and which are flags)."""

    def __init__(self, vp):
        self.vp = vp
        try:
            keys = subprocess.run([vp, "--config-keys"], capture_output=True, text=True, timeout=60, check=True).stdout
            usage = subprocess.run([vp, "--help"], capture_output=True, text=True, timeout=60, check=True).stdout
        except (OSError, subprocess.SubprocessError) as e:
            raise SpecError(f"cannot ask the simulator '{vp}' for its keys: {e}")
        self.config_keys = [line.split("\t")[0] for line in keys.splitlines() if line.strip()]
        self.options, self.flags = [], set()
        for m in re.finditer(r"^\s+(?:-\w \[ )?--([a-z0-9-]+)(?: \])?( arg)?", usage, re.M):
            if m.group(1) not in OUTPUT_OPTIONS:
                self.options.append(m.group(1))
                if not m.group(2):
                    self.flags.add(m.group(1))


def identifier(name):
    """A name as a constraint may write it: tile.tile_x -> tile_tile_x, a-zeros -> a_zeros."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def axis_values(name, spec):
    """An axis' values: a list, or a range {from, to, step} / {from, to, times} / {from, to, num}."""
    if isinstance(spec, list):
        if not spec:
            raise SpecError(f"axis '{name}': no values")
        return spec
    if not isinstance(spec, dict) or "from" not in spec or "to" not in spec:
        raise SpecError(f"axis '{name}': expected a list of values or a range {{from, to, step | times | num}}")
    lo, hi = spec["from"], spec["to"]
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (lo, hi)):
        raise SpecError(f"axis '{name}': from and to must be numbers")
    integer = isinstance(lo, int) and isinstance(hi, int)
    if "step" in spec:
        step = spec["step"]
        if not isinstance(step, (int, float)) or step <= 0:
            raise SpecError(f"axis '{name}': step must be a positive number")
        n = int(math.floor((hi - lo) / step + 1e-9)) + 1
        values = [lo + i * step for i in range(max(n, 0))]
        integer = integer and isinstance(step, int)
    elif "times" in spec:
        factor = spec["times"]
        if not isinstance(factor, (int, float)) or factor <= 1 or lo <= 0:
            raise SpecError(f"axis '{name}': times must be a number above 1, and from positive")
        values, v = [], lo
        while v <= hi * (1 + 1e-9):
            values.append(v)
            v *= factor
        integer = integer and isinstance(factor, int)
    elif "num" in spec:
        n = spec["num"]
        if not isinstance(n, int) or n < 1:
            raise SpecError(f"axis '{name}': num must be a positive integer")
        values = [lo + (hi - lo) * i / (n - 1) for i in range(n)] if n > 1 else [lo]
        integer = False
    else:
        raise SpecError(f"axis '{name}': a range needs step, times or num")
    values = [int(round(v)) if integer else round(v, 12) for v in values]
    if not values:
        raise SpecError(f"axis '{name}': the range is empty")
    return values


def text_of(value):
    """A YAML value as the simulator reads it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Sweep:
    """A parsed, validated sweep file."""

    def __init__(self, doc, simulator, name="sweep"):
        if not isinstance(doc, dict):
            raise SpecError("the sweep file must be a mapping (job, axes, metrics, ...)")
        known = {"name", "hw", "params", "job", "axes", "combine", "constraints", "metrics"}
        unknown = sorted(set(doc) - known)
        if unknown:
            raise SpecError(f"unknown section '{unknown[0]}' (expected {', '.join(sorted(known))})")
        self.sim = simulator
        self.name = str(doc.get("name", name))
        self.hw = str(doc.get("hw", "edge"))
        self.params = {str(k): v for k, v in (doc.get("params") or {}).items()}
        self.job = {str(k): v for k, v in (doc.get("job") or {}).items()}
        for key in self.params:
            self._check_name(key, "params", config_only=True)
        for key in self.job:
            self._check_name(key, "job", options_only=True)
        axes = doc.get("axes") or {}
        if not isinstance(axes, dict) or not axes:
            raise SpecError("'axes' must name at least one configuration key or job option")
        self.axes = {}
        for name, spec in axes.items():
            name = str(name)
            self._check_name(name, "axes")
            self.axes[name] = axis_values(name, spec)
        self.combine = doc.get("combine", "product")
        if self.combine not in ("product", "zip"):
            raise SpecError(f"combine '{self.combine}': expected product or zip")
        if self.combine == "zip" and len({len(v) for v in self.axes.values()}) > 1:
            raise SpecError("combine: zip needs axes of equal length: " +
                            ", ".join(f"{k} has {len(v)}" for k, v in self.axes.items()))
        self.constraints = [self._compile_constraint(c) for c in (doc.get("constraints") or [])]
        metrics = doc.get("metrics") or ["throughput", "energy", "area", "cycles"]
        if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
            raise SpecError("'metrics' must be a list of statistic names")
        self.metrics = list(dict.fromkeys(metrics))
        clash = set(self.metrics) & set(self.axes)
        if clash:
            raise SpecError(f"'{sorted(clash)[0]}' is both an axis and a metric")

    def _check_name(self, name, section, config_only=False, options_only=False):
        if name == "hw" and section == "axes":
            return
        is_key = name in self.sim.config_keys
        is_option = name in self.sim.options
        if (is_key and not options_only) or (is_option and not config_only):
            return
        what = "configuration key" if config_only else "job option" if options_only else "configuration key or job option"
        candidates = (self.sim.config_keys if not options_only else []) + (self.sim.options if not config_only else [])
        close = [k for k in candidates if identifier(k) == identifier(name) or k.endswith("." + name)]
        close += difflib.get_close_matches(name, candidates, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise SpecError(f"{section}: unknown {what} '{name}'{hint}; "
                        f"see acceltran-vp --config-keys and acceltran-vp --help")

    def _names_in_scope(self):
        names = {}
        for source in (self.params, self.job, self.axes):
            for k in source:
                names[identifier(k)] = k
        return names

    def _compile_constraint(self, text):
        if not isinstance(text, str):
            raise SpecError(f"constraint {text!r}: expected an expression such as 'lanes_per_pe * pe <= 2048'")
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as e:
            raise SpecError(f"constraint '{text}': {e.msg}")
        allowed = (ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Name, ast.Load, ast.Constant,
                   ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.IfExp)
        scope = self._names_in_scope()
        for node in ast.walk(tree):
            if not isinstance(node, allowed):
                raise SpecError(f"constraint '{text}': only arithmetic, comparisons and and/or/not are allowed")
            if isinstance(node, ast.Name) and node.id not in scope:
                raise SpecError(f"constraint '{text}': unknown name '{node.id}' (not an axis, param or job option of this sweep)")
        return text, compile(tree, "<constraint>", "eval")

    def _scope(self, values):
        scope = {}
        for source in (self.params, self.job, values):
            for k, v in source.items():
                scope[identifier(k)] = v
        return scope

    def feasible(self, values):
        scope = self._scope(values)
        return all(eval(code, {"__builtins__": {}}, scope) for _, code in self.constraints)

    def combinations(self):
        names = list(self.axes)
        if self.combine == "zip":
            rows = zip(*(self.axes[n] for n in names))
        else:
            rows = itertools.product(*(self.axes[n] for n in names))
        return [dict(zip(names, row)) for row in rows]

    def points(self):
        """Every feasible point of the sweep, in order."""
        return [self.point(v) for v in self.combinations() if self.feasible(v)]

    def point(self, values):
        return Point(self, values)


class Point:
    """One simulator run: the axis values, and the arguments they resolve to."""

    def __init__(self, sweep, values):
        self.values = dict(values)
        hw = str(values.get("hw", sweep.hw))
        params = dict(sweep.params)
        options = dict(sweep.job)
        for k, v in values.items():
            if k == "hw":
                continue
            if k in sweep.sim.config_keys:
                params[k] = v
            else:
                options[k] = v
        self.resolved = {"hw": hw, "params": {k: text_of(v) for k, v in sorted(params.items())},
                         "options": {k: text_of(v) for k, v in sorted(options.items())}}
        self.args = ["--hw", hw]
        for k, v in self.resolved["params"].items():
            self.args += ["-p", f"{k}={v}"]
        for k, v in self.resolved["options"].items():
            if k in sweep.sim.flags:
                if v == "true":
                    self.args.append("--" + k)
                elif v != "false":
                    raise SpecError(f"'{k}' is a flag: its values must be true or false, not '{v}'")
            else:
                self.args += ["--" + k, v]
        self.hash = hashlib.sha256(json.dumps(self.resolved, sort_keys=True).encode()).hexdigest()[:16]


def metric(stats, name):
    """A metric's value in a statistics JSON (None if the run has no such statistic)."""
    node = stats
    for part in METRIC_ALIASES.get(name, name).split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, (int, float)) and not isinstance(node, bool) else None


def load(path, simulator):
    import yaml
    try:
        with open(path) as f:
            doc = yaml.safe_load(f)
    except OSError as e:
        raise SpecError(f"cannot read the sweep file: {e}")
    except yaml.YAMLError as e:
        raise SpecError(f"{path}: not YAML: {e}")
    import os
    return Sweep(doc, simulator, name=os.path.splitext(os.path.basename(path))[0])
