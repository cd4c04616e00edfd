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

from .._backend import Array, Namespace, device, is_torch, to_namespace, to_numpy
from .._numerics import clip_below_zero, exp_inplace, exp_row_sums, logsumexp, safe_log
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
class CellBound:
    """The kept cell pairs (I, J) of one direction, grouped by row cell I, with
    Cmin(I, J). They bound every exponent of a row cell's block from above,

        max_{j kept} (h_j + eps log w_j - C_ij) <= B_I = max_{J kept} (H_J - Cmin(I, J)),
        H_J = max_{j in J} (h_j + eps log w_j),

    and from below within a few cell-widths' worth of eps (C_ij - Cmin(I, J) is at
    most the cell diameters times the distance), so exp((... - B_I)/eps) neither
    overflows nor, in practice, underflows: no max pass is needed."""

    col_start: np.ndarray  # first point of each column cell
    first: np.ndarray  # first pair of each row cell
    J: np.ndarray  # column cell of each pair
    cmin: np.ndarray  # Cmin(I, J) of each pair
    empty: np.ndarray  # row cells with no kept pair
    rows: np.ndarray  # points per row cell

    def per_row(self, hw: np.ndarray) -> np.ndarray:
        """B_I repeated over the points of each row cell I."""
        H = np.maximum.reduceat(hw, self.col_start)
        if len(self.J) == 0:
            return np.full(int(self.rows.sum()), -np.inf)
        B = np.maximum.reduceat(H[self.J] - self.cmin, np.minimum(self.first, len(self.J) - 1))
        B[self.empty] = -np.inf
        return np.repeat(B, self.rows)


def cell_bound(keep: np.ndarray, cmin: np.ndarray, rows: Cells, cols: Cells) -> CellBound:
    I, J = np.nonzero(keep)
    counts = np.bincount(I, minlength=keep.shape[0])
    first = np.cumsum(counts) - counts
    return CellBound(cols.start, first, J, cmin[I, J], counts == 0, rows.end - rows.start)


@dataclass(frozen=True)
class Support:
    """The kept cell pairs: for each row cell, the sorted column indices it sees,
    and for each column cell, the sorted row indices; the exponent bounds of both."""

    keep: np.ndarray  # (Kx, Ky) bool
    rows: list  # per row cell: (start, end, column indices)
    cols: list  # per column cell: (start, end, row indices)
    row_bound: CellBound | None = None
    col_bound: CellBound | None = None


def support(keep: np.ndarray, cx: Cells, cy: Cells, kx: Namespace, dev, cmin: np.ndarray | None = None) -> Support:
    point_cell_y = np.repeat(np.arange(len(cy.start)), cy.end - cy.start)
    point_cell_x = np.repeat(np.arange(len(cx.start)), cx.end - cx.start)
    # the index lists are the support's memory (n k entries each way): 32-bit where they fit
    index_dtype = np.int32 if max(len(point_cell_x), len(point_cell_y)) < 2**31 else np.int64

    def lists(mask, cells, other_cell):
        out = []
        for k in range(mask.shape[0]):
            idx = np.flatnonzero(mask[k][other_cell]).astype(index_dtype)
            out.append((int(cells.start[k]), int(cells.end[k]), kx.asarray(idx, device=dev)))
        return out

    bounds = (None, None) if cmin is None else (cell_bound(keep, cmin, cx, cy), cell_bound(keep.T, cmin.T, cy, cx))
    return Support(keep, lists(keep, cx, point_cell_y), lists(keep.T, cy, point_cell_x), *bounds)


def slack_keep(f: np.ndarray, g: np.ndarray, cx: Cells, cy: Cells, cmin: np.ndarray, level: float) -> np.ndarray:
    """Cell pairs whose largest possible exponent (f + g - C)/eps exceeds -level."""
    return cell_max(f, cx)[:, None] + cell_max(g, cy)[None, :] - cmin > -level


def truncated_softmin(h, w, X, Y, eps: float, blocks: list, p: float, kx: Namespace, fast: bool,
                      bound: CellBound | None = None) -> Array:
    """-eps LSE over the kept columns of each row block (rows in cell order)."""
    if p == 2 and bound is not None:
        out = _bounded_softmin(h, w, X, Y, eps, blocks, bound, kx, fast)
        if bool(kx.all(kx.isfinite(out))):
            return out
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


