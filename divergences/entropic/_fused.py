r"""Fused float32 soft-min sums on the CPU, compiled with numba where it is installed.

The iterations of ``sinkhorn_points`` need, for each row i, the sum

.. math::

    s_i = \sum_{j \in J_i} \exp(\max(E_{ij}, L)), \qquad E_{ij} = a_i \cdot b_j,

of a lifted product (:func:`~._online.shifted_softmin`: a, b have d + 2 columns),
over every column or over the kept columns of i's row cell (multiscale), with
L = -87 the float32 exponential's floor (:func:`~divergences._numerics.exp_floored`).
Through PyTorch each block costs a product, a clamp, an exponential and a sum, four
passes over a block in memory (about 2.7 ns a pair on one AVX2 core). Here one loop
per row forms E_i. in a row buffer in cache, exponentiates it and sums it: about 1 ns
a pair, and the rows run on every core (numba's ``prange``).

Why by hand: neither NumPy, PyTorch nor numba offers a vectorised float32 exponential
inside a compiled loop (numba calls the scalar ``expf``, 10 ns a pair here); the
exponential below is Cody and Waite's range reduction, exp(z) = 2^n exp(r) with
n = round(z / ln 2), r = z - n ln 2 split in two parts, and the degree-6 Taylor
polynomial of exp on |r| <= ln(2)/2 (relative error below 1.3e-7, under float32's
rounding of E itself; Muller, *Elementary Functions*, 3rd ed., ch. 11), then 2^n
added to the exponent bits. Every step is plain arithmetic, so LLVM vectorises it.
Exponents below L count as L, above 88 as +inf, NaN stays NaN. Sums accumulate in float64; each row's sum runs in one thread in a fixed order, so
results are identical from run to run at any thread count.
"""

from __future__ import annotations

import numpy as np
import numba  # imported only where _backend.compiled_cpu found it
from numba import njit, prange

__all__ = ["exp_row_sums", "local_row_sums"]

# reassociation lets LLVM vectorise the sums; no nnan/ninf: an infinite or NaN
# exponent must come out as such (the caller then takes the max-shifted path)
_FLAGS = {"reassoc", "contract", "nsz", "arcp"}
_F = np.float32
_INV_LN2, _LN2_HI, _LN2_LO = _F(1.4426950408889634), _F(0.693359375), _F(-2.12194440e-4)
_C2, _C3, _C4, _C5, _C6 = _F(1 / 2), _F(1 / 6), _F(1 / 24), _F(1 / 120), _F(1 / 720)
# exponents above _HI come out inf (the caller then takes its max-shifted path): the
# exponent bits of 2^n would overflow past 2^127; the soft-min's exponents are <= 0
_HI = _F(88.0)
_CHUNK = 16  # rows per task over all columns


def _threads(threads: int | None) -> None:
    if threads is not None:
        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]


def exp_row_sums(Xa: np.ndarray, Ya: np.ndarray, floor: float, threads: int | None = None) -> np.ndarray:
    """s_i = sum_j exp(max(Xa_i . Ya_j, L)) over all columns; float32 inputs, float64
    sums; on ``threads`` threads (numba's default: every core)."""
    _threads(threads)
    out = np.empty(Xa.shape[0], dtype=np.float64)
    _all_columns(Xa, np.ascontiguousarray(Ya.T), np.float32(floor), out)
    return out


def local_row_sums(X: np.ndarray, Y: np.ndarray, hw: np.ndarray, B: np.ndarray, eps: float, kept, floor: float,
                   threads: int | None = None) -> np.ndarray:
    """s_i = sum_{j kept} exp(max(E_ij, L)), E_ij = (hw_j - |x_i - y_j|^2 - B_i) / eps,
    over the kept columns of each row cell (``kept``: :class:`~._cells.Kept`).

    Each row cell's exponents are formed in coordinates centred on the cell, c_I, with
    B taken at its first row, B_0, out in float64 before the float32 rounding:

        E_ij = [x', 1, -(|x'|^2 + B_i - B_0)/eps] . [2 y'/eps, (hw_j - B_0 - |y'|^2)/eps, 1],

    x' = x_i - c_I, y' = y_j - c_I, so each term is of the size of the cell pair
    (``Kept.spread``), not of the cloud, and so is its float32 rounding."""
    _threads(threads)
    out = np.empty(X.shape[0], dtype=np.float64)
    _kept_local(X, Y, hw, B, 1.0 / eps, kept.centres, kept.starts, kept.ends, kept.first, kept.lo, kept.hi,
                kept.counts, np.float32(floor), out)
    return out


