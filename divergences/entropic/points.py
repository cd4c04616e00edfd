"""``sinkhorn_points``: entropic OT between point clouds, never forming the cost."""

from __future__ import annotations

import math
from dataclasses import replace

from .. import _validate as check
from .._backend import Array, Namespace, block_scale, constant, device, namespace
from .._results import TransportResult
from ..transport._cost import euclidean_cost
from . import _multiscale as ms
from . import _online as o
from ._common import SCALING, STAGE_ITER, STAGE_TOL, dual, normalize_flag, not_converged, options, penalty
from ._frame import Frame
from ._units import Units
from .sinkhorn import sinkhorn

__all__ = ["BLOCK_ENTRIES", "cloud_dual", "cloud_problem", "cloud_units", "first_order", "sinkhorn_points"]

BLOCK_ENTRIES = o.BLOCK_ENTRIES

METHODS = ("auto", "online", "multiscale", "dense")
# The "auto" rule: multiscale from 2^26 pairs (8192 x 8192) at eps <= 1e-2 diameter^p.
MULTISCALE_PAIRS, MULTISCALE_EPS = 2**26, 1e-2

def sinkhorn_points(
    x: Array,
    y: Array,
    a: Array | None = None,
    b: Array | None = None,
    *,
    eps: float,
    p: float = 2,
    tol: float = 1e-6,
    max_iter: int = 10_000,
    unbalanced: float | None = None,
    block_size: int | None = None,
    method: str = "auto",
    on_fail: str = "warn",
    normalize: bool = False,
) -> TransportResult:
    r"""Entropic OT between point clouds with the cost computed on the fly.

    Solves the problem of :func:`divergences.sinkhorn` for the ground cost
    :math:`C_{ij} = \|x_i - y_j\|_2^p` without materialising the n x m matrix:
    every log-sum-exp (the soft c-transforms
    :math:`f_i = -\varepsilon \log \sum_j b_j e^{(g_j - C_{ij})/\varepsilon}` and its
    twin) is accumulated over blocks of rows (the "online" mode of GeomLoss/KeOps,
    Feydy et al. 2019, arXiv 1810.08278), with the same epsilon-scaling and
    safeguarded Anderson acceleration as the dense solver.

    Parameters
    ----------
    x, y : arrays (n, d), (m, d) or (n,), (m,)
        The two point clouds.
    a, b, eps, tol, max_iter, unbalanced, on_fail
        As in :func:`divergences.sinkhorn`.
    p : float
        Exponent of the Euclidean ground cost, p >= 1.
    normalize : bool
        Rescale a and b to probability vectors (required when balanced masses differ).
    block_size : int, optional
        Rows of the cost evaluated at once (default: about 2^18 entries a block on
        the CPU, 256 times that on a GPU, where larger blocks amortise the kernel
        launches); memory is O((n + m) d + block_size m).
    method : {"auto", "online", "multiscale", "dense"}
        ``"online"``: every pair, blockwise. ``"multiscale"``: kernel truncation
        on a grid of cells (Schmitzer 2016, arXiv 1610.06519; balanced only), an
        iteration costs O(n k d) for k kept columns per row; see
        ``docs/entropic.md``. ``"dense"``: form the n x m cost and call
        :func:`divergences.sinkhorn` (its result, plan included). ``"auto"``:
        ``"multiscale"`` when balanced, n m >= 2^26 and eps <= 1e-2 diameter^p
        (where truncation keeps a small share of the pairs), else ``"online"``.

    Returns
    -------
    TransportResult
        As :func:`divergences.sinkhorn` (certified ``lower`` and ``upper`` bounds on
        the exact cost included, computed blockwise), with ``plan=None`` (it is never formed; it
        is ``a_i b_j exp((f_i + g_j - C_ij)/eps)``). ``value`` = <C, P> and
        ``entropic_value`` = OT_eps; PyTorch gradients w.r.t. x, y, a, b come from
        the envelope theorem (d/dx_i = sum_j P_ij grad_x C(x_i, y_j), d/da = f),
        computed blockwise too, never by back-propagating through the iterations.

    Notes
    -----
    The clouds are solved in the units of their joint bounding box: centred, divided
    by its diagonal r (eps by r^p, so every cost lies in [0, 1] and the float32 blocks
    neither overflow nor underflow at any spread), and the results are mapped back
    (values and bounds by r^p, potentials by r^p, point gradients by r^(p - 1)); a
    cost unit r^p that overflows is refused with a ``ValueError`` naming ``x, y``.
    Balanced problems are solved at unit mass (a / sum a, b / sum b) and mapped back
    exactly, as in :func:`divergences.sinkhorn`: ``tol`` and ``marginal_error`` are
    relative to the mass, and masses t a, t b take the iterations of a, b and give
    t ``value``, t ``lower``, t ``upper`` and t OT_eps + eps t (t - 1 - log t).
    float32 clouds are iterated in float32: their exponents (g - C) / eps carry a
    rounding error of about 2^-24 diameter^p / eps, so marginal errors below about
    4e-6 diameter^p / eps may not be reached (pass float64 clouds for those).
    Time O(n m d) per iteration (two log-sum-exp passes); memory
    O((n + m) d + block_size m).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0, 0.0], [1.0, 0.0]])
    >>> r = sinkhorn_points(x, x + [0.0, 1.0], eps=1e-3)
    >>> round(float(r.value), 6)
    1.0
    """
    xp = namespace(x, y, a, b)
    eps, tol, max_iter, on_fail = options(eps, tol, max_iter, on_fail)
    method = check.choice(method, "method", METHODS)
    pb, live = cloud_problem(x, y, a, b, p, unbalanced, block_size, xp, normalize_flag(normalize))
    frame = Frame.of(pb.x, pb.y, pb.p, xp)
    frame.refuse_negligible(pb.x.dtype)
    eps_unit = frame.unit_eps(eps)
    method = _method(method, pb, eps_unit)
    if method == "dense":
        M = euclidean_cost(live[0], live[1], pb.p, xp)
        return sinkhorn(M, live[2], live[3], eps=eps, tol=tol, max_iter=max_iter, unbalanced=unbalanced,
                        on_fail=on_fail)
    un, unit = cloud_units(pb, frame, eps)
    scale = max(eps_unit, 1.0)  # the framed clouds' diagonal is 1
    if method == "multiscale":
        if pb.rho is not None:
            raise ValueError("method='multiscale' solves balanced problems only; pass unbalanced=None")
        truncated = ms.solve_points(unit, eps_unit, tol, max_iter, scale, _needs_grad(x, y))
        f, g, cost, mass, Gx, Gy, lower, upper = truncated.terms
        n_iter, error, converged = truncated.n_iter, truncated.error, truncated.converged
    else:
        out = o.solve(unit, eps_unit, tol, max_iter, scale, (SCALING, STAGE_TOL, STAGE_ITER), blame="x, y")
        f, g = out.map.potentials(out.step)
        cost, mass, Gx, Gy = o.transport_terms(f, g, eps_unit, unit)
        lower, upper = o.bracket(f, g, eps_unit, unit) if pb.rho is None else (None, None)
        n_iter, error, converged = out.n_iter, out.error, out.converged
    if not converged:
        not_converged(on_fail, error, tol, n_iter)
    dual = un.entropic(cloud_dual(f, g, mass, eps_unit, unit, xp))
    f, g = un.potential(f), un.potential(g)
    if Gx is not None:
        Gx, Gy = un.ta * frame.gradient(Gx), un.ta * frame.gradient(Gy)
    moved = first_order(live, pb, (Gx, Gy, f, g), xp)
    if lower is not None:
        lower, upper = un.bound(lower), un.bound(upper)
    return TransportResult(
        value=un.transport(cost, mass) + moved[0],
        plan=None,
        f=f,
        g=g,
        gap=None,
        method="sinkhorn_points" if method == "online" else "sinkhorn_points_multiscale",
        converged=converged,
        entropic_value=dual + moved[0] + moved[1],
        marginal_error=error,
        n_iter=n_iter,
        lower=lower,
        upper=upper,
    )


