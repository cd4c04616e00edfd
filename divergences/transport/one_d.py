"""One-dimensional Wasserstein distances in closed form: ``wasserstein_1d``.

In one dimension the optimal plan is the monotone (quantile) coupling, so

    W_p^p(mu, nu) = int_0^1 |F_mu^{-1}(t) - F_nu^{-1}(t)|^p dt

(Villani 2009, Remark 2.19; Peyre and Cuturi 2019, arXiv 1803.00567, Sec. 2.6). For
empirical measures both quantile functions are step functions, and the integral is
a finite sum over the merged jump levels of the two cumulative weight vectors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validate as check
from .._backend import Array, Namespace, compiled_cpu, device, is_numpy, namespace, result_dtype
from .._deprecate import renamed_keywords
from .._numerics import all_finite, binary_scale, ldexp, plain_sum_kept, root, scaled_pth_root_of_sum

__all__ = ["ROWS_COMPILED_FROM", "monotone_wp", "quantile_coupling", "wasserstein_1d"]

# A batch takes the compiled walk row by row from this many entries a row (n + m): each
# row costs some 11 us of calls, the merge about 90 ns an entry against the walk's 16
# (break-even near 150 entries: 10^4 rows of 10 points ran 6x slower row by row, 500
# rows of 300 points 2.8x faster; one core, 2026-12-02).
ROWS_COMPILED_FROM = 256


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
    # Uniform weights give every point mass, so a non-finite point makes the value
    # non-finite: the finiteness checks then run after the sum, only when it is not.
    uniform = a is None and b is None and not normalize
    u = check.samples(ru, "u", xp, dtype, axis="the points", finite=not uniform)
    v = check.samples(rv, "v", xp, dtype, axis="the points", finite=not uniform)
    p = check.check_p(p)
    uw = _optional_weights(a, "a", u, xp)
    vw = _optional_weights(b, "b", v, xp)
    if uw is not None or vw is not None or normalize:  # checked above; None becomes uniform
        uw = uw if uw is not None else check.weights(None, "a", u.shape[-1], xp, dtype, device(u))
        vw = vw if vw is not None else check.weights(None, "b", v.shape[-1], xp, dtype, device(u))
        uw, vw = check.balanced(uw, vw, xp, normalize)
    u, v, uw, vw = check.broadcast_batch(xp, u=u, v=v, a=uw, b=vw)
    with np.errstate(over="ignore", invalid="ignore"):  # overflowing differences: checked next
        value = monotone_wp(u, v, uw, vw, p, xp)
    if all_finite(value, xp):
        return value
    check.check_finite(u, "u", xp)
    check.check_finite(v, "v", xp)
    # Differences overflowed: values scaled by an exact power of two into (-1, 1)
    e = binary_scale(u, v, xp=xp)
    value = monotone_wp(ldexp(u, -e), ldexp(v, -e), uw, vw, p, xp)
    return check.scaled_back(value, e, "u, v", "W_p", p, xp)


def _optional_weights(w: Any, name: str, x: Array, xp: Namespace) -> Array | None:
    if w is None:
        return None
    return check.weights(w, name, x.shape[-1], xp, x.dtype, device(x))


def monotone_wp(u: Array, v: Array, uw: Array | None, vw: Array | None, p: float, xp: Namespace) -> Array:
    """W_p along the last axis (validated, broadcast inputs; None = uniform), from the
    monotone coupling, in the overflow-free scaled form of ``scaled_pth_root_of_sum``.

    Differences of finite values can overflow (1e308 - (-1e308)): that is an error
    naming u and v, never an inf or a NaN passed on as a distance.
    """
    if uw is None and vw is None and u.shape[-1] == v.shape[-1]:
        diff = xp.sort(u, axis=-1, stable=False) - xp.sort(v, axis=-1, stable=False)
        return scaled_pth_root_of_sum(diff, None, p, xp)
    if is_numpy(xp) and compiled_cpu(u) and (u.ndim == 1 or u.shape[-1] + v.shape[-1] >= ROWS_COMPILED_FROM):
        unit = _compiled_wp(u, v, uw, vw, p, xp) if u.ndim == 1 else _compiled_rows(u, v, uw, vw, p, xp)
    else:
        unit = scaled_pth_root_of_sum(*_merged_pairs(u, v, uw, vw, xp), p, xp)
    if uw is None:
        return unit
    # The coupling's levels have unit mass; W_p of measures of mass t is t^(1/p) W_p.
    return unit * root(xp.sum(uw, axis=-1), p, xp)


def _compiled_rows(u: Array, v: Array, uw: Array | None, vw: Array | None, p: float, xp: Namespace) -> Array:
    """:func:`_compiled_wp` of each batch entry (the projections of a sliced distance):
    each row's walk is O(n + m) after its sorts, where the merge's stable argsort of
    the batch's levels and its gathers cost some fifteen passes. Rows are read in
    place (broadcast weights are never copied)."""
    out = np.empty(u.shape[:-1], dtype=u.dtype)
    for idx in np.ndindex(*out.shape):
        out[idx] = _compiled_wp(u[idx], v[idx], None if uw is None else uw[idx], None if vw is None else vw[idx], p, xp)
    return out


def _compiled_wp(u: Array, v: Array, uw: Array | None, vw: Array | None, p: float, xp: Namespace) -> Array:
    """W_p (unit mass) of 1-D NumPy input by the compiled walk of the monotone coupling
    (:mod:`._fused`, numba: 15 passes of n + m entries fewer than the merge). At p = 1
    and 2 the walk forms the plain sum itself, kept when
    :func:`~divergences._numerics.plain_sum_kept` keeps it; otherwise its pairs go to
    the scaled sum, as the merge's do."""
    from . import _fused  # imports numba: only where compiled_cpu found it

    if p in (1, 2):
        total, terms = _fused.monotone_power_sum(u, uw, v, vw, int(p))
        s = xp.asarray(total, dtype=u.dtype)
        if plain_sum_kept(s, terms, xp):
            return root(s, p, xp)
    return scaled_pth_root_of_sum(*_fused.monotone_pairs(u, uw, v, vw), p, xp)


