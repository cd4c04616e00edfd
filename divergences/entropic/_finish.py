"""A finished dense run's plan, transport cost and certified bracket in two sweeps.

After the iterations, the plan P = diag(u) K diag(v), its mass |P|, the cost
<M, P> and the bracket lower <= OT(a, b) <= upper each need passes over the n x m
matrices: the bracket is the dual value of the double c-transform of f (a lower
bound) and the cost of P rounded onto U(a, b) (an upper bound; Altschuler, Weed and
Rigollet 2017, arXiv 1705.09634, Alg. 2), with the formulas of
:mod:`..transport._polytope`. One after the other they read M and the kernel about
fifteen times. Here they run over blocks of rows (:mod:`._blocks`) in two sweeps:

1. P formed in the kernel's buffer; its row sums r (so s = min(a / r, 1) block by
   block), |P|, <M, P> (a dot product a block), the shrunk column sums s^T P, and the
   c-transform g_j = min_i M_ij - f_i;
2. with t = min(b / s^T P, 1) and g known: P t, (M * P) t, M e_c and
   f_i = min_j M_ij - g_j.

The c-transforms and the row sums are the same numbers as on the whole matrix (min
is exact, each row is one reduction); sums over rows differ by round-off only.
For float64 NumPy input with numba installed the two sweeps run compiled, a row at a
time (:mod:`._fused_finish`; the dispatch is ``_backend.compiled_cpu``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._backend import Array, Namespace, block_scale, compiled_cpu, is_torch
from .._numerics import flat_dot
from ..transport._polytope import shrink
from ._blocks import row_blocks
from ._units import NormalisedCost

__all__ = ["Finished", "finish"]


@dataclass(frozen=True)
class Finished:
    plan: Array
    mass: Array  # |P|
    inner: Array  # <M, P>
    lower: Array | None  # dual value of the double c-transform of f
    upper: Array | None  # <M, R(P)>, R the rounding onto U(a, b)


def finish(K: Array, u: Array, v: Array, M: NormalisedCost, a: Array, b: Array, f: Array | None,
           xp: Namespace) -> Finished:
    """P = diag(u) K diag(v), written over ``K`` (a spent kernel), with |P|, <M', P>
    and, when ``f`` is given (balanced problems; a, b > 0), the bracket from f and P."""
    n, m = M.shape
    fc = None if f is None else _centred(f, xp)
    if fc is not None and _compiled(K, M, fc):
        from ._fused_finish import finish_sweeps  # imports numba: only where compiled_cpu found it

        sums = finish_sweeps(K, u, v, M.M, M.offset, M.scale, a, b, fc)
        return Finished(K, *(np.asarray(t, dtype=K.dtype) for t in sums))
    blocks = list(row_blocks(n, m, block_scale(K)))
    rows, inner, col, g = [], [], None, None
    for r in blocks:
        P = _plan_rows(K, r, u, v, xp)
        Mb = M.rows(r)
        rows.append(xp.sum(P, axis=1))
        inner.append(flat_dot(Mb, P, xp))
        if fc is not None:
            part = shrink(a[r], rows[-1], xp) @ P
            col = part if col is None else col + part
            gb = xp.min(Mb - fc[r][:, None], axis=0)
            g = gb if g is None else xp.minimum(g, gb)
    row_sums = _join(rows, xp)
    mass, cost = xp.sum(row_sums), _total(inner)
    if fc is None:
        return Finished(K, mass, cost, None, None)
    assert g is not None and col is not None  # n >= 1: at least one block ran
    s, t = shrink(a, row_sums, xp), shrink(b, col, xp)
    err_c = xp.maximum(b - t * col, xp.zeros_like(b))
    Pt, MPt, Me, fo = [], [], [], []
    for r in blocks:
        P, Mb = K[r, :], M.rows(r)
        Pt.append(P @ t)
        MPt.append((Mb * P) @ t)
        Me.append(Mb @ err_c)
        fo.append(xp.min(Mb - g[None, :], axis=1))
    f_ok = _join(fo, xp)
    err_r = xp.maximum(a - s * _join(Pt, xp), xp.zeros_like(a))
    upper = s @ _join(MPt, xp)
    total = xp.sum(err_r)
    if float(total) != 0.0:
        upper = upper + (err_r @ _join(Me, xp)) / total
    return Finished(K, mass, cost, xp.sum(a * f_ok) + xp.sum(b * g), upper)


def _compiled(K: Array, M: NormalisedCost, f: Array) -> bool:
    """Float64 NumPy matrices and finite potentials (a NaN would be dropped by the
    compiled minima, where the array path propagates it)."""
    arrays = (K, M.M, f)
    return (all(isinstance(t, np.ndarray) and t.dtype == np.float64 for t in arrays) and compiled_cpu(K)
            and bool(np.isfinite(f).all()))


def _plan_rows(K: Array, r: slice, u: Array, v: Array, xp: Namespace) -> Array:
    """Rows ``r`` of diag(u) K diag(v), written over K's: in place where a row slice
    is a view (NumPy, PyTorch), else formed and assigned."""
    views = is_torch(xp) or isinstance(K, np.ndarray)
    P = K[r, :]
    if views:
        P *= u[r][:, None]
    else:
        P = P * u[r][:, None]
    P *= v[None, :]
    if not views:
        K[r, :] = P
    return P


def _centred(f: Array, xp: Namespace) -> Array:
    """f minus the midpoint of its range: with equal masses the shift moves to g
    through the c-transform and the dual value is unchanged, while an offset like
    1e12 would otherwise cost 12 digits in <a, f> + <b, g>."""
    return f - (xp.max(f) / 2 + xp.min(f) / 2)


def _total(parts: list[Array]) -> Array:
    total = parts[0]
    for t in parts[1:]:
        total = total + t
    return total


def _join(parts: list[Array], xp: Namespace) -> Array:
    return parts[0] if len(parts) == 1 else xp.concat(parts)