def _needs_grad(*arrays: Array) -> bool:
    """Whether a gradient can flow to any of ``arrays`` (PyTorch tensors only)."""
    return any(getattr(t, "requires_grad", False) for t in arrays)


def cloud_units(pb: o.CloudProblem, frame: Frame, eps: float) -> tuple[Units, o.CloudProblem]:
    """The problem in the frame's units (diagonal 1, costs in [0, 1], eps / r^p) and,
    when balanced, at unit masses a / t_a, b / t_b (t_a = t_b up to round-off), with
    the :class:`~._units.Units` that map its results back exactly. The solve then sees
    the same numbers, tolerance and iterations at every scale of the points and the
    masses. Unbalanced problems are not homogeneous in the masses and keep them;
    their penalty is in units of cost, rho / r^p."""
    xp, power = pb.xp, frame.power
    x, y = frame.points(pb.x), frame.points(pb.y)
    if pb.rho is not None:
        return Units(power, 0.0, 1.0, 1.0, eps, False), replace(pb, x=x, y=y, rho=pb.rho / power)
    ta, tb = float(xp.sum(pb.a)), float(xp.sum(pb.b))
    if not (math.isfinite(ta) and math.isfinite(tb)):
        raise ValueError(f"a, b: the total mass overflows {pb.a.dtype}")
    un = Units(power, 0.0, ta, tb, eps, True)
    a, b = un.weights(pb.a, pb.b)
    return un, replace(pb, x=x, y=y, a=a, b=b)


