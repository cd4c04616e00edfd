"""Closed forms between Gaussian measures: the 2-Wasserstein (Bures) distance.

References: Dowson and Landau, "The Frechet distance between multivariate normal
distributions", J. Multivariate Anal. 12 (1982); Givens and Shortt, "A class of
Wasserstein metrics for probability distributions", Michigan Math. J. 31 (1984);
Bhatia, Jain and Lim, "On the Bures-Wasserstein distance between positive definite
matrices", Expo. Math. 37 (2019).
"""

from __future__ import annotations

import math

import numpy as np

from . import _validate as v
from ._backend import Array, Namespace, constant, namespace, psd_sqrt, result_dtype


def gaussian_wasserstein(m1: Array, C1: Array, m2: Array, C2: Array) -> Array:
    r"""2-Wasserstein distance between the Gaussians :math:`N(m_1, C_1)` and :math:`N(m_2, C_2)`.

    .. math::

        W_2^2 = \|m_1 - m_2\|^2 + \operatorname{tr} C_1 + \operatorname{tr} C_2
                - 2 \operatorname{tr}\bigl(C_1^{1/2} C_2 C_1^{1/2}\bigr)^{1/2}

    (Dowson and Landau 1982; Givens and Shortt 1984). The covariance part is the
    squared Bures metric. The value returned is :math:`W_2` itself, in the units of
    the means (not :math:`W_2^2`); the formula also holds for singular covariances,
    and ``C = 0`` (a Dirac mass) gives ``|m1 - m2|``.

    Parameters
    ----------
    m1, m2 : arrays (..., d)
        Means. Any array API library; the result lives in the same namespace,
        dtype (the promoted floating dtype, float64 for integers) and device.
    C1, C2 : arrays (..., d, d)
        Covariances: finite, symmetric and positive semi-definite up to round-off
        (``|C - C^T| <= sqrt(eps) max|C|`` and smallest eigenvalue
        ``>= -sqrt(eps)`` times the largest in magnitude; eps the dtype's machine
        epsilon). Singular covariances are accepted. For d = 1 pass ``m`` of shape
        ``(1,)`` and ``C`` of shape ``(1, 1)`` (the variance, not the standard
        deviation).

    Returns
    -------
    array (...)
        :math:`W_2`, one value per batch entry; leading (batch) dimensions of the
        four arguments broadcast.

    Raises
    ------
    ValueError
        Mismatched shapes, NaN or infinite entries, a non-square, non-symmetric or
        indefinite covariance; the message names the argument.

    Notes
    -----
    With any factors :math:`A A^\top = C` (the Cholesky factor, or the PSD square
    root) :math:`\operatorname{tr}(C_1^{1/2} C_2 C_1^{1/2})^{1/2} = \|A_2^\top A_1\|_*`,
    the nuclear norm (sum of singular values), and
    :math:`\operatorname{tr} C_1 + \operatorname{tr} C_2 - 2\|A_2^\top A_1\|_*
    = \min_{Q\ \mathrm{orthogonal}} \|A_1 - A_2 Q\|_F^2 \ge 0`.
    That is what is computed: no matrix square root of a non-symmetric product, and
    no square root of a negative number. A covariance whose eigenvalues all exceed
    ``sqrt(eps)`` times the largest is factored by Cholesky; otherwise (singular or
    ill-conditioned, checked per argument over the whole batch) by the PSD square
    root from ``eigh``, with eigenvalues below ``d * eps`` times the largest
    (round-off, negative ones included) set to 0. :math:`W_2^2` is clipped at 0
    before the square root. Cancellation limits the absolute accuracy of
    :math:`W_2^2` to about ``eps * (tr C1 + tr C2)``, so values of :math:`W_2`
    below ``sqrt(eps (tr C1 + tr C2))`` are round-off (about 1e-8 relative in
    float64, 3e-4 in float32). Near a singular covariance :math:`W_2^2` is only
    Hoelder-1/2 in ``C`` (in 1-D it is :math:`(\sqrt{c_1} - \sqrt{c_2})^2`), so
    input errors of size ``delta`` can move it by ``sqrt(delta)``.

    Cost: O(d^3) per batch entry (an eigenvalue check, two factorisations and one
    SVD), O(d^2) memory.

    Gradients (PyTorch): with respect to the means they always exist (0 where
    :math:`W_2 = 0`, a subgradient). With respect to a covariance factored by
    Cholesky (well-conditioned) they are finite and exact, repeated eigenvalues
    such as ``C = I`` included. Through the ``eigh`` path (singular or
    ill-conditioned covariances) they are NaN or infinite on repeated eigenvalues
    (``eigh`` gradients divide by eigenvalue gaps), and :math:`W_2` is not
    differentiable in a covariance at which it is singular (the eigenvalues set to
    0 contribute no gradient).

    Examples
    --------
    Two 1-D Gaussians, where :math:`W_2 = \sqrt{(m_1 - m_2)^2 + (s_1 - s_2)^2}`:

    >>> import numpy as np
    >>> from divergences import gaussian_wasserstein
    >>> w = gaussian_wasserstein(np.array([0.0]), np.array([[1.0]]),
    ...                          np.array([3.0]), np.array([[25.0]]))
    >>> round(float(w), 12)  # sqrt(3**2 + (1 - 5)**2)
    5.0
    """
    xp, m1, C1, m2, C2, lam1, lam2 = _inputs(m1, C1, m2, C2)

    A1, A2 = _factor(C1, lam1, xp), _factor(C2, lam2, xp)
    means = xp.sum((m1 - m2) ** 2, axis=-1)
    traces = xp.sum(A1 * A1, axis=(-2, -1)) + xp.sum(A2 * A2, axis=(-2, -1))
    cross = xp.sum(xp.linalg.svdvals(xp.matrix_transpose(A2) @ A1), axis=-1)
    w2 = xp.clip(means + traces - 2 * cross, 0.0, None)
    # sqrt with gradient 0 (a subgradient) at W_2 = 0 instead of inf * 0 = NaN
    positive = w2 > 0
    return xp.where(positive, xp.sqrt(xp.where(positive, w2, xp.ones_like(w2))), xp.zeros_like(w2))


