"""``sinkhorn_divergence``: the debiased entropic OT of Genevay et al. and Feydy et al."""

from __future__ import annotations

from .. import _validate as check
from .._backend import Array, Namespace, constant, device, namespace
from ..transport._cost import bounding_diagonal, euclidean_cost
from . import _online as o
from ._solver import run
from ._symmetric import SymmetricMap, dense_softmin
from .points import _dual, _first_order, _problem, sinkhorn_points
from .sinkhorn import ON_FAIL, SCALING, STAGE_ITER, STAGE_TOL, _fail, entropic_dual, sinkhorn

METHODS = ("auto", "dense", "online")
# "auto" builds the three cost matrices while the largest has at most this many
# entries (128 MB in float64), and streams them beyond.
DENSE_ENTRIES = 2**24


def sinkhorn_divergence(
    x: Array,
    y: Array,
    a: Array | None = None,
    b: Array | None = None,
    *,
    eps: float,
    p: float = 2,
    tol: float = 1e-6,
    max_iter: int = 10_000,
    method: str = "auto",
    on_fail: str = "warn",
) -> Array:
    r"""Sinkhorn divergence between two point clouds.

    .. math::

        S_\varepsilon(\alpha, \beta) = \mathrm{OT}_\varepsilon(\alpha, \beta)
        - \tfrac12 \mathrm{OT}_\varepsilon(\alpha, \alpha)
        - \tfrac12 \mathrm{OT}_\varepsilon(\beta, \beta)

    with :math:`\mathrm{OT}_\varepsilon` the entropic cost of
    :func:`divergences.sinkhorn` for :math:`C = \|x - y\|^p` (Genevay, Peyre, Cuturi,
    AISTATS 2018, arXiv 1706.00292; Feydy et al., AISTATS 2019, arXiv 1810.08278).
    For p = 1 and p = 2 the kernel :math:`e^{-C/\varepsilon}` is positive definite,
    and then :math:`S_\varepsilon \ge 0` with equality iff :math:`\alpha = \beta`
    (Feydy et al., Thm 1); it tends to :math:`W_p^p` as eps -> 0 and to an MMD as
    eps -> inf. Other p are accepted, without the sign guarantee.

    Parameters
    ----------
    x, y : arrays (n, d), (m, d) or (n,), (m,)
        The two point clouds.
    a, b : arrays, optional
        Weights of equal total mass (uniform when omitted).
    eps, tol, max_iter, on_fail
        As in :func:`divergences.sinkhorn`; ``tol`` bounds the marginal error of
        each of the three solves.
    p : float
        Exponent of the Euclidean ground cost.
    method : {"auto", "dense", "online"}
        Dense cost matrices (fast kernel iterations) or blockwise streaming
        (:func:`divergences.sinkhorn_points`, memory O(n + m)); ``"auto"`` streams
        once a cost matrix would exceed 2^24 entries.

    Returns
    -------
    array (0-D)
        :math:`S_\varepsilon`, in the units of the cost (W_p^p, not W_p), in the
        caller's namespace; PyTorch gradients through the three sets of potentials
        (envelope theorem).

    Notes
    -----
    Each term is solved to marginal error ``tol``, so S is exact to about
    ``tol`` times the cost's scale: values of that size (negative ones included)
    are round-off; identical inputs give exactly 0. The two self-transport terms use the symmetric update
    f <- (f + softmin(f)) / 2 (Feydy et al. 2019, Sec. 3.1), which converges in a
    few iterations where alternating Sinkhorn crawls on nearly diagonal plans.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0, 0.0], [1.0, 1.0]])
    >>> float(sinkhorn_divergence(x, x, eps=0.1)) == 0.0
    True
    """
    xp = namespace(x, y, a, b)
    method = check.choice(method, "method", METHODS)
    p = check.check_p(p)
    x, y, a, b = check.point_measures(x, y, a, b, xp, normalize=False)
    a = check.weights(a, "a", x.shape[0], xp, x.dtype, device(x))
    b = check.weights(b, "b", y.shape[0], xp, x.dtype, device(x))
    opts = dict(eps=eps, tol=tol, max_iter=max_iter, on_fail=on_fail)
    if _same_measure(x, y, a, b, xp):  # S = 0 exactly, not up to the solvers' tolerance
        check.positive_number(eps, "eps")
        return 0.0 * (xp.sum(x) - xp.sum(y) + xp.sum(a) - xp.sum(b))
    if method == "dense" or (method == "auto" and max(x.shape[0], y.shape[0]) ** 2 <= DENSE_ENTRIES):
        cross = sinkhorn(euclidean_cost(x, y, p, xp), a, b, **opts).entropic_value
        selves = [_self_dense(euclidean_cost(s, s, p, xp), w, xp, **opts) for s, w in ((x, a), (y, b))]
    else:
        cross = sinkhorn_points(x, y, a, b, p=p, **opts).entropic_value
        selves = [_self_points(s, w, p, xp, **opts) for s, w in ((x, a), (y, b))]
    return cross - (selves[0] + selves[1]) / 2


def _same_measure(x: Array, y: Array, a: Array, b: Array, xp: Namespace) -> bool:
    return x.shape == y.shape and bool(xp.all(x == y)) and bool(xp.all(a == b))


def _self_dense(C: Array, w: Array, xp: Namespace, *, eps, tol, max_iter, on_fail) -> Array:
    """OT_eps(w, w) on a dense cost, differentiable in C and w (envelope theorem)."""
    Cc, wc = constant(C, xp), constant(w, xp)
    f = _solve_symmetric(dense_softmin(Cc, wc, xp), wc, float(xp.max(Cc) - xp.min(Cc)),
                         xp, eps, tol, max_iter, on_fail)
    return entropic_dual(f, f, C, w, w, eps, None, xp)


def _self_points(x: Array, w: Array, p: float, xp: Namespace, *, eps, tol, max_iter, on_fail) -> Array:
    """OT_eps(w, w) on a point cloud, blockwise; gradients in x count both sides."""
    pb, live = _problem(x, x, w, w, p, None, None, xp)
    softmin = lambda h, e: o.softmin(h, pb.a, pb.x, pb.x, e, 1.0, pb)  # noqa: E731
    spread = bounding_diagonal(pb.x, xp=xp) ** p
    f = _solve_symmetric(softmin, pb.a, spread, xp, eps, tol, max_iter, on_fail)
    _, mass, Gx, Gy = o.transport_terms(f, f, eps, pb)
    points, weights = _first_order(live, pb, (Gx, Gy, f, f), xp)
    return _dual(f, f, mass, eps, pb, xp) + points + weights


def _solve_symmetric(softmin, w: Array, spread: float, xp: Namespace, eps, tol, max_iter, on_fail) -> Array:
    eps = check.positive_number(eps, "eps")
    tol = check.positive_number(tol, "tol")
    max_iter = check.positive_int_or_zero(max_iter, "max_iter")
    on_fail = check.choice(on_fail, "on_fail", ON_FAIL)
    make = lambda f, e: SymmetricMap(softmin, w, e, f, xp)  # noqa: E731
    out = run(make, xp.zeros_like(w), eps, tol, max_iter, max(eps, spread), SCALING, STAGE_TOL, STAGE_ITER)
    if not out.converged:
        _fail(on_fail, out.error, tol, out.n_iter)
    return out.map.potentials(out.step)[0]
