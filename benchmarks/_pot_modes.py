"""POT's entropic solvers at their best: each mode timed to a target L1 marginal error.

POT stops on its own criterion (plain, log and stabilised Sinkhorn: the L2 norm of the
column-marginal error, checked every 10 iterations; Greenkhorn: the largest single
violation), which is not the accuracy we compare at. So each mode runs with
``stopThr=0`` and the fewest iterations after which its plan's L1 marginal error
max(|P 1 - a|_1, |P^T 1 - b|_1) is <= tol:

1. untimed search: warm-started chunks (POT's ``warmstart``: the next chunk starts from
   the returned scalings, so the chunks continue one run) doubling in length until the
   error is reached, then the last chunk again in steps of ``step`` iterations;
2. timed: one fresh run (no warm start) with exactly that many iterations, its error
   measured from its own plan (a step more if the fresh run misses tol).

Only the fresh runs are timed; nothing is extrapolated. A mode whose search spends its
wall budget without reaching tol gets one fresh timed run of the iterations it did:
its time is a measured lower bound ("> t"). A mode that POT itself stops on a
numerical error, or whose plan is not finite (the kernel exp(-M / eps) underflows for
plain Sinkhorn and Greenkhorn at small eps), fails.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import array_api_compat
import numpy as np
import ot

from ._timing import synchronize

MODES = ("sinkhorn", "sinkhorn_log", "sinkhorn_stabilized", "greenkhorn")


@dataclass(frozen=True)
class ModeRun:
    """One POT mode on one problem: a fresh timed run and its own accuracy."""

    mode: str
    iterations: int
    seconds: float  # wall time of the fresh run; a lower bound when not reached
    error: float  # L1 marginal error of that run's plan
    value: float  # <M, P> of that run's plan
    reached: bool
    failed: str = ""  # why the mode has no time (non-finite plan)

    def summary(self) -> str:
        if self.failed:
            return f"{self.mode}: failed ({self.failed})"
        bound = "" if self.reached else "> "
        return f"{self.mode}: {bound}{self.seconds:.3g} s, {self.iterations} it, err {self.error:.1e}"


def l1_error(P, a, b) -> float:
    """max(|P 1 - a|_1, |P^T 1 - b|_1), on P's device; nan when there is no finite plan."""
    if P is None or not _finite(P):
        return math.nan
    xp = array_api_compat.array_namespace(P)
    rows, cols = xp.sum(xp.abs(xp.sum(P, axis=1) - a)), xp.sum(xp.abs(xp.sum(P, axis=0) - b))
    return float(max(float(rows), float(cols)))


def _finite(P) -> bool:
    xp = array_api_compat.array_namespace(P)
    return bool(xp.all(xp.isfinite(P)))


def _call(mode: str, a, b, M, eps: float, iters: int, warm):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        P, log = ot.sinkhorn(a, b, M, eps, method=mode, numItermax=iters, stopThr=0.0, log=True,
                             warn=False, warmstart=warm)
    if not _finite(P):
        return None, None
    # with stopThr = 0 a run ends early on a numerical error (POT's own check) or an
    # exactly zero error; either way it cannot be continued
    ran = log.get("niter", log.get("n_iter", iters - 1)) + 1
    return P, (_next_warm(mode, log) if ran >= iters - 1 else None)


def _next_warm(mode: str, log: dict):
    """The log-scalings (or absorbed potentials) a next call continues from."""
    if mode == "sinkhorn_log":
        return log["log_u"], log["log_v"]
    if mode == "sinkhorn_stabilized":
        return log["warmstart"]
    xp = array_api_compat.array_namespace(log["u"])
    with np.errstate(divide="ignore"):
        return xp.log(log["u"]), xp.log(log["v"])


def step_of(mode: str, n: int) -> int:
    """Iteration resolution: 10 for the Sinkhorn modes (POT checks every 10);
    Greenkhorn updates one row or column an iteration, so n of them."""
    return n if mode == "greenkhorn" else 10


def _search(mode: str, a, b, M, eps: float, tol: float, budget: float) -> tuple[int, bool, str]:
    """Untimed: (fewest iterations to tol in steps, reached, failure)."""
    step = step_of(mode, len(a))
    start, done, warm, chunk = time.perf_counter(), 0, None, step
    while True:
        began = time.perf_counter()
        P, after = _call(mode, a, b, M, eps, chunk, warm)
        err = l1_error(P, a, b)
        if err <= tol:
            return done + _refine(mode, a, b, M, eps, tol, warm, chunk, step), True, ""
        if after is None:
            return done + chunk, False, "numerical error: the kernel under- or overflows"
        per_it = (time.perf_counter() - began) / chunk
        done, warm = done + chunk, after
        left = budget - (time.perf_counter() - start)
        if left <= 0:
            return done, False, ""
        chunk = min(2 * chunk, max(step, int(left / per_it) // step * step))  # stay within the budget


def _refine(mode: str, a, b, M, eps: float, tol: float, warm, chunk: int, step: int) -> int:
    """Iterations into a chunk (run from ``warm``) where the error first reaches tol,
    to ``step``: sub-chunks of a sixteenth, then steps within the one that reaches."""
    sub = max(step, chunk // 16 // step * step)
    done = 0
    while done < chunk:
        P, after = _call(mode, a, b, M, eps, sub, warm)
        if l1_error(P, a, b) <= tol:
            break
        if after is None:  # cannot continue: the whole chunk (known to reach tol)
            return chunk
        done, warm = done + sub, after
    for k in range(step, sub + 1, step):
        P, warm = _call(mode, a, b, M, eps, step, warm)
        if l1_error(P, a, b) <= tol or warm is None:
            return done + k
    return done + sub


def fresh_run(mode: str, a, b, M, eps: float, iterations: int) -> tuple[float, float, float]:
    """One timed run from scratch: (seconds, L1 error, <M, P>)."""
    synchronize(M)
    start = time.perf_counter()
    P, _ = _call(mode, a, b, M, eps, iterations, None)
    synchronize(M)
    seconds = time.perf_counter() - start
    if P is None:
        return seconds, math.nan, math.nan
    return seconds, l1_error(P, a, b), float(array_api_compat.array_namespace(P).sum(M * P))


def run_mode(mode: str, a, b, M, eps: float, tol: float, budget: float) -> ModeRun:
    """The mode's fewest iterations to tol, and one fresh timed run of them."""
    iterations, reached, failed = _search(mode, a, b, M, eps, tol, budget)
    if failed:
        return ModeRun(mode, iterations, math.nan, math.nan, math.nan, False, failed)
    step = step_of(mode, len(a))
    for _ in range(3):  # a fresh run may need a step more than the warm-started chunks
        seconds, err, value = fresh_run(mode, a, b, M, eps, iterations)
        if not reached or err <= tol:
            break
        iterations += step
    return ModeRun(mode, iterations, seconds, err, value, reached and err <= tol)


def fastest(runs: list[ModeRun]) -> ModeRun | None:
    """The mode with the least time; a lower bound counts at its bound (so a row is
    never won against a mode that might have been faster)."""
    timed = [r for r in runs if not r.failed and math.isfinite(r.seconds)]
    return min(timed, key=lambda r: r.seconds) if timed else None
