"""Tables and plots of a results database: a metric against an axis, and the Pareto front."""
import os

import sweep_spec


def parse_objectives(text):
    """'throughput:max,energy:min' -> [('throughput', 'max'), ('energy', 'min')]."""
    out = []
    for part in text.split(","):
        name, _, direction = part.strip().partition(":")
        if not name or direction not in ("max", "min"):
            raise sweep_spec.SpecError(f"objective '{part}': expected METRIC:max or METRIC:min")
        out.append((name, direction))
    if len(out) < 2:
        raise sweep_spec.SpecError("a Pareto front needs at least two objectives")
    return out


def pareto_mask(df, objectives):
    """True for the rows no other row dominates (at least as good in every objective, better in one)."""
    import numpy as np
    values = np.column_stack([df[n].to_numpy(dtype=float) * (-1.0 if d == "max" else 1.0) for n, d in objectives])
    keep = np.ones(len(values), dtype=bool)
    for i in range(len(values)):
        at_least = np.all(values <= values[i], axis=1)
        better = np.any(values < values[i], axis=1)
        keep[i] = not np.any(at_least & better)
    return keep


def ok_rows(df, columns):
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise sweep_spec.SpecError(f"no column '{missing[0]}' in the results (columns: " +
                                   ", ".join(c for c in df.columns if "." not in c) + ")")
    return df[(df["status"] == "ok")].dropna(subset=columns)


def save(fig, prefix):
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    paths = []
    for ext in ("png", "svg"):
        path = f"{prefix}.{ext}"
        # Fixed metadata: the same data makes the same files (the figures are committed).
        fig.savefig(path, dpi=110, bbox_inches="tight",
                    metadata={"Software": None} if ext == "png" else {"Date": None, "Creator": None})
        paths.append(path)
    return paths


def figure():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams["svg.hashsalt"] = "acceltran-sweep"
    return plt


def plot_metric(df, x, y, hue, prefix, agg="mean", logx=False, logy=False, title=None):
    """y against x, one line per value of hue (y aggregated over the other axes by agg)."""
    plt = figure()
    columns = [x, y] + ([hue] if hue else [])
    data = ok_rows(df, columns)
    if data.empty:
        raise sweep_spec.SpecError("no successful point to plot")
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    groups = data.groupby(hue) if hue else [(None, data)]
    for value, group in groups:
        series = group.groupby(x)[y].agg(agg).sort_index()
        ax.plot(series.index, series.values, marker="o", label=f"{hue} = {value}" if hue else None)
    ax.set_xlabel(x)
    ax.set_ylabel(f"{y} ({agg})" if len(data) > data.groupby(columns[:1] + columns[2:]).ngroups else y)
    if logx:
        ax.set_xscale("log", base=2)
    if logy:
        ax.set_yscale("log")
    if hue:
        ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    ax.set_title(title or f"{y} against {x}")
    paths = save(fig, prefix)
    plt.close(fig)
    return paths


def pareto_table(df, objectives, axes):
    data = ok_rows(df, [n for n, _ in objectives])
    front = data[pareto_mask(data, objectives)]
    columns = [a for a in axes if a in front.columns] + [n for n, _ in objectives]
    first, direction = objectives[0]
    return data, front.sort_values(first, ascending=direction == "min")[columns]


def plot_pareto(df, objectives, axes, prefix, title=None):
    """The first two objectives of every point, the Pareto front (over all objectives) highlighted."""
    plt = figure()
    data, front = pareto_table(df, objectives, axes)
    (xn, xd), (yn, yd) = objectives[0], objectives[1]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.scatter(data[xn], data[yn], s=12, color="0.75", label=f"all points ({len(data)})")
    colour = objectives[2][0] if len(objectives) > 2 else None
    sc = ax.scatter(front[xn], front[yn], s=30, c=front[colour] if colour else "C3", cmap="viridis", edgecolors="k",
                    linewidths=0.4, label=f"Pareto front ({len(front)})")
    if colour:
        fig.colorbar(sc, ax=ax, label=f"{colour} ({objectives[2][1]})")
    ax.set_xlabel(f"{xn} ({xd})")
    ax.set_ylabel(f"{yn} ({yd})")
    ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    ax.set_title(title or "Pareto front")
    paths = save(fig, prefix)
    plt.close(fig)
    return front, paths
