"""1-D W_1 in closed form: ``wasserstein_1d`` against POT and SciPy, and the sort floor.

Problem: n = m samples, u ~ N(0, 1), v ~ N(0.3, 1), uniform or random weights
(uniform on [0, 1], normalised). Measured: best (of 50 below n = 10^6, of 5 at 10^6)
wall time (quick: of 5) of ``wasserstein_1d(u, v, a, b, p=1)``, ``ot.wasserstein_1d`` and
``scipy.stats.wasserstein_distance``, interleaved. Each regime gives two rows: ours
against the faster of POT and SciPy (both listed in the note), and ours against the
floor, the least any exact method must do: two ``np.sort`` calls (uniform) or two
``np.argsort`` calls (weighted: the weights follow the values' order).

Targets: <= 1.0x the fastest peer; <= 1.5x the floor (BENCHMARKS.md, both regimes).
"""

from __future__ import annotations

import numpy as np
import ot
from scipy.stats import wasserstein_distance

from divergences import wasserstein_1d

from ._timing import Grid, Row, best_times

SIZES_FULL = (10**4, 10**5, 10**6)
SIZES_QUICK = (10**4, 10**5)
PEERS = ("POT wasserstein_1d", "SciPy wasserstein_distance")


def _rows_at(n: int, weighted: bool, quick: bool) -> list[Row]:
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=n), rng.normal(0.3, 1.0, size=n)
    a, b = (rng.random(n), rng.random(n)) if weighted else (None, None)
    if weighted:
        a, b = a / a.sum(), b / b.sum()
    sort = np.argsort if weighted else np.sort
    fns = {
        "ours": lambda: float(wasserstein_1d(u, v, a, b, p=1)),
        PEERS[0]: lambda: float(ot.wasserstein_1d(u, v, a, b, p=1)),
        PEERS[1]: lambda: float(wasserstein_distance(u, v, a, b)),
        "floor": lambda: (sort(u), sort(v)) and np.nan,
    }
    values = {name: fn() for name, fn in fns.items()}
    # millisecond calls at n = 10^4: best of 5 is at the mercy of one scheduler hiccup
    seconds = best_times(fns, repeats=5 if n >= 10**6 or quick else 50, warmup=0)
    regime = "random weights" if weighted else "uniform"
    best = min(PEERS, key=lambda p: seconds[p])
    both = "; ".join(f"{p} {seconds[p]:.3g} s" for p in PEERS)
    floor = f"two np.{sort.__name__} (floor)"
    return [
        Row("1d", n, seconds["ours"], best.split()[0], seconds[best], abs(values["ours"] - values[best]),
            both, 1.0, regime=regime, peer_mode=" ".join(best.split()[1:])),
        Row("1d", n, seconds["ours"], floor, seconds["floor"], float("nan"), "", 1.5, regime=regime, floor=True),
    ]


def run(quick: bool = False) -> list[Row]:
    rows = []
    for n in SIZES_QUICK if quick else SIZES_FULL:
        for weighted in (False, True):
            if Grid.left() <= 0:
                Grid.skip(f"1d n={n} weighted={weighted}")
                continue
            rows += _rows_at(n, weighted, quick)
    return rows
