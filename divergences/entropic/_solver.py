"""The Sinkhorn driver: epsilon-scaling, Anderson acceleration, stopping rule."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._array import Array
from . import _kernel as k
from ._anderson import Anderson

# Anderson memory: 10 cut the iterations to 1e-6 by 5x to 20x against plain
# Sinkhorn at eps / max cost in [1e-5, 1e-3] on the benchmark problems.
MEMORY = 10
# Iterations without a new best error after which acceleration is switched off
# for the rest of the solve: on degenerate problems Anderson mixing can circle
# at a spurious level, while plain Sinkhorn always converges.
STALL = 30
# An accelerated step may raise the marginal error at most this factor.
REJECT = 2.0


@dataclass(frozen=True)
class Outcome:
    kernel: k.Kernel
    step: k.Step
    n_iter: int
    error: float
    converged: bool


def run(pb: k.Problem, g: Array, eps: float, tol: float, max_iter: int,
        eps_start: float, scaling: float, stage_tol: float, stage_iter: int) -> Outcome:
    """Anneal eps geometrically from ``eps_start`` (factor ``scaling`` per stage,
    each stage solved loosely), then solve at ``eps`` to marginal error ``tol``."""
    n_iter, stage_eps = 0, eps_start
    while stage_eps > eps * (1 + 1e-9) and n_iter < max_iter:
        out = solve_at(k.rebuild(pb, g, stage_eps), pb, max(tol, stage_tol), min(stage_iter, max_iter - n_iter))
        n_iter += out.n_iter
        g = k.potentials(out.kernel, out.step, pb)[1]
        stage_eps = max(eps, stage_eps * scaling)
    out = solve_at(k.rebuild(pb, g, eps), pb, tol, max_iter - n_iter)
    return Outcome(out.kernel, out.step, n_iter + out.n_iter, out.error, out.converged)


def solve_at(kn: k.Kernel, pb: k.Problem, tol: float, budget: int) -> Outcome:
    """Safeguarded Anderson iterations at one eps, keeping the best iterate.

    An extrapolated iterate whose marginal error exceeds ``REJECT`` times the
    previous one is replaced by the plain Sinkhorn step and the memory cleared
    (Anderson mixing can run away on degenerate problems); after ``STALL``
    iterations without progress the plain iteration takes over for good. Scalings
    out of range are absorbed into a fresh kernel; a non-finite iterate sends the
    run back to the best one.
    """
    xp = pb.xp
    acc = Anderson(MEMORY, xp)
    # Extrapolated iterates are clipped just past the absorption limit, so exp(x)
    # cannot overflow and the iterate is absorbed at once.
    bound = 1.01 * k.scaling_limit(kn.K.dtype, xp)
    s, prev, best, stale = k.step(kn, xp.zeros_like(pb.b), pb), None, None, 0
    accelerate = True
    for it in range(budget + 1):
        error = float(s.error)
        if prev is not None and not error <= REJECT * float(prev.error):
            acc.reset()
            s = k.step(kn, xp.clip(prev.Tx, -bound, bound), pb)
            error = float(s.error)
        if not math.isfinite(error) or k.needs_absorption(kn, s, xp):
            kn, s = _absorb(kn, s, pb) if math.isfinite(error) else _absorb(best.kernel, best.step, pb)
            acc.reset()
            error = float(s.error)
        if best is None or error < best.error:
            best, stale = Outcome(kn, s, it, error, error <= tol), 0
        else:
            stale += 1
        if error <= tol or it == budget:
            return Outcome(best.kernel, best.step, it, best.error, best.error <= tol)
        accelerate = accelerate and stale < STALL
        prev = s
        x = acc.next(s.Tx, s.Tx - s.x) if accelerate else s.Tx
        s = k.step(kn, xp.clip(x, -bound, bound), pb)
    raise AssertionError("unreachable")


def _absorb(kn: k.Kernel, s: k.Step, pb: k.Problem) -> tuple[k.Kernel, k.Step]:
    g = k.potentials(kn, s, pb)[1]
    fresh = k.rebuild(pb, g, kn.eps)
    return fresh, k.step(fresh, pb.xp.zeros_like(g), pb)
