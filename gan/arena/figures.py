"""The arena's PNG figures (matplotlib's object API, no pyplot, no global backend).

- ``samples_<target>.png``: one panel per loss, the final generated points over the
  real evaluation set (grey), titled with W_2 and the modes hit.
- ``w2_<target>.png``: W_2 against the training step, one line per loss, with the
  real-vs-real floor dashed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from .records import Record
from .targets import TARGETS
from .trainer import real_set

__all__ = ["draw"]

DPI = 90


def _title(r: Record) -> str:
    if r.diverged:
        return f"{r.loss}\ndiverged"
    modes = f", {r.modes}/{r.n_modes} modes" if r.n_modes else ""
    return f"{r.loss}\nW2 {r.w2:.3f}{modes}"


def _samples_figure(records: Sequence[Record], path: Path) -> None:
    from matplotlib.figure import Figure

    target = TARGETS[records[0].target]
    real = real_set(target, records[0].samples, records[0].seed)
    lo, hi = real.min(axis=0) - 0.5, real.max(axis=0) + 0.5
    cols = min(6, len(records))
    rows = math.ceil(len(records) / cols)
    fig = Figure(figsize=(2.2 * cols, 2.4 * rows), dpi=DPI, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, r in zip(axes, records):
        ax.scatter(real[:, 0], real[:, 1], s=1, c="0.75", rasterized=True)
        if r.samples_xy is not None:
            ax.scatter(r.samples_xy[:, 0], r.samples_xy[:, 1], s=1, c="tab:blue", alpha=0.5, rasterized=True)
        ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), xticks=[], yticks=[], aspect="equal")
        ax.set_title(_title(r), fontsize=8)
    for ax in axes[len(records):]:
        ax.set_axis_off()
    fig.suptitle(f"{target.name}: generated (blue) over real (grey), step {records[0].steps}", fontsize=10)
    fig.savefig(path)


def _curve_figure(records: Sequence[Record], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    colours = [f"C{i % 10}" for i in range(len(records))]
    styles = ["-", "--", ":", "-."]
    for i, r in enumerate(records):
        points = [(c.step, c.w2) for c in r.curve if c.w2 is not None]
        if points:
            steps, values = zip(*points)
            ax.plot(steps, values, styles[(i // 10) % 4], color=colours[i], marker=".", label=r.loss)
    if records[0].w2_floor is not None:
        ax.axhline(records[0].w2_floor, color="k", ls="--", lw=0.8, label="real vs real")
    ax.set(xlabel="generator step", ylabel="W2 (exact, lower is better)", yscale="log",
           title=f"{records[0].target}: W2 between {records[0].samples} generated and real points")
    ax.legend(fontsize=7, ncols=2 if len(records) > 12 else 1, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.savefig(path)


def draw(records: Sequence[Record], folder: Path) -> list[str]:
    """Write the figures of ``records`` into ``folder``; returns the file names.

    Raises ImportError when matplotlib is missing.
    """
    import matplotlib  # noqa: F401  (fail early, before any file is written)

    names = []
    for target in dict.fromkeys(r.target for r in records):
        group = [r for r in records if r.target == target]
        for stem, draw_one in (("samples", _samples_figure), ("w2", _curve_figure)):
            names.append(f"{stem}_{target}.png")
            draw_one(group, folder / names[-1])
    return names
