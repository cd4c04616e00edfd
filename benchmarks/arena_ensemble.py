"""The arena's seeds as one ensemble (``gan.arena.ensemble``) against separate runs in sequence.

Problem: the arena's own networks, batches and common recipe (``gan.arena.trainer``):
on ring8 a generator 2-128-128-128-2 and a critic 2-128-128-128-1, on digits
16-128-128-64 (sigmoid) and 64-128-128-1; batches of 256; Adam, one critic update per
generator update; ns-sgan, and wgan-gp (its gradient penalty on interpolates). One
generator step of S seeds (S = 3 and 10; quick: 3) is timed two ways, on one torch
thread: the S seeds as one ensemble (``Ensemble.step``, batched layers), and S separate
runs (``trainer.setup``: ``gan.train.alternating_step`` on the plain modules) one after
the other. Measured: best wall time of ``STEPS`` (quick: 2) consecutive steps, the two
interleaved (best-of-k), per generator step of all S seeds; scoring is not included.
The value column compares the first step's losses of every seed, from the same states
and random streams (0: the ensemble gives each seed the numbers of its own run).

Target: <= 1.0x the separate runs (the note gives the speedup, separate / ensemble).
"""

from __future__ import annotations

import torch

from gan.arena.ensemble import Ensemble
from gan.arena.trainer import Job, setup

from ._timing import Row, best_times

STEPS = 10
CASES = (("ns-sgan", "ring8"), ("wgan-gp", "ring8"), ("ns-sgan", "digits"), ("wgan-gp", "digits"))


def _jobs(loss: str, target: str, seeds: int) -> list[Job]:
    return [Job(loss, target, 1, s, 10) for s in range(seeds)]


def _first_step_diff(loss: str, target: str, seeds: int) -> float:
    """Max |ensemble - separate| over every seed's first (critic, generator) losses."""
    alone = []
    for job in _jobs(loss, target, seeds):
        out = setup(job, torch.device("cpu")).step()  # setup seeds torch: each run draws its own stream
        alone.append(torch.stack([out.critic, out.generator]))
    together = Ensemble(_jobs(loss, target, seeds)).step()
    return float((together - torch.stack(alone)).abs().max())


def _row(loss: str, target: str, seeds: int, steps: int, repeats: int) -> Row:
    diff = _first_step_diff(loss, target, seeds)
    ensemble = Ensemble(_jobs(loss, target, seeds))
    runs = [setup(job, torch.device("cpu")) for job in _jobs(loss, target, seeds)]

    def together() -> None:
        for _ in range(steps):
            ensemble.step()

    def separate() -> None:
        for run in runs:
            for _ in range(steps):
                run.step()

    seconds = best_times({"ensemble": together, "separate": separate}, repeats=repeats, warmup=1)
    ours, peer = seconds["ensemble"] / steps, seconds["separate"] / steps
    note = (f"speedup {peer / ours:.2f}x; s per generator step of all {seeds} seeds; {steps} steps per timing, "
            f"{torch.get_num_threads()} thread(s)")
    return Row("arena ensemble", seeds, ours, f"{seeds} separate runs", peer, diff, note, 1.0,
               regime=f"{loss} on {target}")


def run(quick: bool = False) -> list[Row]:
    # one torch thread on both sides, as the arena's workers run (one process per core)
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        sizes, steps, repeats = ((3,), 2, 1) if quick else ((3, 10), STEPS, 5)
        return [_row(loss, target, s, steps, repeats) for loss, target in CASES for s in sizes]
    finally:
        torch.set_num_threads(saved)
