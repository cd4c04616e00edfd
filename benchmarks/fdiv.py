"""f-divergences on batched histograms: ``f_divergence`` against SciPy's special functions.

Problem: B x n histograms (B = 10^3, n = 10^4 in the full run, the issue's size), p
and q uniform random, p with about 10% zeros (so KL(p||q) is finite and the zero
branches are exercised), normalised per row. Measured: best
wall time of ``f_divergence(p, q, kind)`` (input checks included) against the
equivalent SciPy call on the same NumPy arrays:

- kl: ``scipy.special.rel_entr(p, q).sum(-1)``;
- js: ``(rel_entr(p, m) + rel_entr(q, m)).sum(-1) / 2`` with m = (p + q)/2, and
  ``scipy.spatial.distance.jensenshannon(p, q, axis=-1) ** 2``.

Target: <= 1.0x the scipy.special call (the issue). Values agree to round-off
(rows where both give inf would count as equal).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr

from divergences import f_divergence

from ._timing import Row, best_times

SHAPES_FULL = ((100, 10**4), (10**3, 10**4))
SHAPES_QUICK = ((100, 10**4),)


def _histograms(shape: tuple[int, int], seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p, q = rng.random(shape), rng.random(shape) + 1e-3
    p[p < 0.1] = 0.0
    return p / p.sum(-1, keepdims=True), q / q.sum(-1, keepdims=True)


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    same_inf = np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b))
    with np.errstate(invalid="ignore"):
        return float(np.max(np.where(same_inf, 0.0, np.abs(a - b)), initial=0.0))


def _rows(shape: tuple[int, int]) -> list[Row]:
    p, q = _histograms(shape, seed=0)
    n = shape[0] * shape[1]

    def js_special():
        m = (p + q) / 2
        return (rel_entr(p, m) + rel_entr(q, m)).sum(-1) / 2

    cases = {
        "kl": {"scipy.special.rel_entr": lambda: rel_entr(p, q).sum(-1)},
        "js": {
            "scipy.special.rel_entr (js)": js_special,
            "scipy jensenshannon ** 2": lambda: jensenshannon(p, q, axis=-1) ** 2,
        },
    }
    rows = []
    for kind, peers in cases.items():
        fns = {"ours": lambda kind=kind: f_divergence(p, q, kind), **peers}
        values = {name: fn() for name, fn in fns.items()}
        seconds = best_times(fns, repeats=5, warmup=0)
        ours = values.pop("ours")
        for peer, value in values.items():
            target = 1.0 if peer.startswith("scipy.special") else None
            rows.append(Row(f"fdiv {kind}", n, seconds["ours"], peer, seconds[peer], _diff(ours, value),
                            f"{shape[0]} x {shape[1]}", target))
    return rows


def run(quick: bool = False) -> list[Row]:
    shapes = SHAPES_QUICK if quick else SHAPES_FULL
    return [row for shape in shapes for row in _rows(shape)]
