"""One dense entropic solve: normalise, drop zero weights, iterate, map back."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from .._backend import Array, Namespace, constant
from .._numerics import flat_dot
from ..transport._polytope import feasible_potentials, rounded_cost
from . import _compensated as c
from . import _kernel as k
from ._common import SCALING, STAGE_ITER, STAGE_TOL, dual, softmin, tau
from ._envelope import first_order, plus
from ._finish import finish
from ._map import SinkhornMap
from ._solver import run
from ._support import Support
from ._units import Units

__all__ = [
    "ANNEAL_BELOW",
    "ANNEAL_START",
    "COMPENSATED_FROM",
    "Solution",
    "anneal_start",
    "bracket",
    "entropic_dual",
    "normalised_eps",
    "solve",
]

# From eps = this x the cost's range up, the potentials are computed with
# compensated sums (see _compensated): the kernel's entries crowd towards a b^T and
# the plain sums lose about eps / range ulps of the entropic value. Below it the
# kernel path is used: at eps = 1, 10, 100 x range its entropic value differed from
# the compensated one by 1e-15, 1e-14, 1e-13 relative (Gaussian clouds, n = 300),
# and it costs one exp pass per solve instead of an expm1 pass per iteration.
COMPENSATED_FROM = 10.0
# Eps-scaling only where it pays: for a target eps' = eps / range(M) >= 1e-3 a
# direct solve from g = 0 took less time than annealing from the range at every
# n in 500..2000 measured on uniform clouds (1.3x-1.9x faster at eps' = 1e-2 and
# 1e-3 for n >= 1000), and 10x-100x fewer iterations on self-transport; at 1e-4
# the two were within 0.6x-1.7x of each other, and in float32 the direct solve
# underflows whole kernel columns there. Below 1e-3, eps is annealed from 1e-2
# (where a direct solve takes ~20 iterations) by factors of 10 (see
# docs/entropic.md, "eps-scaling").
ANNEAL_START, ANNEAL_BELOW = 1e-2, 1e-3


@dataclass(frozen=True)
class Solution:
    plan: Array
    f: Array
    g: Array
    value: Array
    entropic_value: Array
    lower: Array | None
    upper: Array | None
    n_iter: int
    error: float
    converged: bool


def solve(M: Array, a: Array, b: Array, eps: float, rho: float | None, tol: float, max_iter: int,
          init_g: Array | None, xp: Namespace, blame: str = "M", unit_mass: bool = False) -> Solution:
    """The entropic problem on validated (live) M, a, b; masses equal when balanced
    (``unit_mass``: probability vectors, see :meth:`Units.of`)."""
    Mc, ac, bc = constant(M, xp), constant(a, xp), constant(b, xp)
    un = Units.of(Mc, ac, bc, eps, rho is None, xp, blame, unit_mass)
    e = normalised_eps(eps, un.scale, M.dtype, xp, blame)
    an, bn = un.weights(ac, bc) if rho is None else (ac, bc)
    rho_n = None if rho is None else rho / un.scale
    sup = Support.of(an, bn, xp)
    Mr, a_s, b_s = sup.restrict(Mc, an, bn)
    Ms = un.normalised(Mr)  # formed blockwise where it is read
    compensated = rho is None and e >= COMPENSATED_FROM
    if init_g is None:
        g0, e_start = xp.zeros_like(b_s), anneal_start(e)
    else:
        g0, e_start = sup.restrict_columns(un.normalised_potential(constant(init_g, xp))), e
    make: Callable[[Array, float], SinkhornMap]
    if compensated:
        Ms = Ms.full()
        make = lambda g, ee: c.CompensatedMap(Ms, a_s, b_s, ee, g, xp)  # noqa: E731
    else:
        pb = k.Problem(Ms, a_s, b_s, rho_n, xp)
        make = lambda g, ee: k.DenseMap.at(pb, g, ee)  # noqa: E731
    out = run(make, g0, e, tol, max_iter, e_start, SCALING, STAGE_TOL, STAGE_ITER, blame)
    fs, gs = out.map.potentials(out.step)
    if compensated:
        Ps = c.plan(fs, gs, Ms, a_s, b_s, e, xp)
        excess = c.excess(fs, gs, Ms, a_s, b_s, e, xp)
        inner, mass = flat_dot(Ps, Ms, xp), xp.sum(Ps)
        lower, upper = bracket(fs, Ps, Ms, a_s, b_s, xp)
    else:
        # the map is spent: its kernel buffer becomes the plan (no fresh n x m buffer)
        kn, st = out.map.kn, out.step  # type: ignore[attr-defined]  # run() gave back the DenseMap
        done = finish(kn.K, st.u, xp.exp(st.x), Ms, a_s, b_s, fs if rho is None else None, xp)
        Ps, inner, mass, lower, upper = done.plan, done.inner, done.mass, done.lower, done.upper
        excess = mass - xp.sum(a_s) * xp.sum(b_s)
    objective = dual(fs, gs, a_s, b_s, excess, e, rho_n, xp)
    if rho is None:
        lower, upper = un.bound(lower), un.bound(upper)
    fn, gn = _restore_potentials(sup, fs, gs, lambda: un.cost(Mc), an, bn, e, rho_n, compensated, xp)
    P, f, g = sup.plan(Ps), un.potential(fn), un.potential(gn)
    if un.ta != 1.0:
        P = un.ta * P
    value = plus(un.transport(inner, mass), first_order([(P, M)], xp))
    da, db = _weight_gradients(f, g, ac, bc, eps, rho, xp)
    entropic = plus(un.entropic(objective), first_order([(P, M), (da, a), (db, b)], xp))
    for t, what in ((value, "the transport cost"), (entropic, "the entropic cost")):
        if not bool(xp.isfinite(t)):
            raise ValueError(f"{blame}: {what} overflows {M.dtype} (eps = {eps:.3g})")
    return Solution(P, f, g, value, entropic, lower, upper, out.n_iter, out.error, out.converged)


def bracket(f: Array, P: Array, M: Array, a: Array, b: Array, xp: Namespace) -> tuple[Array, Array]:
    """Certified lower and upper bounds on the exact OT from a run's f and plan: the
    dual value of the double c-transform of f, and the cost of the plan rounded onto
    U(a, b) (Altschuler et al. 2017)."""
    f_ok, g_ok = feasible_potentials(f, None, M, a, b, xp)
    return xp.sum(a * f_ok) + xp.sum(b * g_ok), rounded_cost(P, M, a, b, xp)


def anneal_start(e: float) -> float:
    """Where eps-scaling starts for a target eps' (normalised units); ``e`` itself
    means no annealing."""
    return e if e >= ANNEAL_BELOW else max(e, ANNEAL_START)


def normalised_eps(eps: float, scale: float, dtype, xp: Namespace, blame: str = "M") -> float:
    """eps / scale, refused where it cannot be represented, or where it lies below
    the dtype's resolution: there exp((f + g - M)/eps) amplifies the round-off of
    f + g - M past 1, and OT_eps equals the exact OT to round-off (it lies within
    eps log min(n, m) of it), which :func:`divergences.solve` computes exactly."""
    e = eps / scale
    if not math.isfinite(e):
        raise ValueError(f"eps: eps / range of {blame} = {eps:.3g} / {scale:.3g} overflows")
    if e < xp.finfo(dtype).eps:
        raise ValueError(
            f"eps = {eps:.3g} is {e:.3g} times the range of {blame}, below the resolution "
            f"{xp.finfo(dtype).eps:.3g} of {dtype}: the entropic problem is the exact one to "
            "round-off; use divergences.solve, or a larger eps")
    return e


def _restore_potentials(sup: Support, fs, gs, cost, a, b, eps, rho, compensated, xp):
    """Full-length potentials; a zero-weight point gets its soft c-transform
    (``cost()``: the whole normalised cost, formed only then)."""
    if sup.full:
        return fs, gs
    M = cost()
    f, g = sup.vectors(fs, gs)
    if compensated:
        g = xp.where(b > 0, g, c.softmin(f, a, xp.matrix_transpose(M), eps, xp))
        f = xp.where(a > 0, f, c.softmin(g, b, M, eps, xp))
    else:
        t = tau(rho, eps)
        g = xp.where(b > 0, g, softmin(f, a, M, eps, t, 0, xp))
        f = xp.where(a > 0, f, softmin(g, b, M, eps, t, 1, xp))
    return f, g


def _weight_gradients(f, g, a, b, eps, rho, xp) -> tuple[Array, Array]:
    """d OT_eps / da, d OT_eps / db of the dual at optimal (f, g): with the row
    condition P 1 = a (balanced) or a exp(-f / rho), -eps d<ab^T, e^Z>/da_i is
    -eps (1 or exp(-f_i / rho)), and -eps d(-|a||b|)/da = eps |b|."""
    ta, tb = xp.sum(a), xp.sum(b)
    if rho is None:
        return f + eps * (tb - 1), g + eps * (ta - 1)
    return (-rho * xp.expm1(-f / rho) - eps * (xp.exp(-f / rho) - tb),
            -rho * xp.expm1(-g / rho) - eps * (xp.exp(-g / rho) - ta))


def entropic_dual(f: Array, g: Array, M: Array, a: Array, b: Array, eps: float,
                  rho: float | None, xp: Namespace) -> Array:
    """The dual objective at fixed (f, g), differentiable in M, a and b:

    balanced:   <a, f> + <b, g> - eps <a b^T, exp((f + g - M)/eps) - 1>,
    unbalanced: the first two terms become -rho <a, exp(-f/rho) - 1> (and for b).
    The mass term is summed through expm1, so it keeps its digits when the plan is
    close to a b^T (large eps).
    """
    ab = a[:, None] * b[None, :]
    Z = (f[:, None] + g[None, :] - M) / eps
    # The potentials of zero-weight points are free: exp(Z) may overflow there,
    # and 0 * inf would be NaN.
    excess = xp.sum(ab * xp.expm1(xp.where(ab > 0, Z, xp.zeros_like(Z))))
    return dual(f, g, a, b, excess, eps, rho, xp)
