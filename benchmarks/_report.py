"""Reporting: a Markdown table, JSON files and log-log plots of time against n."""

from __future__ import annotations

import json
import math
import os
import platform
import time
from pathlib import Path

import numpy as np

from ._timing import Row

COLUMNS = ("area", "regime", "n", "ours s", "ours err", "peer (fastest mode)", "peer s", "peer err",
           "ratio", "verdict", "\\|value diff\\|", "note")
HEADER = "| " + " | ".join(COLUMNS) + " |"


def _ratio_cell(row: Row) -> str:
    if not math.isfinite(row.ratio):
        return "-"  # no peer ran
    cell = ("<= " if row.peer_bound else "") + f"{row.ratio:.2f}"
    if row.target is not None:
        verdict = "met" if row.ratio <= row.target else "MISSED"
        cell += f" (target <= {row.target:g}: {verdict})"
    return cell


def _num(x: float, fmt: str = ".1e") -> str:
    return "-" if x is None or not math.isfinite(x) else format(x, fmt)  # a floor computes no value


def _peer_cell(row: Row) -> str:
    return f"{row.peer}: {row.peer_mode}" if row.peer_mode else row.peer


def table(rows: list[Row]) -> str:
    lines = [HEADER, "|" + "---|" * len(COLUMNS)]
    for r in rows:
        peer_s = ("> " if r.peer_bound else "") + _num(r.peer_s, ".4f")
        cells = (r.area, r.regime or "-", str(r.n), f"{r.ours_s:.4f}", _num(r.ours_err), _peer_cell(r), peer_s,
                 _num(r.peer_err), _ratio_cell(r), r.verdict, _num(r.value_diff), r.note)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def losses(rows: list[Row]) -> list[Row]:
    """The rows where we are slower than the peer's fastest mode."""
    return [r for r in rows if r.verdict.startswith("LOSS")]


def _meta(quick: bool) -> dict:
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "quick": quick,
        "python": platform.python_version(),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": load_average(),
    }


def load_average() -> tuple[float, ...] | None:
    """The 1, 5 and 15 minute load averages: a ratio taken at a load above the core
    count was measured on a shared machine."""
    return tuple(round(x, 1) for x in os.getloadavg()) if hasattr(os, "getloadavg") else None


def write_json(out: Path, area: str, rows: list[Row], quick: bool) -> None:
    """Write ``<area>.json`` and merge the area into ``results.json``."""
    entry = {"meta": _meta(quick), "rows": [r.to_dict() for r in rows]}
    (out / f"{area}.json").write_text(json.dumps(entry, indent=2))
    merged_path = out / "results.json"
    merged = json.loads(merged_path.read_text()) if merged_path.exists() else {}
    merged[area] = entry
    merged_path.write_text(json.dumps(merged, indent=2))


def slope(n: list[int], t: list[float]) -> float:
    """Least-squares slope of log t against log n."""
    return float(np.polyfit(np.log(n), np.log(t), 1)[0])


def _panels(rows: list[Row]) -> dict[str, list[Row]]:
    """Regime (sub-area when an area mixes several) -> its rows."""
    panels: dict[str, list[Row]] = {}
    for r in rows:
        key = " ".join(part for part in (r.area, r.regime) if part)
        panels.setdefault(key, []).append(r)
    return panels


def _series(rows: list[Row]) -> dict[str, tuple[list[int], list[float], list[bool]]]:
    """Label -> (sizes, seconds, lower bound?): ours once per size, then each peer."""
    series: dict[str, tuple[list[int], list[float], list[bool]]] = {}
    for r in rows:
        for label, t, bound in (("ours", r.ours_s, False), (r.peer, r.peer_s, r.peer_bound)):
            ns, ts, bs = series.setdefault(label, ([], [], []))
            if r.n not in ns and math.isfinite(t) and t > 0:
                ns.append(r.n)
                ts.append(t)
                bs.append(bound)
    return series


def plot(out: Path, area: str, rows: list[Row]) -> Path | None:
    """Log-log time against n, one panel per regime, ours and each peer (its fastest
    mode), least-squares slopes in the legend; a peer's lower bounds are hollow
    markers. None when matplotlib is missing or there is no row."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    panels = _panels(rows)
    if not panels:  # every row skipped by the grid budget
        return None
    cols = min(3, len(panels))
    nrows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(5 * cols, 3.6 * nrows), squeeze=False)
    for ax, (title, panel) in zip(axes.flat, panels.items()):
        for label, (ns, ts, bs) in _series(panel).items():
            if not ns:
                continue
            fit = f", slope {slope(ns, ts):.2f}" if len(ns) > 1 else ""
            line, = ax.loglog(ns, ts, "-", label=label + fit)
            for n, t, b in zip(ns, ts, bs):
                ax.plot(n, t, "o", color=line.get_color(), fillstyle="none" if b else "full")
        ax.set(xlabel="n", ylabel="seconds", title=title)
        ax.title.set_fontsize(9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"{area}: time against n (hollow: peer lower bound)", fontsize=10)
    path = out / f"{area}.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
