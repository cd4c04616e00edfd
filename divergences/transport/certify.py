"""Certified brackets around the exact transport cost: ``certify``.

Any potentials become feasible for the Kantorovich dual after a double c-transform,
so their dual value is a lower bound on OT(a, b); any nonnegative matrix rounded
onto the transport polytope U(a, b) is a feasible plan, so its cost is an upper
bound. Together they bracket the exact value whatever produced the inputs: our
solvers, POT, or a neural critic evaluated on the support.
"""

from __future__ import annotations

import warnings
from typing import Any

from .. import _validate as check
from .._backend import Array, Namespace, namespace
from .._numerics import root
from .._results import Certificate
from ._cost import DENSE_ENTRIES, bounding_diagonal, euclidean_cost
from ..entropic import sinkhorn, sinkhorn_points
from .sliced import max_sliced_wasserstein
from ._polytope import feasible_potentials, round_to_polytope

__all__ = ["BOUNDS_MAX_ITER", "Certificate", "certify", "wasserstein_bounds"]


# Iteration cap of the Sinkhorn run inside wasserstein_bounds: its bounds are valid
# at any iterate, and a capped run keeps the call's time bounded.
BOUNDS_MAX_ITER = 1000


def certify(
    M: Array,
    a: Array | None = None,
    b: Array | None = None,
    *,
    f: Array | None = None,
    g: Array | None = None,
    plan: Array | None = None,
    eps: float | None = None,
) -> Certificate:
    r"""Bracket the exact optimal transport cost from approximate potentials or plans.

    .. math::

        \langle a, \tilde f\rangle + \langle b, \tilde g\rangle
        \;\le\; \mathrm{OT}(a, b) = \min_{P \in U(a, b)} \langle M, P\rangle
        \;\le\; \langle M, R(P)\rangle

    Lower: :math:`\tilde g = f^c` (over the support of a), then
    :math:`\tilde f = \tilde g^c`, with :math:`h^c_j = \min_i M_{ij} - h_i`: the double
    c-transform makes any potentials feasible and can only raise their dual value
    (Peyre and Cuturi 2019, arXiv 1803.00567, Sec. 3.1). Upper: :math:`R` is the
    rounding of Altschuler, Weed and Rigollet (NeurIPS 2017, arXiv 1705.09634,
    Alg. 2): scale rows down to at most a, then columns down to at most b, then add
    the rank-one correction :math:`e_r e_c^\top / \|e_r\|_1` of the remaining
    marginal defects; the result lies in U(a, b) exactly.

    Parameters
    ----------
    M : array (n, m)
        Finite cost.
    a, b : arrays, optional
        Weights of equal total mass (uniform when omitted).
    f, g : arrays (n,), (m,), optional
        Potentials from any source; only one is needed (``f`` is used if both are
        given, after which ``g`` only enters the induced plan).
    plan : array (n, m), optional
        A nonnegative matrix near U(a, b) (a Sinkhorn plan, POT's, ...).
    eps : float, optional
        With potentials but no plan: the entropic scale of the induced plan
        ``a_i b_j exp((f_i + g_j - M_ij) / eps)``. Without it (and without a plan) the
        upper bound uses the independent coupling ``a b^T``.

    Returns
    -------
    Certificate
        ``lower``, ``upper``, the rounded ``plan`` and the feasible ``f``, ``g``.

    Notes
    -----
    Three to five passes over M: O(n m) time, O(n m) memory for the plan.
    Given the optimal potentials and plan of :func:`divergences.solve`,
    ``lower == upper`` to round-off.

    Examples
    --------
    >>> import numpy as np
    >>> from divergences import certify, sinkhorn
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> r = sinkhorn(M, eps=0.5)
    >>> c = certify(M, f=r.f, plan=r.plan)
    >>> float(c.lower) <= 0.0 <= float(c.upper)
    True
    """
    xp = namespace(M, a, b, f, g, plan)
    M, a, b = check.cost_and_weights(M, a, b, xp)
    n, m = M.shape
    a, b = check.balanced(a, b, xp, normalize=False)
    f = _vector(f, "f", n, M, xp)
    g = _vector(g, "g", m, M, xp)
    plan = _plan(plan, M, xp)
    if f is None and g is None and plan is None:
        raise ValueError("nothing to certify: pass potentials f or g, or a plan")
    if eps is not None:
        eps = check.positive_number(eps, "eps")
    f_ok, g_ok = feasible_potentials(f, g, M, a, b, xp)
    if plan is None:
        plan = _induced_plan(f, g, M, a, b, eps, xp)
    rounded = round_to_polytope(plan, a, b, xp)
    lower = xp.sum(a * f_ok) + xp.sum(b * g_ok)
    return Certificate(lower, xp.sum(M * rounded), rounded, f_ok, g_ok)


