r"""Closed forms between Gaussian measures: the 2-Wasserstein (Bures) distance,
the Kullback-Leibler divergence and the squared Hellinger distance.

References: Dowson and Landau, "The Frechet distance between multivariate normal
distributions", J. Multivariate Anal. 12 (1982); Givens and Shortt, "A class of
Wasserstein metrics for probability distributions", Michigan Math. J. 31 (1984);
Bhatia, Jain and Lim, "On the Bures-Wasserstein distance between positive definite
matrices", Expo. Math. 37 (2019); Kullback, *Information Theory and Statistics*
(1959); Pardo, *Statistical Inference Based on Divergence Measures* (2006), Table 2.1
(Hellinger / Bhattacharyya coefficient); Bhattacharyya, Bull. Calcutta Math. Soc. 35
(1943). The KL and Hellinger conventions match :func:`divergences.f_divergence`
(``kind="kl"`` and ``kind="hellinger"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from . import _validate as v
from ._backend import Array, Namespace, constant, namespace, psd_sqrt, result_dtype
from ._numerics import binary_scale, ldexp, overflow_message

__all__ = ["gaussian_hellinger", "gaussian_kl", "gaussian_wasserstein"]

# A difference of means (in units of sqrt max|C|) far enough that
# exp(-|m1 - m2|^2 / (8 max|C|)) underflows to 0 in every dtype.
_FAR = 1e15


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
        indefinite covariance, or m1 - m2 or W_2 beyond the dtype; the message names
        the argument.

    Notes
    -----
    Solved in units 2^e (exact) with ``max(|m1 - m2|, sqrt max|C|)`` in [1/2, 1) and
    mapped back: W_2(s m, s^2 C) = s W_2(m, C) at every scale where both are
    representable. With any factors :math:`A A^\top = C` (the Cholesky factor, or the PSD square
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
    g = _inputs(m1, C1, m2, C2, lengths=True)
    xp, C1, C2 = g.xp, g.C1, g.C2
    A1, A2 = _factor(C1, g.lam1, xp), _factor(C2, g.lam2, xp)
    means = xp.sum(g.delta**2, axis=-1)
    traces = xp.sum(A1 * A1, axis=(-2, -1)) + xp.sum(A2 * A2, axis=(-2, -1))
    cross = xp.sum(xp.linalg.svdvals(xp.matrix_transpose(A2) @ A1), axis=-1)
    w2 = xp.clip(means + traces - 2 * cross, 0.0, None)
    # sqrt with gradient 0 (a subgradient) at W_2 = 0 instead of inf * 0 = NaN
    positive = w2 > 0
    w = v.scaled_back(xp.sqrt(xp.where(positive, w2, xp.ones_like(w2))), g.e, "m1, C1, m2, C2", "W_2", None, xp)
    return xp.where(positive, w, xp.zeros_like(w2))


@dataclass(frozen=True)
class _Gaussians:
    """Two validated Gaussians in units of 2^e: ``delta`` = (m1 - m2) 2^-e,
    ``C1``, ``C2`` times 2^-2e (exact: powers of two), their eigenvalues, and the
    size ||m1|| + ||m2|| of the means in the same units (the round-off in ``delta``
    is relative to it)."""

    xp: Namespace
    delta: Array
    C1: Array
    C2: Array
    lam1: Array
    lam2: Array
    e: int
    mean_size: Array


def _inputs(m1, C1, m2, C2, *, lengths: bool) -> _Gaussians:
    """Validated floating arrays of two Gaussians, shared by every closed form.

    Every closed form depends on the means through m1 - m2 only and is homogeneous
    under x -> 2^k x (m -> 2^k m, C -> 4^k C): the problem is solved in units 2^e
    chosen so that no square, eigenvalue or log-determinant under- or overflows and
    log det C1 - log det C2 does not cancel between two logarithms of size |log s|.
    ``lengths`` (W_2, a sum of squared lengths): ``max(|m1 - m2|, sqrt max|C|)`` in
    [1/2, 1), so the smaller part can only underflow where it is negligible. Else
    (KL, H^2, functions of C^-1/2 (m1 - m2) and of eigenvalue ratios): sqrt max|C|
    in [1/2, 1), and a difference of means that overflows in these units is
    returned as inf for the caller to resolve."""
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
    with np.errstate(over="ignore"):  # checked next
        delta = m1 - m2
    if not bool(xp.all(xp.isfinite(delta))):
        raise ValueError(overflow_message("m1, m2", "m1 - m2", dtype))
    e = _length_exponent(delta, C1, C2, lengths, xp)
    C1, lam1 = _covariance(ldexp(C1, -2 * e), "C1", xp)
    C2, lam2 = _covariance(ldexp(C2, -2 * e), "C2", xp)
    with np.errstate(over="ignore"):
        delta = ldexp(delta, -e)
    return _Gaussians(xp, delta, C1, C2, lam1, lam2, e, _mean_size(m1, m2, e, xp))


def _length_exponent(delta: Array, C1: Array, C2: Array, lengths: bool, xp: Namespace) -> int:
    """e with sqrt(max |C|) in [2^(e-1), 2^e), or with max(|delta|, sqrt(max |C|))
    there when ``lengths``; from |delta| alone when C1 = C2 = 0 (0 when all are 0)."""
    e_mean = binary_scale(delta, xp=xp)
    if not bool(xp.any(C1 != 0) | xp.any(C2 != 0)):
        return e_mean
    e_cov = (binary_scale(C1, C2, xp=xp) + 1) // 2
    return max(e_mean, e_cov) if lengths and bool(xp.any(delta != 0)) else e_cov


def _mean_size(m1: Array, m2: Array, e: int, xp: Namespace) -> Array:
    """||m1|| + ||m2|| per batch entry in units of 2^e, without overflow (capped
    at 2^1000 times its value in units of max |m|: a size beyond any tolerance)."""
    e_m = binary_scale(m1, m2, xp=xp)
    n1, n2 = (xp.sqrt(xp.sum(ldexp(m, -e_m) ** 2, axis=-1)) for m in (m1, m2))
    return ldexp(constant(n1 + n2, xp), min(e_m - e, 1000))


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


def gaussian_kl(m1: Array, C1: Array, m2: Array, C2: Array) -> Array:
    r"""Kullback-Leibler divergence :math:`KL(N(m_1, C_1) \,\|\, N(m_2, C_2))` in closed form.

    .. math::

        KL = \tfrac12 \Big( \operatorname{tr}(C_2^{-1} C_1) + (m_2 - m_1)^\top C_2^{-1} (m_2 - m_1)
             - d + \log\det C_2 - \log\det C_1 \Big)

    (Kullback 1959), in nats, the convention of ``f_divergence(p, q, "kl")``.

    Parameters
    ----------
    m1, m2 : arrays (..., d)
        Means. Any array API library; the result lives in the same namespace, dtype
        (the promoted floating dtype, float64 for integers) and device.
    C1, C2 : arrays (..., d, d)
        Covariances: finite, symmetric and positive semi-definite up to round-off, as
        in :func:`divergences.gaussian_wasserstein`. Leading (batch) dimensions of the
        four arguments broadcast.

    Returns
    -------
    array (...)
        KL per batch entry, >= 0 (``inf`` when the first Gaussian is not absolutely
        continuous with respect to the second).

    Raises
    ------
    ValueError
        Mismatched shapes, NaN or infinite entries, a non-square, non-symmetric or
        indefinite covariance, or a (finite) KL beyond the dtype; the message names
        the argument.

    Notes
    -----
    Scale-invariant (x -> s x), and computed so: in units 2^e with sqrt max|C| in
    [1/2, 1), where the log-determinants are of moderate size and their difference
    does not cancel. Positive definite covariances (all of them, over the batch) go through Cholesky
    factors :math:`L_i`: :math:`\operatorname{tr}(C_2^{-1}C_1) = \|L_2^{-1}L_1\|_F^2`,
    :math:`\log\det C_i = 2\sum\log\operatorname{diag} L_i`; gradients (PyTorch) are
    exact, repeated eigenvalues included. A covariance is singular when its smallest
    eigenvalue is at most ``d * eps`` times its largest (round-off cannot tell it from
    0). With a singular covariance, :math:`N_1 \ll N_2` holds exactly when both have
    the same support: :math:`\operatorname{range} C_1 = \operatorname{range} C_2`
    and :math:`m_1 - m_2 \in \operatorname{range} C_2` (up to ``sqrt(eps)`` in angle).
    Then the formula holds on that r-dimensional subspace, with pseudo-inverses,
    pseudo-determinants and d replaced by r (computed from ``eigh``; gradients there
    are NaN on repeated eigenvalues); otherwise KL is ``inf``. The value is clipped at
    0 (round-off). Cost: O(d^3) per batch entry.

    Examples
    --------
    >>> import numpy as np
    >>> from divergences import gaussian_kl
    >>> kl = gaussian_kl(np.array([0.0]), np.array([[1.0]]), np.array([1.0]), np.array([[4.0]]))
    >>> bool(np.isclose(kl, 0.5 * (1 / 4 + 1 / 4 - 1 + np.log(4.0))))  # tr + Mahalanobis - d + log det ratio
    True
    >>> float(gaussian_kl([0.0, 0.0], [[1.0, 0.0], [0.0, 0.0]], [0.0, 0.0], np.eye(2)))
    inf
    """
    g = _inputs(m1, C1, m2, C2, lengths=False)
    xp, C1, C2 = g.xp, g.C1, g.C2
    if not bool(xp.all(xp.isfinite(g.delta))):  # |m1 - m2| beyond 2^1024 sqrt max|C|
        raise ValueError(overflow_message("m1, C1, m2, C2", "KL", C1.dtype))
    d = C1.shape[-1]
    chol = _cholesky_pair(C1, g.lam1, C2, g.lam2, xp)
    if chol is not None:
        L1, L2 = chol
        M = xp.linalg.solve(L2, L1)
        z = xp.linalg.solve(L2, g.delta[..., None])
        with np.errstate(over="ignore"):  # checked below
            kl = 0.5 * (
                xp.sum(M * M, axis=(-2, -1)) + xp.sum(z * z, axis=(-2, -1)) - d
                + 2 * (_logdiag(L2, xp) - _logdiag(L1, xp))
            )
        # finite in exact arithmetic (both covariances definite): inf is an overflow
        return v.representable(xp.clip(kl, 0.0, None), "m1, C1, m2, C2", "KL", None, xp)
    return _kl_general(g.delta, C1, xp.zeros_like(g.delta), C2, xp, g.mean_size)


def gaussian_hellinger(m1: Array, C1: Array, m2: Array, C2: Array) -> Array:
    r"""Squared Hellinger distance between :math:`N(m_1, C_1)` and :math:`N(m_2, C_2)`.

    .. math::

        H^2 = \int (\sqrt{p_1} - \sqrt{p_2})^2 = 2\,(1 - BC), \qquad
        BC = \frac{\det(C_1)^{1/4} \det(C_2)^{1/4}}{\det(\bar C)^{1/2}}
             \exp\Big(-\tfrac18 (m_1 - m_2)^\top \bar C^{-1} (m_1 - m_2)\Big),
        \quad \bar C = \tfrac12 (C_1 + C_2)

    (BC the Bhattacharyya coefficient; Pardo 2006, Table 2.1). The normalisation is
    that of ``f_divergence(p, q, "hellinger")``, :math:`\sum (\sqrt p - \sqrt q)^2`, with
    values in [0, 2]; texts that put 1/2 in front get half of it.

    Parameters
    ----------
    m1, m2 : arrays (..., d)
        Means.
    C1, C2 : arrays (..., d, d)
        Covariances, as in :func:`gaussian_kl`. Batch dimensions broadcast.

    Returns
    -------
    array (...)
        :math:`H^2` per batch entry, in the caller's namespace, dtype and device.

    Raises
    ------
    ValueError
        As :func:`gaussian_kl`.

    Notes
    -----
    Computed as :math:`H^2 = -2\,\mathrm{expm1}(\log BC)` (accurate when the Gaussians
    are close), with log-determinants from Cholesky factors when every covariance is
    positive definite. Singular covariances: two Gaussians are either equivalent (same
    support, see :func:`gaussian_kl`; then the formula holds on the support with
    pseudo-determinants) or mutually singular (:math:`BC = 0`, :math:`H^2 = 2`).
    Symmetric in its two Gaussians. Cost: O(d^3) per batch entry.

    Examples
    --------
    >>> import numpy as np
    >>> from divergences import gaussian_hellinger
    >>> h = gaussian_hellinger(np.array([0.0]), np.array([[1.0]]), np.array([2.0]), np.array([[1.0]]))
    >>> bool(np.isclose(h, 2 * (1 - np.exp(-0.5))))  # BC = exp(-(m1 - m2)^2 / 8)
    True
    """
    g = _inputs(m1, C1, m2, C2, lengths=False)
    xp, C1, C2 = g.xp, g.C1, g.C2
    # |m1 - m2| beyond 2^1024 sqrt max|C| (inf here): BC = 0 to all precision
    g = replace(g, delta=xp.clip(g.delta, -_FAR, _FAR))
    Cbar = (C1 + C2) / 2
    chol = _cholesky_pair(C1, g.lam1, C2, g.lam2, xp)
    if chol is not None:
        L1, L2 = chol
        Lbar = xp.linalg.cholesky(Cbar)
        z = xp.linalg.solve(Lbar, g.delta[..., None])
        with np.errstate(over="ignore"):  # a Mahalanobis term of inf gives BC = 0
            log_bc = (
                (_logdiag(L1, xp) + _logdiag(L2, xp)) / 2 - _logdiag(Lbar, xp)
                - xp.sum(z * z, axis=(-2, -1)) / 8
            )
        return 0.0 - 2 * xp.expm1(xp.clip(log_bc, None, 0.0))  # 0.0, not -0.0, at BC = 1
    return _hellinger_general(g.delta, C1, xp.zeros_like(g.delta), C2, xp, g.mean_size)


# ------------------------------------------------------------------------ helpers


def _floor(lam: Array, xp: Namespace) -> Array:
    """Eigenvalues at most this are round-off: ``d * eps`` times the largest."""
    d = lam.shape[-1]
    return d * xp.finfo(lam.dtype).eps * xp.max(xp.abs(lam), axis=-1, keepdims=True)


def _cholesky_pair(C1, lam1, C2, lam2, xp):
    """Cholesky factors of both covariances when every one of the batch is positive
    definite (smallest eigenvalue above the round-off floor), else None."""
    for lam in (lam1, lam2):
        if not bool(xp.all(xp.min(lam, axis=-1) > _floor(lam, xp)[..., 0])):
            return None
    try:
        return xp.linalg.cholesky(C1), xp.linalg.cholesky(C2)
    except (ValueError, RuntimeError, ArithmeticError):  # LinAlgError of NumPy / torch
        return None


def _logdiag(L: Array, xp: Namespace) -> Array:
    """sum log diag L = log det(L L^T) / 2 for a Cholesky factor."""
    return xp.sum(xp.log(xp.linalg.diagonal(L)), axis=-1)


def _spectral(C: Array, xp: Namespace):
    """Eigenvectors, the mask of eigenvalues above round-off, the rank, the
    pseudo-inverse and the log pseudo-determinant of PSD matrices."""
    lam, V = xp.linalg.eigh(C)
    keep = lam > _floor(lam, xp)
    safe = xp.where(keep, lam, xp.ones_like(lam))
    inv = xp.where(keep, 1 / safe, xp.zeros_like(lam))
    pinv = (V * inv[..., None, :]) @ xp.matrix_transpose(V)
    logpdet = xp.sum(xp.where(keep, xp.log(safe), xp.zeros_like(lam)), axis=-1)
    rank = xp.sum(xp.astype(keep, xp.int64), axis=-1)
    return V, keep, rank, pinv, logpdet


def _same_support(C1, m1, V2, keep2, rank1, rank2, m2, xp, mean_size=None) -> Array:
    """range C1 = range C2 and m1 - m2 in range C2, up to sqrt(eps) in angle (C2 given
    by its eigenvectors ``V2`` and the mask ``keep2`` of its nonzero eigenvalues)
    plus d eps ``mean_size`` (||m1|| + ||m2|| of the caller's means, the size of
    the round-off in m1 - m2; by default that of ``m1`` and ``m2``)."""
    tol = math.sqrt(xp.finfo(C1.dtype).eps)
    U = V2 * xp.astype(keep2, V2.dtype)[..., None, :]
    P = U @ xp.matrix_transpose(U)  # projector onto range C2
    inside = C1 - P @ C1 @ P
    norm1 = xp.sqrt(xp.sum(C1 * C1, axis=(-2, -1)))
    ranges = xp.sqrt(xp.sum(inside * inside, axis=(-2, -1))) <= tol * norm1
    delta = m1 - m2
    out = delta - (P @ delta[..., None])[..., 0]
    scale = tol * xp.sqrt(xp.sum(delta * delta, axis=-1))
    if mean_size is None:
        mean_size = xp.sqrt(xp.sum(m1 * m1, axis=-1)) + xp.sqrt(xp.sum(m2 * m2, axis=-1))
    scale = scale + C1.shape[-1] * xp.finfo(C1.dtype).eps * mean_size
    means = xp.sqrt(xp.sum(out * out, axis=-1)) <= scale
    return (rank1 == rank2) & ranges & means


def _kl_general(m1, C1, m2, C2, xp, mean_size=None):
    """KL with pseudo-inverses on the common support (``inf`` off it); any ranks."""
    _, _, rank1, _, logpdet1 = _spectral(C1, xp)
    V2, keep2, rank2, pinv2, logpdet2 = _spectral(C2, xp)
    delta = m2 - m1
    trace = xp.sum(pinv2 * C1, axis=(-2, -1))  # tr(C2^+ C1), C2^+ symmetric
    maha = xp.sum(delta * (pinv2 @ delta[..., None])[..., 0], axis=-1)
    r = xp.astype(rank2, C1.dtype)
    kl = xp.clip(0.5 * (trace + maha - r + logpdet2 - logpdet1), 0.0, None)
    same = _same_support(C1, m1, V2, keep2, rank1, rank2, m2, xp, mean_size)
    return xp.where(same, kl, xp.inf)


def _hellinger_general(m1, C1, m2, C2, xp, mean_size=None):
    """H^2 with pseudo-determinants on the common support (2 off it); any ranks."""
    _, _, rank1, _, logpdet1 = _spectral(C1, xp)
    V2, keep2, rank2, _, logpdet2 = _spectral(C2, xp)
    _, _, _, pinvbar, logpdetbar = _spectral((C1 + C2) / 2, xp)
    delta = m2 - m1
    maha = xp.sum(delta * (pinvbar @ delta[..., None])[..., 0], axis=-1)
    log_bc = xp.clip((logpdet1 + logpdet2) / 4 - logpdetbar / 2 - maha / 8, None, 0.0)
    same = _same_support(C1, m1, V2, keep2, rank1, rank2, m2, xp, mean_size)
    return xp.where(same, 0.0 - 2 * xp.expm1(log_bc), 2 * xp.ones_like(log_bc))
