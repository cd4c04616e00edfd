"""Entropic OT: ``divergences.sinkhorn`` against POT's fastest mode, and GeomLoss.

Grid of rows: n = m in {500, 1000, 2000, 4000} (quick: 200) times the regimes

- ``gauss eps/max(M)=r``: x ~ N(0, I), y ~ N((1, 1), I) in R^2 (seed 0), uniform
  weights, M = squared distances scaled to max(M) = 1 (so eps is eps / cost scale),
  r in {1, 1e-1, 1e-2, 1e-3, 1e-4} (quick: 1e-1, 1e-3);
- ``unit square eps=0.05``: x, y uniform in [0, 1]^2, M = squared distances, eps = 0.05
  (the well-conditioned problem of BENCHMARKS.md);
- ``gauss eps=0.05``: the Gaussians above, M unscaled, eps = 0.05 (the problem of the
  BENCHMARKS.md target ">= 20x POT").

Accuracy: the L1 marginal error max(|P 1 - a|_1, |P^T 1 - b|_1) <= 1e-6, measured here
from each side's own plan. POT runs in each of ``sinkhorn``, ``sinkhorn_log``,
``sinkhorn_stabilized`` and ``greenkhorn`` to that accuracy (``_pot_modes``: fewest
iterations found untimed, then one fresh run of them timed), with a wall budget per
mode and row (full 60 s, quick 0.5 s); a mode that cannot reach it in its budget
gets a measured lower bound "> t". The row's peer is the fastest mode, and its
ratio is ours / that mode's time; all modes are listed in the note. Ours is timed
right after the modes. The contenders, mode runs under 2 s and within 3x of the
fastest first run (ours included), are repeated with ours in interleaved rounds, as
many as fit in 1 s (2 to 50; best of all rounds; quick: 2), in a shuffled order each
round: a call right after a long one runs slower (at n = 500, ours took 3.7 ms after
POT's ``sinkhorn`` and 5.3 ms after a ``greenkhorn`` run, which a fixed order always
put before it), so no side keeps one predecessor.

GeomLoss (full run, n = 2000 on ``gauss eps=0.05`` only; quick n = 200): cost
|x - y|^2 / 2 and eps = blur^2 for p = 2, so blur = sqrt(eps / 2) solves our problem
scaled by 1/2; ``debias=False`` (the default debiased loss returns no plan); its error
is what its plan reaches, and ours is timed at tol = that error. Best of 1 and 2 torch
threads (quick: 1).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import replace

import array_api_compat
import numpy as np
from scipy.spatial.distance import cdist

import divergences

from ._pot_modes import MODES, fastest, fresh_run, l1_error, run_mode
from ._timing import Grid, Row, best_times, synchronize

TOL = 1e-6
SIZES = {False: (500, 1000, 2000, 4000), True: (200,)}
RATIOS = {False: (1.0, 1e-1, 1e-2, 1e-3, 1e-4), True: (1e-1, 1e-3)}
MODE_BUDGET = {False: 60.0, True: 0.5}  # seconds of wall time per POT mode and row
REPEAT_BELOW = 2.0  # a mode run shorter than this is repeated, interleaved with ours
# Interleaved rounds of those repeats: as many as fit in ROUNDS_SECONDS (at least 2, at
# most 50). Solves of a few milliseconds move by 10-70% from one call to the next on a
# shared machine, so three samples a side decided their ratio by chance.
ROUNDS_SECONDS, MAX_ROUNDS = 1.0, 50
CONTENDER_WITHIN = 3.0  # modes this much slower than the fastest first run are timed once


def gaussians(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x ~ N(0, I), y ~ N((1, 1), I) in R^2 and their squared distances."""
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, 2)), rng.normal(1.0, 1.0, size=(n, 2))
    return x, y, cdist(x, y, "sqeuclidean")