@njit(fastmath=_FLAGS, inline="always", boundscheck=False, cache=True)
def _row_sum(Xa, i, YT, k, lo, z, n):
    """sum_j exp(max(Xa[i] . YT[:, j], lo)), j < k, in the buffers z (float32) and n (int32)."""
    q = Xa.shape[1]
    x0 = Xa[i, 0]
    for j in range(k):
        z[j] = x0 * YT[0, j]
    for c in range(1, q):
        xc = Xa[i, c]
        for j in range(k):
            z[j] += xc * YT[c, j]
    for j in range(k):
        e = max(z[j], lo)
        big = e > _HI
        e = min(e, _HI)
        m = np.floor(e * _INV_LN2 + _F(0.5))
        r = (e - m * _LN2_HI) - m * _LN2_LO
        p = _F(1.0) + r * (_F(1.0) + r * (_C2 + r * (_C3 + r * (_C4 + r * (_C5 + r * _C6)))))
        z[j] = np.inf if big else p  # inf + 0 << 23 stays inf
        n[j] = 0 if big else np.int32(m)
    bits = z.view(np.int32)
    for j in range(k):
        bits[j] += n[j] << 23  # times 2^n: e >= -87 keeps the result normal
    total = 0.0
    for j in range(k):
        total += np.float64(z[j])
    return total


@njit(parallel=True, fastmath=_FLAGS, boundscheck=False, cache=True)
def _all_columns(Xa, YT, lo, out):
    rows, k = Xa.shape[0], YT.shape[1]
    for b in prange((rows + _CHUNK - 1) // _CHUNK):
        z = np.empty(k, np.float32)
        n = np.empty(k, np.int32)
        for i in range(b * _CHUNK, min(rows, (b + 1) * _CHUNK)):
            out[i] = _row_sum(Xa, i, YT, k, lo, z, n)


@njit(parallel=True, fastmath=_FLAGS, boundscheck=False, cache=True)
def _kept_local(X, Y, hw, B, inv_eps, centres, starts, ends, first, run_lo, run_hi, counts, lo, out):
    d = X.shape[1]
    for b in prange(starts.shape[0]):
        s, e, k = starts[b], ends[b], counts[b]
        base = B[s]
        YT = np.empty((d + 2, k), np.float32)  # the kept columns, gathered once per row cell
        t = 0
        for r in range(first[b], first[b + 1]):
            for j in range(run_lo[r], run_hi[r]):
                sq = 0.0
                for c in range(d):
                    yc = Y[j, c] - centres[b, c]
                    sq += yc * yc
                    YT[c, t] = np.float32(2.0 * yc * inv_eps)
                YT[d, t] = np.float32((hw[j] - base - sq) * inv_eps)
                YT[d + 1, t] = np.float32(1.0)
                t += 1
        Xl = np.empty((e - s, d + 2), np.float32)
        for i in range(s, e):
            sq = 0.0
            for c in range(d):
                xc = X[i, c] - centres[b, c]
                sq += xc * xc
                Xl[i - s, c] = np.float32(xc)
            Xl[i - s, d] = np.float32(1.0)
            Xl[i - s, d + 1] = np.float32(-(sq + B[i] - base) * inv_eps)
        z = np.empty(k, np.float32)
        n = np.empty(k, np.int32)
        for i in range(e - s):
            out[s + i] = _row_sum(Xl, i, YT, k, lo, z, n)
