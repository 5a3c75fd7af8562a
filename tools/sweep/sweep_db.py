"""The results database: one SQLite table, `points`, a row per point.

Fixed columns say what the point is and how it went; one column per axis and per metric (named as
in the sweep file) makes `SELECT pe, tau, throughput FROM points` work; `provenance` is the run's
provenance JSON and `statistics` every statistic (zlib-compressed JSON).
"""
import json
import sqlite3
import time
import zlib

FIXED = [("hash", "TEXT PRIMARY KEY"), ("sweep", "TEXT"), ("status", "TEXT"), ("exit_code", "INTEGER"), ("message", "TEXT"),
         ("point", "TEXT"), ("args", "TEXT"), ("seconds", "REAL"), ("worker", "TEXT"), ("finished", "TEXT"),
         ("git_revision", "TEXT"), ("provenance", "TEXT"), ("statistics", "BLOB")]
FIXED_NAMES = [n for n, _ in FIXED]


def quote(name):
    return '"' + name.replace('"', '""') + '"'


class Results:
    def __init__(self, path):
        self.path = path
        self.db = sqlite3.connect(path, timeout=30)
        self.db.execute("CREATE TABLE IF NOT EXISTS points (" + ", ".join(f"{n} {t}" for n, t in FIXED) + ")")
        self.db.commit()

    def columns(self):
        return [row[1] for row in self.db.execute("PRAGMA table_info(points)")]

    def add_columns(self, names):
        have = set(self.columns())
        for name in names:
            if name not in have:
                self.db.execute(f"ALTER TABLE points ADD COLUMN {quote(name)}")
        self.db.commit()

    def done(self):
        """Hashes of the points that ran successfully (a re-run skips them)."""
        return {row[0] for row in self.db.execute("SELECT hash FROM points WHERE status = 'ok'")}

    def record(self, sweep_name, point, metrics, result):
        """Stores a finished point (ok or failed) and commits: a sweep that dies keeps what it ran."""
        stats = result.get("stats")
        prov = (stats or {}).get("provenance", {})
        row = {"hash": point.hash, "sweep": sweep_name, "status": "ok" if result["exit_code"] == 0 else "failed",
               "exit_code": result["exit_code"], "message": result["message"], "point": json.dumps(point.values),
               "args": json.dumps(point.args), "seconds": result.get("seconds"), "worker": result.get("worker"),
               "finished": time.strftime("%Y-%m-%dT%H:%M:%S"), "git_revision": prov.get("git_revision"),
               "provenance": json.dumps(prov) if prov else None,
               "statistics": zlib.compress(json.dumps(stats).encode()) if stats else None}
        row.update(point.values)
        row.update(metrics)
        self.add_columns(row)
        names = list(row)
        self.db.execute(f"INSERT OR REPLACE INTO points ({', '.join(map(quote, names))}) VALUES ({', '.join('?' * len(names))})",
                        [row[n] for n in names])
        self.db.commit()

    def metrics_of(self, hash_, names):
        """The stored metrics of a successful point, or None."""
        have = set(self.columns())
        if not all(n in have for n in names):
            return None
        row = self.db.execute(f"SELECT {', '.join(map(quote, names)) or 'hash'} FROM points WHERE hash = ? AND status = 'ok'",
                              (hash_,)).fetchone()
        return dict(zip(names, row)) if row else None

    def frame(self, sweep=None):
        """Every row as a pandas DataFrame (statistics left out), provenance flattened into columns."""
        import pandas as pd
        cols = [c for c in self.columns() if c != "statistics"]
        query = f"SELECT {', '.join(map(quote, cols))} FROM points"
        params = ()
        if sweep:
            query += " WHERE sweep = ?"
            params = (sweep,)
        # In the points' order, not the order they finished in: the same results, the same files.
        df = pd.read_sql_query(query + " ORDER BY hash", self.db, params=params)
        flat = []
        for text in df["provenance"]:
            p = json.loads(text) if text else {}
            row = {"version": p.get("version"), "command_line": " ".join(p.get("command_line", [])),
                   "cpu_backend": p.get("cpu_backend")}
            row.update({f"config.{k}": v for k, v in p.get("config", {}).items()})
            row.update({f"job.{k}": json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in p.get("job", {}).items()})
            row.update({f"input.{k}.sha256": v.get("sha256") for k, v in p.get("input_files", {}).items()})
            flat.append(row)
        extra = pd.DataFrame(flat, index=df.index)
        extra = extra[[c for c in extra.columns if c not in df.columns]]
        return pd.concat([df.drop(columns=["provenance"]), extra], axis=1)
