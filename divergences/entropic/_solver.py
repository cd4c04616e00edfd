"""The Sinkhorn driver: epsilon-scaling, Anderson acceleration, stopping rule."""

from __future__ import annotations

import math
from dataclasses import dataclass

from typing import Callable

import numpy as np

from .._backend import Array, namespace
from ._anderson import Anderson
from ._map import SinkhornMap, Step

__all__ = ["MEMORY", "Outcome", "REJECT", "STALL", "run", "solve_at"]

# Anderson memory: 10 cut the iterations to 1e-6 by 5x to 20x against plain
# Sinkhorn at eps / max cost in [1e-5, 1e-3] on the benchmark problems.
MEMORY = 10
# Iterations without a new best error after which the memory is cleared and
# PLAIN plain Sinkhorn steps are taken before extrapolating again: on degenerate
# problems Anderson mixing can circle at a spurious level, while plain Sinkhorn
# always converges; switching acceleration off for good instead cost up to 100x
# the iterations of the accelerated map on self-transport problems.
STALL, PLAIN = 10, 10
# An accelerated step may raise the marginal error at most this factor.
REJECT = 2.0


@dataclass(frozen=True)
class Outcome:
    map: SinkhornMap
    step: Step
    n_iter: int
    error: float
    converged: bool


def run(make: Callable[[Array, float], SinkhornMap], g: Array, eps: float, tol: float,
        max_iter: int, eps_start: float, scaling: float, stage_tol: float, stage_iter: int,
        blame: str = "M") -> Outcome:
    """Anneal eps geometrically from ``eps_start`` (factor ``scaling`` per stage,
    each stage solved loosely), then solve at ``eps`` to marginal error ``tol``.
    ``make(g, eps)`` builds the problem at one eps from a potential g; a map that
    is not finite at its start raises a ValueError naming ``blame``, the caller's
    argument the cost came from."""
    n_iter, stage_eps = 0, eps_start
    while stage_eps > eps * (1 + 1e-9) and n_iter < max_iter:
        out = solve_at(make(g, stage_eps), max(tol, stage_tol), min(stage_iter, max_iter - n_iter), blame)
        n_iter += out.n_iter
        g = out.map.potentials(out.step)[1]
        stage_eps = max(eps, stage_eps * scaling)
    out = solve_at(make(g, eps), tol, max_iter - n_iter, blame)
    return Outcome(out.map, out.step, n_iter + out.n_iter, out.error, out.converged)


def solve_at(mp: SinkhornMap, tol: float, budget: int, blame: str = "M") -> Outcome:
    """Safeguarded Anderson iterations at one eps, keeping the best iterate.

    An extrapolated iterate whose marginal error exceeds ``REJECT`` times the
    previous one is replaced by the plain Sinkhorn step and the memory cleared
    (Anderson mixing can run away on degenerate problems); after ``STALL``
    iterations without progress the memory is cleared and ``PLAIN`` plain steps
    are taken before extrapolating again. Scalings
    out of range are absorbed into a fresh kernel; a non-finite iterate sends the
    run back to the best one. Iterates are clipped to the map's bound, so exp(x)
    cannot overflow; in float32 an extrapolated iterate can still make a row of the
    kernel's product underflow to 0, and the inf or NaN that follows is caught here
    like any other non-finite iterate (NumPy's warnings for it are silenced: no
    such number leaves this loop).
    """
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return _safeguarded(mp, tol, budget, blame)


def _safeguarded(mp: SinkhornMap, tol: float, budget: int, blame: str) -> Outcome:
    s = mp.start()
    acc = Anderson(MEMORY, namespace(s.x))
    prev, best, stale, plain = None, None, 0, 0
    for it in range(budget + 1):
        error = float(s.error)
        if prev is not None and not error <= REJECT * float(prev.error):
            acc.reset()
            s = mp.step(_clip(prev.Tx, mp.bound))
            error = float(s.error)
        if not math.isfinite(error) and best is None:
            raise ValueError(f"{blame}: the Sinkhorn map is not finite at its start (eps = {mp.eps:.3g}); "
                             "the cost overflows its dtype or eps is out of range")
        if not math.isfinite(error) or mp.out_of_range(s):
            mp, s = mp.absorb(s) if math.isfinite(error) else best.map.absorb(best.step)  # type: ignore[union-attr,attr-defined]
            acc.reset()
            error = float(s.error)
        if best is None or error < best.error:
            best, stale = Outcome(mp, s, it, error, error <= tol), 0
        else:
            stale += 1
        if error <= tol or it == budget:
            return Outcome(best.map, best.step, it, best.error, best.error <= tol)
        if stale >= STALL:
            acc.reset()
            stale, plain = 0, PLAIN
        prev = s
        if plain > 0:
            plain -= 1
            s = mp.step(_clip(s.Tx, mp.bound))
        else:
            s = mp.step(_clip(acc.next(s.Tx, s.Tx - s.x), mp.bound))
    raise AssertionError("unreachable")


def _clip(x: Array, bound: float) -> Array:
    """x clipped to [-bound, bound]; x itself when inside (the usual case: one
    reduction instead of the clip's broadcasting and copy). NaN stays NaN."""
    xp = namespace(x)
    if bool(xp.max(xp.abs(x)) <= bound):
        return x
    return xp.clip(x, -bound, bound)
