r"""The GAN arena: GAN losses trained on 2-D targets and on digits, over several seeds, scored exactly.

``python -m gan.arena`` (see ``gan.arena.__main__`` and docs/arena.md) trains small
MLP GANs with a set of losses on the 8-Gaussian ring, the 25-Gaussian grid, the Swiss
roll and scikit-learn's 8x8 digits, each with several seeds, and scores each run along
training by the exact :math:`W_2` between generated and real (held-out) samples
(``divergences.solve``), mode or class coverage and the critic's audit gap
(``gan.audit.critic_gap``). The leaderboard reports mean ± sd over the seeds and ranks
by Welch's t-test (``gan.arena.stats``). :func:`run` is the same from Python; it
returns one :class:`Record` per loss, target and seed.

Modules: ``targets`` and ``digits`` (data and their scores), ``models`` (the MLPs),
``recipes`` (the papers' recipes, the common recipe, entry names), ``trainer`` (one
run), ``ensemble`` (the seeds of one run as one batched computation), ``score`` (W_2,
coverage, audit), ``stats`` (seeds to ranks), ``pool`` (runs in worker processes),
``report`` and ``figures`` (outputs), ``options`` (checks).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from types import MappingProxyType

from divergences.progress import progress_bar

from . import options
from .pool import run_jobs
from .recipes import COMMON, KINDS, LOSSES, PAPER, Recipe, recipe
from .records import Checkpoint, Record
from .report import write
from .score import w2
from .stats import Summary, aggregate
from .targets import TARGETS, Target
from .trainer import Job, real_set

__all__ = [
    "COMMON",
    "DEFAULT_LOSSES",
    "DEFAULT_SEEDS",
    "DEFAULT_STEPS",
    "DEFAULT_TARGETS",
    "KINDS",
    "LOSSES",
    "PAPER",
    "SAMPLES",
    "TARGETS",
    "TARGET_STEPS",
    "Checkpoint",
    "Recipe",
    "Record",
    "Summary",
    "Target",
    "aggregate",
    "recipe",
    "run",
    "target_steps",
]

DEFAULT_STEPS = 3000
# targets that take more generator updates when ``steps`` is not given: grid25's 25
# modes are found by the packed hinge critic between 3000 and 6000 steps (docs/arena.md,
# "grid25 and packing")
TARGET_STEPS = MappingProxyType({"grid25": 6000})
DEFAULT_TARGETS = ("ring8", "grid25", "digits")
DEFAULT_SEEDS = 3
# representative losses: a standard GAN, the hinge loss alone and with a packed critic
# (PacGAN), WGAN-GP and GAN-QP; `--losses all` runs every entry of LOSSES
DEFAULT_LOSSES = ("ns-sgan", "hinge", "hinge+pac2", "wgan-gp", "gan-qp")
SAMPLES = 2000
MAX_WORKERS = 8  # each worker holds its own torch (a few hundred MB)


def target_steps(target: str, steps: int | None = None) -> int:
    """Generator updates of a run on ``target``: ``steps`` when given, else the target's
    entry of :data:`TARGET_STEPS`, else :data:`DEFAULT_STEPS`.

    >>> target_steps("ring8"), target_steps("grid25"), target_steps("grid25", 500)
    (3000, 6000, 500)
    """
    return steps if steps is not None else TARGET_STEPS.get(target, DEFAULT_STEPS)


def _default_workers(device: str, jobs: int) -> int:
    """One worker per available core (at most 8 and at most one per job); 1 on CUDA."""
    if device == "cuda":
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, jobs, MAX_WORKERS))


def run(
    losses: str | Iterable[str] | None = DEFAULT_LOSSES,
    targets: str | Iterable[str] | None = DEFAULT_TARGETS,
    steps: int | None = None,
    seed: int = 0,
    out: str | os.PathLike | None = None,
    *,
    seeds: int = DEFAULT_SEEDS,
    recipe: str = "common",
    samples: int = SAMPLES,
    workers: int | None = None,
    device: str | None = None,
    progress: bool = True,
    figures: bool = True,
) -> list[Record]:
    r"""Train every loss on every target with every seed and score the runs; optionally write the outputs.

    Parameters
    ----------
    losses : str or iterable of str, optional
        Entry names (``gan.arena.recipes``: a name of ``gan.LOSSES`` with optional
        ``+gdpp``, ``+r1``, ``+r2``, ``+sn``, ``+single``, ``+vbn``, ``+pac<m>``, or ``ogan:<loss>``); default
        :data:`DEFAULT_LOSSES`; ``None`` or ``"all"`` for :data:`LOSSES`.
    targets : str or iterable of str
        Names of :data:`TARGETS` (default :data:`DEFAULT_TARGETS`); ``"all"`` too.
    steps : int, optional
        Generator updates per run (the critic takes ``recipe(loss).n_critic`` per update);
        default :data:`DEFAULT_STEPS`, or the target's entry of :data:`TARGET_STEPS`.
    seed : int
        The first seed: the runs use ``seed, seed + 1, ..., seed + seeds - 1``. The same
        seeds give the same numbers (but ``seconds``).
    seeds : int
        Seeds per (loss, target), >= 1 (default 3; the tie rule needs 2 or more).
    recipe : {"common", "paper"}
        One shared recipe for every loss, or each paper's own (``gan.arena.recipes``).
    out : path, optional
        Folder for results.json, results.csv, leaderboard.md and the PNGs.
    samples : int
        Points per side of every evaluation (W_2, coverage).
    workers : int, optional
        Runs in parallel, each in its own process (default: one per core, 1 on CUDA);
        the seeds of one loss and target train as one batched ensemble (``gan.arena.ensemble``).
    device : {"auto", "cpu", "cuda"}, optional
        Default: CUDA when available.
    progress : bool
        Draw the progress bar on stderr.
    figures : bool
        Write the PNGs (needs matplotlib).

    Returns
    -------
    list of Record
        One per (target, loss, seed), in that nesting order.

    Raises
    ------
    ValueError
        A bad option (the message starts with its name); nothing is trained or written.
    """
    losses, targets = options.losses(losses), options.targets(targets)
    if steps is not None:
        steps = options.count(steps, "steps", 1, options.MAX_STEPS)
    samples = options.count(samples, "samples", options.MIN_SAMPLES, options.MAX_SAMPLES)
    seed, device = options.seed(seed), options.device(device)
    seeds = options.count(seeds, "seeds", 1, 1000)
    kind = options.recipe(recipe)
    folder = None if out is None else options.out(out)
    jobs = [Job(loss, target, target_steps(target, steps), s, samples, device, kind)
            for target in targets for loss in losses for s in range(seed, seed + seeds)]
    workers = _default_workers(device, len(jobs)) if workers is None else options.count(workers, "workers", 1, 256)
    total = sum(job.steps for job in jobs)
    with progress_bar(total, "arena", unit="generator steps", enabled=progress, smoothing=0) as bar:
        records = run_jobs(jobs, workers, bar)
    floors = {t: w2(real_set(TARGETS[t], samples, seed), real_set(TARGETS[t], samples, seed, "floor")) for t in targets}
    records = [replace(r, w2_floor=floors[r.target]) for r in records]
    if folder is not None:
        write(records, folder, figures=figures)
    return records
