r"""DPP kernels from features: Gaussian (RBF), cosine, and the quality-diversity
decomposition :math:`L = \operatorname{diag}(q) S \operatorname{diag}(q)` (Kulesza and
Taskar 2012, arXiv 1207.6083)."""

from __future__ import annotations

import numpy as np

from .. import _validate as v
from .._backend import Array, Namespace, device, namespace, result_dtype, to_numpy

__all__ = ["cosine_kernel", "quality_diversity", "rbf_kernel"]


def _diagonal_mask(n: int, xp: Namespace, like: Array) -> Array:
    i = xp.arange(n, device=device(like))
    return i[:, None] == i[None, :]


def rbf_kernel(x: Array, *, bandwidth: float) -> Array:
    r"""Gaussian (RBF) similarity kernel of a point cloud.

    .. math::

        L_{ij} = \exp\Big(-\frac{\|x_i - x_j\|^2}{2 h^2}\Big), \qquad h = \text{bandwidth},

    positive semi-definite for every h > 0 (Schoenberg), with unit diagonal.

    Parameters
    ----------
    x : array (n, d) or (n,)
        Finite points (a 1-D array is n points on the line).
    bandwidth : float
        The length scale h > 0.

    Returns
    -------
    array (n, n)
        Exactly symmetric, diagonal exactly 1; in the namespace, floating dtype and
        device of ``x``.

    Notes
    -----
    O(n^2 d) time, O(n^2) memory. Squared distances come from the Gram matrix of
    the centred points, clipped at 0; their absolute error is about
    ``eps * max|x - mean|^2``, negligible against ``h^2`` unless the cloud is
    much wider than h. Differentiable in ``x`` (PyTorch).

    Examples
    --------
    >>> import numpy as np
    >>> L = rbf_kernel(np.array([[0.0], [1.0]]), bandwidth=1.0)
    >>> round(float(L[0, 1]), 12) == round(float(np.exp(-0.5)), 12)
    True
    """
    xp = namespace(x)
    x = v.points(x, "x", xp)
    h = v.positive_number(bandwidth, "bandwidth")
    x = v.as_float(x[:, None] if x.ndim == 1 else x, xp, result_dtype(xp, x))
    xc = x - xp.mean(x, axis=0, keepdims=True)
    G = xc @ xp.matrix_transpose(xc)
    G = (G + xp.matrix_transpose(G)) / 2
    sq = xp.linalg.diagonal(G)
    d2 = xp.clip(sq[:, None] + sq[None, :] - 2 * G, 0.0, None)
    d2 = xp.where(_diagonal_mask(x.shape[0], xp, x), xp.zeros_like(d2), d2)
    return xp.exp(-d2 / (2 * h * h))


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
    O(n^2 d). Differentiable in ``x`` (PyTorch).

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
    norms = xp.linalg.vector_norm(x, axis=1, keepdims=True)
    zero = np.flatnonzero(to_numpy(norms[:, 0]) == 0)
    if zero.size:
        raise ValueError(f"x has a zero row (row {int(zero[0])}): the cosine similarity is undefined there")
    xn = x / norms
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
