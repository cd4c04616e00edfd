r"""The dense solver's finish in two compiled sweeps over the rows (numba), for
float64 NumPy input: what :func:`~._finish.finish` forms with about fifteen array
passes over cache-sized blocks (the plan, its sums, the two c-transforms and the
rounding's products), each row read once per sweep.

With M' = (M - offset) / scale, P_ij = (K_ij u_i) v_j and s = min(a / P 1, 1):

- sweep 1, row i: P_i. (written over K), r_i = sum_j P_ij, sum_j M'_ij P_ij,
  c_j += s_i P_ij and g_j = min_i (M'_ij - f_i);
- sweep 2, with t = min(b / c, 1) and e = max(b - t c, 0): (P t)_i, ((M' o P) t)_i,
  (M' e)_i and min_j (M'_ij - g_j).

The same quantities as the array path, to round-off (sums in the order the compiler
vectorises them, ``REORDERED_SUMS``; minima exact). Why by
hand: at n = 500 to 2000 and eps >= 0.1 x the cost range a solve is two to four
Sinkhorn steps, and the finish's passes and their Python calls were a third of it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["REORDERED_SUMS", "finish_sweeps", "row_max"]


def finish_sweeps(K: np.ndarray, u: np.ndarray, v: np.ndarray, M: np.ndarray, offset: float, scale: float,
                  a: np.ndarray, b: np.ndarray, f: np.ndarray) -> tuple[float, float, float, float]:
    """(|P|, <M', P>, lower, upper) of :func:`~._finish.finish`
    for the centred potential ``f``; P is written over ``K``."""
    n, m = K.shape
    rows, col, g = np.empty(n), np.zeros(m), np.full(m, np.inf)
    inner = _plan_sweep(K, u, v, M, offset, scale, a, f, rows, col, g)
    t = _shrink(b, col)
    err_c = np.maximum(b - t * col, 0.0)
    Pt, MPt, Me, fo = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    _rounding_sweep(K, M, offset, scale, t, err_c, g, Pt, MPt, Me, fo)
    s = _shrink(a, rows)
    err_r = np.maximum(a - s * Pt, 0.0)
    upper = float(s @ MPt)
    total = float(err_r.sum())
    if total != 0.0:
        upper += float(err_r @ Me) / total
    return float(rows.sum()), inner, float(a @ fo + b @ g), upper


def _shrink(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    """min(target / current, 1), 1 where current = 0 (as ``_polytope.shrink``)."""
    positive = current > 0
    return np.where(positive, np.minimum(target / np.where(positive, current, 1.0), 1.0), 1.0)


# Sums in any order (LLVM then vectorises them): the same error bound as the row order
# (gamma_m sum |x_j|), results fixed for a given machine. Maxima (and minima, as
# negated maxima) stay exact, in four running chains a row (over 2.5e5 entries, one core: 140 us one chain, 69 us
# four; the rounding sweep 330 -> 139 us with the vectorised sums).
REORDERED_SUMS = {"reassoc", "nsz"}


@njit(cache=True, boundscheck=False, fastmath=REORDERED_SUMS)
def _plan_sweep(K, u, v, M, offset, scale, a, f, rows, col, g):
    n, m = K.shape
    inner = 0.0
    for i in range(n):
        r, dot = 0.0, 0.0
        for j in range(m):
            p = (K[i, j] * u[i]) * v[j]
            K[i, j] = p
            mij = (M[i, j] - offset) / scale
            r += p
            dot += mij * p
            g[j] = min(g[j], mij - f[i])
        rows[i] = r
        inner += dot
        s = min(a[i] / r, 1.0) if r > 0 else 1.0
        for j in range(m):
            col[j] += s * K[i, j]
    return inner


@njit(cache=True, boundscheck=False, fastmath=REORDERED_SUMS)
def _rounding_sweep(P, M, offset, scale, t, err_c, g, Pt, MPt, Me, fo):
    n, m = P.shape
    # g_j - M'_ij of one row (negated exactly: rounding is symmetric), so that
    # min_j (M'_ij - g_j) = -max_j (g_j - M'_ij), taken after the sums
    slack = np.empty(m)
    for i in range(n):
        pt, mpt, me = 0.0, 0.0, 0.0
        for j in range(m):
            mij = (M[i, j] - offset) / scale
            q = P[i, j] * t[j]
            pt += q
            mpt += mij * q
            me += mij * err_c[j]
            slack[j] = g[j] - mij
        Pt[i], MPt[i], Me[i], fo[i] = pt, mpt, me, -row_max(slack)


@njit(cache=True, boundscheck=False)
def row_max(row):
    """max_j row_j, exact, in four running maxima (one chain runs at its latency)."""
    m = row.shape[0]
    m4 = m - m % 4
    t0 = t1 = t2 = t3 = -np.inf
    for j in range(0, m4, 4):
        t0, t1 = max(t0, row[j]), max(t1, row[j + 1])
        t2, t3 = max(t2, row[j + 2]), max(t3, row[j + 3])
    for j in range(m4, m):
        t0 = max(t0, row[j])
    return max(max(t0, t1), max(t2, t3))
