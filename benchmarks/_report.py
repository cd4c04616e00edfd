"""Reporting: a Markdown table, JSON files and log-log plots of time against n."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from ._timing import Row

HEADER = "| area | n | ours s | peer | peer s | ratio | \\|value diff\\| | note |"


def _ratio_cell(row: Row) -> str:
    cell = f"{row.ratio:.2f}"
    if row.target is not None:
        verdict = "met" if row.ratio <= row.target else "MISSED"
        cell += f" (target <= {row.target:g}: {verdict})"
    return cell


def _diff_cell(diff: float) -> str:
    return "-" if np.isnan(diff) else f"{diff:.1e}"  # a floor computes no value


def table(rows: list[Row]) -> str:
    lines = [HEADER, "|" + "---|" * 8]
    for r in rows:
        lines.append(
            f"| {r.area} | {r.n} | {r.ours_s:.4f} | {r.peer} | {r.peer_s:.4f} "
            f"| {_ratio_cell(r)} | {_diff_cell(r.value_diff)} | {r.note} |"
        )
    return "\n".join(lines)


def _meta(quick: bool) -> dict:
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "quick": quick,
        "python": platform.python_version(),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
    }


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


def _series(rows: list[Row]) -> dict[str, tuple[list[int], list[float]]]:
    """Label -> (sizes, seconds): ours once per size, then each peer (per sub-area)."""
    tag = (lambda r: f" [{r.area}]") if len({r.area for r in rows}) > 1 else (lambda r: "")
    series: dict[str, tuple[list[int], list[float]]] = {}
    for r in rows:
        for label, t in (("ours" + tag(r), r.ours_s), (r.peer + tag(r), r.peer_s)):
            ns, ts = series.setdefault(label, ([], []))
            if r.n not in ns:
                ns.append(r.n)
                ts.append(t)
    return series


def plot(out: Path, area: str, rows: list[Row]) -> Path | None:
    """Log-log time against n with fitted slopes; None when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, (ns, ts) in _series(rows).items():
        fit = f", slope {slope(ns, ts):.2f}" if len(ns) > 1 else ""
        ax.loglog(ns, ts, "o-", label=label + fit)
    ax.set(xlabel="n", ylabel="seconds (best of k)", title=f"{area}: time against n")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    path = out / f"{area}.png"
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
