r"""The GAN arena: every loss of ``gan.LOSSES`` trained on 2-D targets, scored exactly.

``python -m gan.arena`` (see ``gan.arena.__main__`` and docs/arena.md) trains small
MLP GANs on the 8-Gaussian ring, the 25-Gaussian grid and the Swiss roll with every
loss (and GDPP on top of a few), and scores each run along training by the exact
:math:`W_2` between generated and real points (``divergences.solve``), mode coverage
and the critic's audit gap (``gan.audit.critic_gap``). :func:`run` is the same from
Python; it returns one :class:`Record` per loss and target.

Modules: ``targets`` (samplers and supports), ``models`` (the MLPs), ``recipes``
(per-loss settings, GDPP variants), ``trainer`` (one run), ``score`` (W_2, coverage,
audit), ``pool`` (runs in worker processes), ``report`` and ``figures`` (outputs),
``options`` (checks of the options).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace

from divergences.progress import progress_bar

from . import options
from .pool import run_jobs
from .recipes import LOSSES, Recipe, recipe
from .records import Checkpoint, Record
from .report import write
from .score import w2
from .targets import TARGETS, Target
from .trainer import Job, real_set

__all__ = [
    "DEFAULT_STEPS",
    "DEFAULT_TARGETS",
    "LOSSES",
    "SAMPLES",
    "TARGETS",
    "Checkpoint",
    "Recipe",
    "Record",
    "Target",
    "recipe",
    "run",
]

DEFAULT_STEPS = 700
DEFAULT_TARGETS = ("ring8", "grid25", "swissroll")
SAMPLES = 2000
MAX_WORKERS = 8  # each worker holds its own torch (a few hundred MB)


def _default_workers(device: str, jobs: int) -> int:
    """One worker per available core (at most 8 and at most one per job); 1 on CUDA."""
    if device == "cuda":
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, jobs, MAX_WORKERS))


def run(
    losses: str | Iterable[str] | None = None,
    targets: str | Iterable[str] | None = DEFAULT_TARGETS,
    steps: int = DEFAULT_STEPS,
    seed: int = 0,
    out: str | os.PathLike | None = None,
    *,
    samples: int = SAMPLES,
    workers: int | None = None,
    device: str | None = None,
    progress: bool = True,
    figures: bool = True,
) -> list[Record]:
    r"""Train every loss on every target and score the runs; optionally write the outputs.

    Parameters
    ----------
    losses : str or iterable of str, optional
        Names of ``gan.LOSSES``, each optionally with ``+gdpp``; ``None`` or ``"all"``
        for :data:`LOSSES` (every loss and three GDPP variants).
    targets : str or iterable of str
        Names of :data:`TARGETS` (default all three); ``"all"`` too.
    steps : int
        Generator updates per run (the critic takes ``recipe(loss).n_critic`` per update).
    seed : int
        Seeds every run: the same seed gives the same numbers (but ``seconds``).
    out : path, optional
        Folder for results.json, results.csv, leaderboard.md and the PNGs.
    samples : int
        Points per side of every evaluation (W_2, coverage).
    workers : int, optional
        Runs in parallel, each in its own process (default: one per core, 1 on CUDA).
    device : {"auto", "cpu", "cuda"}, optional
        Default: CUDA when available.
    progress : bool
        Draw the progress bar on stderr.
    figures : bool
        Write the PNGs (needs matplotlib).

    Returns
    -------
    list of Record
        One per (target, loss), targets outer, in the order given.

    Raises
    ------
    ValueError
        A bad option (the message starts with its name); nothing is trained or written.
    """
    losses, targets = options.losses(losses), options.targets(targets)
    steps = options.count(steps, "steps", 1, options.MAX_STEPS)
    samples = options.count(samples, "samples", options.MIN_SAMPLES, options.MAX_SAMPLES)
    seed, device = options.seed(seed), options.device(device)
    folder = None if out is None else options.out(out)
    jobs = [Job(loss, target, steps, seed, samples, device) for target in targets for loss in losses]
    workers = _default_workers(device, len(jobs)) if workers is None else options.count(workers, "workers", 1, 256)
    with progress_bar(steps * len(jobs), "arena", unit="steps", enabled=progress) as bar:
        records = run_jobs(jobs, workers, bar)
    floors = {t: w2(real_set(TARGETS[t], samples, seed), real_set(TARGETS[t], samples, seed, "floor")) for t in targets}
    records = [replace(r, w2_floor=floors[r.target]) for r in records]
    if folder is not None:
        write(records, folder, figures=figures)
    return records
