"""Kantorovich duality: dual objective, c-transforms, the W_1 critic objective.

References: Villani, *Optimal Transport: Old and New* (2009), Ch. 5; Peyre and
Cuturi, *Computational Optimal Transport* (2019), arXiv 1803.00567, Sec. 3.1 and 6.1.
"""

from __future__ import annotations

import numpy as np

from .. import _validate as v
from .._backend import Array, Namespace, device, namespace, result_dtype
from .._numerics import binary_scale, ldexp
from ._polytope import min_plus

__all__ = ["c_transform", "dual_value", "kantorovich_rubinstein", "lipschitz_constant"]

# Entries per block in pairwise loops: 32 MB temporaries in float64 for the
# Lipschitz ratios.
_BLOCK_ENTRIES = 4_000_000


def dual_value(f: Array, g: Array, a: Array | None = None, b: Array | None = None) -> Array:
    r"""Kantorovich dual objective :math:`\langle a, f\rangle + \langle b, g\rangle`.

    For potentials with :math:`f_i + g_j \le M_{ij}` it is a lower bound on the
    optimal transport cost (weak duality), equal to it at the optimum.

    Parameters
    ----------
    f, g : arrays (n,), (m,)
        Potentials on the supports of ``a`` and ``b``.
    a, b : arrays (n,), (m,), optional
        Nonnegative weights (uniform when omitted).

    Returns
    -------
    array ()
        In units of the potentials times the mass. The sums are taken on ``a``,
        ``b``, ``f``, ``g`` scaled by exact powers of two and mapped back, so no
        product over- or underflows unless the value does; the round-off is at
        most ``gamma_(n+m) (sum |a_i f_i| + sum |b_j g_j|)`` (Higham 2002, Eq. 4.4).

    Raises
    ------
    ValueError
        NaN or infinite entries, wrong shapes, negative weights, or a value beyond
        the dtype ("f, g, a, b: <a, f> + <b, g> overflows float64").
    """
    xp = namespace(f, g, a, b)
    f, fa = _potential_and_weights(f, a, "f", "a", xp)
    g, gb = _potential_and_weights(g, b, "g", "b", xp)
    return _scaled_sum(_scaled_dot(fa, f, xp), _scaled_dot(gb, g, xp), 1.0, ("f, g, a, b", "<a, f> + <b, g>"), xp)


def c_transform(f: Array, M: Array) -> Array:
    r"""The c-transform :math:`g_j = \min_i M_{ij} - f_i`.

    The largest ``g`` with ``f_i + g_j <= M_ij``: applied to any ``f`` it yields a
    feasible dual pair, and it maps optimal potentials to optimal potentials.
    The row-wise transform of ``g`` is ``c_transform(g, M.T)``. O(n m) time,
    O(m + block) extra memory. Each entry is one subtraction, rounded once, in the
    units of M; a minimum beyond the dtype raises ValueError naming ``f, M`` (an
    entry M_ij - f_i that overflows but is not a minimum changes nothing).
    """
    xp = namespace(f, M)
    M = v.cost_matrix(M, xp)
    f = v.as_float(v.as_array(f, "f", xp), xp, M.dtype)
    v.check_ndim(f, "f", (1,))
    if f.shape[0] != M.shape[0]:
        raise ValueError(f"f must have one entry per row of M ({M.shape[0]}), got {f.shape[0]}")
    v.check_finite(f, "f", xp)
    with np.errstate(over="ignore"):  # checked next
        g = min_plus(f, M, xp)
    # M_ij - f_i is finite or +-inf, never NaN: an infinite minimum is the result's own overflow
    return v.representable(g, "f, M", "min_i M_ij - f_i", None, xp)


