"""Runs the points of a sweep (or of a search) on a Dask cluster and streams them into the database.

Each point is one acceltran-vp process, started by sweep_runner.run_point on a worker. A point whose
process fails is recorded with its exit code and message; a point whose worker dies is submitted
again (up to RESUBMITS times), so a lost worker loses no point.
"""
import collections
import os
import sys
import time

import sweep_runner
import sweep_spec

RESUBMITS = 3

# A point submitted to the cluster: its attempt (resubmissions after a lost worker) and, in a
# search, its Optuna trial.
Task = collections.namedtuple("Task", "point attempt trial")


class Progress:
    """A progress bar with an ETA on stderr: redrawn in place on a terminal, a line every ~10 % otherwise."""

    def __init__(self, total, label, stream=sys.stderr, enabled=True):
        self.total, self.label, self.stream, self.enabled = total, label, stream, enabled
        self.tty = stream.isatty()
        self.started = time.time()
        self.done = self.failed = self.skipped = 0
        self.last_decile = -1
        self.draw()

    @staticmethod
    def clock(seconds):
        seconds = int(seconds)
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

    def advance(self, ok, skipped=False):
        self.done += 1
        self.failed += 0 if ok else 1
        self.skipped += 1 if skipped else 0
        self.draw()

    def draw(self):
        if not self.enabled or self.total == 0:
            return
        elapsed = time.time() - self.started
        ran = self.done - self.skipped
        left = self.total - self.done
        eta = self.clock(elapsed / ran * left) if ran else "?"
        width = 30
        filled = int(width * self.done / self.total)
        text = (f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}"
                f"{f' ({self.failed} failed)' if self.failed else ''} {self.clock(elapsed)} elapsed, ETA {eta}")
        if self.tty:
            self.stream.write("\r" + text + ("\n" if self.done == self.total else ""))
        else:
            decile = 10 * self.done // self.total
            if decile == self.last_decile:
                return
            self.last_decile = decile
            self.stream.write(text + "\n")
        self.stream.flush()


def connect(scheduler, workers):
    """A Dask client: of the cluster at `scheduler`, or of a LocalCluster sized to this machine."""
    import cloudpickle
    from distributed import Client, LocalCluster
    cloudpickle.register_pickle_by_value(sweep_runner)  # workers need not have this tool installed
    if scheduler:
        return Client(scheduler, timeout="30s")
    # The work is in the simulator processes, so one worker of threads is enough: each thread
    # waits on one acceltran-vp.
    cluster = LocalCluster(n_workers=1, threads_per_worker=workers or os.cpu_count() or 1, processes=False,
                           dashboard_address=None)
    return Client(cluster)


def close(client):
    cluster = client.cluster if hasattr(client, "cluster") else None
    client.close()
    if cluster is not None:
        cluster.close()


class Runner:
    """Submits points to the cluster and records each result as it arrives."""

    def __init__(self, client, sweep, results, vp, timeout):
        self.client, self.sweep, self.results, self.vp, self.timeout = client, sweep, results, vp, timeout
        self.missing_metrics = set()

    def submit(self, point, attempt=0):
        return self.client.submit(sweep_runner.run_point, self.vp, point.args, self.timeout, pure=False,
                                  key=f"point-{point.hash}-{attempt}")

    def record(self, point, result):
        metrics = {}
        if result["exit_code"] == 0:
            for name in self.sweep.metrics:
                metrics[name] = sweep_spec.metric(result["stats"], name)
                if metrics[name] is None:
                    self.missing_metrics.add(name)
        self.results.record(self.sweep.name, point, metrics, result)
        return metrics

    def outcome(self, future, task, in_flight, pending):
        """The result of a finished task; None if its worker was lost and it has been submitted again."""
        try:
            result = future.result()
        except Exception as e:  # the worker died or the cluster lost the task: try again elsewhere
            if task.attempt < RESUBMITS:
                again = self.submit(task.point, task.attempt + 1)
                in_flight[again] = task._replace(attempt=task.attempt + 1)
                pending.add(again)
                return None
            result = {"exit_code": -1, "message": f"lost on the cluster {task.attempt + 1} times: {type(e).__name__}: {e}",
                      "stats": None, "seconds": None, "worker": None}
        future.release()
        return result

    def run(self, points, on_result=None, progress=None):
        """Runs the points; calls on_result(point, result, metrics) for each. Returns when all are done."""
        from distributed import as_completed
        in_flight = {self.submit(p): Task(p, 0, None) for p in points}
        pending = as_completed(list(in_flight))
        for future in pending:
            task = in_flight.pop(future)
            result = self.outcome(future, task, in_flight, pending)
            if result is None:
                continue
            metrics = self.record(task.point, result)
            if progress:
                progress.advance(result["exit_code"] == 0)
            if on_result:
                on_result(task.point, result, metrics)

    def warn_missing(self):
        for name in sorted(self.missing_metrics):
            print(f"acceltran-sweep: warning: metric '{name}' is not a statistic of some points (stored as empty)",
                  file=sys.stderr)


