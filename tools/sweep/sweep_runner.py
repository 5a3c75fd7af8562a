"""Runs one point: one acceltran-vp process, on whichever Dask worker the scheduler chose.

This module is shipped to the workers by value (cloudpickle), so a `dask worker` started by hand
needs nothing but Python and the simulator at the same path.
"""
import json
import os
import socket
import subprocess
import tempfile
import time

# What a failed point keeps of the simulator's output (its last lines say why).
MESSAGE_CHARS = 2000


def run_point(vp, args, timeout):
    """Runs `vp args --stats-out TMP -q`; returns the exit code, a message and the statistics."""
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="acceltran-sweep-") as tmp:
        stats_path = os.path.join(tmp, "stats.json")
        command = [vp, *args, "--quiet", "--stats-out", stats_path]
        try:
            r = subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
            rc, out, err = r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired:
            rc, out, err = -1, "", f"timed out after {timeout} s"
        except OSError as e:
            rc, out, err = -1, "", f"cannot run {vp}: {e}"
        stats = None
        if os.path.exists(stats_path):
            try:
                with open(stats_path) as f:
                    stats = json.load(f)
            except (OSError, ValueError) as e:
                err += f"\nunreadable statistics: {e}"
    if rc == 0 and stats is None:
        rc, err = -1, err + "\nno statistics written"
    message = "ok" if rc == 0 else (err.strip() or out.strip())[-MESSAGE_CHARS:]
    if rc != 0 and not message:
        message = f"exit code {rc}"
    return {"exit_code": rc, "message": message, "stats": stats, "seconds": time.time() - started, "worker": worker_name()}


def worker_name():
    """The Dask worker's address (which of several workers on one host ran the point), else the host."""
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return socket.gethostname()
