"""Floating-point pieces shared by the solvers: scaled powers and round-off bounds.

Two ideas, each written once:

- *Scaled powers.* ``sum_k w_k |d_k|^p`` overflows long before its p-th root does
  (p = 100 with |d| ~ 1e4, p = 2 with |d| ~ 1e160). Factoring out D = max |d_k|,

      (sum_k w_k |d_k|^p)^(1/p) = D (sum_k w_k (|d_k| / D)^p)^(1/p),

  every power is at most 1 and the result is representable whenever W_p is.
- *A-priori round-off bounds.* A recursive sum of n floating-point terms t_k has
  error at most gamma_{n-1} sum_k |t_k| with gamma_k = k u / (1 - k u), u the unit
  round-off (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed. 2002,
  Eq. 4.4 and Lemma 3.1). Pairwise and blocked sums (NumPy, torch) do better, so the
  bound holds for them too. Certificates widen by it so that they hold in floating
  point, not only in exact arithmetic.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._backend import Array, Namespace, constant


def unit_roundoff(xp: Namespace, dtype: Any) -> float:
    """u = eps / 2 of ``dtype`` (round to nearest)."""
    return float(xp.finfo(dtype).eps) / 2


def gamma(k: int, xp: Namespace, dtype: Any) -> float:
    """gamma_k = k u / (1 - k u) (Higham 2002, Lemma 3.1); inf when k u >= 1."""
    ku = k * unit_roundoff(xp, dtype)
    return ku / (1 - ku) if ku < 1 else math.inf


def sum_error_bound(k: int, abs_sum: float, xp: Namespace, dtype: Any) -> float:
    """A bound on |fl(sum) - sum| for a sum of ``k`` products (each product adds one
    rounding, hence gamma_{k+1}) whose absolute values sum to ``abs_sum``.

    Below the normal range each operation can also err by half the smallest
    subnormal, eta, whatever the size of its result (Higham 2002, Sec. 2.1): the
    bound adds 2 (k + 1) eta. It is rounded upward by a factor (1 + 4u) so that
    computing it in floating point cannot make it smaller than the true bound.
    """
    g = gamma(k + 1, xp, dtype)
    finfo = xp.finfo(dtype)
    two_eta = float(finfo.smallest_normal) * float(finfo.eps)  # the smallest subnormal
    return (g * abs_sum + (k + 1) * two_eta) * (1 + 4 * unit_roundoff(xp, dtype))


def max_abs(x: Array, xp: Namespace) -> Array:
    """max |x| over all entries, held constant (a scale, not a variable)."""
    return constant(xp.max(xp.abs(x)), xp)


def scaled_pth_root_of_sum(d: Array, w: Array | None, p: float, xp: Namespace, axis: int = -1) -> Array:
    """(sum_k w_k |d_k|^p)^(1/p) along ``axis`` (w = None: the mean), overflow-free.

    The plain sum is tried first (the ordinary path: one scalar check more than the
    unscaled formula). It is kept when every sum is finite and at least n times the
    smallest normal number, so that terms lost to underflow change it by less than
    eps relative; otherwise D = max |d| is factored out (held constant for
    gradients: the identity is exact for any D > 0, so the derivative is that of the
    unscaled expression). Returns 0 with gradient 0 where every d is 0. NaN in
    (differences that overflowed) stays NaN out, for the caller to report.
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # checked below
        r = pow_abs(d, p, xp)
        s = xp.mean(r, axis=axis) if w is None else xp.sum(w * r, axis=axis)
    floor = d.shape[axis] * float(xp.finfo(d.dtype).smallest_normal)
    if bool(xp.all(xp.isfinite(s) & (s >= floor))):
        return pth_root(s, p, xp)
    with np.errstate(invalid="ignore"):
        return _factored_pth_root_of_sum(d, w, p, xp, axis)


def _factored_pth_root_of_sum(d: Array, w: Array | None, p: float, xp: Namespace, axis: int) -> Array:
    big = constant(xp.max(xp.abs(d), axis=axis, keepdims=True), xp)
    positive = big > 0
    safe = xp.where(positive, big, xp.ones_like(big))
    r = pow_abs(d / safe, p, xp)
    s = xp.mean(r, axis=axis) if w is None else xp.sum(w * r, axis=axis)
    return xp.squeeze(safe, axis=axis) * pth_root(s, p, xp)


def pow_abs(d: Array, p: float, xp: Namespace) -> Array:
    """|d|^p (exact products for p = 1, 2)."""
    if p == 1:
        return xp.abs(d)
    if p == 2:
        return d * d
    return xp.abs(d) ** p


def pth_root(s: Array, p: float, xp: Namespace) -> Array:
    """s^(1/p) for s >= 0, with gradient 0 (not NaN) where s = 0; NaN stays NaN."""
    if p == 1:
        return s
    positive = s > 0
    root = xp.where(positive, s, xp.ones_like(s)) ** (1.0 / p)
    return xp.where(positive, root, xp.where(s == 0, xp.zeros_like(s), s))


def overflow_message(name: str, quantity: str, dtype: Any, p: float | None = None) -> str:
    """One wording for results that the dtype cannot represent."""
    at = f" at p = {p:g}" if p is not None else ""
    return f"{name}: {quantity} overflows {_dtype_name(dtype)}{at}"


def _dtype_name(dtype: Any) -> str:
    return str(dtype).rsplit(".", 1)[-1]  # float64, whatever the library's spelling


def binary_scale(*xs: Array, xp: Namespace) -> int:
    """The exponent e with max |x| in [2^(e-1), 2^e) over all ``xs`` (0 when all are 0).

    Multiplying by 2^-e is exact (no rounding, no overflow), so it changes nothing
    but the range: coordinates scaled by it lie in (-1, 1).
    """
    top = max(max(float(xp.max(constant(x, xp))), -float(xp.min(constant(x, xp)))) for x in xs)
    return math.frexp(top)[1] if top > 0 else 0


def ldexp(x: Array, e: int) -> Array:
    """x * 2^e, exact, in two steps when one factor would overflow (|e| <= 2100)."""
    if e == 0:
        return x
    if -1000 < e < 1000:
        return x * 2.0**e
    half = e // 2
    return (x * 2.0**half) * 2.0 ** (e - half)