def _merged_pairs(u: Array, v: Array, uw: Array | None, vw: Array | None, xp: Namespace) -> tuple[Array, Array]:
    """(u_(i) - v_(j), mass) over the merged levels of the monotone coupling, by the
    stable merge of the two level vectors."""
    ou, cu = _sorted_levels(u, uw, xp)
    ov, cv = _sorted_levels(v, vw, xp)
    levels, ru, rv = _merged_ranks(cu, cv, xp)
    # Sorted values read at monotone ranks: one scattered gather per input, not per level.
    su, sv = _gather(u, ou, xp), _gather(v, ov, xp)
    return _take_rank(su, ru, xp) - _take_rank(sv, rv, xp), _steps(levels, xp)


def quantile_coupling(u: Array, v: Array, uw: Array | None, vw: Array | None, xp: Namespace):
    """The monotone coupling as ``(mass, iu, iv)``: mass ``mass[k]`` goes from
    ``u[iu[k]]`` to ``v[iv[k]]`` (indices into the unsorted inputs, last axis).

    The levels are the merged cumulative weights; each interval between two
    consecutive levels pairs the quantiles of u and v it lies under. Where
    ``mass[k] == 0`` (tied levels) the pair is immaterial and may be either neighbour.
    """
    ou, cu = _sorted_levels(u, uw, xp)
    ov, cv = _sorted_levels(v, vw, xp)
    levels, ru, rv = _merged_ranks(cu, cv, xp)
    return _steps(levels, xp), _take_rank(ou, ru, xp), _take_rank(ov, rv, xp)


def _steps(levels: Array, xp: Namespace) -> Array:
    """The mass between consecutive levels (the first from 0)."""
    start = xp.zeros((*levels.shape[:-1], 1), dtype=levels.dtype, device=device(levels))
    return levels - xp.concat([start, levels[..., :-1]], axis=-1)


def _sorted_levels(x: Array, w: Array | None, xp: Namespace) -> tuple[Array, Array]:
    """Sorting permutation of x and the normalised cumulative weights in that order."""
    order = xp.argsort(x, axis=-1, stable=False)
    n = x.shape[-1]
    if w is None:
        levels = xp.arange(1, n + 1, dtype=x.dtype, device=device(x)) / n
        return order, xp.broadcast_to(levels, x.shape)
    cum = xp.cumulative_sum(_gather(w, order, xp), axis=-1)
    return order, cum / cum[..., -1:]


def _merged_ranks(cu: Array, cv: Array, xp: Namespace) -> tuple[Array, Array, Array]:
    """The sorted union of two sorted level vectors and, at each merged level, the
    number of levels of cu and of cv strictly below it (``searchsorted(.., 'left')``).

    One stable argsort of the concatenation: NumPy's stable sort (Timsort) merges the
    two sorted runs in O(n + m), where two binary searches cost O((n + m) log n) in
    scattered memory. cv goes first so that, within a group of tied levels, the counts
    at the group's first entry (the one that carries the group's mass) are strict;
    later entries of a group carry zero mass.
    """
    m = cv.shape[-1]
    both = xp.concat([cv, cu], axis=-1)
    order = xp.argsort(both, axis=-1, stable=True)
    levels = _gather(both, order, xp)
    # exclusive running count of u-levels; each fresh 2(n + m) buffer avoided is a
    # pass and its page faults saved
    below_u = xp.cumulative_sum(xp.astype(order >= m, order.dtype), axis=-1, include_initial=True)[..., :-1]
    below_v = xp.arange(order.shape[-1], dtype=order.dtype, device=device(order))
    if below_u.ndim == 1:
        below_v -= below_u
    else:  # batched: the positions broadcast against the batch
        below_v = below_v - below_u
    return levels, below_u, below_v


def _take_rank(sorted_: Array, rank: Array, xp: Namespace) -> Array:
    """``sorted_`` (a sorting permutation or sorted values) at the quantile of each
    level: the sorted position ``rank``, clipped (the top level may exceed the last
    cumulative weight by round-off)."""
    return _gather(sorted_, xp.clip(rank, 0, sorted_.shape[-1] - 1), xp)


def _gather(x: Array, idx: Array, xp: Namespace) -> Array:
    """x[..., idx] along the last axis: ``take`` for 1-D x (NumPy's take is about
    twice as fast as its take_along_axis, which builds a fancy index), else
    ``take_along_axis``."""
    if x.ndim == 1:
        return xp.take(x, idx, axis=0)
    return xp.take_along_axis(x, idx, axis=-1)

