r"""Stochastic estimators of :math:`\log\det(I + J)` for Lip(J) < 1: the truncated
power series of invertible ResNets (Behrmann et al., ICML 2019, arXiv 1811.00995)
and the Russian-roulette series of Residual Flows (Chen et al., NeurIPS 2019,
arXiv 1906.02735)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from .. import _validate as v
from .._backend import Array, Seed, constant, default_rng, device, from_numpy, is_array, namespace
from .._deprecate import renamed_keywords

Operator = Callable[[Array], Array]

__all__ = ["logdet_roulette", "logdet_series"]


def _jacobian_operator(jvp, vjp, dim, like, lipschitz):
    """(op acting on (p, *dim) stacks of probes, dim, batch shape, like, xp)."""
    if is_array(jvp) or isinstance(jvp, (list, tuple)):
        if vjp is not None or dim is not None:
            raise ValueError("vjp and dim are read from the matrix J: pass None for both")
        xp = namespace(jvp)
        J = v.matrices(jvp, "J", xp, square=True)
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
    like, xp = v.like_array(like)
    return op, dim, like, xp, False


def _lipschitz(lipschitz: object) -> None:
    L = v.nonnegative_number(lipschitz, "lipschitz")
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


@renamed_keywords(p="stop_prob")
def logdet_roulette(
    jvp: Operator | Array,
    vjp: Operator | None = None,
    dim: int | tuple[int, ...] | None = None,
    *,
    n_exact: int = 2,
    stop_prob: float = 0.5,
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
    estimator as ``n_exact=3, stop_prob=0.5, probe="gaussian"`` here.

    Parameters
    ----------
    jvp, vjp, dim, n_probes, seed, lipschitz, probe, like
        As in :func:`logdet_series`.
    n_exact : int
        Terms always computed (weight 1).
    stop_prob : float
        Success probability p of the geometric tail, in (0, 1); the expected number
        of terms is ``n_exact + (1 - p) / p``. The former name ``p`` still works,
        with a DeprecationWarning.

    Returns
    -------
    array (dim[:-1])
        An unbiased estimate (the series converges absolutely for
        :math:`\|J\|_2 < 1`).

    Notes
    -----
    Unbiased for any ``stop_prob`` = p; the variance is finite when the reweighted terms are
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
    p = v.fraction(stop_prob, "stop_prob")
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