def _unit_square(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cdist(rng.random((n, 2)), rng.random((n, 2)), "sqeuclidean")


def regimes(n: int, quick: bool) -> list[tuple[str, np.ndarray, float]]:
    """(regime, M, eps) for one size."""
    _, _, M = gaussians(n)
    scaled = M / M.max()
    rows = [(f"gauss eps/max(M)={r:g}", scaled, r) for r in RATIOS[quick]]
    rows.append(("unit square eps=0.05", _unit_square(n), 0.05))
    if not quick:
        rows.append(("gauss eps=0.05", M, 0.05))
    return rows


def _ours(M: np.ndarray, eps: float, tol: float):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unconverged solve is reported in the row
        return divergences.sinkhorn(M, eps=eps, tol=tol)


def _timed_ours(M, eps: float, tol: float) -> float:
    synchronize(M)
    start = time.perf_counter()
    _ours(M, eps, tol)
    synchronize(M)
    return time.perf_counter() - start


def sinkhorn_row(n: int, regime: str, M, eps: float, quick: bool, modes: tuple[str, ...] = MODES,
                 area: str = "entropic", mode_budget: float | None = None) -> Row:
    """Ours against each POT mode in ``modes`` on the cost ``M`` (a NumPy array, or a
    torch tensor on any device: the weights and errors follow M's device)."""
    xp = array_api_compat.array_namespace(M)
    w = xp.full((n,), 1.0 / n, dtype=M.dtype, device=array_api_compat.device(M))
    ours = _ours(M, eps, TOL)  # warm-up, value and accuracy
    ours_err = l1_error(ours.plan, w, w)
    mode_budget = MODE_BUDGET[quick] if mode_budget is None else mode_budget
    budget = min(mode_budget, max(Grid.left(), 0.0) / len(modes))
    runs = [run_mode(mode, w, w, M, eps, TOL, budget) for mode in modes]
    ours_s = _timed_ours(M, eps, TOL)
    best_s = {r.mode: r.seconds for r in runs}
    short = _contenders(runs, ours_s)
    order = np.random.default_rng(0)
    for _ in range(_rounds(short, ours_s, quick)):  # interleaved, in a fresh order each round
        for i in order.permutation(len(short) + 1):  # index len(short): ours
            if i == len(short):
                ours_s = min(ours_s, _timed_ours(M, eps, TOL))
            else:
                mode = short[i]
                best_s[mode.mode] = min(best_s[mode.mode], fresh_run(mode.mode, w, w, M, eps, mode.iterations)[0])
    runs = [r if r.failed else replace(r, seconds=best_s[r.mode]) for r in runs]
    peer = fastest(runs)
    modes = "; ".join(r.summary() for r in runs)
    ctx = f"ours {ours.n_iter} it, converged {ours.converged}; POT modes: {modes}"
    if peer is None:
        return Row(area, n, ours_s, "POT", math.nan, math.nan, "no POT mode ran: " + ctx,
                   regime=regime, ours_err=ours_err, peer_mode="none")
    return Row(area, n, ours_s, "POT", peer.seconds, abs(float(ours.value) - peer.value), ctx,
               regime=regime, ours_err=ours_err, peer_err=peer.error, peer_bound=not peer.reached,
               peer_mode=f"{peer.mode} ({peer.iterations} it)")


def _contenders(runs: list, ours_s: float) -> list:
    """The modes worth repeating: reached the tolerance, under ``REPEAT_BELOW``, and
    within ``CONTENDER_WITHIN`` of the fastest first run."""
    reached = [r for r in runs if r.reached and r.seconds < REPEAT_BELOW]
    best = min([ours_s] + [r.seconds for r in reached])
    return [r for r in reached if r.seconds <= CONTENDER_WITHIN * best]


def _rounds(short: list, ours_s: float, quick: bool) -> int:
    """Interleaved repeat rounds for the modes in ``short`` (2 when quick)."""
    if not short:
        return 0
    round_s = ours_s + sum(r.seconds for r in short)
    return 2 if quick else max(2, min(MAX_ROUNDS, int(ROUNDS_SECONDS / max(round_s, 1e-9))))


def _geomloss_rows(n: int, quick: bool) -> list[Row]:
    try:  # GeomLoss (and torch) come with the "bench" extra only
        import torch
        from geomloss import SamplesLoss
    except ImportError:
        print("entropic: geomloss not installed, GeomLoss rows skipped")
        return []
    eps = 0.05
    x, y, M = gaussians(n)
    w = np.full(n, 1.0 / n)
    blur = math.sqrt(eps / 2)  # GeomLoss eps_g = blur^2 = eps / 2 on cost M / 2
    loss = SamplesLoss("sinkhorn", p=2, blur=blur, scaling=0.95, backend="tensorized",
                       potentials=True, debias=False)
    args = {str(dt)[6:]: [torch.tensor(t, dtype=dt) for t in (w, x, w, y)]
            for dt in (torch.float64, torch.float32)}
    peer = {}  # dtype -> (true L1 error, <M, P>)
    for dt, a in args.items():
        F, G = (t.double().numpy().ravel() for t in loss(*a))  # returned as (1, n)
        P = w[:, None] * w[None, :] * np.exp((F[:, None] + G[None, :] - M / 2) / blur**2)
        peer[dt] = (l1_error(P, w, w), float(np.sum(M * P)))
    tol = min(err for err, _ in peer.values())  # the stricter of the two
    ours = _ours(M, eps, tol)
    ours_err = l1_error(np.asarray(ours.plan), w, w)

    # torch's 2 OpenMP threads stall badly when another process holds a core (measured
    # 0.2 s -> 6 s at n = 500), so GeomLoss gets the best of 1 and 2 threads (quick: 1).
    def call(a, threads):
        torch.set_num_threads(threads)
        loss(*a)

    threads, saved = (1,) if quick else (1, 2), torch.get_num_threads()
    fns = {(dt, th): (lambda a=a, th=th: call(a, th)) for dt, a in args.items() for th in threads}
    seconds = best_times({"ours": lambda: _ours(M, eps, tol), **fns}, repeats=3, warmup=0)
    torch.set_num_threads(saved)
    best = min(fns, key=lambda k: seconds[k])
    others = "; ".join(f"{dt} {th} thread(s) {seconds[dt, th]:.3g} s err {peer[dt][0]:.1e}" for dt, th in fns)
    return [Row("entropic", n, seconds["ours"], "GeomLoss", seconds[best], abs(float(ours.value) - peer[best[0]][1]),
                f"ours at tol {tol:.1e}: {ours.n_iter} it; GeomLoss: {others}", 1.0,
                regime="gauss eps=0.05 at GeomLoss' accuracy", ours_err=ours_err, peer_err=peer[best[0]][0],
                peer_mode=f"tensorized {best[0]}, {best[1]} thread(s)")]


def run(quick: bool = False) -> list[Row]:
    rows = []
    for n in SIZES[quick]:
        for regime, M, eps in regimes(n, quick):
            if Grid.left() <= 0:
                Grid.skip(f"entropic {regime} n={n}")
                continue
            rows.append(sinkhorn_row(n, regime, M, eps, quick))
            r = rows[-1]
            print(f"entropic {regime} n={n}: ours {r.ours_s:.3g} s, POT {r.peer_mode} "
                  f"{'> ' if r.peer_bound else ''}{r.peer_s:.3g} s, {r.verdict}", flush=True)
    n_geomloss = 200 if quick else 2000
    if Grid.left() > 0:
        rows += _geomloss_rows(n_geomloss, quick)
    else:
        Grid.skip(f"entropic GeomLoss n={n_geomloss}")
    return rows
