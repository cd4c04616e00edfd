"""Sliced W_2: ``sliced_wasserstein`` against POT's ``sliced_wasserstein_distance``.

Problem: n = m points in R^10, x ~ N(0, I), y ~ N(0.1, 1.44 I), 100 directions, p = 2.
The two libraries draw different directions, so the values differ by Monte Carlo
error (reported); the timings compare equal work.

Target: <= 1.0x POT at n = 10^4.
"""

from __future__ import annotations

import numpy as np
import ot

from divergences import sliced_wasserstein

from ._timing import Row, best_times

SIZES_FULL = (10**3, 10**4, 10**5)
SIZES_QUICK = (10**3, 10**4)
D, K = 10, 100


def _row_at(n: int) -> Row:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(n, D)), rng.normal(0.1, 1.2, size=(n, D))
    fns = {
        "ours": lambda: float(sliced_wasserstein(x, y, p=2, n_projections=K, seed=0)),
        "POT sliced": lambda: float(ot.sliced_wasserstein_distance(x, y, n_projections=K, p=2, seed=0)),
    }
    values = {name: fn() for name, fn in fns.items()}
    seconds = best_times(fns, repeats=3, warmup=0)
    return Row("sliced", n, seconds["ours"], "POT sliced", seconds["POT sliced"],
               abs(values["ours"] - values["POT sliced"]), "different random directions",
               1.0 if n == 10**4 else None)


def run(quick: bool = False) -> list[Row]:
    return [_row_at(n) for n in (SIZES_QUICK if quick else SIZES_FULL)]