def run_sweep(client, sweep, results, vp, timeout, show_progress=True):
    """Runs every point not yet done. Returns (points ran ok, points failed, points skipped)."""
    points = sweep.points()
    results.add_columns(list(sweep.axes) + sweep.metrics)
    done = results.done()
    todo = [p for p in points if p.hash not in done]
    print(f"acceltran-sweep: {sweep.name}: {len(points)} points, {len(points) - len(todo)} already done, "
          f"{len(todo)} to run on {sum(client.nthreads().values())} worker threads", file=sys.stderr)
    progress = Progress(len(todo), sweep.name, enabled=show_progress)
    counts = {"ok": 0, "failed": 0}
    runner = Runner(client, sweep, results, vp, timeout)

    def count(point, result, metrics):
        counts["ok" if result["exit_code"] == 0 else "failed"] += 1
        if result["exit_code"] != 0:
            first = result["message"].strip().splitlines()[-1] if result["message"].strip() else ""
            print(f"\nacceltran-sweep: point {point.values} failed (exit {result['exit_code']}): {first}", file=sys.stderr)

    runner.run(todo, count, progress)
    runner.warn_missing()
    return counts["ok"], counts["failed"], len(points) - len(todo)


def suggest(trial, name, values, spec):
    """An axis as an Optuna distribution: a numeric range stays a range, anything else is categorical."""
    if isinstance(spec, dict) and "step" in spec and all(isinstance(v, int) for v in values):
        return trial.suggest_int(name, values[0], values[-1], step=spec["step"])
    if isinstance(spec, dict) and "step" in spec:
        return round(trial.suggest_float(name, values[0], values[-1], step=spec["step"]), 12)
    return trial.suggest_categorical(name, values)


def run_search(client, sweep, axis_specs, results, vp, timeout, objectives, trials, seed, population, show_progress=True):
    """NSGA-II over the sweep's axes: `trials` feasible points, run in parallel batches on the cluster.

    objectives: [(metric, "max" | "min")]. Points already in the database are not run again.
    """
    import optuna
    from distributed import as_completed
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.NSGAIISampler(seed=seed, population_size=population)
    study = optuna.create_study(directions=["maximize" if d == "max" else "minimize" for _, d in objectives], sampler=sampler)
    for name, _ in objectives:
        if name not in sweep.metrics:
            sweep.metrics.append(name)
    results.add_columns(list(sweep.axes) + sweep.metrics)
    runner = Runner(client, sweep, results, vp, timeout)
    parallel = max(1, sum(client.nthreads().values()))
    progress = Progress(trials, f"{sweep.name} nsga2", enabled=show_progress)
    asked = told = 0
    infeasible_limit = 50 * trials
    infeasible = 0
    in_flight = {}  # future -> Task
    pending = as_completed()

    def tell(trial, result, metrics, skipped=False):
        values = [metrics.get(n) for n, _ in objectives]
        if result["exit_code"] == 0 and all(v is not None for v in values):
            study.tell(trial, values)
        else:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        progress.advance(result["exit_code"] == 0, skipped)

    while told < trials:
        while asked < trials and len(in_flight) < parallel:
            trial = study.ask()
            values = {n: suggest(trial, n, sweep.axes[n], axis_specs.get(n)) for n in sweep.axes}
            if not sweep.feasible(values):
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                infeasible += 1
                if infeasible > infeasible_limit:
                    raise sweep_spec.SpecError("the search finds almost no point that meets the constraints")
                continue
            asked += 1
            point = sweep.point(values)
            stored = results.metrics_of(point.hash, sweep.metrics)
            if stored is not None and all(stored.get(n) is not None for n, _ in objectives):
                tell(trial, {"exit_code": 0}, stored, skipped=True)  # a point already run: not again
                told += 1
                continue
            future = runner.submit(point)
            in_flight[future] = Task(point, 0, trial)
            pending.add(future)
        if not in_flight:
            continue
        future = next(pending)
        task = in_flight.pop(future)
        result = runner.outcome(future, task, in_flight, pending)
        if result is None:
            continue
        metrics = runner.record(task.point, result)
        tell(task.trial, result, metrics)
        told += 1
    runner.warn_missing()
    return study