def _induced_plan(f, g, M, a, b, eps, xp: Namespace) -> Array:
    """The plan the potentials induce at scale eps (Gibbs), else a b^T. Infeasible
    potentials can make the exponent positive: it is shifted to <= 0 (a scale
    factor, which the rounding absorbs), so nothing overflows."""
    if eps is None or f is None or g is None:
        return a[:, None] * b[None, :]
    Z = (f[:, None] + g[None, :] - M) / eps
    top = xp.max(Z)
    return a[:, None] * b[None, :] * xp.exp(Z - xp.maximum(top, xp.zeros_like(top)))


def _vector(h, name: str, size: int, M: Array, xp: Namespace) -> Array | None:
    if h is None:
        return None
    h = check.as_float(check.as_array(h, name, xp), xp, M.dtype)
    if h.ndim != 1 or h.shape[0] != size:
        raise ValueError(f"{name} must have shape ({size},) to match M of shape {tuple(M.shape)}, got {tuple(h.shape)}")
    check.check_finite(h, name, xp)
    return h


def _plan(P, M: Array, xp: Namespace) -> Array | None:
    if P is None:
        return None
    P = check.as_float(check.as_array(P, "plan", xp), xp, M.dtype)
    if tuple(P.shape) != tuple(M.shape):
        raise ValueError(f"plan must have the shape of M {tuple(M.shape)}, got {tuple(P.shape)}")
    check.check_finite(P, "plan", xp)
    if bool(xp.any(P < 0)):
        raise ValueError("plan has negative entries: a transport plan is nonnegative")
    return P


def wasserstein_bounds(
    x: Array,
    y: Array,
    a: Array | None = None,
    b: Array | None = None,
    *,
    p: float = 2,
    eps: float | None = None,
    n_projections: int = 128,
    seed=None,
) -> tuple[Array, Array]:
    r"""A guaranteed bracket ``lower <= W_p(mu, nu) <= upper`` for large point clouds.

    - lower: the larger of the max-sliced distance (projections onto unit vectors
      are 1-Lipschitz, so every projected W_p is at most W_p) and the p-th root of
      the certified Sinkhorn lower bound (the dual value of double c-transformed
      potentials, at most OT by weak duality);
    - upper: the p-th root of the cost of the Sinkhorn plan rounded onto U(a, b)
      (a feasible plan costs at least the optimum).

    Neither side assumes the solver converged: both hold for any potentials and
    plan; convergence only makes the bracket narrow. The inner run stops at
    marginal error 1e-4 or after 1000 iterations, whichever comes first.

    Parameters
    ----------
    x, y : arrays (n, d), (m, d)
        Point clouds; ground cost ``|x - y|^p``.
    a, b : arrays, optional
        Weights of equal total mass (uniform when omitted).
    p : float
        Order, p >= 1.
    eps : float, optional
        Entropic scale of the inner Sinkhorn run, in cost units (default 1e-3 times
        the p-th power of the clouds' bounding-box diagonal). The bracket narrows
        about linearly in eps.
    n_projections, seed
        Directions of the max-sliced lower bound.

    Returns
    -------
    (lower, upper) : 0-D arrays in the caller's namespace
        Bounds on W_p itself (not W_p^p).

    Notes
    -----
    Dense Sinkhorn while the cost has at most 2^24 entries, the blockwise solver
    beyond (memory O((n + m) d + block m)).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(50, 2)), rng.normal(size=(40, 2)) + 1.0
    >>> lo, hi = wasserstein_bounds(x, y, seed=0)
    >>> from divergences import wasserstein
    >>> float(lo) <= float(wasserstein(x, y, p=2)) <= float(hi)
    True
    """
    xp = namespace(x, y, a, b)
    p = check.check_p(p)
    xs, ys, a, b = check.point_measures(x, y, a, b, xp, normalize=False)
    if eps is None:
        spread = bounding_diagonal(xs, ys, xp=xp)
        eps = 1e-3 * spread**p if spread > 0 else 1.0  # one point: every cost is 0
    opts: dict[str, Any] = dict(eps=eps, tol=1e-4, max_iter=BOUNDS_MAX_ITER)
    with warnings.catch_warnings():
        # The bracket holds whether or not the run converged: no warning is due.
        warnings.simplefilter("ignore", RuntimeWarning)
        if xs.shape[0] * ys.shape[0] <= DENSE_ENTRIES:
            r = sinkhorn(euclidean_cost(xs, ys, p, xp), a, b, **opts)
        else:
            r = sinkhorn_points(xs, ys, a, b, p=p, **opts)
    sliced = max_sliced_wasserstein(xs, ys, a, b, p=p, n_projections=n_projections, seed=seed)
    lower = xp.maximum(sliced, root(xp.maximum(r.lower, xp.zeros_like(r.lower)), p, xp))
    return lower, root(r.upper, p, xp)
