r"""The dense solver's kernel rebuild in two compiled sweeps over the rows (numba),
for float64 NumPy input: what :func:`~._kernel.rebuild` forms with about ten array
passes over cache-sized blocks (a scaled copy of the cost, the shift, the row maxima,
their subtraction, the exponential, its row sums and the row scaling).

With M' = (M - offset) / scale and h = g / eps + log b:

- sweep 1, row i: S_ij = h_j - M'_ij / eps, its maximum s_i, and
  max(S_ij - s_i, L) written into the kernel's buffer (L = ``_numerics.exp_floor``);
- the exponential over the whole buffer (``_numerics.exp_floored_inplace``: PyTorch's
  vectorised one where installed);
- sweep 2, row i: E_ij (0 at or below exp(L), as the array path's exponential),
  f_i = -tau eps (s_i + log sum_j E_ij) and K_ij = a_i exp(f_i / eps + s_i) E_ij.

The same numbers as the array path, to round-off (the row sums in the order the
compiler vectorises them, ``REORDERED_SUMS``; the row maxima exact).
Why by hand: at n = 500 and eps >= 0.1 x the cost range a solve is two to four
Sinkhorn steps, and the rebuild's passes were a third of it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._numerics import exp_floor, exp_floored_inplace
from ._fused_finish import REORDERED_SUMS, row_max

__all__ = ["rebuild_rows"]


def rebuild_rows(K: np.ndarray, M: np.ndarray, offset: float, scale: float, h: np.ndarray, a: np.ndarray,
                 eps: float, tau: float) -> np.ndarray:
    """Write the stabilised kernel into ``K``; return the absorbed potential f."""
    low = exp_floor(K.dtype, np)
    smax = np.empty(K.shape[0])
    _shifted_exponents(K, M, offset, scale, h, eps, low, smax)
    exp_floored_inplace(K)
    f = np.empty(K.shape[0])
    _scaled_rows(K, a, smax, eps, tau, math.exp(low), f)
    return f


@njit(cache=True, boundscheck=False)
def _shifted_exponents(K, M, offset, scale, h, eps, low, smax):
    n, m = K.shape
    c = (-1.0 / eps) / scale  # the constant of NormalisedCost.scaled_rows
    for i in range(n):
        for j in range(m):
            K[i, j] = (M[i, j] - offset) * c + h[j]
        top = row_max(K[i])
        for j in range(m):
            K[i, j] = max(K[i, j] - top, low)
        smax[i] = top


@njit(cache=True, boundscheck=False, fastmath=REORDERED_SUMS)
def _scaled_rows(K, a, smax, eps, tau, tiny, f):
    n, m = K.shape
    for i in range(n):
        total = 0.0
        for j in range(m):
            e = K[i, j] if K[i, j] > tiny else 0.0
            K[i, j] = e
            total += e
        fi = -tau * eps * (smax[i] + math.log(total))
        f[i] = fi
        c = a[i] * math.exp(fi / eps + smax[i])
        for j in range(m):
            K[i, j] *= c
