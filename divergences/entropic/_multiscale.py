"""Multiscale Sinkhorn with kernel truncation (Schmitzer 2016, arXiv 1610.06519).

Both clouds are cut into the cells of a grid (about :func:`cell_points` points each)
and sorted cell by cell. The problem between the cell centres (weighted by cell
mass) is solved first; its potentials, soft-c-transformed onto the points, start
the fine iterations. Those run on a truncated kernel: the pair of cells (I, J) is
kept only where some entry of its block can carry relative mass above
exp(-theta),

    max_{i in I} f_i + max_{j in J} g_j - Cmin(I, J) > -theta eps,
    Cmin(I, J) = max(|c_I - c_J| - r_I - r_J, 0)^p <= C_ij,

so an iteration costs O(n k d), k the kept columns per row, not O(n m d).
After the solve the rule is checked again with the final potentials; where a
dropped block fails it, the support is rebuilt and the solve resumed.

Truncation error: every dropped entry of the Gibbs plan of the final potentials
is below a_i b_j exp(-theta), so the dropped mass is at most exp(-theta) |a| |b|;
the full plan's marginal error exceeds the reported (truncated) one by at most
2 exp(-theta) |a| |b|, and its cost by at most exp(-theta) |a| |b| max C.
The certified bracket does not rely on it: the lower bound is the dual value of a
feasible pair (exact c-transforms over the kept blocks, Cmin bounds over the
dropped ones), the upper bound the cost of the rounded truncated plan, its
rank-one correction bounded with Cmax(I, J) = (|c_I - c_J| + r_I + r_J)^p.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .._backend import Array, Namespace, compiled_cpu, device, is_torch, to_namespace, to_numpy
from ..transport._polytope import shrink
from . import _online as o
from ._cells import Cells, Pairs, Support, cell_pair_blocks, cell_side, grid_cells, slack_pairs, support
from ._solver import run, solve_at
from ._truncated import gradient_block, plan_blocks, truncated_softmin

__all__ = ["CELL_POINTS", "CELL_POINTS_3D", "cell_points", "Finish", "Outcome", "PointsOutcome", "Start", "TruncatedMap", "finish", "solve", "solve_points", "start",
           "theta_for"]

# Points per grid cell: blocks of 64 rows keep the matrix products efficient while
# the cell radius stays a small share of the truncation radius at eps = 1e-3 diam^2
# (a kept pair of cells reaches r_I + r_J beyond it). In three dimensions a cell of
# 64 points is wider relative to that radius, and 32 pays. Measured at n = 10^5,
# eps = 1e-3 d, tol 1e-3: unit cube, one core, 188 s with 64, 91 s with 32, 107 s with
# 16, 192 s with 8 (gathers and Python per block); unit square, two threads, 55.7 s
# and 1.01 GB with 64, 58.0 s and 1.13 GB with 32.
CELL_POINTS = 64
CELL_POINTS_3D = 32


def cell_points(d: int) -> int:
    """Points per grid cell in dimension d (see CELL_POINTS)."""
    return CELL_POINTS if d <= 2 else CELL_POINTS_3D


# Rounds of "solve, check the truncation with the final potentials, rebuild".
ROUNDS = 4


@dataclass(frozen=True)
class TruncatedMap(o.OnlineMap):
    """:class:`~._online.OnlineMap` on the truncated kernel of a :class:`Support`."""

    sup: Support | None = None

    def transforms(self, g: Array, tau: float) -> tuple[Array, Array]:
        pb, eps, kx, sup = self.pb, self.eps, self.pb.xp, self.sup
        if sup is None:
            raise ValueError("TruncatedMap needs a support")
        f = truncated_softmin(g, pb.b, pb.x, pb.y, eps, sup.rows, pb.p, kx, self.fast, sup.row_bound, sup.row_kept)
        return f, truncated_softmin(f, pb.a, pb.y, pb.x, eps, sup.cols, pb.p, kx, self.fast, sup.col_bound,
                                    sup.col_kept)


@dataclass(frozen=True)
class Outcome:
    f: Array
    g: Array
    n_iter: int
    error: float
    converged: bool
    sup: Support
    cx: Cells
    cy: Cells
    pb: o.CloudProblem  # sorted cell by cell, in the kernel namespace


@dataclass(frozen=True)
class Start:
    """The clouds sorted cell by cell (``pb``), their cells, the potentials of the
    coarse solve transferred onto the points, its iterations, and the first kept pairs."""

    pb: o.CloudProblem
    cx: Cells
    cy: Cells
    f: Array
    g: Array
    n_iter: int
    keep: Pairs


def start(pb: o.CloudProblem, eps: float, theta: float, scale: float, max_iter: int) -> Start:
    """Cells, coarse solve and transfer, and the kept pairs at the slack level
    theta eps plus a margin for the potentials' moves; ``pb`` in the kernel namespace."""
    kx = pb.xp
    dev = device(pb.x)
    xh, yh, ah, bh = (to_numpy(t) for t in (pb.x, pb.y, pb.a, pb.b))
    side = cell_side(xh, yh, cell_points(xh.shape[1]))
    cx, cy = grid_cells(xh, ah, side), grid_cells(yh, bh, side)
    take = lambda t, c: kx.take(t, kx.asarray(c.order, device=dev), axis=0)  # noqa: E731
    fine = replace(pb, x=take(pb.x, cx), y=take(pb.y, cy), a=take(pb.a, cx), b=take(pb.b, cy))
    f, g, n_iter = _coarse_start(fine, cx, cy, eps, scale, max_iter)
    keep = slack_pairs(to_numpy(f), to_numpy(g), cx, cy, pb.p, (theta + math.log(4.0)) * eps)
    return Start(fine, cx, cy, f, g, n_iter, keep)


