r"""The k-volume :math:`\sqrt{\det B^\top B}` of the parallelotope spanned by the
columns of a tall matrix, by one batched Cholesky of the Gram matrix when it is well
conditioned, by QR otherwise (Ben-Israel, Linear Algebra Appl. 167, 1992)."""

from __future__ import annotations

import numpy as np

from .. import _validate as v
from .._backend import Array, Namespace, constant, device, namespace

__all__ = ["log_volume", "volume"]


def _column_scales(B: Array, xp: Namespace) -> Array:
    """Per column, the power of two at or below its largest magnitude (1 for a zero
    column), shape (..., 1, k), out of the graph: dividing by it is exact and brings
    every column to magnitude [1, 2), whatever its scale (1e-300 or 1e300)."""
    m = xp.max(xp.abs(constant(B, xp)), axis=-2, keepdims=True)
    m = xp.where(m > 0, m, xp.ones_like(m))
    return 2.0 ** xp.floor(xp.log2(m))


# The Gram fast path runs where the Cholesky pivots of the equilibrated Gram
# matrix G, p_k = L_kk^2 (diagonal of G near 1), satisfy
# (n + k) u max p / min p <= sqrt(u): max p / min p estimates cond(G) from below
# (the LINPACK pivot estimate), and (n + k) u cond(G) bounds to first order the
# relative error of det G from forming and factoring it (Higham, Accuracy and
# Stability, 2002, ch. 10). Else, or where G's diagonal leaves
# [tiny / u, huge u] (column scales near 1e+-150), the QR path runs.


