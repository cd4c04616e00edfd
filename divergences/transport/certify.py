"""Certified brackets around the exact transport cost: ``certify``.

Any potentials become feasible for the Kantorovich dual after a double c-transform,
so their dual value is a lower bound on OT(a, b); any nonnegative matrix rounded
onto the transport polytope U(a, b) is a feasible plan, so its cost is an upper
bound. Together they bracket the exact value whatever produced the inputs: our
solvers, POT, or a neural critic evaluated on the support.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from .. import _validate as check
from .._backend import Array, Namespace, namespace
from .._numerics import binary_scale, ldexp, root, sum_error_bound, unit_roundoff
from .._results import Certificate
from ..entropic import sinkhorn, sinkhorn_points
from ._cost import DENSE_ENTRIES, bounding_diagonal, euclidean_cost
from ._polytope import feasible_potentials, round_to_polytope
from .sliced import max_sliced_wasserstein

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
    normalize: bool = False,
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
    normalize : bool
        Rescale ``a`` and ``b`` to unit mass instead of rejecting unequal masses.

    Returns
    -------
    Certificate
        ``lower``, ``upper``, the rounded ``plan`` and the feasible ``f``, ``g``.

    Notes
    -----
    The bracket holds in floating point, not only in exact arithmetic. The problem
    is rescaled exactly (powers of two) to ``max |M|`` and mass in [1/2, 1); the given
    potential is centred (with equal masses a constant moved from f to g leaves the
    dual value unchanged, and a large offset would cost its digits in the sums);
    then each bound is moved outward by an a-priori bound on its round-off in the
    caller's dtype (u its unit round-off, :math:`\gamma_k = k u / (1 - k u)`):
    :math:`\gamma_{n+m+1} \sum |a_i f_i| + |b_j g_j|` plus :math:`2 u \sum |a_i f_i|`
    (the c-transform's rounding) below, :math:`\gamma_{nm+1} \sum |M_{ij} R_{ij}|` plus
    twice the l1 marginal defect of R times ``max |M|`` above. Units: those of M times
    the mass (bounds for masses t a, t b and cost s M are s t times those of
    (M, a, b)). A positive upper bound never underflows to 0.

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
    a, b = check.balanced(a, b, xp, normalize)
    f = _vector(f, "f", n, M, xp)
    g = _vector(g, "g", m, M, xp)
    plan = _plan(plan, M, xp)
    if f is None and g is None and plan is None:
        raise ValueError("nothing to certify: pass potentials f or g, or a plan")
    if eps is not None:
        eps = check.positive_number(eps, "eps")
    # Exact rescaling by powers of two: max |M| and the mass land in [1/2, 1), so no
    # product under- or overflows (tiny masses) and nothing is rounded.
    ec, em = binary_scale(M, xp=xp), binary_scale(xp.sum(a), xp=xp)
    M, a = ldexp(M, -ec), ldexp(a, -em)
    b = ldexp(b, -em) * (xp.sum(a) / xp.sum(ldexp(b, -em)))  # the masses agree exactly
    f, g = (None if h is None else ldexp(h, -ec) for h in (f, g))
    plan = None if plan is None else ldexp(plan, -em)
    eps = None if eps is None else math.ldexp(eps, -ec)
    f_ok, g_ok = feasible_potentials(f, g, M, a, b, xp)
    if plan is None:
        plan = _induced_plan(f, g, M, a, b, eps, xp)
    rounded = round_to_polytope(plan, a, b, xp)
    lower, upper = _widened_bounds(M, a, b, f_ok, g_ok, rounded, xp)
    # Mapping back by 2^(ec + em) is exact unless it lands below the normal range;
    # there each of its two products rounds by at most one subnormal step.
    info = xp.finfo(M.dtype)
    step = 2 * float(info.smallest_normal) * float(info.eps)
    return Certificate(
        ldexp(lower, ec + em) - step, ldexp(upper, ec + em) + step,
        ldexp(rounded, em), ldexp(f_ok, ec), ldexp(g_ok, ec),
    )


def _widened_bounds(M, a, b, f, g, R, xp: Namespace) -> tuple[Array, Array]:
    """The dual value of (f, g) and the cost of R, each moved outward by an a-priori
    bound on its floating-point error, so that lower <= OT(a, b) <= upper holds for
    the computed numbers (masses in [1/2, 1), max |M| in [1/2, 1)).

    - sums: gamma_{k+1} sum_k |t_k| (Higham 2002, Eq. 4.4 and Lemma 3.1);
    - feasibility: the c-transform computes f_i = min_j fl(M_ij - g_j), which can
      exceed the exact minimum by u |f_i|; lowering f by that much restores
      f_i + g_j <= M_ij and costs u sum_i a_i |f_i| (doubled for safety);
    - marginals: R is in U(a, b) up to round-off; a plan whose marginals are off by
      delta (in l1) costs at most 2 delta max |M| more than its rounding onto U(a, b)
      (Altschuler, Weed and Rigollet 2017, Lemma 7).
    """
    dtype = M.dtype
    u = unit_roundoff(xp, dtype)
    n, m = M.shape
    af, bg = a * f, b * g
    lower = xp.sum(af) + xp.sum(bg)
    abs_dual = float(xp.sum(xp.abs(af)) + xp.sum(xp.abs(bg)))
    down = sum_error_bound(n + m, abs_dual, xp, dtype) + 2 * u * float(xp.sum(xp.abs(af)))
    MR = M * R
    upper = xp.sum(MR)
    defect = float(xp.sum(xp.abs(xp.sum(R, axis=1) - a)) + xp.sum(xp.abs(xp.sum(R, axis=0) - b)))
    # the defect is itself a computed sum of sums: bound its error by that of the mass
    defect += 2 * sum_error_bound(n * m + n + m, 1.0, xp, dtype)
    up = sum_error_bound(n * m, float(xp.sum(xp.abs(MR))), xp, dtype) + 2 * defect * float(xp.max(xp.abs(M)))
    return lower - down * (1 + 4 * u), upper + up * (1 + 4 * u)


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
    normalize: bool = False,
) -> tuple[Array, Array]:
    r"""A guaranteed bracket ``lower <= W_p(mu, nu) <= upper`` for large point clouds.

    - lower: the larger of the max-sliced distance (projections onto unit vectors
      are 1-Lipschitz, so every projected W_p is at most W_p) and the p-th root of
      the certified Sinkhorn lower bound (the dual value of double c-transformed
      potentials, at most OT by weak duality);
    - upper: the p-th root of the cost of the Sinkhorn plan rounded onto U(a, b)
      (a feasible plan costs at least the optimum).

    The clouds are rescaled exactly (by a power of two) to a bounding box of
    diagonal in [1/2, 1], so the bracket is scale-equivariant and no cost overflows
    at any p; the dense bracket comes from :func:`certify` (round-off included) and
    the p-th roots are moved outward by 2u. Neither side assumes the solver converged: both hold for any potentials and
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
    normalize : bool
        Rescale ``a`` and ``b`` to unit mass instead of rejecting unequal masses.

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
    xs, ys, a, b = check.point_measures(x, y, a, b, xp, normalize=normalize)
    if eps is not None:
        eps = check.positive_number(eps, "eps")
    # Exact power-of-two scaling to a bounding box of diagonal in [1/2, 1]: every
    # cost |x - y|^p lies in [0, 1] at every p and scale; W_p maps back by 2^e.
    e = binary_scale(xs, ys, xp=xp)
    e += math.frexp(bounding_diagonal(ldexp(xs, -e), ldexp(ys, -e), xp=xp))[1]
    xs, ys = ldexp(xs, -e), ldexp(ys, -e)
    if eps is None:
        spread = bounding_diagonal(xs, ys, xp=xp)
        eps = 1e-3 * spread**p if spread > 0 else 1e-3  # one point: every cost is 0
    else:
        eps = _relative_eps(eps, e, p)
    if eps == 0.0:
        raise ValueError(f"p = {p:g} is too large: the default eps underflows; pass eps explicitly")
    opts: dict[str, Any] = dict(eps=eps, tol=1e-4, max_iter=BOUNDS_MAX_ITER)
    with warnings.catch_warnings():
        # The bracket holds whether or not the run converged: no warning is due.
        warnings.simplefilter("ignore", RuntimeWarning)
        if xs.shape[0] * ys.shape[0] <= DENSE_ENTRIES:
            C = euclidean_cost(xs, ys, p, xp)
            run = sinkhorn(C, a, b, **opts)
            bracket = certify(C, a, b, f=run.f, plan=run.plan)
            lower_pp, upper_pp = bracket.lower, bracket.upper
        else:
            run = sinkhorn_points(xs, ys, a, b, p=p, **opts)
            lower_pp, upper_pp = run.lower, run.upper
    sliced = max_sliced_wasserstein(xs, ys, a, b, p=p, n_projections=n_projections, seed=seed)
    # p-th roots round by at most u relative: step outward by 2u
    u = unit_roundoff(xp, xs.dtype)
    lower = xp.maximum(sliced, root(xp.maximum(lower_pp, xp.zeros_like(lower_pp)), p, xp)) * (1 - 2 * u)
    upper = root(upper_pp, p, xp) * (1 + 2 * u)
    return ldexp(lower, e), ldexp(upper, e)


def _relative_eps(eps: float, e: int, p: float) -> float:
    """eps / 2^(e p): the caller's eps in the units of the rescaled costs."""
    log2 = math.log2(eps) - e * p
    if not -1000 < log2 < 1000:
        raise ValueError(f"eps = {eps!r} is out of range relative to the costs |x - y|^p (about 2^{e * p:.0f})")
    return 2.0**log2