def kantorovich_rubinstein(fx: Array, fy: Array, a: Array | None = None, b: Array | None = None) -> Array:
    r"""The W_1 dual objective :math:`\mathbb{E}_a f - \mathbb{E}_b f = \sum_i a_i f(x_i) - \sum_j b_j f(y_j)`.

    By Kantorovich-Rubinstein duality :math:`W_1(a, b) = \sup_{\mathrm{Lip}(f) \le 1}`
    of this quantity, so for a critic ``f`` with Lipschitz constant ``L`` the value
    divided by ``L`` is a lower bound on W_1 (Arjovsky et al. 2017, arXiv 1701.07875).

    Parameters
    ----------
    fx, fy : arrays (n,), (m,)
        The critic evaluated on the two samples.
    a, b : arrays, optional
        Weights of equal total mass t (uniform when omitted); the value scales
        with t and is unchanged by adding a constant to the critic.

    Returns
    -------
    array ()
        In units of the critic times the mass, with the round-off of
        :func:`dual_value`; a value beyond the dtype raises ValueError naming
        ``fx, fy, a, b``.
    """
    xp = namespace(fx, fy, a, b)
    fx, wa = _potential_and_weights(fx, a, "fx", "a", xp)
    fy, wb = _potential_and_weights(fy, b, "fy", "b", xp)
    wa, wb = v.balanced(wa, wb, xp, normalize=False)
    return _scaled_sum(_scaled_dot(wa, fx, xp), _scaled_dot(wb, fy, xp), -1.0, ("fx, fy, a, b", "<a, fx> - <b, fy>"), xp)


def lipschitz_constant(fx: Array, x: Array) -> Array:
    r"""Empirical Lipschitz constant :math:`\max_{i \ne j} |f(x_i) - f(x_j)| / \|x_i - x_j\|_2`.

    A lower bound on the Lipschitz constant of ``f``; ``inf`` when two equal points
    carry different values. O(n^2 d) time, memory O(n d + block).

    Parameters
    ----------
    fx : array (n,)
        Values of the function at the points.
    x : array (n,) or (n, d)
        The points.
    """
    xp = namespace(fx, x)
    x = v.points(x, "x", xp)
    x = v.as_float(x, xp, result_dtype(xp, x, fx if hasattr(fx, "dtype") else None))
    x = x[:, None] if x.ndim == 1 else x
    fx = v.as_float(v.as_array(fx, "fx", xp), xp, x.dtype)
    v.check_ndim(fx, "fx", (1,))
    if fx.shape[0] != x.shape[0]:
        raise ValueError(f"fx must have one value per point of x ({x.shape[0]}), got {fx.shape[0]}")
    v.check_finite(fx, "fx", xp)
    n, d = x.shape
    step = max(1, _BLOCK_ENTRIES // (n * d))
    best = xp.zeros((), dtype=x.dtype, device=device(x))
    for start in range(0, n, step):
        stop = min(start + step, n)
        dist = xp.sqrt(xp.sum((x[start:stop, None, :] - x[None, :, :]) ** 2, axis=-1))
        df = xp.abs(fx[start:stop, None] - fx[None, :])
        apart = dist > 0
        jump = xp.where(df > 0, xp.inf, xp.zeros_like(df))  # equal points, different values
        ratio = xp.where(apart, df / xp.where(apart, dist, 1.0), jump)
        best = xp.maximum(best, xp.max(ratio))
    return best


def _scaled_dot(w: Array, h: Array, xp: Namespace) -> tuple[Array, int]:
    """(s, e) with sum_i w_i h_i = s 2^e: the sum taken on w and h scaled by exact
    powers of two into (-1, 1), so that no product over- or underflows unless the
    sum itself does."""
    ew, eh = binary_scale(w, xp=xp), binary_scale(h, xp=xp)
    return xp.sum(ldexp(w, -ew) * ldexp(h, -eh)), ew + eh


def _scaled_sum(first: tuple[Array, int], second: tuple[Array, int], sign: float, what: tuple[str, str],
                xp: Namespace) -> Array:
    """s1 2^e1 + sign s2 2^e2, added at the larger exponent and mapped back exactly;
    a ValueError naming the arguments and the quantity (``what``) when it overflows."""
    (s1, e1), (s2, e2) = first, second
    e = max(e1, e2)
    total = ldexp(s1, e1 - e) + sign * ldexp(s2, e2 - e)
    return v.scaled_back(total, e, what[0], what[1], None, xp)


def _potential_and_weights(f, w, fname: str, wname: str, xp: Namespace) -> tuple[Array, Array]:
    f = v.as_array(f, fname, xp)
    v.check_ndim(f, fname, (1,))
    v.check_nonempty(f, fname)
    f = v.as_float(f, xp, result_dtype(xp, f, w if hasattr(w, "dtype") else None))
    v.check_finite(f, fname, xp)
    w = v.weights(w, wname, f.shape[0], xp, f.dtype, device(f))
    v.check_ndim(w, wname, (1,))
    return f, w