def solve(pb: o.CloudProblem, eps: float, tol: float, max_iter: int, theta: float, scale: float) -> Outcome:
    """Coarse solve, transfer, truncated fine solve; ``pb`` in the kernel namespace."""
    kx = pb.xp
    dev = device(pb.x)
    first = start(pb, eps, theta, scale, max_iter)
    fine, cx, cy, g, n_iter, keep = first.pb, first.cx, first.cy, first.g, first.n_iter, first.keep
    level = (theta + math.log(4.0)) * eps  # a margin for the potentials' moves
    for _ in range(ROUNDS):
        sup = support(keep, cx, cy, kx, dev)
        fast_tol = _fast_tol(tol, eps, sup, fine)
        out = solve_at(TruncatedMap(fine, eps, g, True, sup), fast_tol, max(0, max_iter - n_iter))
        n_iter += out.n_iter
        # float32 iterations that resolve tol itself give the final potentials, and the
        # float64 error of the finish decides (see solve_points)
        if not (fast_tol <= tol and out.converged):
            g = out.map.potentials(out.step)[1]
            out = solve_at(TruncatedMap(fine, eps, g, False, sup), tol, max(0, max_iter - n_iter))
            n_iter += out.n_iter
        f, g = out.map.potentials(out.step)
        fh, gh = to_numpy(f), to_numpy(g)
        missed = keep.misses(slack_pairs(fh, gh, cx, cy, pb.p, theta * eps))
        if not missed:
            break
        keep = keep.union(slack_pairs(fh, gh, cx, cy, pb.p, level))
    return Outcome(f, g, n_iter, out.error, out.converged and not missed, sup, cx, cy, fine)


def _fast_tol(tol: float, eps: float, sup: Support, pb: o.CloudProblem) -> float:
    """How far float32 iterations go: the compiled kernels form each row cell's
    exponents in its own coordinates, terms of size spread / eps + 1 (``Kept.spread``),
    the array libraries in the cloud's, of size 1 / eps (costs in [0, 1])."""
    if pb.p != 2 or not compiled_cpu(pb.x):
        return o.fast_tol(tol, eps)
    return o.fast_tol(tol, eps, 1 + max(sup.row_kept.spread, sup.col_kept.spread) / eps)


def polish(out: Outcome, eps: float, tol: float, max_iter: int) -> Outcome:
    """float64 iterations on the final support, from the outcome's potentials."""
    mp = TruncatedMap(out.pb, eps, out.g, False, out.sup)
    more = solve_at(mp, tol, max(0, max_iter - out.n_iter))
    f, g = more.map.potentials(more.step)
    return replace(out, f=f, g=g, n_iter=out.n_iter + more.n_iter, error=more.error, converged=more.converged)


