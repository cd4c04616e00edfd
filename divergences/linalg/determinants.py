r"""Pseudo-determinants (product of the nonzero eigenvalues or singular values) and
the exact log-determinant."""

from __future__ import annotations

from typing import Any

from .. import _validate as v
from .._backend import Array, Namespace, constant, device, namespace

__all__ = ["log_pdet", "logdet", "pdet"]


def _pseudo_spectrum(A: Any, rtol: Any, xp: Namespace) -> tuple[Array, Array, Array]:
    """(|values|, True where kept, True where the kept value is negative)."""
    A = v.matrices(A, "A", xp, square=True)
    n = A.shape[-1]
    rtol = n * xp.finfo(A.dtype).eps if rtol is None else v.nonnegative_number(rtol, "rtol")
    if v.is_symmetric(A, xp):
        lam = xp.linalg.eigvalsh((A + xp.matrix_transpose(A)) / 2)
        mag, negative = xp.abs(lam), lam < 0
    else:
        mag = xp.linalg.svdvals(A)
        negative = xp.zeros(mag.shape, dtype=xp.bool, device=device(A))
    threshold = rtol * xp.max(constant(mag, xp), axis=-1, keepdims=True)
    keep = mag > threshold
    return mag, keep, negative


def log_pdet(A: Array, *, rtol: float | None = None) -> Array:
    r"""Logarithm of the absolute pseudo-determinant of square matrices.

    .. math::

        \log|\operatorname{pdet} A| = \sum_{i:\ |\lambda_i| > \tau} \log|\lambda_i|,
        \qquad \tau = \mathrm{rtol} \cdot \max_i |\lambda_i| ,

    with :math:`\lambda_i` the eigenvalues when ``A`` is symmetric and the singular
    values otherwise (see :func:`pdet`). Equals :math:`\log|\det A|` for a
    nonsingular ``A`` whose values all exceed the tolerance.

    Parameters
    ----------
    A : array (..., n, n)
        Finite square matrices; leading axes are a batch. The batch is treated as
        symmetric when every matrix is, up to ``|A - A^T| <= sqrt(eps) max|A|``.
    rtol : float, optional
        Rank tolerance relative to the largest value: values at most ``rtol`` times
        the largest are treated as 0. Default ``n * eps`` (eps the dtype's machine
        epsilon), the tolerance of ``numpy.linalg.matrix_rank``: values below it are
        indistinguishable from round-off of the decomposition.

    Returns
    -------
    array (...)
        ``0`` for the zero matrix (the empty product is 1).

    Notes
    -----
    O(n^3) per matrix (``eigvalsh`` or ``svdvals``). Gradient (PyTorch): the
    pseudo-inverse :math:`A^{+\top}` restricted to the kept values; finite at
    repeated eigenvalues (only eigenvalues are differentiated), discontinuous
    where a value crosses the tolerance.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.diag([2.0, 3.0, 0.0])  # singular: det = 0, pdet = 6
    >>> round(float(np.exp(log_pdet(A))), 12)
    6.0
    """
    xp = namespace(A)
    mag, keep, _ = _pseudo_spectrum(A, rtol, xp)
    return xp.sum(xp.where(keep, xp.log(xp.where(keep, mag, xp.ones_like(mag))), xp.zeros_like(mag)), axis=-1)


def pdet(A: Array, *, rtol: float | None = None) -> Array:
    r"""Pseudo-determinant: the product of the nonzero eigenvalues (or singular values).

    .. math::

        \operatorname{pdet} A = \prod_{i:\ |\lambda_i| > \tau} \lambda_i ,
        \qquad \tau = \mathrm{rtol} \cdot \max_i |\lambda_i| .

    For symmetric ``A``, :math:`\lambda_i` are its eigenvalues and the sign is kept
    (the usual pseudo-determinant: :math:`\det A` when ``A`` is nonsingular, the
    determinant of ``A`` restricted to its range otherwise). For any other square
    ``A`` they are its singular values, and ``pdet`` is the nonnegative product of
    the nonzero singular values, :math:`\sqrt{\operatorname{pdet}(A^\top A)}`
    (Ben-Israel's volume of ``A``): equal to :math:`|\operatorname{pdet} A|` for
    normal matrices, ``|det A|`` when ``A`` is nonsingular. (The product of the
    nonzero eigenvalues of a non-normal matrix needs a general eigensolver, which
    the array API does not provide, and is unstable.)

    Parameters
    ----------
    A : array (..., n, n)
        Finite square matrices; see :func:`log_pdet`.
    rtol : float, optional
        Rank tolerance, default ``n * eps``; see :func:`log_pdet`.

    Returns
    -------
    array (...)
        ``1`` for the zero matrix (the empty product).

    Notes
    -----
    O(n^3) per matrix. Computed as ``sign * exp(log_pdet(A))``: it overflows only
    where the value does.

    Examples
    --------
    >>> import numpy as np
    >>> float(pdet(np.array([[1.0, 1.0], [1.0, 1.0]])))  # eigenvalues 2 and 0
    2.0
    >>> float(pdet(np.diag([-2.0, 3.0, 0.0])))
    -6.0
    """
    xp = namespace(A)
    mag, keep, negative = _pseudo_spectrum(A, rtol, xp)
    logs = xp.where(keep, xp.log(xp.where(keep, mag, xp.ones_like(mag))), xp.zeros_like(mag))
    flips = xp.sum(xp.astype(keep & negative, xp.int64), axis=-1)
    sign = xp.where(flips % 2 == 1, -xp.ones_like(mag[..., 0]), xp.ones_like(mag[..., 0]))
    return sign * xp.exp(xp.sum(logs, axis=-1))


def logdet(A: Array) -> Array:
    r"""Exact :math:`\log\det A` of explicit square matrices with positive determinant.

    .. math::

        \log\det A = \log|\det A| \quad (\det A > 0),

    by LU (``slogdet``); the reference for :func:`logdet_series` and
    :func:`logdet_roulette` (pass ``I + J``). A singular matrix (an exact zero
    pivot) gives ``-inf``.

    Parameters
    ----------
    A : array (..., n, n)
        Finite square matrices; leading axes are a batch.

    Raises
    ------
    ValueError
        A negative determinant (the real logarithm is undefined; use
        :func:`log_volume` for :math:`\log|\det A|`), or bad input.

    Notes
    -----
    O(n^3) per matrix. Gradient (PyTorch): :math:`A^{-\top}`.

    Examples
    --------
    >>> import numpy as np
    >>> J = np.array([[0.1, 0.2], [0.0, -0.3]])
    >>> round(float(logdet(np.eye(2) + J)), 12) == round(float(np.log(1.1 * 0.7)), 12)
    True
    """
    xp = namespace(A)
    A = v.matrices(A, "A", xp, square=True)
    sign, logabs = xp.linalg.slogdet(A)
    if bool(xp.any(sign < 0)):
        raise ValueError(
            "A has a negative determinant: its real log-determinant is undefined (log_volume gives log|det A|)"
        )
    return xp.where(sign == 0, xp.full_like(logabs, -xp.inf), logabs)
