r"""DPP kernels from features: Gaussian (RBF), cosine, and the quality-diversity
decomposition :math:`L = \operatorname{diag}(q) S \operatorname{diag}(q)` (Kulesza and
Taskar 2012, arXiv 1207.6083)."""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as v
from .._backend import Array, Namespace, constant, device, namespace, result_dtype, to_numpy
from .._numerics import binary_scale, ldexp

__all__ = ["cosine_kernel", "quality_diversity", "rbf_kernel"]


def _diagonal_mask(n: int, xp: Namespace, like: Array) -> Array:
    i = xp.arange(n, device=device(like))
    return i[:, None] == i[None, :]


def rbf_kernel(x: Array, *, bandwidth: float | None = None) -> Array:
    r"""Gaussian (RBF) similarity kernel of a point cloud.

    .. math::

        L_{ij} = \exp\Big(-\frac{\|x_i - x_j\|^2}{2 h^2}\Big), \qquad h = \text{bandwidth},

    positive semi-definite for every h > 0 (Schoenberg), with unit diagonal.

    Parameters
    ----------
    x : array (n, d) or (n,)
        Finite points (a 1-D array is n points on the line).
    bandwidth : float, optional
        The length scale h > 0, in the units of x. Default: the median heuristic,
        h = the median of the pairwise distances ``|x_i - x_j|``, i < j (Gretton et al.,
        JMLR 13, 2012, Sec. 8), held constant for gradients; the largest distance
        when that median is 0, and 1 when every point is equal.

    Returns
    -------
    array (n, n)
        Exactly symmetric, diagonal exactly 1; in the namespace, floating dtype and
        device of ``x``.

    Notes
    -----
    Scale invariant: ``rbf_kernel(s x, bandwidth=s h) == rbf_kernel(x, bandwidth=h)``
    for every s > 0 representable with s x. The points are scaled by an exact power
    of two into (-1, 1) and h with them; the exponent is formed as
    ``(d2 / h) / h / 2``, which neither overflows nor underflows into 0/0 (an
    exponent beyond the range of the dtype gives its limit, 0 or 1).
    O(n^2 d) time, O(n^2) memory. Squared distances come from the Gram matrix of
    the centred points, clipped at 0, whose absolute error is at most
    ``(4 d + 8) u max|x - mean|^2``; when h^2 is not 2^36 times that (a cloud much
    wider than h, or a median heuristic that picked a tiny distance), they come
    from the differences themselves, accurate relative to each distance.
    Differentiable in ``x`` (PyTorch).

    Examples
    --------
    >>> import numpy as np
    >>> L = rbf_kernel(np.array([[0.0], [1.0]]), bandwidth=1.0)
    >>> round(float(L[0, 1]), 12) == round(float(np.exp(-0.5)), 12)
    True
    """
    xp = namespace(x)
    x = v.points(x, "x", xp)
    h = None if bandwidth is None else v.positive_number(bandwidth, "bandwidth")
    x = v.as_float(x[:, None] if x.ndim == 1 else x, xp, result_dtype(xp, x))
    e = binary_scale(x, xp=xp)
    x = ldexp(x, -e)
    d2, error = _squared_distances(x, xp)
    r, median = _median_distance(d2, xp) if h is None else (_ratio(h, e), None)
    if min(r, math.inf if median is None else median) < math.sqrt(_EXACT_BELOW * error):
        # h, or the median that chose it, is within a few digits of the Gram
        # matrix's error: the distances are formed from the differences themselves
        d2 = _direct_squared_distances(x, xp)
        r = _median_distance(d2, xp)[0] if h is None else r
    info = xp.finfo(d2.dtype)
    if r < 1e-3 * math.sqrt(float(info.smallest_normal) * float(info.eps)):
        # every positive d2 (>= the smallest subnormal) over 2 r^2 is beyond exp's range
        return xp.where(d2 > 0, xp.zeros_like(d2), xp.ones_like(d2))
    # d2 / r is finite here; capping it at 2000 r keeps (d2 / r) / r <= 2000, where
    # exp(-1000) is already 0 in every dtype
    return xp.exp(-xp.minimum(d2 / r, xp.asarray(2000 * r, dtype=d2.dtype, device=device(d2))) / r / 2)


def _ratio(h: float, e: int) -> float:
    """h / 2^e; inf when it overflows (the kernel is then 1 to the dtype's precision)."""
    try:
        return math.ldexp(h, -e)
    except OverflowError:
        return math.inf


def _median_distance(d2: Array, xp: Namespace) -> tuple[float, float]:
    """The median heuristic on squared distances: the bandwidth (the median over
    i < j of the distance, or its fallbacks) and the median itself."""
    sq = to_numpy(d2)
    n = sq.shape[0]
    if n < 2:
        return 1.0, 1.0
    dist = np.sqrt(sq[np.triu_indices(n, 1)])
    median = float(np.median(dist))
    return (median if median > 0 else (float(dist.max()) or 1.0)), median


# Gram-matrix distances are used when h^2 exceeds their error bound by this factor
# (the exponent's error is then below 2^-37 relative); otherwise the differences.
_EXACT_BELOW = 2.0**36


