"""Entropic OT: ``divergences.sinkhorn`` against POT's ``sinkhorn_log`` and GeomLoss.

Problem: n = m points in R^2, x ~ N(0, I), y ~ N((1, 1), I) (seed 0), uniform weights,
M = squared Euclidean distances (built once, outside the timing), eps = 0.05.
Every solver's accuracy is the same number, computed here from its plan: the L1
marginal error max(|P 1 - a|_1, |P^T 1 - b|_1).

POT: its ``stopThr`` is the L2 norm |P^T 1 - b|_2 of the column marginal, checked every
10 iterations after a row update that makes P 1 = a exact; L2 <= L1 (up to sqrt(n)
smaller), so a POT run "to stopThr=1e-6" is less accurate than ours. It runs here with
stopThr = 0 in timed chunks continued by ``warmstart`` (the next chunk starts from the
returned log-scalings, so the chunks equal one long run; ~0.1 s an iteration at
n = 2000) until its true L1 error reaches 1e-6 or a cap (full 1000, quick 50). Its time
to 1e-6 = iterations needed (found to 10 by an untimed rerun of the last stretch) x its
best s/it; if the cap stops it first, the iterations are extrapolated from the geometric
rate between two checkpoints. Our 1e-6 solve is timed between the chunks, so the two
share the machine's load (best of the repeats; POT: best s/it of the chunks).

GeomLoss: cost |x - y|^2 / 2 and eps = blur^2 for p = 2, so blur = sqrt(eps / 2) solves
our problem scaled by 1/2. ``debias=False``: with the default ``debias=True`` the
returned potentials are differences f_ab - f_aa (no plan) and it solves two more
problems. Ours is timed with tol = the error GeomLoss reached.

Targets (BENCHMARKS.md): ours <= 1/20 of POT's time at equal accuracy 1e-6; <= 1.0x
GeomLoss at GeomLoss' own accuracy.
"""

from __future__ import annotations

import math
import time

import numpy as np
import ot
from scipy.spatial.distance import cdist

import divergences

from ._timing import Row, best_times

EPS, TOL = 0.05, 1e-6
# quick -> (iterations a timed POT chunk, cap on POT's iterations, first checkpoint row)
POT_RUN = {False: (100, 1000, 200), True: (10, 50, 20)}
REFINE = 10  # resolution (iterations) of the untimed search for where POT crosses 1e-6


def _problem(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, 2)), rng.normal(1.0, 1.0, size=(n, 2))
    return x, y, np.full(n, 1.0 / n), cdist(x, y, "sqeuclidean")


def _l1_error(P: np.ndarray, w: np.ndarray) -> float:
    return float(max(np.abs(P.sum(1) - w).sum(), np.abs(P.sum(0) - w).sum()))


def _ours(M: np.ndarray, tol: float):
    return divergences.sinkhorn(M, eps=EPS, tol=tol)


def _pot(w: np.ndarray, M: np.ndarray, iters: int, warm):
    """``iters`` more log-domain iterations from ``warm``: (errors, next warm start, seconds)."""
    start = time.perf_counter()
    P, log = ot.sinkhorn(w, w, M, EPS, method="sinkhorn_log", numItermax=iters, stopThr=0.0,
                         log=True, warn=False, warmstart=warm)
    seconds = time.perf_counter() - start
    l2 = float(np.linalg.norm(P.sum(0) - w))  # what POT's stopThr compares
    return (_l1_error(P, w), l2, float(np.sum(M * P))), (log["log_u"], log["log_v"]), seconds


