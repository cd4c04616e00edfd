"""Sliced W_2: ``sliced_wasserstein`` against POT's ``sliced_wasserstein_distance``.

Problem: n = m points in R^10, x ~ N(0, I), y ~ N(0.1, 1.44 I), 100 directions, p = 2,
uniform or random weights (uniform on [0, 1], normalised). The two libraries draw
different directions, so the values differ by Monte Carlo error (reported); the
timings compare equal work (best of 3, interleaved).

Target: <= 1.0x POT at n = 10^4, both regimes (BENCHMARKS.md).
"""

from __future__ import annotations

import numpy as np
import ot

from divergences import sliced_wasserstein

from ._timing import Grid, Row, best_times

SIZES_FULL = (10**3, 10**4, 10**5)
SIZES_QUICK = (10**3, 3 * 10**3)
D, K = 10, 100


def _row_at(n: int, weighted: bool) -> Row:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(n, D)), rng.normal(0.1, 1.2, size=(n, D))
    a, b = (rng.random(n), rng.random(n)) if weighted else (None, None)
    if weighted:
        a, b = a / a.sum(), b / b.sum()
    fns = {
        "ours": lambda: float(sliced_wasserstein(x, y, a, b, p=2, n_projections=K, seed=0)),
        "POT": lambda: float(ot.sliced_wasserstein_distance(x, y, a, b, n_projections=K, p=2, seed=0)),
    }
    values = {name: fn() for name, fn in fns.items()}
    seconds = best_times(fns, repeats=3, warmup=0)
    return Row("sliced", n, seconds["ours"], "POT", seconds["POT"], abs(values["ours"] - values["POT"]),
               "different random directions", 1.0 if n == 10**4 else None,
               regime="random weights" if weighted else "uniform", peer_mode="sliced_wasserstein_distance")


def run(quick: bool = False) -> list[Row]:
    rows = []
    for n in SIZES_QUICK if quick else SIZES_FULL:
        for weighted in (False, True):
            if Grid.left() <= 0:
                Grid.skip(f"sliced n={n} weighted={weighted}")
                continue
            rows.append(_row_at(n, weighted))
    return rows