def _coarse_start(fine: o.CloudProblem, cx: Cells, cy: Cells, eps: float, scale: float, max_iter: int):
    """Potentials on the points from the eps-scaled solve between the cell centres:
    f and g are the soft c-transforms of the coarse g and f (O((n + m) K) each)."""
    kx, dev, dt = fine.xp, device(fine.x), fine.x.dtype
    arr = lambda t: kx.asarray(t, dtype=dt, device=dev)  # noqa: E731
    coarse = replace(fine, x=arr(cx.centre), y=arr(cy.centre), a=arr(cx.mass), b=arr(cy.mass),
                     block=max(1, o.BLOCK_ENTRIES // max(len(cx.start), len(cy.start))))
    out = run(lambda g, e: o.OnlineMap.at(coarse, g, e, True), kx.zeros_like(coarse.b), eps, 1e-3,
              max_iter, scale, 0.1, 1e-3, 100)
    fc, gc = out.map.potentials(out.step)
    # rows of the fine clouds against the K cell centres: blocks of BLOCK_ENTRIES / K rows
    f = o.softmin(gc, coarse.b, fine.x, coarse.y, eps, 1.0, coarse, True)
    g = o.softmin(fc, coarse.a, fine.y, coarse.x, eps, 1.0, coarse, True)
    return f, g, out.n_iter


@dataclass(frozen=True)
class Finish:
    """The truncated plan's <C, P>, mass, envelope gradients (or None), L1 marginal
    error, and the certified (lower, upper), sorted order."""

    cost: Array
    mass: Array
    Gx: Array | None
    Gy: Array | None
    error: float
    lower: Array
    upper: Array


def finish(out: Outcome, eps: float, gradients: bool) -> Finish:
    """Everything after the iterations in two passes over the kept blocks, each
    block's C and P formed once.

    Column pass: column sums, y-gradients, the c-transform g1 = (f)^c and the
    column scaling of the rounding, sc = min(b / P^T 1, 1). Row pass: row sums,
    <C, P>, x-gradients, f1 = (g1)^c, and the rounded plan's rows
    sr_i P_ij sc_j with sr = min(a / P sc, 1), all complete within a row block
    (a block holds every kept column of its rows). The lower bound is the dual
    value of the feasible pair (f1, g1); the upper bound the cost of the rounded
    plan plus its rank-one correction (Altschuler, Weed and Rigollet 2017, Alg. 2,
    columns first), bounded with Cmax(I, J) over cell pairs."""
    pb, kx = out.pb, out.pb.xp
    x, y, a, b = pb.x, pb.y, pb.a, pb.b
    # every per-block result is written into one preallocated output, and C and P are
    # overwritten in place once read: small results kept between fresh block
    # temporaries fragmented glibc's heap (resident memory doubled during this pass)
    cols_all, g1, Gy = _empty(b, kx), _empty(b, kx), _empty(y, kx)  # Gy: n x d, filled only with gradients
    f_kept = kx.where(a > 0, out.f, -kx.inf)
    for s, e, idx, C, P in plan_blocks(y, x, out.g, out.f, b, a, eps, out.sup.cols, pb):
        cols_all[s:e] = kx.sum(P, axis=1)
        if gradients:
            Gy[s:e, :] = gradient_block(P, C, y[s:e, :], kx.take(x, idx, axis=0), pb)
        C -= kx.take(f_kept, idx)[None, :]
        g1[s:e] = _row_min(C, kx)
    g1 = _with_dropped(g1, f_kept, out.cy, out.cx, out.sup.pairs.transpose(), pb.p, kx)
    sc = shrink(b, cols_all, kx)
    g1_kept = kx.where(b > 0, g1, -kx.inf)
    zero = kx.zeros((), dtype=x.dtype, device=device(x))
    rows_all, f1, kept_rows, Gx = _empty(a, kx), _empty(a, kx), _empty(a, kx), _empty(x, kx)
    costs_all, kept_cols = kx.zeros((a.shape[0], 2), dtype=x.dtype, device=device(x)), kx.zeros_like(b)
    for s, e, idx, C, P in plan_blocks(x, y, out.f, out.g, a, b, eps, out.sup.rows, pb):
        if gradients:
            Gx[s:e, :] = gradient_block(P, C, x[s:e, :], kx.take(y, idx, axis=0), pb)
        # one product each for the plain and the column-scaled sums (no scaled copy of P)
        sc_kept = kx.take(sc, idx)
        weights = kx.stack([kx.ones_like(sc_kept), sc_kept], axis=1)
        sums = P @ weights
        sr = shrink(a[s:e], sums[:, 1], kx)
        rows_all[s:e], kept_rows[s:e] = sums[:, 0], sr * sums[:, 1]
        kept_cols = _add_at(kept_cols, idx, (sr @ P) * sc_kept, kx)
        P *= C  # P C, for the costs; P is not read again
        costs_all[s:e, :] = (P @ weights) * kx.stack([kx.ones_like(sr), sr], axis=1)
        C -= kx.take(g1_kept, idx)[None, :]
        f1[s:e] = _row_min(C, kx)
    cost, rounded = kx.sum(costs_all[:, 0]), kx.sum(costs_all[:, 1])
    f1 = _with_dropped(f1, g1_kept, out.cx, out.cy, out.sup.pairs, pb.p, kx)
    lower = kx.sum(kx.where(a > 0, a * f1, zero)) + kx.sum(kx.where(b > 0, b * g1, zero))
    err_r = to_numpy(kx.clip(a - kept_rows, 0.0, None))
    err_c = to_numpy(kx.clip(b - kept_cols, 0.0, None))
    ER, EC = np.add.reduceat(err_r, out.cx.start), np.add.reduceat(err_c, out.cy.start)
    total = float(err_r.sum())
    cross = _cross(ER, EC, out.cx, out.cy, pb.p) / total if total > 0 else 0.0
    error = max(float(kx.sum(kx.abs(rows_all - a))), float(kx.sum(kx.abs(cols_all - b))))
    return Finish(cost, kx.sum(rows_all), Gx if gradients else None, Gy if gradients else None, error, lower,
                  rounded + cross)


def _empty(like: Array, kx: Namespace) -> Array:
    return kx.empty(like.shape, dtype=like.dtype, device=device(like))


def _row_min(Z: Array, kx: Namespace) -> Array:
    if Z.shape[1]:
        return kx.min(Z, axis=1)
    return kx.full((Z.shape[0],), kx.inf, dtype=Z.dtype, device=device(Z))


def _add_at(total: Array, idx: Array, values: Array, kx: Namespace) -> Array:
    """total[idx] += values (idx without repeats: a block's kept columns); the
    array API has no scatter-add, so other namespaces go through NumPy."""
    if is_torch(kx):
        return total.index_add_(0, idx, values)
    out = to_numpy(total).copy()
    np.add.at(out, to_numpy(idx, np.int64), to_numpy(values))
    return kx.asarray(out, dtype=total.dtype, device=device(total))


def _with_dropped(exact: Array, h: Array, cells_x: Cells, cells_y: Cells, pairs: Pairs, p: float,
                  kx: Namespace) -> Array:
    """A lower bound on min_j C(X_i, Y_j) - h_j (h = -inf where w_j = 0): ``exact``
    over the kept blocks, Cmin(I, J) - max_J h over the dropped ones; any such bound
    keeps the pair feasible, so the dual value stays a lower bound."""
    H = np.maximum.reduceat(to_numpy(h), cells_y.start)
    dropped = np.empty(len(cells_x.start))
    for rows, cmin, _ in cell_pair_blocks(cells_x, cells_y, p):
        dropped[rows] = np.where(pairs.mask(rows), np.inf, cmin - H[None, :]).min(axis=1)
    per_point = np.repeat(dropped, cells_x.end - cells_x.start)
    return kx.minimum(exact, kx.asarray(per_point, dtype=exact.dtype, device=device(exact)))


def _cross(ER: np.ndarray, EC: np.ndarray, cx: Cells, cy: Cells, p: float) -> float:
    """ER^T Cmax EC over all cell pairs (the rounding's rank-one correction bound)."""
    return float(sum(ER[rows] @ (cmax @ EC) for rows, _, cmax in cell_pair_blocks(cx, cy, p, upper=True)))


@dataclass(frozen=True)
class PointsOutcome:
    """What :func:`divergences.sinkhorn_points` needs, in the caller's namespace and
    order: (f, g, <C, P>, mass, Gx, Gy, lower, upper), and the solve's record."""

    terms: tuple
    n_iter: int
    error: float
    converged: bool


def theta_for(tol: float) -> float:
    """Truncation level: dropped entries carry at most exp(-theta) = tol / 10 of the
    mass, a tenth of the marginal error asked for."""
    return math.log(10.0 / tol)


def solve_points(pb: o.CloudProblem, eps: float, tol: float, max_iter: int, scale: float,
                 gradients: bool = True) -> PointsOutcome:
    """The multiscale solve of the balanced problem ``pb`` (caller's namespace);
    the envelope gradients (Gx, Gy) only where ``gradients``."""
    xp, kp = pb.xp, pb.kernel
    out = solve(kp, eps, tol, max_iter, theta_for(tol), scale)
    end = finish(out, eps, gradients)
    if end.error > tol and out.converged:  # float32 potentials short of tol in float64
        out = polish(out, eps, tol, max_iter)
        end = finish(out, eps, gradients)
    kx = kp.xp

    def back(t, cells):
        if t is None:
            return None
        return to_namespace(kx.take(t, kx.asarray(np.argsort(cells.order), device=device(t)), axis=0), xp)

    terms = (back(out.f, out.cx), back(out.g, out.cy), to_namespace(end.cost, xp), to_namespace(end.mass, xp),
             back(end.Gx, out.cx), back(end.Gy, out.cy), to_namespace(end.lower, xp), to_namespace(end.upper, xp))
    return PointsOutcome(terms, out.n_iter, end.error, out.converged and end.error <= tol)
