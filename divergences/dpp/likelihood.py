r"""Marginal and likelihood kernels of an L-ensemble, inclusion probabilities,
expected size and the log-likelihood of a set (Kulesza and Taskar 2012,
arXiv 1207.6083)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import _validate as v
from .._backend import Array, Namespace, constant, device, index_array, is_array, namespace, to_numpy

__all__ = ["expected_size", "inclusion_probabilities", "likelihood_kernel", "log_likelihood", "marginal_kernel"]


def _subset(subset: object, n: int) -> list[int]:
    """Distinct indices in [0, n) as a Python list (sequences and integer arrays)."""
    if is_array(subset):
        arr = to_numpy(subset, dtype=None) if not isinstance(subset, np.ndarray) else subset
    else:
        try:
            arr = np.asarray(subset)
        except Exception as err:
            raise TypeError(f"subset must be a sequence of integer indices: {err}") from None
    if arr.size == 0:
        return []
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"subset must hold integer indices (not booleans or floats), got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"subset must be 1-D (a list of indices), got shape {arr.shape}")
    if arr.min() < 0 or arr.max() >= n:
        raise ValueError(f"subset has indices out of range [0, {n}): min {arr.min()}, max {arr.max()}")
    if np.unique(arr).size != arr.size:
        raise ValueError("subset has repeated indices: a DPP draws sets, each item at most once")
    return [int(i) for i in arr]


def _eye_like(L: Array, xp: Namespace) -> Array:
    return xp.eye(L.shape[-1], dtype=L.dtype, device=device(L))


def marginal_kernel(L: Array) -> Array:
    r"""Marginal kernel of an L-ensemble: :math:`K = L (L + I)^{-1} = I - (L + I)^{-1}`.

    :math:`\mathbb P(S \subseteq Y) = \det K_S` for every S; the eigenvalues of K are
    :math:`\lambda / (1 + \lambda) \in [0, 1)` for the eigenvalues
    :math:`\lambda \ge 0` of L (Kulesza and Taskar 2012, Thm. 2.2).

    Parameters
    ----------
    L : array (..., n, n)
        Symmetric positive semi-definite kernels (leading axes are a batch).

    Returns
    -------
    array (..., n, n)
        Symmetric.

    Notes
    -----
    O(n^3): one solve with the well-conditioned :math:`L + I` (eigenvalues
    :math:`\ge 1`), as :math:`(L + I)^{-1} L`, which keeps the relative accuracy of
    small eigenvalues; plus the eigenvalue check of L. Differentiable (PyTorch),
    finite gradients at repeated eigenvalues (no eigenvectors are differentiated).

    Examples
    --------
    >>> import numpy as np
    >>> marginal_kernel(np.diag([1.0, 3.0, 0.0]))
    array([[0.5 , 0.  , 0.  ],
           [0.  , 0.75, 0.  ],
           [0.  , 0.  , 0.  ]])
    """
    xp = namespace(L)
    L = v.symmetric_psd(L, "L", xp, batch=True)
    K = xp.linalg.solve(L + _eye_like(L, xp), L)
    return (K + xp.matrix_transpose(K)) / 2


def likelihood_kernel(K: Array) -> Array:
    r"""L-ensemble kernel of a marginal kernel: :math:`L = K (I - K)^{-1}`.

    The inverse of :func:`marginal_kernel`; it exists when every eigenvalue of K is
    in [0, 1) (a DPP with an eigenvalue 1 always contains some item and is not an
    L-ensemble; Kulesza and Taskar 2012, Sec. 2.2.1).

    Parameters
    ----------
    K : array (..., n, n)
        Symmetric positive semi-definite, largest eigenvalue below ``1 - n * eps``
        (so that :math:`I - K` is numerically invertible).

    Returns
    -------
    array (..., n, n)
        Symmetric.

    Raises
    ------
    ValueError
        An eigenvalue of K at or above ``1 - n * eps``, or bad input.

    Notes
    -----
    O(n^3). Relative accuracy about ``eps / (1 - lambda_max(K))``.

    Examples
    --------
    >>> import numpy as np
    >>> likelihood_kernel(np.diag([0.5, 0.75, 0.0]))
    array([[1., 0., 0.],
           [0., 3., 0.],
           [0., 0., 0.]])
    """
    xp = namespace(K)
    K = v.symmetric_matrix(K, "K", xp, batch=True)
    lam = xp.linalg.eigvalsh(constant(K, xp))
    v.check_psd(lam, "K", xp)
    limit = 1 - K.shape[-1] * xp.finfo(K.dtype).eps
    top = float(xp.max(lam))
    if top >= limit:
        raise ValueError(
            f"K must have all eigenvalues < 1 (up to n * eps) to have a likelihood kernel "
            f"L = K (I - K)^-1; its largest is {top:.17g}"
        )
    L = xp.linalg.solve(_eye_like(K, xp) - K, K)
    return (L + xp.matrix_transpose(L)) / 2


def inclusion_probabilities(L: Array) -> Array:
    r"""Probability that each item is in the DPP sample: :math:`\mathbb P(i \in Y) = K_{ii}`.

    .. math::

        K_{ii} = \big(L (L + I)^{-1}\big)_{ii}, \qquad \sum_i K_{ii} = \mathbb E|Y| .

    Parameters
    ----------
    L : array (..., n, n)
        Symmetric positive semi-definite kernels.

    Returns
    -------
    array (..., n)
        In [0, 1] (clipped there against round-off).

    Notes
    -----
    O(n^3) (:func:`marginal_kernel`). Differentiable (PyTorch).

    Examples
    --------
    >>> import numpy as np
    >>> inclusion_probabilities(np.diag([1.0, 3.0]))
    array([0.5 , 0.75])
    """
    xp = namespace(L)
    return xp.clip(xp.linalg.diagonal(marginal_kernel(L)), 0.0, 1.0)


def expected_size(L: Array) -> Array:
    r"""Expected size of the DPP sample.

    .. math::

        \mathbb E|Y| = \operatorname{tr} K = \sum_i \frac{\lambda_i}{1 + \lambda_i},

    with :math:`\lambda_i` the eigenvalues of L (Kulesza and Taskar 2012, eq. 34).

    Parameters
    ----------
    L : array (..., n, n)
        Symmetric positive semi-definite kernels.

    Returns
    -------
    array (...)

    Notes
    -----
    O(n^3). Differentiable (PyTorch).

    Examples
    --------
    >>> import numpy as np
    >>> float(expected_size(np.diag([1.0, 3.0, 0.0])))
    1.25
    """
    xp = namespace(L)
    return xp.sum(inclusion_probabilities(L), axis=-1)


def log_likelihood(L: Array, subset: Sequence[int] | Array) -> Array:
    r"""Log-probability that the L-ensemble draws exactly ``subset``.

    .. math::

        \log \mathbb P(Y = S) = \log\det L_S - \log\det(L + I),

    with :math:`\det L_\emptyset = 1` (Kulesza and Taskar 2012, eq. 13).

    Parameters
    ----------
    L : array (n, n)
        Symmetric positive semi-definite kernel.
    subset : sequence of int or integer array
        Distinct indices in [0, n), in any order (order does not change the value).

    Returns
    -------
    array (0-D)
        ``-inf`` when :math:`L_S` is singular (an exact zero pivot, or a
        nonpositive determinant from round-off).

    Raises
    ------
    ValueError
        Indices out of range or repeated, or a bad kernel.

    Notes
    -----
    :math:`O(n^3 + |S|^3)`: Cholesky of :math:`L + I`, LU of :math:`L_S`. Differentiable
    (PyTorch) where :math:`L_S` is nonsingular.

    Examples
    --------
    >>> import numpy as np
    >>> L = np.diag([1.0, 3.0])
    >>> round(float(np.exp(log_likelihood(L, [1]))), 12)  # 3 / (2 * 4)
    0.375
    """
    xp = namespace(L)
    L = v.symmetric_psd(L, "L", xp)
    idx = _subset(subset, L.shape[0])
    chol = xp.linalg.cholesky(L + _eye_like(L, xp))
    log_norm = 2 * xp.sum(xp.log(xp.linalg.diagonal(chol)))
    if not idx:
        return -log_norm
    ii = index_array(idx, L, xp)
    LS = xp.take(xp.take(L, ii, axis=0), ii, axis=1)
    sign, logabs = xp.linalg.slogdet(LS)
    return xp.where(sign > 0, logabs, xp.full_like(logabs, -xp.inf)) - log_norm
