r"""The Wasserstein divergence of WGAN-div (Wu et al., ECCV 2018, arXiv 1712.01026).

.. math::

    W_{k,p}(P, Q) = \sup_T\; \mathbb E_P[T] - \mathbb E_Q[T] - k\, \mathbb E_u\big[\|\nabla T\|^p\big]

with u a reference measure (Wu et al. sample it on segments between real and fake
points; recommended k = 2, p = 6). ``wasserstein_divergence_objective`` is the
sampled critic objective; ``wasserstein_divergence_1d`` the exact value in one
dimension for u uniform on an interval, in closed form (derivation below and in
docs/wdiv.md).

Derivation (1-D). With F_P, F_Q the CDFs and P, Q inside [lo, hi], integration by
parts gives E_P T - E_Q T = int T'(x) h(x) dx, h = F_Q - F_P. With u of density
1/L on [lo, hi] (L = hi - lo), the objective is int [T' h - (k/L)|T'|^p] dx, maximised
pointwise in g = T'(x): g = sign(h) (L |h| / (k p))^(1/(p-1)), with value
(1/q) (L / (k p))^(q-1) |h|^q, q = p/(p-1) the conjugate exponent. So

    W_{k,p} = (1/q) (L / (k p))^(q-1) int_lo^hi |F_Q - F_P|^q dx,

and outside [lo, hi], where T' is free, the supremum is +inf unless F_Q = F_P there.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from . import _validate as check
from ._backend import Array, Namespace, constant, device, namespace, result_dtype
from ._deprecate import renamed_keywords


def wasserstein_divergence_objective(
    t_real: Array,
    t_fake: Array,
    grad_norms: Array,
    *,
    k: float = 2.0,
    p: float = 6.0,
) -> Array:
    r"""The sampled WGAN-div critic objective (to be maximised by the critic).

    .. math::

        \frac1n\sum_i T(x_i) - \frac1m\sum_j T(y_j) - \frac{k}{l}\sum_s \|\nabla T(u_s)\|^p

    for real samples :math:`x_i \sim P`, fake samples :math:`y_j \sim Q` and points
    :math:`u_s \sim u` where the gradient norms were taken (Wu et al., "Wasserstein
    Divergence for GANs", ECCV 2018, arXiv 1712.01026, with the signs of a
    maximised objective). Its supremum over T, in expectation, is
    :math:`W_{k,p}(P, Q)`; in 1-D with u uniform on an interval that is
    :func:`wasserstein_divergence_1d`.

    Parameters
    ----------
    t_real, t_fake : arrays (..., n), (..., m)
        Critic values at the real and the fake samples (last axis: samples; leading
        axes are a batch and broadcast).
    grad_norms : array (..., l)
        :math:`\|\nabla_x T(u_s)\|` at the penalty points, >= 0.
    k : float
        Penalty weight, > 0 (Wu et al. recommend 2).
    p : float
        Penalty power, > 1 (Wu et al. recommend 6).

    Returns
    -------
    array (...)
        The objective, in the caller's namespace, dtype and device. Gradients
        (PyTorch) flow to all three inputs.

    Raises
    ------
    ValueError
        NaN or infinite values, negative ``grad_norms``, empty inputs, ``k <= 0``,
        ``p <= 1``, or an objective beyond the dtype; the message names the
        arguments.

    Notes
    -----
    In units of T. Where :math:`k g^p` under- or overflows with :math:`g^p` alone
    (k = 1e-300, g = 1e60, p = 6), the largest norm G is factored out:
    :math:`k G^p = (k^{1/p} G)^p` is of the penalty's own size (2 p u relative on
    that path only).

    Examples
    --------
    >>> import numpy as np
    >>> float(wasserstein_divergence_objective(np.array([1.0, 3.0]), np.array([0.0]),
    ...                                         np.array([1.0, 0.0]), k=2.0, p=6.0))
    1.0
    """
    xp = namespace(t_real, t_fake, grad_norms)
    k, p = _k_p(k, p)
    raw = [check.as_array(x, n, xp) for x, n in ((t_real, "t_real"), (t_fake, "t_fake"), (grad_norms, "grad_norms"))]
    dtype = result_dtype(xp, *raw)
    tr, tf, g = (check.samples(x, n, xp, dtype) for x, n in zip(raw, ("t_real", "t_fake", "grad_norms")))
    if bool(xp.min(g) < 0):
        raise ValueError("grad_norms has negative entries: norms must be >= 0")
    with np.errstate(over="ignore", invalid="ignore"):  # checked below
        value = xp.mean(tr, axis=-1) - xp.mean(tf, axis=-1) - _penalty(g, k, p, xp)
    return check.representable(value, "t_real, t_fake, grad_norms", "the objective", None, xp)


@renamed_keywords(x_weights="a", y_weights="b")
def wasserstein_divergence_1d(
    x: Array,
    y: Array,
    a: Array | None = None,
    b: Array | None = None,
    *,
    k: float = 2.0,
    p: float = 6.0,
    support: Sequence[float] | None = None,
    normalize: bool = False,
) -> Array:
    r"""The exact Wasserstein divergence :math:`W_{k,p}(P, Q)` in one dimension.

    For u uniform on ``support`` = [lo, hi] (length L):

    .. math::

        W_{k,p}(P, Q) = \sup_T \mathbb E_P[T] - \mathbb E_Q[T] - k\,\mathbb E_u|T'|^p
        = \frac1q \Big(\frac{L}{k p}\Big)^{q-1} \int_{lo}^{hi} |F_Q(x) - F_P(x)|^q \, dx,
        \qquad q = \frac{p}{p-1}.

    Integrating by parts, :math:`\mathbb E_P T - \mathbb E_Q T = \int T'(F_Q - F_P)\,dx`, and
    the supremum is pointwise in :math:`T'(x)`: the optimal critic has
    :math:`T' = \operatorname{sign}(F_Q - F_P)\,(L |F_Q - F_P| / (kp))^{1/(p-1)}`. Outside
    [lo, hi] u puts no mass and :math:`T'` is free, so :math:`W_{k,p} = \infty` if
    :math:`F_P \ne F_Q` on a stretch of positive length there. (Wu et al., ECCV 2018,
    arXiv 1712.01026; the closed form is derived in docs/wdiv.md.)

    Parameters
    ----------
    x, y : arrays (..., n), (..., m)
        Samples of P and of Q (last axis: points; leading axes are a batch and
        broadcast).
    a, b : arrays (..., n), (..., m), optional
        Probability weights (uniform when omitted), each of total mass 1. The former
        names ``x_weights``, ``y_weights`` still work, with a DeprecationWarning.
    k : float
        Penalty weight, > 0.
    p : float
        Penalty power, > 1.
    support : (lo, hi), optional
        The interval on which u is uniform, lo < hi. Default: the hull of both
        samples, per batch entry (then :math:`W_{k,p} = 0` when all points coincide).
    normalize : bool
        Rescale the weights to unit mass instead of rejecting other masses.

    Returns
    -------
    array (...)
        :math:`W_{k,p}` per batch entry (>= 0, ``inf`` as above), in the caller's
        namespace, dtype and device.

    Raises
    ------
    ValueError
        NaN or infinite values, negative weights, masses other than 1, ``k <= 0``,
        ``p <= 1``, a ``support`` that is not a finite interval with lo < hi, or a
        finite value beyond the dtype (``"x, y: W_{k,p} overflows float64"``); the
        message names the argument.

    Notes
    -----
    :math:`F_Q - F_P` is piecewise constant between the merged sorted points, so the
    integral is a finite sum over those gaps: O((n + m) log(n + m)) per batch entry,
    exact up to round-off (no quadrature). Differences of CDFs below
    ``(n + m) * eps`` count as 0 when deciding whether the value is infinite. Units:
    those of x to the power q; x -> s x (with the support) gives s^q W. Scaling:
    :math:`W_{k,p}` is :math:`\propto k^{-1/(p-1)}`; as :math:`p \to \infty` it tends
    to :math:`\int |F_Q - F_P| = W_1`. Gradients (PyTorch) flow to the points and the
    weights.

    Examples
    --------
    Two Diracs at 0 and 1 (u uniform on [0, 1], p = 2, k = 1): :math:`|F_Q - F_P| = 1`
    on [0, 1], so :math:`W = \frac12 (1/2)^1 \cdot 1 = 1/4`.

    >>> import numpy as np
    >>> float(wasserstein_divergence_1d(np.array([1.0]), np.array([0.0]), k=1.0, p=2.0))
    0.25
    """
    xp = namespace(x, y, a, b)
    k, p = _k_p(k, p)
    rx, ry = check.as_array(x, "x", xp), check.as_array(y, "y", xp)
    dtype = result_dtype(xp, rx, ry)
    x, y = check.samples(rx, "x", xp, dtype), check.samples(ry, "y", xp, dtype)
    xw = _weights(a, "a", x, xp, dtype, normalize)
    yw = _weights(b, "b", y, xp, dtype, normalize)
    bounds = _support(support)
    x, y, xw, yw = check.broadcast_batch(xp, x=x, y=y, a=xw, b=yw)

    z = xp.concat([x, y], axis=-1)
    order = xp.argsort(z, axis=-1, stable=False)
    z = xp.take_along_axis(z, order, axis=-1)
    H = xp.cumulative_sum(xp.take_along_axis(xp.concat([xw, -yw], axis=-1), order, axis=-1), axis=-1)
    H = abs(H[..., :-1])  # |F_P - F_Q| on each gap between consecutive merged points
    left, right = z[..., :-1], z[..., 1:]
    if bounds is None:
        length = z[..., -1] - z[..., 0]
        gaps, infinite = right - left, None
    else:
        lo, hi = bounds
        length = xp.full(z.shape[:-1], hi - lo, dtype=dtype, device=device(z))
        gaps = xp.clip(right, lo, hi) - xp.clip(left, lo, hi)  # the part of each gap inside
        outside = (right - left) - gaps
        tol = z.shape[-1] * xp.finfo(dtype).eps
        infinite = xp.any((outside > 0) & (H > tol), axis=-1)
    q = p / (p - 1)
    integral = xp.sum(H**q * gaps, axis=-1)
    # (1/q) (L / (k p))^(q - 1), with gradient 0 (not NaN) at L = 0
    pos = length > 0
    lsafe = xp.where(pos, length, xp.ones_like(length))
    factor = xp.where(pos, (lsafe / (k * p)) ** (q - 1), xp.zeros_like(length)) / q
    with np.errstate(over="ignore"):  # checked next
        value = factor * integral
    value = check.representable(value, "x, y", "W_{k,p}", None, xp)
    if infinite is not None:
        value = xp.where(infinite, xp.inf, value)
    return value


# ------------------------------------------------------------------------ helpers


def _penalty(g: Array, k: float, p: float, xp: Namespace) -> Array:
    """k mean(g^p) along the last axis. The plain formula is kept when nothing in it
    over- or underflows (one check more); otherwise G = max g is factored out,
    k G^p mean((g / G)^p) with k G^p = (k^(1/p) G)^p, a number of the penalty's own
    size (p roundings, so 2 p u relative, on this path only)."""
    s = xp.mean(g**p, axis=-1)
    penalty = k * s
    floor = g.shape[-1] * float(xp.finfo(g.dtype).smallest_normal)
    top = xp.max(g, axis=-1)
    if bool(xp.all(xp.isfinite(penalty) & ((s >= floor) | (top == 0)))):
        return penalty
    big = constant(top, xp)[..., None]
    safe = xp.where(big > 0, big, xp.ones_like(big))
    return (k ** (1 / p) * safe[..., 0]) ** p * xp.mean((g / safe) ** p, axis=-1)


def _k_p(k: object, p: object) -> tuple[float, float]:
    k = check.positive_number(k, "k")
    p = check.real_number(p, "p", "a real number > 1")
    if not (math.isfinite(p) and p > 1):
        raise ValueError(f"p must be a finite number > 1 (at p = 1 the supremum is 0 or inf), got {p!r}")
    return k, p


def _weights(w: Any, name: str, x: Array, xp: Namespace, dtype: Any, normalize: bool) -> Array:
    n = x.shape[-1]
    if w is None:
        return xp.full((n,), 1.0 / n, dtype=dtype, device=device(x))
    w = check.probability_vectors(w, name, xp, dtype, normalize)
    if w.shape[-1] != n:
        raise ValueError(f"{name} must have {n} entries along its last axis (one per point), got shape {tuple(w.shape)}")
    return w


def _support(support: Any) -> tuple[float, float] | None:
    if support is None:
        return None
    try:
        lo, hi = (float(s) for s in support)
    except (TypeError, ValueError):
        raise ValueError(f"support must be a pair (lo, hi) of real numbers, got {support!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"support must be a finite interval (lo, hi) with lo < hi, got {support!r}")
    return lo, hi


__all__ = ["wasserstein_divergence_1d", "wasserstein_divergence_objective"]
