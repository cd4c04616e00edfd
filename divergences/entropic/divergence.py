"""``sinkhorn_divergence``: the debiased entropic OT of Genevay et al. and Feydy et al."""

from __future__ import annotations

import math
from typing import Any

from .. import _validate as check
from .._backend import Array, Namespace, constant, device, namespace
from ..transport._cost import DENSE_ENTRIES, euclidean_cost
from . import _online as o
from ._dense import COMPENSATED_FROM, anneal_start, entropic_dual, solve
from ._frame import Frame
from ._solver import run
from ._symmetric import SymmetricMap, dense_softmin
from ._common import SCALING, STAGE_ITER, STAGE_TOL, normalize_flag, not_converged, options
from .points import cloud_dual, cloud_problem, first_order, sinkhorn_points

__all__ = ["Frame", "METHODS", "sinkhorn_divergence"]

METHODS = ("auto", "dense", "online")


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
    normalize: bool = False,
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
        Weights of equal total mass t (uniform when omitted); S scales with t.
    eps, tol, max_iter, on_fail
        As in :func:`divergences.sinkhorn`; ``tol`` bounds the marginal error of
        each of the three solves.
    p : float
        Exponent of the Euclidean ground cost.
    normalize : bool
        Rescale a and b to probability vectors (required when their masses differ).
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
    The points are centred on their bounding box and divided by its diagonal r
    (eps by r^p), and each term is solved at unit mass, so S(s x + c, s y + c) at
    eps s^p is s^p S(x, y) at eps; for eps above the cost's range the terms are
    computed with compensated sums, so S tends to half the energy distance (p = 1)
    as eps -> inf instead of cancelling to noise. Each term is solved to marginal
    error ``tol``, so S is exact to about ``tol`` times the cost's scale: values of
    that size (negative ones included) are round-off. Identical inputs give exactly
    0, and so do clouds whose r^p lies below the dtype's smallest normal number
    (0 <= S <= r^p); an r^p that overflows is refused naming ``x, y``. The two
    self-transport terms use the symmetric update
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
    eps, tol, max_iter, on_fail = options(eps, tol, max_iter, on_fail)
    normalize = normalize_flag(normalize)
    x, y, a, b = check.point_measures(x, y, a, b, xp, normalize=normalize)
    a = check.weights(a, "a", x.shape[0], xp, x.dtype, device(x))
    b = check.weights(b, "b", y.shape[0], xp, x.dtype, device(x))
    if _same_measure(x, y, a, b, xp):  # S = 0 exactly, not up to the solvers' tolerance
        return 0.0 * (xp.sum(x) - xp.sum(y) + xp.sum(a) - xp.sum(b))
    frame = Frame.of(x, y, p, xp)
    if frame.negligible:  # 0 <= S <= max |x - y|^p <= r^p, below the smallest normal number
        return 0.0 * (xp.sum(x) - xp.sum(y) + xp.sum(a) - xp.sum(b))
    xs, ys, e = frame.points(x), frame.points(y), frame.eps(eps, x.dtype, xp)
    mass = xp.sum(a)
    a, b = a / mass, b / xp.sum(b)
    opts: dict[str, Any] = dict(eps=e, tol=tol, max_iter=max_iter, on_fail=on_fail)
    if method == "dense" or (method == "auto" and max(x.shape[0], y.shape[0]) ** 2 <= DENSE_ENTRIES):
        cross = _cross_dense(euclidean_cost(xs, ys, p, xp), a, b, xp, **opts)
        selves = [_self_dense(euclidean_cost(s, s, p, xp), w, xp, **opts) for s, w in ((xs, a), (ys, b))]
    else:
        cross = sinkhorn_points(xs, ys, a, b, p=p, **opts).entropic_value
        selves = [_self_points(s, w, p, xp, **opts) for s, w in ((xs, a), (ys, b))]
    return frame.value(mass * (cross - (selves[0] + selves[1]) / 2))


def _same_measure(x: Array, y: Array, a: Array, b: Array, xp: Namespace) -> bool:
    return x.shape == y.shape and bool(xp.all(x == y)) and bool(xp.all(a == b))


def _cross_dense(C: Array, a: Array, b: Array, xp: Namespace, *, eps, tol, max_iter, on_fail) -> Array:
    """OT_eps(a, b) for probability vectors a, b on a dense cost."""
    sol = solve(C, a, b, eps, None, tol, max_iter, None, xp, blame="x, y", unit_mass=True)
    if not sol.converged:
        not_converged(on_fail, sol.error, tol, sol.n_iter)
    return sol.entropic_value


def _self_dense(C: Array, w: Array, xp: Namespace, *, eps, tol, max_iter, on_fail) -> Array:
    """OT_eps(w, w) on a dense cost in [0, 1] with w of mass 1, differentiable in C
    and w (envelope theorem)."""
    Cc, wc = constant(C, xp), constant(w, xp)
    softmin = dense_softmin(Cc, wc, xp, compensated=eps >= COMPENSATED_FROM)
    f = _solve_symmetric(softmin, wc, xp, eps, tol, max_iter, on_fail)
    return entropic_dual(f, f, C, w, w, eps, None, xp)


def _self_points(x: Array, w: Array, p: float, xp: Namespace, *, eps, tol, max_iter, on_fail) -> Array:
    """OT_eps(w, w) on a point cloud, blockwise; gradients in x count both sides."""
    pb, live = cloud_problem(x, x, w, w, p, None, None, xp)
    softmin = lambda h, e: o.softmin(h, pb.a, pb.x, pb.x, e, 1.0, pb, cells=pb.kernel.cells_x)  # noqa: E731
    f = _solve_symmetric(softmin, pb.a, xp, eps, tol, max_iter, on_fail, blame="x, y")
    _, mass, Gx, Gy = o.transport_terms(f, f, eps, pb)
    points, weights = first_order(live, pb, (Gx, Gy, f, f), xp)
    return cloud_dual(f, f, mass, eps, pb, xp) + points + weights


def _solve_symmetric(softmin, w: Array, xp: Namespace, eps, tol, max_iter, on_fail, blame: str = "x, y") -> Array:
    """The potential of OT_eps(w, w), costs in [0, 1]."""
    make = lambda f, e: SymmetricMap(softmin, w, e, f, xp)  # noqa: E731
    out = run(make, xp.zeros_like(w), eps, tol, max_iter, anneal_start(eps), SCALING, STAGE_TOL, STAGE_ITER, blame)
    if not out.converged:
        not_converged(on_fail, out.error, tol, out.n_iter)
    return out.map.potentials(out.step)[0]