def _bounded_softmin(h, w, X, Y, eps: float, blocks: list, bound: CellBound, kx: Namespace, fast: bool) -> Array:
    """The p = 2 soft-min with each row's exponents shifted by the cell bound
    c_i = |x_i|^2/eps + B_I/eps (:class:`CellBound`) folded into one matrix product,

        E_ij = [x_i, 1, -c_i] . [2 y_j/eps, (h_j + eps log w_j - |y_j|^2)/eps, 1]
             = (h_j + eps log w_j - C_ij - B_I)/eps <= 0,

    so a block costs one product, one exponential and one sum: no max pass and no
    temporaries. A row whose exponents all underflow comes back -inf and the caller
    takes the max-shifted path."""
    dtype = kx.float32 if fast else X.dtype
    dev = device(X)
    hw = h + eps * safe_log(w, kx)
    B = kx.asarray(bound.per_row(to_numpy(hw)), dtype=X.dtype, device=dev) / eps
    Xa = kx.astype(_lift_rows(X, -(kx.sum(X * X, axis=1) / eps + B), kx), dtype)
    Ya = kx.astype(_lift_cols(Y * (2 / eps), (hw - kx.sum(Y * Y, axis=1)) / eps, kx), dtype)
    sums = [exp_row_sums(Xa[s:e, :] @ kx.matrix_transpose(kx.take(Ya, idx, axis=0)), kx) for s, e, idx in blocks]
    return -eps * (kx.log(kx.astype(kx.concat(sums), X.dtype)) + B)


@dataclass(frozen=True)
class TruncatedMap(o.OnlineMap):
    """:class:`~._online.OnlineMap` on the truncated kernel of a :class:`Support`."""

    sup: Support | None = None

    def transforms(self, g: Array, tau: float) -> tuple[Array, Array]:
        pb, eps, kx, sup = self.pb, self.eps, self.pb.xp, self.sup
        if sup is None:
            raise ValueError("TruncatedMap needs a support")
        f = truncated_softmin(g, pb.b, pb.x, pb.y, eps, sup.rows, pb.p, kx, self.fast, sup.row_bound)
        return f, truncated_softmin(f, pb.a, pb.y, pb.x, eps, sup.cols, pb.p, kx, self.fast, sup.col_bound)


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
        sup = support(keep, cx, cy, kx, dev, cmin)
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
    # rows of the fine clouds against the K cell centres: blocks of BLOCK_ENTRIES / K rows
    f = o.softmin(gc, coarse.b, fine.x, coarse.y, eps, 1.0, coarse, True)
    g = o.softmin(fc, coarse.a, fine.y, coarse.x, eps, 1.0, coarse, True)
    return f, g, out.n_iter


def _lift_rows(X: Array, r: Array, kx: Namespace) -> Array:
    """[X, 1, r]: times the rows [Y, c, 1] of :func:`_lift_cols`, X . Y + c + r."""
    ones = kx.ones((X.shape[0], 1), dtype=X.dtype, device=device(X))
    return kx.concat([X, ones, r[:, None]], axis=1)


def _lift_cols(Y: Array, c: Array, kx: Namespace) -> Array:
    """[Y, c, 1] (see :func:`_lift_rows`)."""
    ones = kx.ones((Y.shape[0], 1), dtype=Y.dtype, device=device(Y))
    return kx.concat([Y, c[:, None], ones], axis=1)


def _plan_blocks(X, Y, u, v, wu, wv, eps: float, blocks: list, pb: o.CloudProblem):
    """(s, e, idx, C, P) per kept block of the plan P_ij = wu_i wv_j exp((u_i + v_j - C_ij)/eps).

    For p = 2 both C and log P are single products of lifted rows (:func:`_lifted`):
    C_ij = [x_i, 1, |x_i|^2] . [-2 y_j, |y_j|^2, 1], log P_ij = [x_i, 1, r_i] . [2 y_j/eps, c_j, 1]
    (the clouds are centred, so the expansion's cancellation stays at round-off)."""
    kx = pb.xp
    col = safe_log(wv, kx) + v / eps
    row = safe_log(wu, kx) + u / eps
    if pb.p != 2:
        for s, e, idx in blocks:
            C = o.block_cost(X[s:e, :], kx.take(Y, idx, axis=0), pb)
            yield s, e, idx, C, kx.exp(row[s:e][:, None] + kx.take(col, idx)[None, :] - C / eps)
        return
    x2, y2 = kx.sum(X * X, axis=1), kx.sum(Y * Y, axis=1)
    Xc, Yc = _lift_rows(X, x2, kx), _lift_cols(-2 * Y, y2, kx)
    Xl, Yl = _lift_rows(X, row - x2 / eps, kx), _lift_cols(Y * (2 / eps), col - y2 / eps, kx)
    for s, e, idx in blocks:
        Cb = clip_below_zero(Xc[s:e, :] @ kx.matrix_transpose(kx.take(Yc, idx, axis=0)), kx)
        Pb = exp_inplace(Xl[s:e, :] @ kx.matrix_transpose(kx.take(Yl, idx, axis=0)), kx)
        yield s, e, idx, Cb, Pb


