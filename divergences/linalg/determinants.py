r"""Generalized determinants: volumes, pseudo-determinants and log-determinants.

The determinant family behind DPP kernels and invertible networks, written once
against the array API standard (NumPy, CuPy, PyTorch), with PyTorch gradients:

- :func:`volume`, :func:`log_volume`: the k-volume of the parallelotope spanned by
  the columns of a tall matrix, :math:`\sqrt{\det B^\top B}`, by QR, never forming
  :math:`B^\top B` (Ben-Israel, "A volume associated with m x n matrices", Linear
  Algebra Appl. 167, 1992);
- :func:`pdet`, :func:`log_pdet`: the pseudo-determinant, product of the nonzero
  eigenvalues (symmetric matrices) or singular values (any other matrix), with a
  stated rank tolerance;
- :func:`spectral_norm`: power iteration on a matrix or an implicit operator, as in
  spectral normalisation (Miyato et al., ICLR 2018, arXiv 1802.05957);
- :func:`logdet_series`, :func:`logdet_roulette`: the stochastic estimators of
  :math:`\log\det(I + J)` of invertible ResNets (Behrmann et al., ICML 2019,
  arXiv 1811.00995) and Residual Flows (Chen et al., NeurIPS 2019, arXiv 1906.02735),
  and :func:`logdet`, the exact value for explicit matrices.

Theory pages: ``docs/determinants.md``, ``docs/spectral_norm.md``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .. import _validate as v
from .._backend import Array, Namespace, constant, default_rng, device, from_numpy, is_array, namespace, result_dtype

Seed = int | np.random.Generator | None
Operator = Callable[[Array], Array]

__all__ = [
    "SpectralNormResult",
    "log_pdet",
    "log_volume",
    "logdet",
    "logdet_roulette",
    "logdet_series",
    "pdet",
    "spectral_norm",
    "volume",
]


# ------------------------------------------------------------------ input helpers

def _matrices(A: object, name: str, xp: Namespace, *, square: bool = False) -> Array:
    """A finite, nonempty real (..., n, k) array in a floating dtype (float64 for integers)."""
    A = v.as_array(A, name, xp)
    if A.ndim < 2:
        raise ValueError(f"{name} must be a matrix of shape (..., n, k), got shape {tuple(A.shape)}")
    if square and A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{name} must be a square matrix of shape (..., n, n), got shape {tuple(A.shape)}")
    if math.prod(A.shape) == 0:
        raise ValueError(f"{name} is empty: got shape {tuple(A.shape)}")
    A = v.as_float(A, xp, result_dtype(xp, A))
    v.check_finite(A, name, xp)
    return A


def _asymmetry(A: Array, xp: Namespace) -> Array:
    """Per matrix: max |A - A^T| relative to max |A| (0 for a zero matrix); out of the graph."""
    A0 = constant(A, xp)
    scale = xp.max(xp.abs(A0), axis=(-2, -1))
    gap = xp.max(xp.abs(A0 - xp.matrix_transpose(A0)), axis=(-2, -1))
    return gap / xp.where(scale > 0, scale, xp.ones_like(scale))


def _is_symmetric(A: Array, xp: Namespace) -> bool:
    """Every matrix of the batch symmetric up to ``sqrt(eps)`` relative."""
    return bool(xp.all(_asymmetry(A, xp) <= math.sqrt(xp.finfo(A.dtype).eps)))


def _symmetric(A: Array, name: str, xp: Namespace) -> Array:
    """``(A + A^T) / 2`` after checking ``|A - A^T| <= sqrt(eps) max|A|`` (square ``A``)."""
    if A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{name} must be a square matrix of shape (..., n, n), got shape {tuple(A.shape)}")
    if not _is_symmetric(A, xp):
        tol = math.sqrt(xp.finfo(A.dtype).eps)
        raise ValueError(f"{name} must be symmetric (|{name} - {name}^T| <= sqrt(eps) = {tol:.2g} times max|{name}|)")
    return (A + xp.matrix_transpose(A)) / 2


def _check_psd(lam: Array, name: str, xp: Namespace) -> None:
    """Eigenvalues (..., n) of a symmetric matrix: smallest >= -sqrt(eps) times the
    largest in magnitude, eps the dtype's machine epsilon."""
    lam = constant(lam, xp)
    tol = math.sqrt(xp.finfo(lam.dtype).eps)
    top = xp.max(xp.abs(lam), axis=-1)
    if bool(xp.any(xp.min(lam, axis=-1) < -tol * top)):
        raise ValueError(
            f"{name} must be positive semi-definite (smallest eigenvalue >= -sqrt(eps) = "
            f"{-tol:.2g} times the largest in magnitude)"
        )


