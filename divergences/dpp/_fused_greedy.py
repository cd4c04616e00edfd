r"""The steps of :func:`~.greedy.greedy_map` in one compiled loop (numba), for NumPy
input: the same incremental Cholesky update (Chen, Zhang and Zhou 2018, Alg. 1),

    e_i = (L_ji - <c_j, c_i>) / sqrt(d_j^2),   d_i^2 <- d_i^2 - e_i^2,

with <c_j, c_i> for all i from one BLAS matrix-vector product (as the array path),
and the argmax of NumPy (the first NaN, else the first largest gain).

Why by hand: each step is a handful of passes over n entries, and at n = 2000,
k = 50 the Python calls around them were as long as the arithmetic.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["greedy_steps"]


@njit(cache=True, boundscheck=False)
def greedy_steps(L, k, floor, C, d2, chosen):
    """Write the chosen items into ``chosen`` and return their count; ``C`` holds the
    factor's rows (k - 1 of them), ``d2`` the gains (chosen items at -inf)."""
    n = L.shape[0]
    count = 0
    j = _argmax(d2)
    for t in range(k):
        gain = d2[j]
        if not gain > floor:  # also stops on NaN (the caller reports it)
            break
        chosen[count] = j
        count += 1
        if t == k - 1:
            break
        row = C[t]
        if t > 0:
            row[:] = np.dot(np.ascontiguousarray(C[:t, j]), C[:t])  # BLAS gemv
        else:
            row[:] = 0.0
        root = math.sqrt(gain)
        for i in range(n):
            e = (L[j, i] - row[i]) / root
            row[i] = e
            d2[i] -= e * e
        d2[j] = -np.inf
        j = _argmax(d2)
    return count


@njit(cache=True, boundscheck=False)
def _argmax(d):
    """np.argmax: the first NaN, else the first largest entry."""
    best, at = d[0], 0
    if best != best:
        return 0
    for i in range(1, d.shape[0]):
        x = d[i]
        if x != x:
            return i
        if x > best:
            best, at = x, i
    return at