def _gradient_block(P: Array, C: Array, X: Array, Y: Array, pb: o.CloudProblem) -> Array:
    """sum_j P_ij grad_x C(x_i, y_j) for a block: p |x - y|^(p-2) (x - y) weighted by P."""
    kx = pb.xp
    W = pb.p * P * o.norm_power(C, pb.p, kx)
    return kx.sum(W, axis=1)[:, None] * X - W @ Y


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
    cmin, cmax = cell_distances(out.cx, out.cy, pb.p)
    f_kept = kx.where(a > 0, out.f, -kx.inf)
    cols, Gy, g1 = [], [], []
    for s, e, idx, C, P in _plan_blocks(y, x, out.g, out.f, b, a, eps, out.sup.cols, pb):
        cols.append(kx.sum(P, axis=1))
        g1.append(_row_min(C - kx.take(f_kept, idx)[None, :], kx))
        if gradients:
            Gy.append(_gradient_block(P, C, y[s:e, :], kx.take(x, idx, axis=0), pb))
    cols_all = kx.concat(cols)
    g1 = _with_dropped(kx.concat(g1), f_kept, out.cy, out.cx, cmin.T, out.keep_t, kx)
    sc = shrink(b, cols_all, kx)
    g1_kept = kx.where(b > 0, g1, -kx.inf)
    zero = kx.zeros((), dtype=x.dtype, device=device(x))
    cost, rounded, rows, Gx, f1, kept_rows, kept_cols = zero, zero, [], [], [], [], kx.zeros_like(b)
    for s, e, idx, C, P in _plan_blocks(x, y, out.f, out.g, a, b, eps, out.sup.rows, pb):
        f1.append(_row_min(C - kx.take(g1_kept, idx)[None, :], kx))
        if gradients:
            Gx.append(_gradient_block(P, C, x[s:e, :], kx.take(y, idx, axis=0), pb))
        # one product each for the plain and the column-scaled sums (no scaled copy of P)
        weights = kx.stack([kx.ones_like(kx.take(sc, idx)), kx.take(sc, idx)], axis=1)
        sums, costs = P @ weights, (P * C) @ weights
        sr = shrink(a[s:e], sums[:, 1], kx)
        rows.append(sums[:, 0])
        cost, rounded = cost + kx.sum(costs[:, 0]), rounded + kx.sum(sr * costs[:, 1])
        kept_rows.append(sr * sums[:, 1])
        kept_cols = _add_at(kept_cols, idx, (sr @ P) * kx.take(sc, idx), kx)
    rows_all = kx.concat(rows)
    f1 = _with_dropped(kx.concat(f1), g1_kept, out.cx, out.cy, cmin, out.sup.keep, kx)
    lower = kx.sum(kx.where(a > 0, a * f1, zero)) + kx.sum(kx.where(b > 0, b * g1, zero))
    err_r = to_numpy(kx.clip(a - kx.concat(kept_rows), 0.0, None))
    err_c = to_numpy(kx.clip(b - kept_cols, 0.0, None))
    ER, EC = np.add.reduceat(err_r, out.cx.start), np.add.reduceat(err_c, out.cy.start)
    total = float(err_r.sum())
    cross = float(ER @ cmax @ EC) / total if total > 0 else 0.0
    error = max(float(kx.sum(kx.abs(rows_all - a))), float(kx.sum(kx.abs(cols_all - b))))
    Gx_all = kx.concat(Gx, axis=0) if gradients else None
    Gy_all = kx.concat(Gy, axis=0) if gradients else None
    return Finish(cost, kx.sum(rows_all), Gx_all, Gy_all, error, lower, rounded + cross)


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


def _with_dropped(exact: Array, h: Array, cells_x: Cells, cells_y: Cells, cmin: np.ndarray,
                  keep: np.ndarray, kx: Namespace) -> Array:
    """A lower bound on min_j C(X_i, Y_j) - h_j (h = -inf where w_j = 0): ``exact``
    over the kept blocks, Cmin(I, J) - max_J h over the dropped ones; any such bound
    keeps the pair feasible, so the dual value stays a lower bound."""
    H = np.maximum.reduceat(to_numpy(h), cells_y.start)
    dropped = np.where(keep, np.inf, cmin - H[None, :]).min(axis=1)
    per_point = np.repeat(dropped, cells_x.end - cells_x.start)
    return kx.minimum(exact, kx.asarray(per_point, dtype=exact.dtype, device=device(exact)))


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
    kx = kp.xp

    def back(t, cells):
        if t is None:
            return None
        return to_namespace(kx.take(t, kx.asarray(np.argsort(cells.order), device=device(t)), axis=0), xp)

    terms = (back(out.f, out.cx), back(out.g, out.cy), to_namespace(end.cost, xp), to_namespace(end.mass, xp),
             back(end.Gx, out.cx), back(end.Gy, out.cy), to_namespace(end.lower, xp), to_namespace(end.upper, xp))
    return PointsOutcome(terms, out.n_iter, end.error, out.converged and end.error <= tol)
