"""Hypothesis strategies for property tests of transport code (public).

Each strategy draws NumPy float64 arrays; move them to any backend with
``xp.asarray``. They are what this library's own tests use, so users can check
their critics, solvers and losses against :func:`divergences.solve` the same way.

>>> from hypothesis import given, settings
>>> from divergences import solve
>>> from divergences.testing import transport_problems
>>> @settings(deadline=None)  # the first call imports the network simplex
... @given(transport_problems())
... def test_gap_is_nonnegative(problem):
...     M, a, b = problem
...     assert solve(M, a, b).gap >= 0
>>> test_gap_is_nonnegative()
"""

from __future__ import annotations

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as error:  # the strategies are hypothesis objects: nothing to offer without it
    raise ImportError("divergences.testing needs hypothesis: pip install hypothesis "
                      "(or the 'test' or 'docs' extra)") from error

__all__ = ["cost_matrices", "measures", "point_clouds", "transport_problems", "weights"]


@st.composite
def weights(draw: st.DrawFn, n: int, *, zeros: bool = True) -> np.ndarray:
    """A probability vector of length ``n``: uneven, with ties, and (if ``zeros``)
    zero entries, but always at least one positive entry."""
    low = 0 if zeros else 1
    counts = draw(hnp.arrays(np.int64, n, elements=st.integers(low, 20)))
    if counts.sum() == 0:
        counts[draw(st.integers(0, n - 1))] = 1
    return counts / counts.sum()


@st.composite
def cost_matrices(draw: st.DrawFn, n: int, m: int, *, max_value: float = 100.0) -> np.ndarray:
    """A finite nonnegative (n, m) cost; sometimes integer-valued, so that ties and
    degenerate (non-unique) optimal plans are common."""
    if draw(st.booleans()):
        return draw(hnp.arrays(np.int64, (n, m), elements=st.integers(0, 5))).astype(np.float64)
    elements = st.floats(0.0, max_value, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    return draw(hnp.arrays(np.float64, (n, m), elements=elements))


@st.composite
def point_clouds(draw: st.DrawFn, n: int | None = None, d: int | None = None, *,
                 max_n: int = 12, max_d: int = 3, scale: float = 10.0) -> np.ndarray:
    """``n`` points in R^d as an (n, d) array (n, d drawn when not given); duplicates
    and collinear points occur."""
    n = draw(st.integers(1, max_n)) if n is None else n
    d = draw(st.integers(1, max_d)) if d is None else d
    if draw(st.booleans()):
        grid = hnp.arrays(np.int64, (n, d), elements=st.integers(-3, 3))
        return draw(grid).astype(np.float64)
    elements = st.floats(-scale, scale, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    return draw(hnp.arrays(np.float64, (n, d), elements=elements))


@st.composite
def measures(draw: st.DrawFn, n: int | None = None, d: int | None = None, *,
             max_n: int = 12, max_d: int = 3, zeros: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """An empirical measure: points (n, d) and a probability vector (n,)."""
    x = draw(point_clouds(n, d, max_n=max_n, max_d=max_d))
    return x, draw(weights(x.shape[0], zeros=zeros))


@st.composite
def transport_problems(draw: st.DrawFn, *, max_n: int = 8, max_m: int = 8,
                       square: bool = False, uniform: bool = False
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(M, a, b)``: a cost and two probability vectors (n != m unless ``square``)."""
    n = draw(st.integers(1, max_n))
    m = n if square else draw(st.integers(1, max_m))
    M = draw(cost_matrices(n, m))
    if uniform:
        return M, np.full(n, 1.0 / n), np.full(m, 1.0 / m)
    return M, draw(weights(n)), draw(weights(m))