def _gram_log_volume(B: Array, xp: Namespace) -> Array | None:
    """log vol(B) from one batched Cholesky of the diagonally equilibrated Gram
    matrix, or None where some matrix of the batch fails the tests above."""
    n, k = B.shape[-2:]
    fi = xp.finfo(B.dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # read off the diagonal next
        G = xp.matrix_transpose(B) @ B
    d = constant(xp.linalg.diagonal(G), xp)
    # A diagonal within range is also the finiteness check of B and of G: a NaN or an
    # infinity in B, or a square that overflowed, makes its column's G_jj NaN or inf
    # (sums of squares), and |G_ij| <= sqrt(G_ii G_jj) keeps the rest in range.
    if not bool(xp.all((d >= fi.smallest_normal / fi.eps) & (d <= fi.max * fi.eps))):
        return None
    s = 2.0 ** xp.floor(xp.log2(d) / 2)  # exact: G / (s_i s_j) has diagonal in [1, 4)
    try:
        L = xp.linalg.cholesky(G / (s[..., :, None] * s[..., None, :]))
    except (ValueError, RuntimeError):  # numpy's and torch's LinAlgError: not positive definite
        return None
    r = xp.linalg.diagonal(L)
    pivots = constant(r, xp) ** 2
    spread = xp.max(pivots, axis=-1) / xp.min(pivots, axis=-1)
    if not bool(xp.all(xp.isfinite(spread) & ((n + k) * fi.eps * spread <= fi.eps**0.5))):
        return None
    return xp.sum(xp.log(r), axis=-1) + xp.sum(xp.log(s), axis=-1)


def _matrices(B: Array, xp: Namespace) -> Array:
    """B validated as a batch of matrices. The finiteness of a tall B is left to
    :func:`_volume_parts` (the fast path reads it off the Gram it forms); a wide one is
    checked here."""
    B = v.matrices(B, "B", xp, finite=False)
    if B.shape[-2] < B.shape[-1]:
        v.check_finite(B, "B", xp)
    return B


def _volume_parts(B: Array, xp: Namespace) -> tuple[Array, Array]:
    """(log volume over the nonzero diagonal of R, True where some diagonal entry is 0)
    for a tall ``B`` (n >= k): the Gram fast path where it passes its test, else QR."""
    fast = _gram_log_volume(B, xp) if xp.isdtype(B.dtype, "real floating") else None
    if fast is not None:
        return fast, xp.zeros(fast.shape, dtype=xp.bool, device=device(B))
    v.check_finite(B, "B", xp)  # the fast path read it off G; the QR path needs it here
    scale = _column_scales(B, xp)
    _, R = xp.linalg.qr(B / scale, mode="reduced")
    r = xp.abs(xp.linalg.diagonal(R))
    zero = r == 0
    logs = xp.where(zero, xp.zeros_like(r), xp.log(xp.where(zero, xp.ones_like(r), r)))
    return xp.sum(logs, axis=-1) + xp.sum(xp.log(scale), axis=(-2, -1)), xp.any(zero, axis=-1)


def log_volume(B: Array) -> Array:
    r"""Logarithm of the k-volume spanned by the columns of ``B``.

    .. math::

        \log \operatorname{vol}(B) = \tfrac12 \log\det(B^\top B)
        = \sum_{j=1}^k \log \sigma_j(B) = \sum_{j=1}^k \log |R_{jj}|,
        \qquad B = QR,

    for ``B`` of shape (n, k) with n >= k; for n < k the columns are dependent, the
    volume is 0 and the log-volume ``-inf``. For square ``B`` it is
    :math:`\log|\det B|` (Ben-Israel 1992; Cauchy-Binet:
    :math:`\operatorname{vol}(B)^2 = \sum_{|S| = k} \det(B_{S,:})^2`).

    Parameters
    ----------
    B : array (..., n, k)
        Finite; leading axes are a batch. Any array API library; the result is in
        its namespace, floating dtype (float64 for integers) and device.

    Returns
    -------
    array (...)
        One value per batch entry; ``-inf`` for linearly dependent columns whose
        ``R`` has an exact zero (a numerically dependent set gives a large negative
        number instead, about ``log eps`` per missing dimension).

    Raises
    ------
    ValueError
        ``B`` with fewer than 2 axes, empty, or with NaN or infinite entries.

    Notes
    -----
    :math:`B^\top B` is never formed: each column is first divided by the power of
    two nearest below its largest magnitude (exact, and removed again as a sum of
    logs), then ``B`` is factored by Householder QR, which is backward stable column
    by column. So the result is invariant to column scales from 1e-300 to 1e300 up
    to round-off, and its error is that of the column-equilibrated ``B`` (relative
    error about ``eps`` times its condition number per column), where
    :math:`\det(B^\top B)` over- or underflows and squares the condition number.

    Fast path: where every matrix of the batch is well conditioned (the Cholesky
    pivots of the diagonally equilibrated :math:`G = B^\top B` satisfy
    (n + k) u max p / min p <= sqrt(u), u the unit round-off) and its column
    scales are moderate, the result is :math:`\sum_j \log L_{jj}` from one batched
    Cholesky :math:`G = LL^\top`, the error of the naive
    :math:`\sqrt{\det B^\top B}` or smaller; otherwise the QR path above runs.

    Cost: O(n k^2) per batch entry (one Gram product and Cholesky, or one reduced
    QR), O(n k) memory.

    Gradient (PyTorch): :math:`\partial \log\operatorname{vol}/\partial B =
    B^{+\top}`, the transposed pseudo-inverse, finite wherever the columns are
    independent; 0 when n < k; NaN at exactly dependent columns of a tall ``B``.

    Examples
    --------
    >>> import numpy as np
    >>> B = np.array([[3.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
    >>> round(float(np.exp(log_volume(B))), 12)  # a 3 x 2 rectangle
    6.0
    >>> round(float(log_volume(1e200 * B) - log_volume(B)) / 460.517018598809, 12)  # log 1e200
    2.0
    """
    xp = namespace(B)
    B = _matrices(B, xp)
    n, k = B.shape[-2:]
    if n < k:
        return xp.full(B.shape[:-2], -xp.inf, dtype=B.dtype, device=device(B)) + 0 * xp.sum(B, axis=(-2, -1))
    logv, zero = _volume_parts(B, xp)
    return xp.where(zero, xp.full_like(logv, -xp.inf), logv)


def volume(B: Array) -> Array:
    r"""k-volume of the parallelotope spanned by the k columns of ``B``.

    .. math::

        \operatorname{vol}(B) = \sqrt{\det(B^\top B)} = \prod_{j=1}^k \sigma_j(B)
        = \prod_{j=1}^k |R_{jj}|, \qquad B = QR,

    for ``B`` of shape (n, k) with n >= k; ``|det B|`` for square ``B``. For n < k the
    k columns live in a space of dimension n < k, so they are dependent and the
    volume is 0 (returned, not an error). Cauchy-Binet:
    :math:`\operatorname{vol}(B)^2 = \sum_{|S| = k} \det(B_{S,:})^2`, the sum over the
    k-row subsets S (Ben-Israel 1992).

    Parameters
    ----------
    B : array (..., n, k)
        Finite; leading axes are a batch.

    Returns
    -------
    array (...)
        ``exp(log_volume(B))``, computed as in :func:`log_volume` (QR of the
        column-equilibrated ``B``, never :math:`B^\top B`); it over- or underflows
        only where the volume itself is outside the dtype's range.

    Notes
    -----
    O(n k^2) per batch entry. Gradient (PyTorch):
    :math:`\operatorname{vol}(B)\, B^{+\top}` for independent columns; 0 for
    n < k (the volume vanishes on a neighbourhood); NaN at exactly dependent columns
    of a tall ``B`` (the QR backward divides by the zero diagonal entry of R).

    Examples
    --------
    >>> import numpy as np
    >>> float(volume(np.array([[1.0, 1.0], [0.0, 2.0]])))  # |det|
    2.0
    >>> float(volume(np.ones((2, 3))))  # 3 vectors in the plane
    0.0
    """
    xp = namespace(B)
    B = _matrices(B, xp)
    n, k = B.shape[-2:]
    if n < k:
        return xp.zeros(B.shape[:-2], dtype=B.dtype, device=device(B)) + 0 * xp.sum(B, axis=(-2, -1))
    logv, zero = _volume_parts(B, xp)
    return xp.where(zero, xp.zeros_like(logv), xp.exp(xp.where(zero, xp.zeros_like(logv), logv)))
