"""The arena's PNG figures (matplotlib's object API, no pyplot, no global backend).

- ``leaderboard.png``: one panel per target, W_2 mean ± sd over the seeds per loss
  (a dot plot with error bars), the floor dashed; losses in the order of their mean
  rank across targets.
- ``samples_<target>.png``: one panel per loss, ordered by rank, the first seed's
  generated points over the real evaluation set (grey); points outside the axes are
  drawn as red triangles on the border and counted in the title. For ``digits``, a
  grid of generated images per loss instead.
- ``w2_<target>.png``: W_2 against the generator step for the :data:`TOP` best losses
  only, the mean over seeds with a band from the lowest to the highest seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .records import Record
from .stats import Summary, aggregate, ranked
from .targets import TARGETS
from .trainer import real_set

__all__ = ["TOP", "draw"]

DPI = 90
TOP = 5
DIGIT_GRID = 5  # images per side of each loss's digits panel


def _first_seed(records: Sequence[Record], loss: str, target: str) -> Record:
    return min((r for r in records if r.loss == loss and r.target == target), key=lambda r: r.seed)


def _outside(xy: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.asarray(((xy < lo) | (xy > hi)).any(axis=1))


def _points_panel(ax, r: Record, s: Summary, real: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
    ax.scatter(real[:, 0], real[:, 1], s=1, c="0.75", rasterized=True)
    title = f"{s.rank}. {r.loss}\nW2 {'-' if s.w2[0] is None else f'{s.w2[0]:.2f}'}"
    if r.samples_xy is None:
        title += ", diverged"
    else:
        out = _outside(r.samples_xy, lo, hi)
        inside = r.samples_xy[~out]
        ax.scatter(inside[:, 0], inside[:, 1], s=1, c="tab:blue", alpha=0.5, rasterized=True)
        if out.any():
            edge = np.clip(r.samples_xy[out], lo, hi)
            ax.scatter(edge[:, 0], edge[:, 1], s=12, c="tab:red", marker="^", clip_on=False)
            title += f", {int(out.sum())} outside"
    if s.n_modes:
        title += f"\nmodes {s.modes[0]:.1f}/{s.n_modes}" if s.modes[0] is not None else ""
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), xticks=[], yticks=[], aspect="equal")
    ax.set_title(title, fontsize=7)


def _digits_panel(ax, r: Record, s: Summary) -> None:
    k = DIGIT_GRID
    tiles = np.ones((k * 9, k * 9))
    if r.samples_xy is not None:
        for i in range(min(k * k, len(r.samples_xy))):
            row, col = divmod(i, k)
            tiles[row * 9: row * 9 + 8, col * 9: col * 9 + 8] = np.clip(r.samples_xy[i].reshape(8, 8), 0, 1)
    ax.imshow(tiles, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    w2 = "diverged" if s.w2[0] is None else f"W2 {s.w2[0]:.2f}"
    classes = "" if s.classes[0] is None else f", {s.classes[0]:.1f} classes"
    ax.set(xticks=[], yticks=[])
    ax.set_title(f"{s.rank}. {r.loss}\n{w2}{classes}", fontsize=7)


def _samples_figure(records: Sequence[Record], summaries: Sequence[Summary], target: str, path: Path) -> None:
    from matplotlib.figure import Figure

    order = ranked(summaries, target)
    firsts = [_first_seed(records, s.loss, target) for s in order]
    cols = min(6, len(order))
    rows = math.ceil(len(order) / cols)
    fig = Figure(figsize=(2.2 * cols, 2.5 * rows), dpi=DPI, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    t = TARGETS[target]
    if target == "digits":
        for ax, r, s in zip(axes, firsts, order):
            _digits_panel(ax, r, s)
        title = f"digits: generated images by rank (seed {firsts[0].seed}), step {firsts[0].steps}"
    else:
        real = real_set(t, firsts[0].samples, firsts[0].seed)
        lo, hi = real.min(axis=0) - 0.5, real.max(axis=0) + 0.5
        for ax, r, s in zip(axes, firsts, order):
            _points_panel(ax, r, s, real, lo, hi)
        title = (f"{target}: generated (blue) over real (grey), by rank; seed {firsts[0].seed}, step "
                 f"{firsts[0].steps}\nred triangles: samples outside the axes, drawn on the border")
    for ax in axes[len(order):]:
        ax.set_axis_off()
    fig.suptitle(title, fontsize=9)
    fig.savefig(path)


def _curve_figure(records: Sequence[Record], summaries: Sequence[Summary], target: str, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.5, 4.2), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    top = [s for s in ranked(summaries, target) if s.w2[0] is not None][:TOP]
    for i, s in enumerate(top):
        runs = [r for r in records if r.loss == s.loss and r.target == target and not r.diverged]
        steps = [c.step for c in runs[0].curve]
        values = np.array([[c.w2 for c in r.curve] for r in runs if len(r.curve) == len(steps)], dtype=float)
        ax.plot(steps, values.mean(axis=0), "-o", ms=3, color=f"C{i}", label=f"{s.rank}. {s.loss} ({len(values)} seeds)")
        ax.fill_between(steps, values.min(axis=0), values.max(axis=0), color=f"C{i}", alpha=0.2, lw=0)
    floor = top[0].w2_floor if top else None
    if floor is not None:
        ax.axhline(floor, color="k", ls="--", lw=0.8, label="floor")
    ax.set(xlabel="generator step", ylabel="W2 (exact, lower is better)", yscale="log",
           title=f"{target}: the {len(top)} best losses, mean over seeds, band = min to max seed")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the axes: bands fill them
    fig.savefig(path)


def _leaderboard_figure(summaries: Sequence[Summary], path: Path) -> None:
    from matplotlib.figure import Figure

    targets = list(dict.fromkeys(s.target for s in summaries))
    losses = list(dict.fromkeys(s.loss for s in summaries))
    mean_rank = {loss: np.mean([s.rank for s in summaries if s.loss == loss]) for loss in losses}
    losses.sort(key=lambda loss: mean_rank[loss])
    fig = Figure(figsize=(3.2 * len(targets), 0.35 * len(losses) + 1.4), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, len(targets), squeeze=False, sharey=True).ravel()
    for ax, target in zip(axes, targets):
        by_loss = {s.loss: s for s in summaries if s.target == target}
        for y, loss in enumerate(losses):
            s = by_loss.get(loss)
            if s is None or s.w2[0] is None:
                ax.text(0.02, y, "diverged" if s is not None else "", va="center", fontsize=7,
                        transform=ax.get_yaxis_transform())
                continue
            ax.errorbar(s.w2[0], y, xerr=s.w2[1] or 0.0, fmt="o", ms=4, capsize=2,
                        color="tab:blue" if s.rank == 1 else "0.3")
        floor = next((s.w2_floor for s in by_loss.values() if s.w2_floor is not None), None)
        if floor is not None:
            ax.axvline(floor, color="k", ls="--", lw=0.8)
        # a linear axis from 0: within a target the values span a factor of a few, where a
        # log axis labels its minor ticks on top of each other
        ax.set(title=target, xlabel="W2, mean ± sd over seeds")
        ax.set_xlim(left=0)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(losses)), losses, fontsize=8)
    axes[0].invert_yaxis()
    fig.suptitle("Leaderboard: blue = rank 1 (tied with the best by Welch's t at 0.05); dashed: floor", fontsize=9)
    fig.savefig(path)


def draw(records: Sequence[Record], folder: Path) -> list[str]:
    """Write the figures of ``records`` into ``folder``; returns the file names.

    Raises ImportError when matplotlib is missing.
    """
    import matplotlib  # noqa: F401  (fail early, before any file is written)

    summaries = aggregate(records)
    names = ["leaderboard.png"]
    _leaderboard_figure(summaries, folder / names[0])
    for target in dict.fromkeys(r.target for r in records):
        for stem, draw_one in (("samples", _samples_figure), ("w2", _curve_figure)):
            names.append(f"{stem}_{target}.png")
            draw_one(records, summaries, target, folder / names[-1])
    return names