def _inputs(m1, C1, m2, C2):
    """Validated floating arrays of two Gaussians and the eigenvalues of both
    covariances (shared by every closed form between Gaussians)."""
    xp = namespace(m1, C1, m2, C2)
    raw = {
        "m1": v.as_array(m1, "m1", xp),
        "C1": v.as_array(C1, "C1", xp),
        "m2": v.as_array(m2, "m2", xp),
        "C2": v.as_array(C2, "C2", xp),
    }
    dtype = result_dtype(xp, *raw.values())
    m1, C1, m2, C2 = (v.as_float(x, xp, dtype) for x in raw.values())
    _check_shapes(m1, C1, m2, C2)
    for x, name in ((m1, "m1"), (C1, "C1"), (m2, "m2"), (C2, "C2")):
        v.check_finite(x, name, xp)
    C1, lam1 = _covariance(C1, "C1", xp)
    C2, lam2 = _covariance(C2, "C2", xp)
    return xp, m1, C1, m2, C2, lam1, lam2


def _check_shapes(m1: Array, C1: Array, m2: Array, C2: Array) -> None:
    """m of shape (..., d), C of shape (..., d, d), one d, broadcastable batch shapes."""
    for x, name in ((m1, "m1"), (m2, "m2")):
        if x.ndim < 1:
            raise ValueError(f"{name} must have shape (..., d), got a 0-D array; pass shape (1,) for d = 1")
    for C, name in ((C1, "C1"), (C2, "C2")):
        if C.ndim < 2 or C.shape[-1] != C.shape[-2]:
            raise ValueError(f"{name} must be a square matrix of shape (..., d, d), got shape {tuple(C.shape)}")
    d = C1.shape[-1]
    if d == 0:
        raise ValueError("C1 is empty: the dimension d must be at least 1")
    if C2.shape[-1] != d:
        raise ValueError(f"C2 must be {d} x {d} like C1, got shape {tuple(C2.shape)}")
    for m, name in ((m1, "m1"), (m2, "m2")):
        if m.shape[-1] != d:
            raise ValueError(
                f"{name} must have d = {d} entries along its last axis (C1 is {d} x {d}), "
                f"got shape {tuple(m.shape)}"
            )
    batch: tuple[int, ...] = ()
    for shape, name in ((m1.shape[:-1], "m1"), (C1.shape[:-2], "C1"), (m2.shape[:-1], "m2"), (C2.shape[:-2], "C2")):
        try:
            batch = np.broadcast_shapes(batch, tuple(shape))
        except ValueError:
            raise ValueError(
                f"the batch shape {tuple(shape)} of {name} does not broadcast with {batch}, "
                "the batch shape of the arguments before it"
            ) from None
    if 0 in batch:
        raise ValueError(f"the batch shape {batch} is empty: pass at least one Gaussian")


def _covariance(C: Array, name: str, xp: Namespace) -> tuple[Array, Array]:
    """``C`` symmetrised, after checking it is symmetric and PSD up to ``sqrt(eps)``,
    with its eigenvalues (out of the autograd graph; the standard leaves their order
    unspecified)."""
    tol = math.sqrt(xp.finfo(C.dtype).eps)
    Ct = xp.matrix_transpose(C)
    C0, Ct0 = constant(C, xp), constant(Ct, xp)
    scale = xp.max(xp.abs(C0), axis=(-2, -1))
    if bool(xp.any(xp.max(xp.abs(C0 - Ct0), axis=(-2, -1)) > tol * scale)):
        raise ValueError(f"{name} must be symmetric (up to sqrt(eps) = {tol:.2g} relative)")
    lam = xp.linalg.eigvalsh((C0 + Ct0) / 2)
    top = xp.max(xp.abs(lam), axis=-1)
    if bool(xp.any(xp.min(lam, axis=-1) < -tol * top)):
        raise ValueError(
            f"{name} must be positive semi-definite (smallest eigenvalue "
            f">= -sqrt(eps) = {-tol:.2g} times the largest in magnitude)"
        )
    return (C + Ct) / 2, lam


def _factor(C: Array, lam: Array, xp: Namespace) -> Array:
    """A factor ``A`` with ``A A^T = C``: Cholesky when every matrix of the batch is
    well-conditioned (finite gradients at repeated eigenvalues), else the PSD square
    root (singular covariances)."""
    tol = math.sqrt(xp.finfo(C.dtype).eps)
    if bool(xp.all(xp.min(lam, axis=-1) > tol * xp.max(lam, axis=-1))):
        try:
            return xp.linalg.cholesky(C)
        except (ValueError, RuntimeError, ArithmeticError):  # LinAlgError of NumPy / torch
            pass
    return psd_sqrt(C, xp)


__all__ = ["gaussian_wasserstein"]
