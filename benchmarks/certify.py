"""Certified brackets: their cost inside ``sinkhorn`` and their width against eps.

Overhead: the bracket (double c-transform of f, rounding of the plan, two costs) is
timed alone on the finished run's arrays and compared with the whole ``sinkhorn``
call at n = 2000 (the entropic benchmark's problem, eps = 0.05, tol = 1e-6).
Target: <= 10% of the solve's time.

Width: upper - lower against eps on n = 500 of the same clouds, with the exact value
from ``solve``; a table (rows' notes) and ``certify_width.png`` with the fitted slope.
"""

from __future__ import annotations

import array_api_compat.numpy as xnp
import numpy as np
from scipy.spatial.distance import cdist

import divergences
from divergences.entropic._dense import bracket

from ._timing import Row, best_times

EPS = 0.05
WIDTH_EPS = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003)


def _problem(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return cdist(rng.normal(size=(n, 2)), rng.normal(1.0, 1.0, size=(n, 2)), "sqeuclidean")


def _overhead_row(n: int) -> Row:
    M = _problem(n)
    w = np.full(n, 1.0 / n)
    r = divergences.sinkhorn(M, eps=EPS)
    seconds = best_times({"bracket": lambda: bracket(r.f, r.plan, M, w, w, xnp),
                          "sinkhorn": lambda: divergences.sinkhorn(M, eps=EPS)}, repeats=3, warmup=0)
    width = float(r.upper - r.lower)
    return Row("certify overhead", n, seconds["bracket"], "the whole sinkhorn call", seconds["sinkhorn"],
               float("nan"), f"bracket width {width:.2e}", 0.10)


def _width_rows(n: int, out=None) -> list[Row]:
    M = _problem(n)
    exact = float(divergences.solve(M).value)
    rows, widths = [], []
    for eps in WIDTH_EPS:
        r = divergences.sinkhorn(M, eps=eps * float(np.median(M)), tol=1e-6, on_fail="warn")
        lower, upper = float(r.lower), float(r.upper)
        assert lower <= exact <= upper + 1e-12
        widths.append(upper - lower)
        rows.append(Row("certify width", n, 0.0, f"eps/median(M) = {eps:g}", 1.0, float("nan"),
                        f"lower {lower:.6f} <= exact {exact:.6f} <= upper {upper:.6f}; width {upper - lower:.2e}"))
    slope = float(np.polyfit(np.log(WIDTH_EPS), np.log(widths), 1)[0])
    rows.append(Row("certify width", n, 0.0, "fitted slope of log width vs log eps", 1.0, float("nan"),
                    f"{slope:.2f}"))
    _plot(widths, slope)
    return rows


def _plot(widths: list[float], slope: float) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    from pathlib import Path

    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.loglog(WIDTH_EPS, widths, "o-", label=f"upper - lower, slope {slope:.2f}")
    ax.set(xlabel="eps / median cost", ylabel="bracket width", title="certified bracket against eps (n = 500)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "certify_width.png", dpi=120)
    plt.close(fig)


def run(quick: bool = False) -> list[Row]:
    return [_overhead_row(500 if quick else 2000), *_width_rows(200 if quick else 500)]