def _pot_rows(n: int, w: np.ndarray, M: np.ndarray, quick: bool, exact: float) -> list[Row]:
    """POT in timed chunks until its L1 error reaches 1e-6 (or the cap), one of our 1e-6
    solves timed after each chunk (interleaved); then an untimed finer search for the
    iteration where POT crosses 1e-6, and where its own stopThr = 1e-6 would stop."""
    chunk, cap, first = POT_RUN[quick]
    ours = _ours(M, TOL)  # warm-up and the values
    ours_value, ours_err = float(ours.value), _l1_error(np.asarray(ours.plan), w)
    ours_s, pot_s_it = math.inf, math.inf
    at, warm_at = {}, {0: None}  # iterations -> (L1, L2, <M, P>); -> warm start there
    k = 0
    while k < cap and (k == 0 or at[k][0] > TOL):
        at[k + chunk], warm_at[k + chunk], seconds = _pot(w, M, chunk, warm_at[k])
        k += chunk
        pot_s_it = min(pot_s_it, seconds / chunk)
        start = time.perf_counter()
        _ours(M, TOL)
        ours_s = min(ours_s, time.perf_counter() - start)
    ctx = (f"ours err {ours_err:.1e} in {ours.n_iter} it, conv {ours.converged}, "
           f"value-exact {ours_value - exact:+.1e}")
    report = sorted({min(first, k), k})
    rows = []
    for j in report:
        err, _, value = at[j]
        # No target here: while POT is less accurate its time is only a lower bound on its
        # time to 1e-6 (a ratio under 0.05 would prove the target, one above proves nothing).
        bound = " (a lower bound on POT to 1e-6)" if err > TOL else ""
        rows.append(Row("entropic", n, ours_s, f"POT sinkhorn_log {j} it", j * pot_s_it,
                        abs(ours_value - value), f"POT err {err:.1e} after {j} it{bound}; {ctx}"))
    if at[k][0] <= TOL:  # reached: find the crossings to REFINE iterations, untimed
        j = max(i for i in warm_at if i == 0 or at[i][1] > TOL)  # last chunk end with L2 > tol
        warm, stop, need = warm_at[j], None, None
        while need is None:
            errs, warm, _ = _pot(w, M, REFINE, warm)
            j += REFINE
            if stop is None and errs[1] <= TOL:
                stop = (j, errs[0])
            if errs[0] <= TOL:
                need = j
        peer = f"POT sinkhorn_log to 1e-6 ({need} it)"
        how = (f"iterations measured (to {REFINE}), time = it x best {pot_s_it * 1e3:.0f} ms/it; "
               f"POT's own stopThr=1e-6 (L2) stops near {stop[0]} it at L1 err {stop[1]:.1e}")
    elif len(report) == 2 and at[report[1]][0] < at[report[0]][0]:
        # Not reached: extrapolate the geometric rate between the two checkpoints.
        (k1, k2), e1, e2 = report, at[report[0]][0], at[report[1]][0]
        rate = (e2 / e1) ** (1.0 / (k2 - k1))
        need = k2 + math.ceil(math.log(TOL / e2) / math.log(rate))
        peer = "POT sinkhorn_log to 1e-6 (EXTRAPOLATED)"
        # Sinkhorn's early rate is its fastest, so this underestimates POT (at n = 500 it
        # predicts ~570 it; POT needs > 3000): a verdict of "met" against it is safe.
        how = (f"EXTRAPOLATED, not run, optimistic for POT: rate {rate:.4f}/it from err "
               f"{e1:.1e}@{k1} -> {e2:.1e}@{k2}; ~{need} it x {pot_s_it * 1e3:.0f} ms/it")
    else:
        need, peer = k, "POT sinkhorn_log to 1e-6 (LOWER BOUND)"
        how = f"LOWER BOUND: err {at[k][0]:.1e} after {k} it, no rate to extrapolate"
    rows.append(Row("entropic", n, ours_s, peer, need * pot_s_it, float("nan"), how, 0.05))
    return rows


def _geomloss_rows(n: int, x, y, w: np.ndarray, M: np.ndarray, quick: bool) -> list[Row]:
    try:  # GeomLoss (and torch) come with the "bench" extra only
        import torch
        from geomloss import SamplesLoss
    except ImportError:
        print("entropic: geomloss not installed, GeomLoss rows skipped")
        return []
    blur = math.sqrt(EPS / 2)  # GeomLoss eps_g = blur^2 = EPS / 2 on cost M / 2
    loss = SamplesLoss("sinkhorn", p=2, blur=blur, scaling=0.95, backend="tensorized",
                       potentials=True, debias=False)
    args = {str(dt)[6:]: [torch.tensor(t, dtype=dt) for t in (w, x, w, y)]
            for dt in (torch.float64, torch.float32)}
    peer = {}  # dtype -> (true L1 error, <M, P>)
    for dt, a in args.items():
        F, G = (t.double().numpy().ravel() for t in loss(*a))  # returned as (1, n)
        P = w[:, None] * w[None, :] * np.exp((F[:, None] + G[None, :] - M / 2) / blur**2)
        peer[dt] = (_l1_error(P, w), float(np.sum(M * P)))
    tol = min(err for err, _ in peer.values())  # the stricter of the two
    ours = _ours(M, tol)
    ours_value, ours_err = float(ours.value), _l1_error(np.asarray(ours.plan), w)

    # torch's 2 OpenMP threads stall badly when another process holds a core (measured
    # 0.2 s -> 6 s at n = 500), so GeomLoss gets the best of 1 and 2 threads (quick: 1).
    def call(a, threads):
        torch.set_num_threads(threads)
        loss(*a)

    threads, saved = (1,) if quick else (1, 2), torch.get_num_threads()
    fns = {(dt, th): (lambda a=a, th=th: call(a, th)) for dt, a in args.items() for th in threads}
    seconds = best_times({"ours": lambda: _ours(M, tol), **fns}, repeats=3, warmup=0)
    torch.set_num_threads(saved)
    rows = []
    for dt, (err, value) in peer.items():
        th = min(threads, key=lambda t: seconds[dt, t])
        rows.append(Row("entropic", n, seconds["ours"], f"GeomLoss {dt}", seconds[dt, th],
                        abs(ours_value - value), f"GeomLoss err {err:.1e} ({th} torch thread(s)); "
                        f"ours (tol {tol:.1e}) err {ours_err:.1e} in {ours.n_iter} it", 1.0))
    return rows


def run(quick: bool = False) -> list[Row]:
    n = 500 if quick else 2000
    x, y, w, M = _problem(n)
    exact = float(divergences.solve(M).value)
    return _pot_rows(n, w, M, quick, exact) + _geomloss_rows(n, x, y, w, M, quick)
