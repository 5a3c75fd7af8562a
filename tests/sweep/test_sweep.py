#!/usr/bin/python3
"""acceltran-sweep end to end: on a real Dask scheduler and workers started here on 127.0.0.1, on
the LocalCluster, and point by point.

    test_sweep.py SWEEP_TOOL VP SCRATCH_DIR CASE

Every process this test starts is in its own session, dies with the test (PR_SET_PDEATHSIG) and is
killed at the end; every wait is bounded.
"""
import ctypes
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

SWEEP, VP, SCRATCH, CASE = sys.argv[1:5]
PYTHON = "/usr/bin/python3"
shutil.rmtree(SCRATCH, ignore_errors=True)  # a database left by an earlier run would be re-used
os.makedirs(SCRATCH)
started = []


def die_with_parent():
    os.setsid()
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def spawn(*command, log):
    p = subprocess.Popen(command, stdout=open(log, "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         preexec_fn=die_with_parent)
    started.append(p)
    return p


def kill(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait(timeout=30)


def cleanup():
    for p in started:
        kill(p)


def path(name):
    return os.path.join(SCRATCH, name)


def write(name, text):
    with open(path(name), "w") as f:
        f.write(text)
    return path(name)


def check(cond, what):
    if not cond:
        cleanup()
        sys.exit("FAILED: " + what)


def sweep(*args, rc=0, timeout=240):
    r = subprocess.run([PYTHON, SWEEP, *args], capture_output=True, text=True, timeout=timeout)
    check(r.returncode == rc, f"acceltran-sweep {' '.join(args)}: exit {r.returncode}, expected {rc}\n{r.stdout}{r.stderr}")
    return r


def start_cluster(workers=2):
    """A `dask scheduler` and `dask worker`s on 127.0.0.1, on free ports; returns its address."""
    info = path("scheduler.json")
    if os.path.exists(info):
        os.remove(info)
    spawn("dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", info,
          log=path("scheduler.log"))
    deadline = time.time() + 60
    while not os.path.exists(info):
        check(time.time() < deadline, "the scheduler did not start:\n" + open(path("scheduler.log")).read())
        time.sleep(0.1)
    time.sleep(0.2)
    with open(info) as f:
        address = json.load(f)["address"]
    check(address.startswith("tcp://127.0.0.1:"), f"scheduler address {address}")
    procs = [spawn("dask", "worker", "--scheduler-file", info, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
                   "--no-dashboard", "--name", f"w{i}", log=path(f"worker{i}.log")) for i in range(workers)]
    # Ready when the scheduler knows every worker.
    from distributed import Client
    with Client(address, timeout="30s") as c:
        c.wait_for_workers(workers, timeout=60)
    return address, procs


# 18 points of a small GEMM whose cycles, traffic and energy differ from point to point.
GRID = """\
job:
  job: matmul
  m: 48
  k: 96
  n: 40
  a-zeros: 0.3
  dynatran: true
axes:
  pe: [4, 8, 16]
  lanes_per_pe: [4, 8]
  tau: [0.0, 0.2, 0.5]
constraints:
  - pe * lanes_per_pe < 128
metrics: [control.active_cycles, energy.total_nj, area.total_mm2, dram.read_bytes, job.mismatches]
"""
METRICS = ["control.active_cycles", "energy.total_nj", "area.total_mm2", "dram.read_bytes", "job.mismatches"]


def rows(db):
    with sqlite3.connect(db) as c:
        c.row_factory = sqlite3.Row
        return {r["hash"]: dict(r) for r in c.execute("SELECT * FROM points")}


def points_so_far(db):
    """Rows of a database that a running sweep may not have created yet (file or table)."""
    try:
        return len(rows(db)) if os.path.exists(db) else 0
    except sqlite3.OperationalError:  # the file is open but its table not yet created, or it is locked
        return 0


def metrics_by_point(db):
    return {h: {m: r[m] for m in METRICS} for h, r in rows(db).items()}


def one_by_one(spec):
    """Every point run directly with acceltran-vp (no Dask, no sweep runner): its metrics by hash."""
    out = {}
    points = [json.loads(line) for line in sweep("points", spec, "--vp", VP, "--json").stdout.splitlines()]
    for i, p in enumerate(points):
        stats_path = path(f"direct{i}.json")
        r = subprocess.run([VP, *p["args"], "-q", "--stats-out", stats_path], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"point {p['values']} run directly: exit {r.returncode}\n{r.stderr}")
        with open(stats_path) as f:
            stats = json.load(f)
        values = {}
        for m in METRICS:
            node = stats
            for part in m.split("."):
                node = node[part]
            values[m] = node
        out[p["hash"]] = values
    return out


def test_cluster_local_and_direct_agree():
    spec = write("grid.yaml", GRID)
    address, _ = start_cluster()
    sweep(spec, "--db", path("cluster.db"), "--vp", VP, "--scheduler", address, "-q")
    cluster = rows(path("cluster.db"))
    check(len(cluster) == 15 and all(r["status"] == "ok" for r in cluster.values()),
          f"15 points (18 less 3 beyond the constraint) all ok on the cluster: {len(cluster)}")
    workers = {r["worker"] for r in cluster.values()}
    check(len(workers) == 2 and all(w.startswith("tcp://127.0.0.1:") for w in workers), f"both workers ran points: {workers}")
    sweep(spec, "--db", path("local.db"), "--vp", VP, "--workers", "2", "-q")
    direct = one_by_one(spec)
    by_cluster, by_local = metrics_by_point(path("cluster.db")), metrics_by_point(path("local.db"))
    check(by_cluster == by_local, f"cluster and LocalCluster differ:\n{by_cluster}\n{by_local}")
    check(by_cluster == direct, f"the sweep and the points run one by one differ:\n{by_cluster}\n{direct}")
    check(len({json.dumps(v, sort_keys=True) for v in direct.values()}) > 5, "the points have different metrics")
    # The provenance of each row is the point's: its pe is the row's.
    for r in cluster.values():
        check(json.loads(r["provenance"])["config"]["pe"] == r["pe"], f"provenance of {r['point']}")


def test_killed_worker_loses_no_point():
    # Points of ~0.3 s: the sweep is under way on both workers when one is killed.
    spec = write("long.yaml", GRID.replace("m: 48\n  k: 96\n  n: 40", "m: 160\n  k: 384\n  n: 160"))
    address, workers = start_cluster()
    db = path("killed.db")
    run = spawn(PYTHON, SWEEP, spec, "--db", db, "--vp", VP, "--scheduler", address, "-q", log=path("killed.log"))
    deadline = time.time() + 120
    done = 0
    while done < 3:
        check(run.poll() is None, "the sweep ended before a worker could be killed:\n" + open(path("killed.log")).read())
        check(time.time() < deadline, "no progress")
        time.sleep(0.05)
        done = points_so_far(db)
    kill(workers[0])
    check(run.wait(timeout=180) == 0, "the sweep failed after a worker was killed:\n" + open(path("killed.log")).read())
    after = rows(db)
    check(done < 15, f"the worker was killed mid-sweep ({done} of 15 points done)")
    check(len(after) == 15 and all(r["status"] == "ok" for r in after.values()),
          f"every point done after the kill: {len(after)}, " + str([r["message"] for r in after.values() if r["status"] != "ok"]))


def vp_logger():
    """A stand-in for acceltran-vp that logs each call and runs the real one."""
    log = path("calls.log")
    script = write("vp-logged", f"#!/bin/sh\necho \"$*\" >> {log}\nexec {VP} \"$@\"\n")
    os.chmod(script, 0o755)
    if os.path.exists(log):
        os.remove(log)
    return script, log


def calls(log):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [line.strip() for line in f if line.strip() not in ("--config-keys", "--help")]


def test_bad_names_refused_before_running():
    vp, log = vp_logger()
    cases = [(GRID.replace("lanes_per_pe: [4, 8]", "lanes_per_px: [4, 8]"), "unknown configuration key or job option 'lanes_per_px'"),
             (GRID.replace("  m: 48", "  mm: 48"), "job: unknown job option 'mm'"),
             (GRID.replace("lanes_per_pe < 128", "lanes < 128"), "unknown name 'lanes'"),
             (GRID.replace("tau: [0.0, 0.2, 0.5]", "tau: {from: 0, to: 1}"), "axis 'tau': a range needs step, times or num"),
             (GRID + "params:\n  tau: 0.1\n", "params: unknown configuration key 'tau'")]
    for i, (text, message) in enumerate(cases):
        db = path(f"bad{i}.db")
        r = sweep(write(f"bad{i}.yaml", text), "--db", db, "--vp", vp, rc=2)
        check(message in r.stderr, f"the refusal names the problem: expected '{message}' in:\n{r.stderr}")
        check(not os.path.exists(db), "no database was created")
    r = sweep(write("good.yaml", GRID), "--db", path("no_such_dir/r.db"), "--vp", vp, rc=2)
    check("not a results database it can open" in r.stderr, f"a database that cannot be opened: {r.stderr}")
    check(calls(log) == [], f"no point ran: {calls(log)}")


def test_failures_recorded_and_rerun_skips_done():
    vp, log = vp_logger()
    # --m 0 is refused by the simulator.
    spec = write("fails.yaml", GRID.replace("pe: [4, 8, 16]", "pe: [4, 8]").replace("  m: 48\n", "")
                 .replace("axes:\n", "axes:\n  m: [0, 16]\n"))
    db = path("fails.db")
    r = sweep(spec, "--db", db, "--vp", vp, "-q", rc=1)
    got = rows(db)
    failed = [x for x in got.values() if x["status"] == "failed"]
    check(len(got) == 24 and len(failed) == 12, f"24 points, the 12 with m = 0 failed: {len(got)}, {len(failed)}")
    check(all(x["exit_code"] == 2 and "--m, --k and --n must be at least 1" in x["message"] for x in failed),
          f"a failed point's exit code and message: {failed[0]['exit_code']} {failed[0]['message']}")
    check(all(x["m"] == 16 for x in got.values() if x["status"] == "ok"), "the others ran")
    ran = len(calls(log))
    r = sweep(spec, "--db", db, "--vp", vp, "-q", rc=1)
    check("12 already done" in r.stderr, f"the re-run skips the done points:\n{r.stderr}")
    check(len(calls(log)) - ran == 12, f"the re-run ran only the 12 failed points again: {len(calls(log)) - ran}")


def test_search_plots_and_export():
    spec = write("search.yaml", """\
job: {model: bert-nano, seq: 16, batch: 1, check: "off"}
axes:
  pe: {from: 4, to: 32, step: 4}
  lanes_per_pe: [4, 8, 16]
  tau: [0.0, 0.05, 0.2]
constraints: ["pe * lanes_per_pe <= 256"]
metrics: [cycles]
""")
    db = path("search.db")
    r = sweep(spec, "--db", db, "--vp", VP, "--workers", "2", "-q", "--search", "nsga2", "--trials", "12",
              "--objectives", "throughput:max,energy:min,area:min", "--out", path("front"))
    got = [x for x in rows(db).values() if x["status"] == "ok"]
    check(6 <= len(got) <= 12 and all(x["pe"] * x["lanes_per_pe"] <= 256 for x in got), f"12 trials, feasible: {len(got)}")
    # The front the tool reports: exactly the points no other point dominates.
    def dominates(a, b):
        ge = a["throughput"] >= b["throughput"] and a["energy"] <= b["energy"] and a["area"] <= b["area"]
        return ge and (a["throughput"] > b["throughput"] or a["energy"] < b["energy"] or a["area"] < b["area"])
    front = [x for x in got if not any(dominates(y, x) for y in got)]
    table = r.stdout.split("Pareto front", 1)[1].splitlines()[2:2 + len(front)]
    check(f"Pareto front ({len(front)} of {len(got)} points" in r.stdout, f"front size {len(front)}:\n{r.stdout}")
    reported = sorted((int(line.split()[0]), int(line.split()[1]), float(line.split()[2])) for line in table)
    expected = sorted((x["pe"], x["lanes_per_pe"], x["tau"]) for x in front)
    check(reported == expected, f"the front's points: {reported} vs {expected}")
    for ext, magic in (("png", b"\x89PNG"), ("svg", b"<?xml")):
        with open(path("front." + ext), "rb") as f:
            check(f.read(5).startswith(magic), f"front.{ext} is a {ext}")
    r = sweep("plot", db, "--x", "pe", "--y", "throughput", "--hue", "tau", "--out", path("tp"))
    for ext, magic in (("png", b"\x89PNG"), ("svg", b"<?xml")):
        with open(path("tp." + ext), "rb") as f:
            check(f.read(5).startswith(magic), f"tp.{ext} is a {ext}")
    r = sweep("plot", db, "--x", "pe", "--y", "no_such_metric", rc=2)
    check("no column 'no_such_metric'" in r.stderr, r.stderr)
    sweep("export", db, "--out", path("all.csv"))
    import csv
    with open(path("all.csv")) as f:
        table = list(csv.DictReader(f))
    check(len(table) == len(rows(db)) and all(float(t["config.pe"]) == float(t["pe"]) for t in table),
          "the CSV has a row per point, the provenance's configuration beside the axes")
    check(all(t["git_revision"] and t["job.tau"] for t in table), "provenance columns in the CSV")


def test_study_file_is_valid():
    """docs/exploration.md's study: a valid sweep file of at least 100 points (nothing runs)."""
    study = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "sweep", "study", "bert-tiny-edge.yaml")
    points = [json.loads(line) for line in sweep("points", study, "--vp", VP, "--json").stdout.splitlines()]
    check(len(points) >= 100, f"at least 100 points: {len(points)}")
    check(all(p["values"]["weight_buffer_size"] == 2 * p["values"]["activation_buffer_size"] and
              p["values"]["pe"] * p["values"]["lanes_per_pe"] <= 2048 for p in points), "the constraints hold")
    check(len({p["hash"] for p in points}) == len(points), "every point has its own hash")


try:
    globals()["test_" + CASE]()
finally:
    cleanup()
print("ok:", CASE)
