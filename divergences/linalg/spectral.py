r"""The spectral norm by power iteration on a matrix or an implicit operator
(Miyato et al., ICLR 2018, arXiv 1802.05957)."""

from __future__ import annotations

import math
from typing import Callable

from .. import _validate as v
from .._backend import Array, Namespace, Seed, constant, default_rng, from_numpy, is_array, namespace
from .._deprecate import renamed_keywords
from .._results import SpectralNormResult

Operator = Callable[[Array], Array]

__all__ = ["SpectralNormResult", "spectral_norm"]


def _norm(x: Array, xp: Namespace) -> Array:
    return xp.linalg.vector_norm(x)


@renamed_keywords(n_iter="max_iter")
def spectral_norm(
    matvec: Operator | Array,
    rmatvec: Operator | None = None,
    shape: tuple[int, int] | None = None,
    *,
    max_iter: int = 1000,
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
    max_iter : int
        Most iterations; the convergence rate is :math:`(\sigma_2/\sigma_1)^2` per
        iteration. The former name ``n_iter`` still works, with a DeprecationWarning.
    tol : float or None
        Stop when the residual :math:`\|A^\top u - \sigma v\|/\sigma` is at most
        ``tol``. None runs exactly ``max_iter`` iterations without a convergence test
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
        What happens when ``tol`` is not reached within ``max_iter`` iterations.

    Returns
    -------
    SpectralNormResult
        ``value`` (a lower bound on :math:`\|A\|_2`, differentiable), ``u``, ``v``,
        ``n_iter`` (the iterations run), ``converged``, ``residual``.

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
    max_iter = v.check_positive_int(max_iter, "max_iter")
    tol = None if tol is None else v.nonnegative_number(tol, "tol")
    on_fail = v.on_fail(on_fail)
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
    for it in range(1, max_iter + 1):
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
        message = f"spectral_norm: residual {residual:.3g} > tol = {tol:g} after max_iter = {max_iter} iterations"
        v.report_failure(on_fail, message)
    return SpectralNormResult(value, u, x, it, converged, residual)


def _operator_pair(matvec, rmatvec, shape, like):
    """(matvec, rmatvec, (m, n), like, xp) from a matrix or from two callables."""
    if is_array(matvec) or isinstance(matvec, (list, tuple)):
        if rmatvec is not None or shape is not None:
            raise ValueError("rmatvec and shape are read from the matrix: pass None for both")
        xp = namespace(matvec)
        A = v.matrices(matvec, "matvec", xp)
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
    like, xp = v.like_array(like)
    return matvec, rmatvec, (m, n), like, xp


def _apply(op: Operator, x: Array, shape: tuple[int, ...], name: str, xp: Namespace) -> Array:
    """``op(x)`` out of the graph, checked to have the expected shape and be finite."""
    y = op(x)
    if not is_array(y) or tuple(y.shape) != shape:
        got = tuple(y.shape) if is_array(y) else type(y).__name__
        raise ValueError(f"{name} must return an array of shape {shape}, got {got}")
    y = constant(y, xp)
    v.check_finite(y, f"the output of {name}", xp)
    return y