def _squared_distances(x: Array, xp: Namespace) -> tuple[Array, float]:
    """|x_i - x_j|^2 from the Gram matrix of the centred points, exactly symmetric,
    clipped at 0, zero diagonal; and a bound on their absolute error,
    (4 d + 8) u max_i |x_i - mean|^2 (each Gram entry errs by at most
    gamma_d |x_i| |x_j|, Higham 2002, Sec. 3.1, and d2 adds three of them)."""
    xc = x - xp.mean(x, axis=0, keepdims=True)
    G = xc @ xp.matrix_transpose(xc)
    G = (G + xp.matrix_transpose(G)) / 2
    sq = xp.linalg.diagonal(G)
    d2 = xp.clip(sq[:, None] + sq[None, :] - 2 * G, 0.0, None)
    d2 = xp.where(_diagonal_mask(x.shape[0], xp, x), xp.zeros_like(d2), d2)
    u = float(xp.finfo(x.dtype).eps) / 2
    return d2, (4 * x.shape[1] + 8) * u * float(constant(xp.max(sq), xp))


def _direct_squared_distances(x: Array, xp: Namespace) -> Array:
    """sum_k (x_ik - x_jk)^2 from the differences, in row blocks of about 2^20
    entries: each entry accurate to a few ulps relative (exactly symmetric, zero
    diagonal), at O(n^2 d) elementwise work instead of one matrix product."""
    n, d = x.shape
    rows = max(1, 2**20 // (n * d))
    parts = [xp.sum((x[i : min(i + rows, n), None, :] - x[None, :, :]) ** 2, axis=2) for i in range(0, n, rows)]
    return parts[0] if len(parts) == 1 else xp.concat(parts, axis=0)


def cosine_kernel(x: Array) -> Array:
    r"""Cosine similarity kernel: the Gram matrix of the row-normalised features.

    .. math::

        L_{ij} = \frac{\langle x_i, x_j \rangle}{\|x_i\| \, \|x_j\|},

    positive semi-definite with unit diagonal and rank at most d (the kernel of
    GDPP, Elfeki et al. 2019).

    Parameters
    ----------
    x : array (n, d)
        Finite features with no zero row (its direction is undefined).

    Returns
    -------
    array (n, n)
        Exactly symmetric, diagonal exactly 1.

    Raises
    ------
    ValueError
        A zero row (named by its index), or bad input.

    Notes
    -----
    Scale invariant, row by row: each row is divided by its largest entry before
    the norms, so rows of size 1e-170 or 1e155 give the same kernel as rows of
    size 1. O(n^2 d). Differentiable in ``x`` (PyTorch).

    Examples
    --------
    >>> import numpy as np
    >>> cosine_kernel(np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])).round(4)
    array([[1.    , 0.7071, 0.    ],
           [0.7071, 1.    , 0.7071],
           [0.    , 0.7071, 1.    ]])
    """
    xp = namespace(x)
    x = v.points(x, "x", xp)
    x = v.as_float(x[:, None] if x.ndim == 1 else x, xp, result_dtype(xp, x))
    # Each row scaled by its largest entry first (the cosine is invariant under it),
    # so the norms neither underflow (1e-170) nor overflow (1e155).
    top = xp.max(xp.abs(x), axis=1, keepdims=True)
    zero = np.flatnonzero(to_numpy(top[:, 0]) == 0)
    if zero.size:
        raise ValueError(f"x has a zero row (row {int(zero[0])}): the cosine similarity is undefined there")
    x = x / constant(top, xp)
    xn = x / xp.linalg.vector_norm(x, axis=1, keepdims=True)
    L = xn @ xp.matrix_transpose(xn)
    L = (L + xp.matrix_transpose(L)) / 2
    return xp.where(_diagonal_mask(x.shape[0], xp, x), xp.ones_like(L), L)


def quality_diversity(q: Array, S: Array) -> Array:
    r"""Quality-diversity decomposition of an L-ensemble kernel.

    .. math::

        L = \operatorname{diag}(q)\, S \operatorname{diag}(q), \qquad
        L_{ij} = q_i S_{ij} q_j ,

    with qualities :math:`q_i \ge 0` and a similarity S (symmetric positive
    semi-definite, typically with unit diagonal); then
    :math:`\det L_Y = \prod_{i \in Y} q_i^2 \det S_Y` (Kulesza and Taskar 2012,
    Sec. 3.1).

    Parameters
    ----------
    q : array (n,)
        Finite nonnegative qualities.
    S : array (n, n)
        Similarity kernel, checked symmetric and positive semi-definite.

    Returns
    -------
    array (n, n)

    Notes
    -----
    O(n^2) plus the O(n^3) positive semi-definiteness check of S.

    Examples
    --------
    >>> import numpy as np
    >>> quality_diversity(np.array([1.0, 2.0]), np.array([[1.0, 0.5], [0.5, 1.0]]))
    array([[1., 1.],
           [1., 4.]])
    """
    xp = namespace(q, S)
    S = v.symmetric_psd(S, "S", xp)
    q = v.as_array(q, "q", xp)
    if q.ndim != 1 or q.shape[0] != S.shape[0]:
        raise ValueError(f"q must have shape ({S.shape[0]},) (one quality per item of S), got {tuple(q.shape)}")
    dtype = result_dtype(xp, q, S)
    q, S = v.as_float(q, xp, dtype), v.as_float(S, xp, dtype)
    v.check_finite(q, "q", xp)
    if bool(xp.any(q < 0)):
        raise ValueError("q has negative entries: qualities must be >= 0")
    return q[:, None] * S * q[None, :]
