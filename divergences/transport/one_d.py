"""One-dimensional Wasserstein distances in closed form: ``wasserstein_1d``.

In one dimension the optimal plan is the monotone (quantile) coupling, so

    W_p^p(mu, nu) = int_0^1 |F_mu^{-1}(t) - F_nu^{-1}(t)|^p dt

(Villani 2009, Remark 2.19; Peyre and Cuturi 2019, arXiv 1803.00567, Sec. 2.6). For
empirical measures both quantile functions are step functions, and the integral is
a finite sum over the merged jump levels of the two cumulative weight vectors.
"""

from __future__ import annotations

from typing import Any

import array_api_extra as xpx

from .. import _validate as check
from .._backend import Array, Namespace, device, namespace, result_dtype
from .._deprecate import renamed_keywords
from .._numerics import abs_pow, root

__all__ = ["quantile_coupling", "wasserstein_1d", "wasserstein_pp"]


@renamed_keywords(u_weights="a", v_weights="b")
def wasserstein_1d(
    u: Array,
    v: Array,
    a: Array | None = None,
    b: Array | None = None,
    *,
    p: float = 1,
    normalize: bool = False,
) -> Array:
    r"""W_p between one-dimensional empirical measures, batched over leading axes.

    .. math::

        W_p(\mu, \nu) = \Big( \int_0^1 |F_\mu^{-1}(t) - F_\nu^{-1}(t)|^p \, dt \Big)^{1/p}

    with :math:`F^{-1}` the quantile functions of :math:`\mu = \sum_i a_i \delta_{u_i}`
    and :math:`\nu = \sum_j b_j \delta_{v_j}`. Returns W_p itself (the p-th root).

    Parameters
    ----------
    u, v : arrays (..., n), (..., m)
        Sample values; the last axis holds the points, leading axes are a batch
        (broadcast against each other). n and m may differ.
    a, b : arrays (..., n), (..., m), optional
        Nonnegative weights of equal total mass (uniform when omitted). The former
        names ``u_weights``, ``v_weights`` still work, with a DeprecationWarning.
    p : float
        Order, p >= 1.
    normalize : bool
        Rescale both weight vectors to unit mass instead of rejecting unequal masses.

    Returns
    -------
    array (...)
        W_p for each batch entry, in the caller's namespace, dtype and device.

    Notes
    -----
    O((n + m) log(n + m)) per batch entry: two sorts and a merge of the cumulative
    weights. With uniform weights and n == m the merge is skipped:
    :math:`W_p^p = \frac1n \sum_k |u_{(k)} - v_{(k)}|^p`. Gradients (PyTorch) flow to
    the values and the weights.

    Examples
    --------
    >>> import numpy as np
    >>> float(wasserstein_1d(np.array([0.0, 1.0]), np.array([2.0, 3.0, 4.0]), p=1))
    2.5
    """
    xp = namespace(u, v, a, b)
    ru, rv = check.as_array(u, "u", xp), check.as_array(v, "v", xp)
    dtype = result_dtype(xp, ru, rv)
    u, v = check.samples(ru, "u", xp, dtype, axis="the points"), check.samples(rv, "v", xp, dtype, axis="the points")
    p = check.check_p(p)
    uw = _optional_weights(a, "a", u, xp)
    vw = _optional_weights(b, "b", v, xp)
    if uw is not None or vw is not None or normalize:
        uw = check.weights(uw, "a", u.shape[-1], xp, dtype, device(u))
        vw = check.weights(vw, "b", v.shape[-1], xp, dtype, device(u))
        uw, vw = check.balanced(uw, vw, xp, normalize)
    u, v, uw, vw = check.broadcast_batch(xp, u=u, v=v, a=uw, b=vw)
    return root(wasserstein_pp(u, v, uw, vw, p, xp), p, xp)


def _optional_weights(w: Any, name: str, x: Array, xp: Namespace) -> Array | None:
    if w is None:
        return None
    return check.weights(w, name, x.shape[-1], xp, x.dtype, device(x))


def wasserstein_pp(u: Array, v: Array, uw: Array | None, vw: Array | None, p: float, xp: Namespace) -> Array:
    """W_p^p along the last axis (validated, broadcast inputs; None = uniform)."""
    if uw is None and vw is None and u.shape[-1] == v.shape[-1]:
        diff = xp.sort(u, axis=-1, stable=False) - xp.sort(v, axis=-1, stable=False)
        return xp.mean(abs_pow(diff, p), axis=-1)
    mass, iu, iv = quantile_coupling(u, v, uw, vw, xp)
    diff = xp.take_along_axis(u, iu, axis=-1) - xp.take_along_axis(v, iv, axis=-1)
    return xp.sum(mass * abs_pow(diff, p), axis=-1)


def quantile_coupling(u: Array, v: Array, uw: Array | None, vw: Array | None, xp: Namespace):
    """The monotone coupling as ``(mass, iu, iv)``: mass ``mass[k]`` goes from
    ``u[iu[k]]`` to ``v[iv[k]]`` (indices into the unsorted inputs, last axis).

    The levels are the merged cumulative weights; each interval between two
    consecutive levels pairs the quantiles of u and v it lies under.
    """
    ou, cu = _sorted_levels(u, uw, xp)
    ov, cv = _sorted_levels(v, vw, xp)
    levels = xp.sort(xp.concat([cu, cv], axis=-1), axis=-1)
    start = xp.zeros((*levels.shape[:-1], 1), dtype=levels.dtype, device=device(levels))
    mass = levels - xp.concat([start, levels[..., :-1]], axis=-1)
    return mass, _rank_at(ou, cu, levels, xp), _rank_at(ov, cv, levels, xp)


def _sorted_levels(x: Array, w: Array | None, xp: Namespace) -> tuple[Array, Array]:
    """Sorting permutation of x and the normalised cumulative weights in that order."""
    order = xp.argsort(x, axis=-1, stable=False)
    n = x.shape[-1]
    if w is None:
        levels = xp.arange(1, n + 1, dtype=x.dtype, device=device(x)) / n
        zeros = xp.zeros(x.shape, dtype=x.dtype, device=device(x))
        return order, zeros + levels  # materialised: searchsorted wants contiguous rows
    cum = xp.cumulative_sum(xp.take_along_axis(w, order, axis=-1), axis=-1)
    return order, cum / cum[..., -1:]


def _rank_at(order: Array, cum: Array, levels: Array, xp: Namespace) -> Array:
    """Index (into the unsorted array) of the quantile at each level: the first
    sorted position whose cumulative weight reaches the level."""
    pos = xpx.searchsorted(cum, levels, side="left", xp=xp)
    pos = xp.clip(pos, 0, cum.shape[-1] - 1)  # the top level may exceed cum[-1] by round-off
    return xp.take_along_axis(order, xp.astype(pos, order.dtype), axis=-1)
