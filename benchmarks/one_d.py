"""1-D W_1 in closed form: ``wasserstein_1d`` against POT and SciPy, and the sort floor.

Problem: n = m samples, u ~ N(0, 1), v ~ N(0.3, 1), uniform weights. Measured: best
(of 50 below n = 10^6, of 5 at 10^6) wall time of ``wasserstein_1d(u, v, p=1)`` against ``ot.wasserstein_1d`` and
``scipy.stats.wasserstein_distance``; the floor is two ``np.sort`` calls, the least
any exact method must do. A weighted problem (random weights) is timed too.

Targets: <= 1.0x POT and >= 2x faster than SciPy (the issue); <= 1.5x the sort floor
(BENCHMARKS.md).
"""

from __future__ import annotations

import numpy as np
import ot
from scipy.stats import wasserstein_distance

from divergences import wasserstein_1d

from ._timing import Row, best_times

SIZES_FULL = (10**4, 10**5, 10**6)
SIZES_QUICK = (10**4, 10**5)


def _rows_at(n: int, weighted: bool) -> list[Row]:
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=n), rng.normal(0.3, 1.0, size=n)
    a, b = (rng.random(n), rng.random(n)) if weighted else (None, None)
    if weighted:
        a, b = a / a.sum(), b / b.sum()
    fns = {
        "ours": lambda: float(wasserstein_1d(u, v, a, b, p=1)),
        "POT wasserstein_1d": lambda: float(ot.wasserstein_1d(u, v, a, b, p=1)),
        "SciPy wasserstein_distance": lambda: float(wasserstein_distance(u, v, a, b)),
    }
    if not weighted:
        fns["two np.sort (floor)"] = lambda: (np.sort(u), np.sort(v)) and np.nan
    values = {name: fn() for name, fn in fns.items()}
    # millisecond calls at n = 10^4: best of 5 is at the mercy of one scheduler hiccup
    seconds = best_times(fns, repeats=5 if n >= 10**6 else 50, warmup=0)
    ours = values.pop("ours")
    area = "1d weighted" if weighted else "1d"
    targets = {}
    if not weighted:  # the targets are set for the uniform problem (issue, BENCHMARKS.md)
        targets = {"POT wasserstein_1d": 1.0, "SciPy wasserstein_distance": 0.5, "two np.sort (floor)": 1.5}
    return [
        Row(area, n, seconds["ours"], peer, seconds[peer], abs(ours - value), "", targets.get(peer))
        for peer, value in values.items()
    ]


def run(quick: bool = False) -> list[Row]:
    sizes = SIZES_QUICK if quick else SIZES_FULL
    return [row for n in sizes for weighted in (False, True) for row in _rows_at(n, weighted)]