def _nonnegative_number(x: object, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a nonnegative number, got {x!r}")
    x = float(x)
    if not (math.isfinite(x) and x >= 0):
        raise ValueError(f"{name} must be a finite nonnegative number, got {x!r}")
    return x


# ------------------------------------------------------------------------ volumes

def _column_scales(B: Array, xp: Namespace) -> Array:
    """Per column, the power of two at or below its largest magnitude (1 for a zero
    column), shape (..., 1, k), out of the graph: dividing by it is exact and brings
    every column to magnitude [1, 2), whatever its scale (1e-300 or 1e300)."""
    m = xp.max(xp.abs(constant(B, xp)), axis=-2, keepdims=True)
    m = xp.where(m > 0, m, xp.ones_like(m))
    return 2.0 ** xp.floor(xp.log2(m))


def _volume_parts(B: Array, xp: Namespace) -> tuple[Array, Array]:
    """(log volume over the nonzero diagonal of R, True where some diagonal entry is 0)
    for a tall ``B`` (n >= k)."""
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

    Cost: O(n k^2) per batch entry (one reduced QR), O(n k) memory.

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
    B = _matrices(B, "B", xp)
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
    B = _matrices(B, "B", xp)
    n, k = B.shape[-2:]
    if n < k:
        return xp.zeros(B.shape[:-2], dtype=B.dtype, device=device(B)) + 0 * xp.sum(B, axis=(-2, -1))
    logv, zero = _volume_parts(B, xp)
    return xp.where(zero, xp.zeros_like(logv), xp.exp(xp.where(zero, xp.zeros_like(logv), logv)))


# -------------------------------------------------------------- pseudo-determinants

def _pseudo_spectrum(A: object, rtol: object, xp: Namespace) -> tuple[Array, Array, Array]:
    """(|values|, True where kept, True where the kept value is negative)."""
    A = _matrices(A, "A", xp, square=True)
    n = A.shape[-1]
    rtol = n * xp.finfo(A.dtype).eps if rtol is None else _nonnegative_number(rtol, "rtol")
    if _is_symmetric(A, xp):
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
    A = _matrices(A, "A", xp, square=True)
    sign, logabs = xp.linalg.slogdet(A)
    if bool(xp.any(sign < 0)):
        raise ValueError(
            "A has a negative determinant: its real log-determinant is undefined (log_volume gives log|det A|)"
        )
    return xp.where(sign == 0, xp.full_like(logabs, -xp.inf), logabs)


# ------------------------------------------------------------------ spectral norm

@dataclass(frozen=True)
class SpectralNormResult:
    """The outcome of :func:`spectral_norm`.

    Attributes
    ----------
    value : array (0-D)
        :math:`\\|A v\\|` at the final unit vector ``v``: a lower bound on the
        spectral norm :math:`\\sigma_1(A)`. Differentiable (PyTorch) through the
        operator with ``v`` held fixed: for a matrix the gradient is
        :math:`u v^\\top`, that of spectral normalisation (Miyato et al. 2018).
    u, v : arrays (m,), (n,)
        Unit left and right singular vector estimates (constants, no graph); pass
        ``v`` back as ``v0`` to continue the iteration (persistent power iteration).
    n_iter : int
        Power iterations run (each one ``matvec`` and one ``rmatvec``).
    converged : bool
        Whether the residual fell to ``tol``; always False when ``tol`` is None.
    residual : float
        :math:`\\|A^\\top u - \\sigma v\\| / \\sigma` at the last iteration: some
        singular value :math:`\\sigma_j` of A satisfies
        :math:`|\\sigma_j^2 - \\sigma^2| \\le \\sigma^2 \\cdot \\mathrm{residual}`.
    """

    value: Array
    u: Array
    v: Array
    n_iter: int
    converged: bool
    residual: float


def _norm(x: Array, xp: Namespace) -> Array:
    return xp.linalg.vector_norm(x)


def spectral_norm(
    matvec: Operator | Array,
    rmatvec: Operator | None = None,
    shape: tuple[int, int] | None = None,
    *,
    n_iter: int = 1000,
    tol: float | None = 1e-4,
    seed: Seed = None,
    v0: Array | None = None,
    like: Array | None = None,
    on_fail: str = "warn",
) -> SpectralNormResult:
    r"""Largest singular value of a matrix or an implicit operator, by power iteration.

    .. math::

        v_{t+1} = \frac{A^\top A v_t}{\|A^\top A v_t\|}, \qquad
        \sigma = \|A v_t\| \;\uparrow\; \sigma_1(A) = \|A\|_2 ,

    as in spectral normalisation (Miyato et al., ICLR 2018, arXiv 1802.05957, which
    runs one iteration per training step from the previous ``v``) and in the
    Lipschitz constraint of invertible ResNets (Behrmann et al. 2019).

    Parameters
    ----------
    matvec : callable or array (m, n)
        ``v -> A v`` for vectors of shape (n,); or the matrix ``A`` itself (then
        ``rmatvec`` and ``shape`` are taken from it and must be None).
    rmatvec : callable
        ``u -> A^T u`` for vectors of shape (m,) (for autograd users: a
        vector-Jacobian product).
    shape : (int, int)
        ``(m, n)``.
    n_iter : int
        Most iterations; the convergence rate is :math:`(\sigma_2/\sigma_1)^2` per
        iteration.
    tol : float or None
        Stop when the residual :math:`\|A^\top u - \sigma v\|/\sigma` is at most
        ``tol``. None runs exactly ``n_iter`` iterations without a convergence test
        (spectral normalisation's one step). The value's relative error is about
        ``residual**2`` divided by the relative gap :math:`1 - \sigma_2^2/\sigma_1^2`
        (a Rayleigh quotient), so the default 1e-4 gives about 1e-8 on a gap of 1.
    seed : int or numpy.random.Generator, optional
        Source of the Gaussian start vector (ignored when ``v0`` is given).
    v0 : array (n,), optional
        Start vector (e.g. the previous ``result.v``).
    like : array, optional
        An array whose namespace, dtype and device the vectors take when ``A`` is
        implicit (default: NumPy float64); ignored when ``v0`` or a matrix is given.
    on_fail : {"warn", "raise"}
        What happens when ``tol`` is not reached within ``n_iter`` iterations.

    Returns
    -------
    SpectralNormResult
        ``value`` (a lower bound on :math:`\|A\|_2`, differentiable), ``u``, ``v``,
        ``n_iter``, ``converged``, ``residual``.

    Notes
    -----
    Each iteration costs one ``matvec`` and one ``rmatvec`` (O(mn) for a matrix)
    and one host synchronisation (the convergence test). Power iteration finds
    :math:`\sigma_1` from almost every start vector, but no residual can prove that
    the singular value found is the largest: a start vector (nearly) orthogonal to
    the top singular vector converges to a smaller one. The iterations run on
    constants (no autograd graph); only the final :math:`\|A v\|` is recorded.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[3.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    >>> r = spectral_norm(A, seed=0)
    >>> round(float(r.value), 8), r.converged
    (3.0, True)
    >>> r = spectral_norm(lambda x: A @ x, lambda y: A.T @ y, (3, 2), seed=0)
    >>> round(float(r.value), 8)
    3.0
    """
    matvec, rmatvec, (m, n), like, xp = _operator_pair(matvec, rmatvec, shape, like)
    n_iter = v.check_positive_int(n_iter, "n_iter")
    tol = None if tol is None else _nonnegative_number(tol, "tol")
    on_fail = v.choice(on_fail, "on_fail", ("warn", "raise"))
    if v0 is None:
        start = from_numpy(default_rng(seed).standard_normal(n), like, xp)
    else:
        start = v.as_float(v.as_array(v0, "v0", xp), xp, like.dtype)
        if tuple(start.shape) != (n,):
            raise ValueError(f"v0 must have shape ({n},), got {tuple(start.shape)}")
        v.check_finite(start, "v0", xp)
    norm = float(_norm(start, xp))
    if norm == 0:
        raise ValueError("v0 must be a nonzero vector")
    x = constant(start, xp) / norm
    converged, residual, it = False, math.inf, 0
    for it in range(1, n_iter + 1):
        y = _apply(matvec, x, (m,), "matvec", xp)
        sigma = float(_norm(y, xp))
        if sigma == 0:  # A x = 0 for a random x: A = 0 (almost surely)
            converged, residual = True, 0.0
            break
        z = _apply(rmatvec, y / sigma, (n,), "rmatvec", xp)
        residual = float(_norm(z - sigma * x, xp)) / sigma
        x = z / _norm(z, xp)
        if tol is not None and residual <= tol:
            converged = True
            break
    y = matvec(x)
    value = _norm(y, xp)
    scale = float(constant(value, xp))
    u = constant(y, xp) / scale if scale > 0 else xp.zeros_like(constant(y, xp))
    if tol is not None and not converged:
        message = f"spectral_norm: residual {residual:.3g} > tol = {tol:g} after n_iter = {n_iter} iterations"
        if on_fail == "raise":
            raise RuntimeError(message)
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    return SpectralNormResult(value, u, x, it, converged, residual)


def _operator_pair(matvec, rmatvec, shape, like):
    """(matvec, rmatvec, (m, n), like, xp) from a matrix or from two callables."""
    if is_array(matvec) or isinstance(matvec, (list, tuple)):
        if rmatvec is not None or shape is not None:
            raise ValueError("rmatvec and shape are read from the matrix: pass None for both")
        xp = namespace(matvec)
        A = _matrices(matvec, "matvec", xp)
        if A.ndim != 2:
            raise ValueError(f"matvec must be a matrix (m, n) or a callable, got shape {tuple(A.shape)}")
        At = xp.matrix_transpose(A)
        return (lambda x: A @ x), (lambda y: At @ constant(y, xp)), tuple(A.shape), A, xp
    if not callable(matvec):
        raise TypeError(f"matvec must be a callable or a matrix, got {type(matvec).__name__}")
    if not callable(rmatvec):
        raise TypeError("rmatvec must be a callable u -> A^T u when matvec is a callable")
    if not (isinstance(shape, tuple) and len(shape) == 2):
        raise ValueError(f"shape must be a pair (m, n) of positive integers, got {shape!r}")
    m, n = v.check_positive_int(shape[0], "shape[0]"), v.check_positive_int(shape[1], "shape[1]")
    like, xp = _like(like)
    return matvec, rmatvec, (m, n), like, xp


def _like(like: object) -> tuple[Array, Namespace]:
    if like is None:
        return np.zeros(0), namespace(np.zeros(0))
    if not is_array(like):
        raise TypeError(f"like must be an array (whose namespace, dtype and device the probes take), got {like!r}")
    xp = namespace(like)
    if not xp.isdtype(like.dtype, "real floating"):
        raise TypeError(f"like must have a real floating dtype, got {like.dtype}")
    return like, xp


def _apply(op: Operator, x: Array, shape: tuple[int, ...], name: str, xp: Namespace) -> Array:
    """``op(x)`` out of the graph, checked to have the expected shape and be finite."""
    y = op(x)
    if not is_array(y) or tuple(y.shape) != shape:
        got = tuple(y.shape) if is_array(y) else type(y).__name__
        raise ValueError(f"{name} must return an array of shape {shape}, got {got}")
    y = constant(y, xp)
    v.check_finite(y, f"the output of {name}", xp)
    return y


# ------------------------------------------------------- log det(I + J) estimators

def _jacobian_operator(jvp, vjp, dim, like, lipschitz):
    """(op acting on (p, *dim) stacks of probes, dim, batch shape, like, xp)."""
    if is_array(jvp) or isinstance(jvp, (list, tuple)):
        if vjp is not None or dim is not None:
            raise ValueError("vjp and dim are read from the matrix J: pass None for both")
        xp = namespace(jvp)
        J = _matrices(jvp, "J", xp, square=True)
        norm = float(xp.max(xp.linalg.matrix_norm(constant(J, xp), ord=2)))
        if norm >= 1:
            raise ValueError(f"J has spectral norm {norm:.6g} >= 1: the log-det series needs Lip(J) = ||J||_2 < 1")
        if lipschitz is not None:
            _lipschitz(lipschitz)
        op = lambda V: xp.squeeze(J @ V[..., None], axis=-1)  # noqa: E731 - stacks of probes at once
        return op, tuple(J.shape[:-1]), J, xp, True
    op = jvp if jvp is not None else vjp
    if op is None:
        raise TypeError("pass jvp (v -> J v) or vjp (v -> J^T v), or the matrix J as jvp")
    if not callable(op):
        raise TypeError(f"jvp and vjp must be callables or a matrix, got {type(op).__name__}")
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
        dim = (v.check_positive_int(dim, "dim"),)
    elif isinstance(dim, tuple) and dim:
        dim = tuple(v.check_positive_int(d, "dim") for d in dim)
    else:
        raise ValueError(f"dim must be a positive integer or a tuple of them (the shape of J's input), got {dim!r}")
    if lipschitz is not None:
        _lipschitz(lipschitz)
    like, xp = _like(like)
    return op, dim, like, xp, False


def _lipschitz(lipschitz: object) -> None:
    L = _nonnegative_number(lipschitz, "lipschitz")
    if L >= 1:
        raise ValueError(f"lipschitz = {L:g} >= 1: the log-det series converges only for Lip(J) < 1")


def _probes(rng: np.random.Generator, shape: tuple[int, ...], kind: str) -> np.ndarray:
    if kind == "rademacher":
        return rng.integers(0, 2, size=shape).astype(np.float64) * 2 - 1
    return rng.standard_normal(shape)


def _hutchinson(op, stacked: bool, dims, like, xp, coefs: np.ndarray, V: np.ndarray) -> Array:
    """Mean over probes p of sum_k coefs[p, k-1] v_p^T J^k v_p, shape dims[:-1].

    ``coefs`` is (P, K): the series coefficient of term k for probe p (0 beyond the
    probe's number of terms)."""
    P, K = coefs.shape
    total = None
    if stacked and K > 0:
        Vx = from_numpy(V, like, xp)
        W, C = Vx, from_numpy(coefs, like, xp)
        for k in range(K):
            W = op(W)
            c = xp.reshape(C[:, k], (P,) + (1,) * (len(dims) - 1))
            term = c * xp.sum(W * Vx, axis=-1)
            total = term if total is None else total + term
        return xp.sum(total, axis=0) / P
    for p in range(P):
        vp = from_numpy(V[p], like, xp)
        w = vp
        last = int(np.max(np.nonzero(coefs[p])[0], initial=-1)) + 1
        for k in range(last):
            w = op(w)
            if not is_array(w) or tuple(w.shape) != dims:
                raise ValueError(f"jvp/vjp must map arrays of shape {dims} to the same shape, got "
                                 f"{tuple(w.shape) if is_array(w) else type(w).__name__}")
            term = float(coefs[p, k]) * xp.sum(w * vp, axis=-1)
            total = term if total is None else total + term
    if total is None:
        return xp.zeros(dims[:-1], dtype=like.dtype, device=device(like))
    return total / P


def _series_args(n_probes, probe, seed):
    n_probes = v.check_positive_int(n_probes, "n_probes")
    probe = v.choice(probe, "probe", ("rademacher", "gaussian"))
    return n_probes, probe, default_rng(seed)


def logdet_series(
    jvp: Operator | Array,
    vjp: Operator | None = None,
    dim: int | tuple[int, ...] | None = None,
    *,
    n_terms: int = 10,
    n_probes: int = 1,
    seed: Seed = None,
    lipschitz: float | None = None,
    probe: str = "rademacher",
    like: Array | None = None,
) -> Array:
    r"""Truncated power-series estimate of :math:`\log\det(I + J)` with Hutchinson probes.

    .. math::

        \log\det(I + J) = \sum_{k \ge 1} \frac{(-1)^{k+1}}{k} \operatorname{tr}(J^k)
        \approx \frac1P \sum_{p=1}^P \sum_{k=1}^{n} \frac{(-1)^{k+1}}{k}\,
        v_p^\top J^k v_p, \qquad \mathbb E[v v^\top] = I,

    the estimator of invertible ResNets (Behrmann et al., ICML 2019, arXiv
    1811.00995, Thm. 3), valid for :math:`\mathrm{Lip}(J) = \|J\|_2 < 1`.

    Parameters
    ----------
    jvp : callable or array
        ``v -> J v`` on arrays of shape ``dim``; or the explicit ``J`` of shape
        (..., d, d) (then ``vjp`` and ``dim`` must be None, ``dim`` is
        ``J.shape[:-1]``, all probes are applied at once, and
        :math:`\|J\|_2 \ge 1` raises ``ValueError``).
    vjp : callable, optional
        ``v -> J^T v``, used when ``jvp`` is None (reverse-mode autodiff gives it:
        :math:`v^\top (J^\top)^k v = v^\top J^k v`).
    dim : int or tuple of int
        Shape of the vectors J acts on. A tuple ``(b, d)`` means a batch of b
        Jacobians acting row by row (the per-sample Jacobians of a residual block
        on a batch): one estimate per row.
    n_terms : int
        Number n of series terms (i-ResNet used 1 to 10).
    n_probes : int
        Number P of probe vectors (i-ResNet used 1 per sample).
    seed : int or numpy.random.Generator, optional
        Source of the probes.
    lipschitz : float, optional
        A known bound on :math:`\mathrm{Lip}(J)`; ``>= 1`` raises ``ValueError``.
    probe : {"rademacher", "gaussian"}
        Probe distribution. Both are unbiased; Rademacher (entries +-1) has the
        smaller variance, :math:`2\sum_{i \ne j} S_{ij}^2` against
        :math:`2\|S\|_F^2` for Gaussian, with S the symmetric part of the truncated
        series matrix.
    like : array, optional
        Namespace, dtype and device of the probes when J is implicit (default NumPy
        float64).

    Returns
    -------
    array (dim[:-1])
        The estimate (0-D for an integer ``dim``), differentiable through ``jvp``
        when it is (build it with ``create_graph=True``).

    Notes
    -----
    Bias (truncation): with :math:`L = \|J\|_2 < 1`,
    :math:`|\log\det(I + J) - \sum_{k \le n} (-1)^{k+1}\operatorname{tr}(J^k)/k|
    \le d \sum_{k > n} L^k / k \le d\, L^{n+1} / ((n + 1)(1 - L))`
    (Behrmann et al., Thm. 4). The Hutchinson part is unbiased for the truncated
    series, with standard error :math:`\sqrt{\mathrm{Var}/P}`. Cost: n ``jvp``
    calls per probe, O(P n d^2) for an explicit J.

    Examples
    --------
    >>> import numpy as np
    >>> J = np.diag([0.5, -0.2])  # Rademacher probes give a diagonal J's trace exactly
    >>> est = float(logdet_series(J, n_terms=60, seed=0))
    >>> round(est, 10) == round(float(np.log(1.5 * 0.8)), 10)
    True
    """
    op, dims, like, xp, stacked = _jacobian_operator(jvp, vjp, dim, like, lipschitz)
    n_terms = v.check_positive_int(n_terms, "n_terms")
    n_probes, probe, rng = _series_args(n_probes, probe, seed)
    V = _probes(rng, (n_probes,) + dims, probe)
    k = np.arange(1, n_terms + 1)
    coefs = np.repeat(((-1.0) ** (k + 1) / k)[None, :], n_probes, axis=0)
    return _hutchinson(op, stacked, dims, like, xp, coefs, V)


def logdet_roulette(
    jvp: Operator | Array,
    vjp: Operator | None = None,
    dim: int | tuple[int, ...] | None = None,
    *,
    n_exact: int = 2,
    p: float = 0.5,
    n_probes: int = 1,
    seed: Seed = None,
    lipschitz: float | None = None,
    probe: str = "rademacher",
    like: Array | None = None,
) -> Array:
    r"""Unbiased Russian-roulette estimate of :math:`\log\det(I + J)` (Residual Flows).

    .. math::

        \log\det(I + J) = \mathbb E_{N, v}\Big[\sum_{k=1}^{N}
        \frac{(-1)^{k+1}}{k}\, \frac{v^\top J^k v}{\mathbb P(N \ge k)}\Big],
        \qquad N = n_{\mathrm{exact}} + G,\ \ G \sim \mathrm{Geometric}(p)
        \text{ on } \{0, 1, \dots\},

    so :math:`\mathbb P(N \ge k) = 1` for :math:`k \le n_{\mathrm{exact}}` and
    :math:`(1 - p)^{k - n_{\mathrm{exact}}}` beyond (Chen, Behrmann, Duvenaud,
    Jacobsen, NeurIPS 2019, arXiv 1906.02735, Thm. 1). Each probe draws its own N.
    Their code (``n_exact_terms=2``, ``geom_p=0.5``, Gaussian probes) draws the tail
    length from {1, 2, ...}, so it always computes at least 3 terms: the same
    estimator as ``n_exact=3, p=0.5, probe="gaussian"`` here.

    Parameters
    ----------
    jvp, vjp, dim, n_probes, seed, lipschitz, probe, like
        As in :func:`logdet_series`.
    n_exact : int
        Terms always computed (weight 1).
    p : float
        Success probability of the geometric tail, in (0, 1); the expected number
        of terms is ``n_exact + (1 - p) / p``.

    Returns
    -------
    array (dim[:-1])
        An unbiased estimate (the series converges absolutely for
        :math:`\|J\|_2 < 1`).

    Notes
    -----
    Unbiased for any ``p``; the variance is finite when the reweighted terms are
    square-summable, :math:`\sum_k L^{2k} / (1 - p)^k < \infty`, i.e.
    :math:`L^2 < 1 - p` with :math:`L = \|J\|_2` (a sufficient condition; the
    default p = 0.5 needs L < 0.71). Cost: N ``jvp`` calls per probe, on average
    ``n_exact + (1 - p)/p``.

    Examples
    --------
    >>> import numpy as np
    >>> J = np.diag([0.5, -0.2])
    >>> est = np.mean([float(logdet_roulette(J, seed=s)) for s in range(1000)])
    >>> bool(abs(est - np.log(1.5 * 0.8)) < 0.01)  # unbiased; standard error 0.001
    True
    """
    op, dims, like, xp, stacked = _jacobian_operator(jvp, vjp, dim, like, lipschitz)
    n_exact = v.positive_int_or_zero(n_exact, "n_exact")
    p = v.fraction(p, "p")
    n_probes, probe, rng = _series_args(n_probes, probe, seed)
    V = _probes(rng, (n_probes,) + dims, probe)
    N = n_exact + rng.geometric(p, size=n_probes) - 1
    K = int(N.max())
    k = np.arange(1, K + 1)
    survival = (1 - p) ** np.clip(k - n_exact, 0, None)  # P(N >= k)
    coefs = np.where(k[None, :] <= N[:, None], ((-1.0) ** (k + 1) / k) / survival, 0.0)
    if K == 0:
        coefs = np.zeros((n_probes, 0))
    return _hutchinson(op, stacked, dims, like, xp, coefs, V)
