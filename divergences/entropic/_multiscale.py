"""Multiscale Sinkhorn with kernel truncation (Schmitzer 2016, arXiv 1610.06519).

Both clouds are cut into the cells of a grid (about ``CELL_POINTS`` points each)
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

from .._backend import Array, Namespace, device, to_namespace, to_numpy
from .._numerics import logsumexp, safe_log
from ..transport._cost import euclidean_cost
from ..transport._polytope import shrink
from . import _online as o
from ._solver import run, solve_at

# Points per grid cell: blocks of 64 rows keep the matrix products efficient while
# the cell radius stays a small share of the truncation radius at eps = 1e-3 diam^2.
CELL_POINTS = 64
# Rounds of "solve, check the truncation with the final potentials, rebuild".
ROUNDS = 4


@dataclass(frozen=True)
class Cells:
    """A cloud sorted cell by cell: cell k holds the sorted points start[k]:end[k]."""

    order: np.ndarray  # the sorting permutation of the points
    start: np.ndarray
    end: np.ndarray
    centre: np.ndarray  # (K, d) mass-weighted centres (plain means for zero mass)
    radius: np.ndarray  # (K,) largest distance of a point from its centre
    mass: np.ndarray


def grid_cells(x: np.ndarray, w: np.ndarray, side: float) -> Cells:
    """Cells of a grid of the given side (in the units of x), nonempty ones only."""
    keys = np.floor((x - x.min(axis=0)) / side).astype(np.int64)
    _, cell = np.unique(keys, axis=0, return_inverse=True)
    cell = cell.reshape(-1)
    order = np.argsort(cell, kind="stable")
    counts = np.bincount(cell)
    end = np.cumsum(counts)
    start = end - counts
    xs, ws, cs = x[order], w[order], cell[order]
    mass = np.bincount(cs, weights=ws, minlength=len(counts))
    weight = np.where(mass[cs] > 0, ws, 1.0)
    total = np.bincount(cs, weights=weight, minlength=len(counts))
    centre = np.stack([np.bincount(cs, weights=weight * xs[:, k]) for k in range(x.shape[1])], axis=1) / total[:, None]
    gap = np.linalg.norm(xs - centre[cs], axis=1)
    radius = np.zeros(len(counts))
    np.maximum.at(radius, cs, gap)
    return Cells(order, start, end, centre, radius * (1 + 1e-12), mass)


def cell_side(x: np.ndarray, y: np.ndarray, cell_points: int) -> float:
    """Grid side giving about ``cell_points`` points per cell of the joint bounding box."""
    both = np.concatenate([x, y])
    extent = np.maximum(both.max(axis=0) - both.min(axis=0), 1e-300)
    n = max(len(x), len(y))
    volume = float(np.prod(extent))
    side = (volume * cell_points / n) ** (1 / x.shape[1])
    return max(side, float(extent.max()) * 1e-9)


def cell_distances(cx: Cells, cy: Cells, p: float) -> tuple[np.ndarray, np.ndarray]:
    """(Cmin, Cmax): bounds on C_ij over the pairs of each cell pair."""
    D = np.sqrt(np.maximum(((cx.centre[:, None, :] - cy.centre[None, :, :]) ** 2).sum(-1), 0.0))
    reach = cx.radius[:, None] + cy.radius[None, :]
    return np.maximum(D - reach, 0.0) ** p, (D + reach) ** p


def cell_max(h: np.ndarray, cells: Cells) -> np.ndarray:
    """max of h (sorted cell by cell) over each cell."""
    return np.maximum.reduceat(h, cells.start)


@dataclass(frozen=True)
class Support:
    """The kept cell pairs: for each row cell, the sorted column indices it sees,
    and for each column cell, the sorted row indices."""

    keep: np.ndarray  # (Kx, Ky) bool
    rows: list  # per row cell: (start, end, column indices)
    cols: list  # per column cell: (start, end, row indices)


def support(keep: np.ndarray, cx: Cells, cy: Cells, kx: Namespace, dev) -> Support:
    point_cell_y = np.repeat(np.arange(len(cy.start)), cy.end - cy.start)
    point_cell_x = np.repeat(np.arange(len(cx.start)), cx.end - cx.start)

    def lists(mask, cells, other_cell):
        out = []
        for k in range(mask.shape[0]):
            idx = np.flatnonzero(mask[k][other_cell])
            out.append((int(cells.start[k]), int(cells.end[k]), kx.asarray(idx, device=dev)))
        return out

    return Support(keep, lists(keep, cx, point_cell_y), lists(keep.T, cy, point_cell_x))


def slack_keep(f: np.ndarray, g: np.ndarray, cx: Cells, cy: Cells, cmin: np.ndarray, level: float) -> np.ndarray:
    """Cell pairs whose largest possible exponent (f + g - C)/eps exceeds -level."""
    return cell_max(f, cx)[:, None] + cell_max(g, cy)[None, :] - cmin > -level


def truncated_softmin(h, w, X, Y, eps: float, blocks: list, p: float, kx: Namespace, fast: bool) -> Array:
    """-eps LSE over the kept columns of each row block (rows in cell order)."""
    dtype = kx.float32 if fast else X.dtype
    shift = safe_log(w, kx) + h / eps
    out = []
    if p == 2:
        shift = kx.astype(shift - kx.sum(Y * Y, axis=1) / eps, dtype)
        Y2 = kx.astype(Y * (2 / eps), dtype)
        Xc = kx.astype(X, dtype)
        for s, e, idx in blocks:
            Yb = kx.take(Y2, idx, axis=0)
            out.append(logsumexp(Xc[s:e, :] @ kx.matrix_transpose(Yb) + kx.take(shift, idx)[None, :], 1, kx))
        lse = kx.astype(kx.concat(out), X.dtype) - kx.sum(X * X, axis=1) / eps
    else:
        shift, Xc, Yc = kx.astype(shift, dtype), kx.astype(X, dtype), kx.astype(Y, dtype)
        for s, e, idx in blocks:
            C = euclidean_cost(Xc[s:e, :], kx.take(Yc, idx, axis=0), p, kx)
            out.append(logsumexp(kx.take(shift, idx)[None, :] - C / eps, 1, kx))
        lse = kx.astype(kx.concat(out), X.dtype)
    return -eps * lse


@dataclass(frozen=True)
class TruncatedMap(o.OnlineMap):
    """:class:`~._online.OnlineMap` on the truncated kernel of a :class:`Support`."""

    sup: Support | None = None

    def transforms(self, g: Array, tau: float) -> tuple[Array, Array]:
        pb, eps, kx, sup = self.pb, self.eps, self.pb.xp, self.sup
        if sup is None:
            raise ValueError("TruncatedMap needs a support")
        f = truncated_softmin(g, pb.b, pb.x, pb.y, eps, sup.rows, pb.p, kx, self.fast)
        return f, truncated_softmin(f, pb.a, pb.y, pb.x, eps, sup.cols, pb.p, kx, self.fast)


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

    @property
    def keep_t(self) -> np.ndarray:
        return self.sup.keep.T


def solve(pb: o.CloudProblem, eps: float, tol: float, max_iter: int, theta: float, scale: float) -> Outcome:
    """Coarse solve, transfer, truncated fine solve; ``pb`` in the kernel namespace."""
    kx = pb.xp
    dev = device(pb.x)
    xh, yh, ah, bh = (to_numpy(t) for t in (pb.x, pb.y, pb.a, pb.b))
    side = cell_side(xh, yh, CELL_POINTS)
    cx, cy = grid_cells(xh, ah, side), grid_cells(yh, bh, side)
    take = lambda t, c: kx.take(t, kx.asarray(c.order, device=dev), axis=0)  # noqa: E731
    fine = replace(pb, x=take(pb.x, cx), y=take(pb.y, cy), a=take(pb.a, cx), b=take(pb.b, cy))
    f, g, n_iter = _coarse_start(fine, cx, cy, eps, scale, max_iter)
    cmin, _ = cell_distances(cx, cy, pb.p)
    level = (theta + math.log(4.0)) * eps  # a margin for the potentials' moves
    keep = slack_keep(to_numpy(f), to_numpy(g), cx, cy, cmin, level)
    for _ in range(ROUNDS):
        sup = support(keep, cx, cy, kx, dev)
        out = solve_at(TruncatedMap(fine, eps, g, True, sup), max(tol, o.FAST_TOL), max(0, max_iter - n_iter))
        n_iter += out.n_iter
        g = out.map.potentials(out.step)[1]
        out = solve_at(TruncatedMap(fine, eps, g, False, sup), tol, max(0, max_iter - n_iter))
        n_iter += out.n_iter
        f, g = out.map.potentials(out.step)
        valid = slack_keep(to_numpy(f), to_numpy(g), cx, cy, cmin, theta * eps)
        if not bool(np.any(valid & ~keep)):
            break
        keep = keep | slack_keep(to_numpy(f), to_numpy(g), cx, cy, cmin, level)
    return Outcome(f, g, n_iter, out.error, out.converged and not bool(np.any(valid & ~keep)), sup, cx, cy, fine)


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
    f = o.softmin(gc, coarse.b, fine.x, coarse.y, eps, 1.0, replace(coarse, block=fine.block), True)
    g = o.softmin(fc, coarse.a, fine.y, coarse.x, eps, 1.0, replace(coarse, block=fine.block), True)
    return f, g, out.n_iter


def _gibbs_blocks(X, Y, u, v, wu, wv, eps: float, blocks: list, pb: o.CloudProblem):
    """(s, e, idx, C, P) per kept block of the plan P_ij = wu_i wv_j exp((u_i + v_j - C_ij)/eps)."""
    kx = pb.xp
    col = safe_log(wv, kx) + v / eps
    row = safe_log(wu, kx) + u / eps
    for s, e, idx in blocks:
        C = o.block_cost(X[s:e, :], kx.take(Y, idx, axis=0), pb)
        yield s, e, idx, C, kx.exp(row[s:e][:, None] + kx.take(col, idx)[None, :] - C / eps)


def plan_terms(out: Outcome, eps: float):
    """<C, P>, mass, envelope gradients and L1 marginal errors of the truncated plan
    (two passes, one over row cells, one over column cells), sorted order."""
    pb, kx = out.pb, out.pb.xp
    x, y, f, g, a, b = pb.x, pb.y, out.f, out.g, pb.a, pb.b
    cost, rows, Gx = 0.0, [], []
    for s, e, idx, C, P in _gibbs_blocks(x, y, f, g, a, b, eps, out.sup.rows, pb):
        W = pb.p * P * o.norm_power(C, pb.p, kx)
        cost = cost + kx.sum(P * C)
        rows.append(kx.sum(P, axis=1))
        Gx.append(kx.sum(W, axis=1)[:, None] * x[s:e, :] - W @ kx.take(y, idx, axis=0))
    cols, Gy = [], []
    for s, e, idx, C, P in _gibbs_blocks(y, x, g, f, b, a, eps, out.sup.cols, pb):
        W = pb.p * P * o.norm_power(C, pb.p, kx)
        cols.append(kx.sum(P, axis=1))
        Gy.append(kx.sum(W, axis=1)[:, None] * y[s:e, :] - W @ kx.take(x, idx, axis=0))
    rows, cols = kx.concat(rows), kx.concat(cols)
    error = max(float(kx.sum(kx.abs(rows - a))), float(kx.sum(kx.abs(cols - b))))
    return cost, kx.sum(rows), kx.concat(Gx, axis=0), kx.concat(Gy, axis=0), rows, error


def bracket(out: Outcome, eps: float, rows: Array) -> tuple[Array, Array]:
    """Certified (lower, upper) on the exact OT from the truncated solve (module notes)."""
    pb, kx = out.pb, out.pb.xp
    x, y, a, b = pb.x, pb.y, pb.a, pb.b
    cmin, cmax = cell_distances(out.cx, out.cy, pb.p)
    g1 = _bounded_c_transform(out.f, a, y, x, out.sup.cols, out.cy, out.cx, cmin.T, out.keep_t, pb)
    f1 = _bounded_c_transform(g1, b, x, y, out.sup.rows, out.cx, out.cy, cmin, out.sup.keep, pb)
    zero = kx.zeros((), dtype=x.dtype, device=device(x))
    lower = kx.sum(kx.where(a > 0, a * f1, zero)) + kx.sum(kx.where(b > 0, b * g1, zero))
    # Altschuler-Weed-Rigollet rounding of the truncated plan
    sr = shrink(a, rows, kx)
    cols = [P @ kx.take(sr, idx) for _, _, idx, _, P in
            _gibbs_blocks(y, x, out.g, out.f, b, a, eps, out.sup.cols, pb)]
    cols = kx.concat(cols)
    t = shrink(b, cols, kx)
    cost, kept_rows = zero, []
    for s, e, idx, C, P in _gibbs_blocks(x, y, out.f, out.g, a, b, eps, out.sup.rows, pb):
        X = sr[s:e][:, None] * P * kx.take(t, idx)[None, :]
        cost = cost + kx.sum(X * C)
        kept_rows.append(kx.sum(X, axis=1))
    err_r = to_numpy(kx.clip(a - kx.concat(kept_rows), 0.0, None))
    err_c = to_numpy(kx.clip(b - t * cols, 0.0, None))
    ER = np.add.reduceat(err_r, out.cx.start)
    EC = np.add.reduceat(err_c, out.cy.start)
    total = float(err_r.sum())
    cross = float(ER @ cmax @ EC) / total if total > 0 else 0.0
    return lower, cost + cross


def _bounded_c_transform(h, w, X, Y, blocks, cells_x, cells_y, cmin, keep, pb):
    """A lower bound on min_j C(X_i, Y_j) - h_j (over w_j > 0): exact over the kept
    blocks, Cmin(I, J) - max_J h over the dropped ones; any such bound keeps the
    pair feasible, so the dual value stays a lower bound."""
    kx = pb.xp
    h = kx.where(w > 0, h, -kx.inf)
    parts = [kx.min(C - kx.take(h, idx)[None, :], axis=1) if C.shape[1] else
             kx.full((e - s,), kx.inf, dtype=X.dtype, device=device(X))
             for s, e, idx, C in _cost_blocks(X, Y, blocks, pb)]
    exact = kx.concat(parts)
    H = np.maximum.reduceat(to_numpy(h), cells_y.start)
    dropped = np.where(keep, np.inf, cmin - H[None, :]).min(axis=1)
    per_point = np.repeat(dropped, cells_x.end - cells_x.start)
    return kx.minimum(exact, kx.asarray(per_point, dtype=X.dtype, device=device(X)))


def _cost_blocks(X, Y, blocks, pb):
    kx = pb.xp
    for s, e, idx in blocks:
        yield s, e, idx, o.block_cost(X[s:e, :], kx.take(Y, idx, axis=0), pb)


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


def solve_points(pb: o.CloudProblem, eps: float, tol: float, max_iter: int, scale: float) -> PointsOutcome:
    """The multiscale solve of the balanced problem ``pb`` (caller's namespace)."""
    xp, kp = pb.xp, pb.kernel
    out = solve(kp, eps, tol, max_iter, theta_for(tol), scale)
    cost, mass, Gx, Gy, rows, error = plan_terms(out, eps)
    lower, upper = bracket(out, eps, rows)
    kx = kp.xp
    back = lambda t, cells: to_namespace(kx.take(t, kx.asarray(np.argsort(cells.order), device=device(t)), axis=0), xp)  # noqa: E731
    terms = (back(out.f, out.cx), back(out.g, out.cy), to_namespace(cost, xp), to_namespace(mass, xp),
             back(Gx, out.cx), back(Gy, out.cy), to_namespace(lower, xp), to_namespace(upper, xp))
    return PointsOutcome(terms, out.n_iter, error, out.converged and error <= tol)