def _method(method: str, pb: o.CloudProblem, eps_unit: float) -> str:
    """The rule of ``method="auto"`` (see :func:`sinkhorn_points`), eps in units of diameter^p."""
    if method != "auto":
        return method
    pairs = pb.x.shape[0] * pb.y.shape[0]
    truncation_pays = pb.rho is None and pairs >= MULTISCALE_PAIRS and eps_unit <= MULTISCALE_EPS
    return "multiscale" if truncation_pays else "online"


def cloud_problem(x, y, a, b, p, unbalanced, block_size, xp: Namespace, normalize: bool = False):
    """Validated clouds and weights on constant copies, and the live ones."""
    p = check.check_p(p)
    x, y, a, b = check.point_measures(x, y, a, b, xp, normalize=normalize)
    n, m = x.shape[0], y.shape[0]
    a = check.weights(a, "a", n, xp, x.dtype, device(x))
    b = check.weights(b, "b", m, xp, x.dtype, device(x))
    rho = penalty(unbalanced)
    if rho is None:
        a, b = check.balanced(a, b, xp, normalize=normalize)
    if block_size is None:
        block = max(1, o.BLOCK_ENTRIES * block_scale(x) // max(n, m))
    else:
        block = check.check_positive_int(block_size, "block_size")
    # The cost is translation invariant: centring both clouds on their joint mean
    # keeps |x|^2 small in the expanded p = 2 cost.
    centre = (xp.sum(constant(x, xp), axis=0) + xp.sum(constant(y, xp), axis=0)) / (n + m)
    pb = o.CloudProblem(constant(x, xp) - centre, constant(y, xp) - centre, constant(a, xp),
                        constant(b, xp), p, rho, block, xp)
    return pb, (x, y, a, b)


def first_order(live, pb: o.CloudProblem, grads, xp: Namespace) -> tuple[Array, Array]:
    """Zero-valued terms whose gradients are the envelope gradients: in the points
    (for both values) and in the weights (for the entropic value only). The points
    are compared with their own detached copies, not with the centred clouds of
    ``pb``: a shift times the gradients would cancel only up to round-off."""
    (x, y, a, b), (Gx, Gy, f, g) = live, grads
    points = xp.asarray(0.0, dtype=f.dtype, device=device(f))
    if Gx is not None:
        points = xp.sum(Gx * (x - constant(x, xp))) + xp.sum(Gy * (y - constant(y, xp)))
    weights = xp.sum(f * (a - pb.a)) + xp.sum(g * (b - pb.b))
    return points, weights


def cloud_dual(f: Array, g: Array, mass: Array, eps: float, pb: o.CloudProblem, xp: Namespace) -> Array:
    """The dual objective at (f, g), as in :func:`._dense.entropic_dual`."""
    return dual(f, g, pb.a, pb.b, mass - xp.sum(pb.a) * xp.sum(pb.b), eps, pb.rho, xp)
