"""Checks of measures: weights, the mass rule (equal masses, ``normalize=True``), histograms and costs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._backend import Array, Namespace, device, is_array, namespace, result_dtype
from .arrays import as_array, as_float, check_finite, check_ndim, check_nonempty, cost_matrix, points, same_dimension

__all__ = ["balanced", "cost_and_weights", "equal_mass_histograms", "point_measures", "probability_vectors",
           "same_bins", "same_mass", "weights"]


def weights(w: Any, name: str, n: int, xp: Namespace, dtype: Any, dev: Any) -> Array:
    """Nonnegative finite weights of length ``n`` (uniform when ``w`` is None).

    Only the last axis is checked against ``n``; leading axes are batch axes.
    """
    if w is None:
        return xp.full((n,), 1.0 / n, dtype=dtype, device=dev)
    w = as_float(as_array(w, name, xp), xp, dtype)
    if w.ndim == 0 or w.shape[-1] != n:
        raise ValueError(f"{name} must have {n} entries along its last axis (one per point), got shape {tuple(w.shape)}")
    check_finite(w, name, xp)
    if bool(xp.any(w < 0)):
        raise ValueError(f"{name} has negative entries: weights must be >= 0")
    with np.errstate(over="ignore"):  # an overflowing total is the mass rule's to handle
        empty = bool(xp.any(xp.sum(w, axis=-1) <= 0))
    if empty:
        raise ValueError(f"{name} sums to 0: a measure needs positive total mass")
    return w


def balanced(a: Array, b: Array, xp: Namespace, normalize: bool,
             names: tuple[str, str] = ("a", "b")) -> tuple[Array, Array]:
    """The mass rule for weights: ``a`` and ``b`` of equal total mass t (any t > 0;
    values then scale with t), checked, or each rescaled to mass 1 on request."""
    with np.errstate(over="ignore"):  # an overflowing total is handled below
        sa, sb = xp.sum(a, axis=-1, keepdims=True), xp.sum(b, axis=-1, keepdims=True)
    if normalize:
        return _unit_mass(a, sa, xp), _unit_mass(b, sb, xp)
    if not (bool(xp.all(xp.isfinite(sa))) and bool(xp.all(xp.isfinite(sb)))):
        raise ValueError(
            f"{names[0]}, {names[1]}: the total mass overflows {a.dtype}; pass normalize=True, or divide "
            "both by one factor (values scale with the mass)"
        )
    same_mass(sa, sb, names, xp)
    return a, b


def _unit_mass(w: Array, total: Array, xp: Namespace) -> Array:
    """w / sum(w) along the last axis, by way of :func:`_scaled_to_max` where the sum
    overflows."""
    if not bool(xp.all(xp.isfinite(total))):
        w, total = _scaled_to_max(w, xp)
    return w / total


def _scaled_to_max(w: Array, xp: Namespace) -> tuple[Array, Array]:
    """Finite nonnegative w whose total overflows (entries near the dtype's maximum),
    divided by its largest entry along the last axis, with its new total (keepdims),
    at most the axis length."""
    w = w / xp.max(w, axis=-1, keepdims=True)
    return w, xp.sum(w, axis=-1, keepdims=True)


def same_mass(sa: Array, sb: Array, names: tuple[str, str], xp: Namespace) -> None:
    """Masses agree when they differ by at most ``sqrt(eps)`` relative, eps the dtype's
    machine epsilon (1.5e-8 in float64, 3.5e-4 in float32)."""
    rtol = math.sqrt(xp.finfo(sa.dtype).eps)
    if bool(xp.any(xp.abs(sa - sb) > rtol * xp.maximum(sa, sb))):
        raise ValueError(
            f"{names[0]} and {names[1]} have different total masses ({_first(sa)} and {_first(sb)}); "
            "pass normalize=True to rescale both to unit mass"
        )


def equal_mass_histograms(p: Array, q: Array, names: tuple[str, str], xp: Namespace, dtype: Any,
                          normalize: bool) -> tuple[Array, Array, Array]:
    """The mass rule for histograms: ``(p / t, q / t, t)`` with t (shape ``(...,)``)
    the common total mass of p and q along the last axis (1 with ``normalize``,
    which rescales each to mass 1). Values homogeneous in the mass are t times
    their value on the unit-mass pair."""
    p, sp = _histogram(p, names[0], xp, dtype, normalize)
    q, sq = _histogram(q, names[1], xp, dtype, normalize)
    if normalize:
        one = xp.ones_like(sp[..., 0])
        return p / sp, q / sq, one
    same_mass(sp, sq, names, xp)
    # one divisor for both: t D(p/t || q/t) is then the same function as the raw
    # sum q f(p/q), gradients included
    return p / sp, q / sp, sp[..., 0]


def _histogram(x: Array, name: str, xp: Namespace, dtype: Any, normalize: bool) -> tuple[Array, Array]:
    """Finite, nonnegative, at least one bin, positive total mass along the last
    axis; returned with that mass (keepdims). A mass beyond the dtype is an error,
    unless ``normalize``: then x is divided by its largest entry first."""
    x = as_float(as_array(x, name, xp), xp, dtype)
    if x.ndim == 0:
        raise ValueError(f"{name} must have at least one axis (the bins), got a scalar")
    check_nonempty(x, name)
    with np.errstate(over="ignore"):  # an overflowing total is handled below
        mass = xp.sum(x, axis=-1, keepdims=True)
    if not bool(xp.all(xp.isfinite(mass))):
        check_finite(x, name, xp)  # names NaN/inf entries; finite ones can still overflow
        if not normalize:
            raise ValueError(f"{name} has a total mass that overflows the dtype {x.dtype}; pass normalize=True, "
                             "or divide both by one factor (values scale with the mass)")
        x, mass = _scaled_to_max(x, xp)
    if bool(xp.min(x) < 0):
        raise ValueError(f"{name} has negative entries: a histogram must be >= 0")
    if bool(xp.any(mass <= 0)):
        raise ValueError(f"{name} sums to 0: a histogram needs positive total mass")
    return x, mass


def _first(s: Array) -> float:
    return float(namespace(s).reshape(s, (-1,))[0]) if is_array(s) else float(s)


def point_measures(x: Any, y: Any, a: Any, b: Any, xp: Namespace, normalize: bool):
    """Two empirical measures in R^d: points as (n, d) and (m, d) arrays of one float
    dtype, and their weights (``None`` for both when uniform and not normalised)."""
    x, y = points(x, "x", xp), points(y, "y", xp)
    same_dimension(x, y)
    dtype = result_dtype(xp, x, y)
    x = as_float(x[:, None] if x.ndim == 1 else x, xp, dtype)
    y = as_float(y[:, None] if y.ndim == 1 else y, xp, dtype)
    if a is None and b is None and not normalize:
        return x, y, None, None
    a = weights(a, "a", x.shape[0], xp, dtype, device(x))
    b = weights(b, "b", y.shape[0], xp, dtype, device(x))
    check_ndim(a, "a", (1,))
    check_ndim(b, "b", (1,))
    a, b = balanced(a, b, xp, normalize)
    return x, y, a, b


def probability_vectors(x: Any, name: str, xp: Namespace, dtype: Any, normalize: bool) -> Array:
    """Histograms along the last axis (leading axes are a batch): finite, nonnegative,
    with at least one bin, each of total mass 1 up to ``sqrt(eps)`` relative (eps the
    dtype's machine epsilon), or rescaled to mass 1 when ``normalize``."""
    x, mass = _histogram(x, name, xp, dtype, normalize)
    if normalize:
        return x / mass
    rtol = math.sqrt(xp.finfo(x.dtype).eps)
    if bool(xp.any(xp.abs(mass - 1) > rtol)):
        off = float(xp.max(xp.abs(mass - 1)))
        raise ValueError(
            f"{name} must sum to 1 along its last axis (a total mass is off by {off:.3g}); "
            "pass normalize=True to rescale it to a probability vector"
        )
    return x


def cost_and_weights(M: Any, a: Any, b: Any, xp: Namespace) -> tuple[Array, Array, Array]:
    """A finite (n, m) cost and 1-D weights (uniform when None) in its dtype and
    device; the masses are not compared here (balanced problems call ``balanced``)."""
    M = cost_matrix(M, xp)
    n, m = M.shape
    a = weights(a, "a", n, xp, M.dtype, device(M))
    b = weights(b, "b", m, xp, M.dtype, device(M))
    check_ndim(a, "a", (1,))
    check_ndim(b, "b", (1,))
    return M, a, b


def same_bins(p: Array, q: Array, np_: str, nq: str, xp: Namespace) -> tuple[Array, Array]:
    """p and q with one number of bins (last axis) and their batch axes broadcast."""
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(
            f"{np_} and {nq} must have the same number of bins (last axis), got shapes "
            f"{tuple(p.shape)} and {tuple(q.shape)}"
        )
    try:
        shape = np.broadcast_shapes(tuple(p.shape), tuple(q.shape))
    except ValueError:
        raise ValueError(
            f"the batch shapes of {np_} {tuple(p.shape)} and {nq} {tuple(q.shape)} do not broadcast"
        ) from None
    if tuple(p.shape) == shape and tuple(q.shape) == shape:
        return p, q
    return xp.broadcast_to(p, shape), xp.broadcast_to(q, shape)
