"""Sinkhorn on point clouds without the n x m cost: blockwise log-sum-exp.

Every quantity that needs the cost C_ij = |x_i - y_j|^p (the two soft
c-transforms, the transport cost, the dual's mass term, the gradients) is
accumulated over blocks of rows, so memory stays O((n + m) d + block m).

The blocks run in :func:`~divergences._backend.compute_namespace` (PyTorch for NumPy
input), so the exponentials are vectorised and threaded; a block holds about
``BLOCK_ENTRIES`` entries, small enough to stay in cache and to be recycled by the
allocator (a 2^22-entry block, 33.5 MB in float64, is above glibc's mmap threshold,
so each one mapped fresh pages: 4.6 million page faults per 3 iterations at
n = 10^4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from .._backend import (Array, Namespace, compiled_cpu, compute_namespace, device, is_torch, to_namespace, to_numpy,
                        torch_module)
from .._numerics import exp_floor, exp_floored, exp_row_sums, logsumexp, row_logsumexp, safe_log
from ..transport._cost import euclidean_cost
from ..transport._polytope import shrink
from ._cells import Kept, cell_side, grid_cells
from ._common import tau
from ._map import Step
from ._solver import Outcome, run, solve_at

# Entries of one block of the cost: 2^18 (2 MB in float64) ran an iteration at
# n = 10^4 as fast as 2^16 and 2^20, with fewer Python-level blocks at n = 10^5.
BLOCK_ENTRIES = 2**18
# Marginal error the float32 blocks carry the iterations to; float64 iterations take
# over below it (the float32 rounding of exponents of size diameter^p / eps limits
# how far the float32 map can go).
FAST_TOL = 1e-4
# ... and no further than the marginal error float32 exponents can resolve: costs in
# the frame's units lie in [0, 1], so an exponent (g - C) / eps carries a rounding
# error of about 2^-24 / eps, and the marginals one of that relative size; below
# FLOAT32_FLOOR / eps the float32 iterations stall while float64 ones converge.
# (64 ulps: at 16 a 7 x 6 problem at p = 3 still stalled for 800 to 2000 float32
# iterations; at 64 it takes 80 in all, as fast as float64 throughout.)
FLOAT32_FLOOR = 64 * 2.0**-24

__all__ = ["CloudProblem", "ColumnCells", "OnlineMap", "block_cost", "bounded_softmin", "bracket", "fast_tol", "fused_sums", "lifted",
           "lift_cols", "lift_rows", "row_block_products", "row_bounds", "shifted_softmin", "softmin", "transport_terms", "without_gauge"]


@dataclass(frozen=True)
class CloudProblem:
    """Validated point clouds (n, d), (m, d), weights, and the block size in rows."""

    x: Array
    y: Array
    a: Array
    b: Array
    p: float
    rho: float | None
    block: int
    xp: Namespace

    def tau(self, eps: float) -> float:
        return tau(self.rho, eps)

    @cached_property
    def kernel(self) -> "CloudProblem":
        """The same problem in the namespace the blockwise kernels run in."""
        kx = compute_namespace(self.xp)
        if kx is self.xp:
            return self
        x, y, a, b = (to_namespace(t, kx) for t in (self.x, self.y, self.a, self.b))
        return replace(self, x=x, y=y, a=a, b=b, xp=kx)

    @cached_property
    def cells_x(self) -> "ColumnCells | None":
        """Grid cells of x for the bounded soft-min (p = 2, d <= 3: in higher
        dimensions cells hold few points and the bound loosens)."""
        return ColumnCells.of(self.x, self.xp) if self.p == 2 and self.x.shape[1] <= 3 else None

    @cached_property
    def cells_y(self) -> "ColumnCells | None":
        return ColumnCells.of(self.y, self.xp) if self.p == 2 and self.y.shape[1] <= 3 else None


def softmin(h: Array, w: Array, X: Array, Y: Array, eps: float, tau: float,
            pb: CloudProblem, fast: bool = False, cells: "ColumnCells | None" = None) -> Array:
    """-tau eps LSE_j(log w_j + (h_j - |X_i - Y_j|^p)/eps) for every row i of X.

    For p = 2 the exponent is expanded, (h_j - |y_j|^2 + 2 x_i.y_j - |x_i|^2)/eps,
    so each block is one matrix product instead of an (rows, m, d) difference
    tensor (5x faster); the clouds are centred on entry, which keeps the expansion's
    cancellation at round-off relative to |x - y|^2 + eps. The row term |x_i|^2/eps
    is subtracted after the log-sum-exp, in the input's precision. ``fast``: the
    blocks (product, exponentials, sums) run in float32, the rest in the input's
    dtype; the float32 rounding of the exponent, about 6e-8 times
    diameter^p / eps, bounds the error of the result relative to eps.

    ``cells`` (grid cells of Y, p = 2): each row's exponents are shifted by an upper
    bound read off the cells instead of their maximum (:func:`bounded_softmin`).
    """
    xp = pb.xp
    kx = compute_namespace(xp)
    h, w, X, Y = (to_namespace(t, kx) for t in (h, w, X, Y))
    if pb.p == 2 and cells is not None:
        out = bounded_softmin(h, w, X, Y, eps, cells, pb.block, kx, fast)
        if bool(kx.all(kx.isfinite(out))):
            return to_namespace(tau * out, xp)
    dtype = kx.float32 if fast else X.dtype
    shift = safe_log(w, kx) + h / eps
    if pb.p == 2:
        shift = shift - kx.sum(Y * Y, axis=1) / eps
    shift, gauge = without_gauge(shift, kx)
    lse = kx.empty((X.shape[0],), dtype=dtype, device=device(X))  # one output, written block by block
    if pb.p == 2:
        # [x, 1] . [2 y / eps, shift]: the exponents of a block in one product, into a reused buffer
        ones = kx.ones((X.shape[0], 1), dtype=X.dtype, device=device(X))
        Xa = kx.astype(kx.concat([X, ones], axis=1), dtype)
        Ya = kx.astype(kx.concat([Y * (2 / eps), shift[:, None]], axis=1), dtype)
        for r, E in zip(_blocks(X.shape[0], pb.block), row_block_products(Xa, Ya, pb.block, kx)):
            lse[r] = row_logsumexp(E, kx)
    else:
        shift, Xc, Yc = kx.astype(shift, dtype), kx.astype(X, dtype), kx.astype(Y, dtype)
        for r in _blocks(X.shape[0], pb.block):
            lse[r] = logsumexp(shift[None, :] - euclidean_cost(Xc[r, :], Yc, pb.p, kx) / eps, 1, kx)
    lse = kx.astype(lse, X.dtype) + gauge
    if pb.p == 2:
        lse = lse - kx.sum(X * X, axis=1) / eps
    return to_namespace(-tau * eps * lse, xp)


@dataclass(frozen=True)
class ColumnCells:
    """Grid cells of a cloud Y (about ``points`` points each): the cell of every
    point, as a sort order and cell starts, and each cell's centre and radius."""

    order: np.ndarray
    start: np.ndarray
    centre: Array  # (K, d)
    radius: Array  # (K,)

    @classmethod
    def of(cls, Y: Array, kx: Namespace, points: int = 64) -> "ColumnCells":
        y = to_numpy(Y)
        side = cell_side(y, y, points)
        cells = grid_cells(y, np.ones(len(y)), side)
        dev = device(Y)
        return cls(cells.order, cells.start, kx.asarray(cells.centre, dtype=Y.dtype, device=dev),
                   kx.asarray(cells.radius, dtype=Y.dtype, device=dev))


def lift_rows(X: Array, r: Array, kx: Namespace) -> Array:
    """[X, 1, r]: times the rows [Y, c, 1] of :func:`lift_cols`, X . Y + c + r."""
    ones = kx.ones((X.shape[0], 1), dtype=X.dtype, device=device(X))
    return kx.concat([X, ones, r[:, None]], axis=1)


def lift_cols(Y: Array, c: Array, kx: Namespace) -> Array:
    """[Y, c, 1] (see :func:`lift_rows`)."""
    ones = kx.ones((Y.shape[0], 1), dtype=Y.dtype, device=device(Y))
    return kx.concat([Y, c[:, None], ones], axis=1)


def row_bounds(X: Array, hw: Array, cells: ColumnCells, kx: Namespace) -> Array:
    """B_i = max_J (H_J - Cmin(x_i, J)) >= max_j (hw_j - |x_i - y_j|^2), with
    H_J = max_{j in J} hw_j and Cmin(x, J) = max(|x - c_J| - r_J, 0)^2; O(n K d)."""
    H = np.maximum.reduceat(to_numpy(hw)[cells.order], cells.start)
    H = kx.asarray(H, dtype=X.dtype, device=device(X))
    c, r = cells.centre, cells.radius
    c2 = kx.sum(c * c, axis=1)
    # each block's maxima go into one preallocated output: small results kept between
    # the blocks' temporaries fragmented glibc's heap (1.2 GB resident at n = 10^5)
    out = kx.empty((X.shape[0],), dtype=X.dtype, device=device(X))
    for rows in _blocks(X.shape[0], max(1, BLOCK_ENTRIES // c.shape[0])):
        Xb = X[rows, :]
        sq = kx.sum(Xb * Xb, axis=1)[:, None] + c2[None, :] - 2 * (Xb @ kx.matrix_transpose(c))
        gap = kx.clip(kx.sqrt(kx.clip(sq, 0.0, None)) - r[None, :], 0.0, None)
        out[rows] = kx.max(H[None, :] - gap * gap, axis=1)
    return out


def bounded_softmin(h: Array, w: Array, X: Array, Y: Array, eps: float, cells: ColumnCells, block: int,
                    kx: Namespace, fast: bool) -> Array:
    """:func:`shifted_softmin` over every column, rows shifted by their cell bounds
    (:func:`row_bounds`), in blocks of ``block`` rows. The largest term of a row is
    at least exp(-4 D r / eps) (D the distance to the best column, r its cell's
    radius): it does not underflow at the cell sizes used."""
    hw = h + eps * safe_log(w, kx)
    return shifted_softmin(X, Y, hw, row_bounds(X, hw, cells, kx), eps, kx, fast,
                           lambda Xa, Ya: row_block_products(Xa, Ya, block, kx))


def row_block_products(Xa: Array, Ya: Array, block: int, kx: Namespace):
    """Xa[r] @ Ya^T for the row blocks r of ``block`` rows, each consumed before the
    next is made. In PyTorch every block is written into one reused buffer: a fresh
    block per product, allocated by two threads, made glibc's per-thread arenas
    grow (1.95 GB resident against 0.40 GB at n = 3 10^4, 13.6 GB at 10^5) and ran
    at 3.7e8 pairs/s against 4.6e8 reused."""
    n = Xa.shape[0]
    if not is_torch(kx):
        yield from (Xa[r, :] @ kx.matrix_transpose(Ya) for r in _blocks(n, block))
        return
    YaT = Ya.T.contiguous()
    buf = kx.empty((min(block, n), Ya.shape[0]), dtype=Xa.dtype, device=device(Xa))
    for r in _blocks(n, block):
        yield kx.matmul(Xa[r, :], YaT, out=buf[: r.stop - r.start])


def shifted_softmin(X: Array, Y: Array, hw: Array, B: Array, eps: float, kx: Namespace, fast: bool,
                    products, kept: Kept | None = None) -> Array:
    """-eps LSE_j((hw_j - |x_i - y_j|^2)/eps), p = 2, hw = h + eps log w, for a bound
    B_i >= max_j (hw_j - |x_i - y_j|^2) folded into one matrix product,

        E_ij = [x_i, 1, -c_i] . [2 y_j/eps, (hw_j - |y_j|^2)/eps, 1] = (hw_j - C_ij - B_i)/eps <= 0,
        c_i = (|x_i|^2 + B_i)/eps,

    so a block costs one product, one exponential and one sum (no max pass).
    ``products(Xa, Ya)`` yields the row blocks of E (over all columns, or over the
    columns ``kept``); float32 blocks on the CPU go through the compiled kernels
    instead where numba is installed (:func:`fused_sums`).

    A row whose largest term may be too small comes back NaN, and the caller takes
    the max-shifted path: a subnormal exponential keeps few significant bits (e^-100
    in float32 about 5%), so a bound far above a row's maximum (coarse cells at small
    eps) would give a quietly inexact sum. Terms are floored at the smallest normal
    number s (:func:`~divergences._numerics.exp_floored`), at most 1.6 s m in all: a
    sum of at least 8 s m / eps_dtype keeps that below its own rounding."""
    dtype = kx.float32 if fast else X.dtype
    hw, gauge = without_gauge(hw, kx)
    B = B - gauge
    if fast and compiled_cpu(X):
        total = kx.asarray(fused_sums(X, Y, hw, B, eps, kept, kx), dtype=X.dtype, device=device(X))
    else:
        Xa, Ya = lifted(X, Y, hw, B, eps, dtype, kx)
        sums = [exp_row_sums(E, kx) for E in products(Xa, Ya)]
        total = kx.astype(sums[0] if len(sums) == 1 else kx.concat(sums), X.dtype)
    finfo = kx.finfo(dtype)
    normal = 8 * float(finfo.smallest_normal) / float(finfo.eps) * Y.shape[0]
    total = kx.where(total >= normal, total, kx.asarray(math.nan, dtype=total.dtype, device=device(total)))
    return -(eps * kx.log(total) + B + gauge)


def lifted(X: Array, Y: Array, hw: Array, B: Array, eps: float, dtype, kx: Namespace) -> tuple[Array, Array]:
    """The rows [x_i, 1, -c_i] and [2 y_j/eps, (hw_j - |y_j|^2)/eps, 1] of :func:`shifted_softmin`."""
    Xa = kx.astype(lift_rows(X, -(kx.sum(X * X, axis=1) + B) / eps, kx), dtype)
    return Xa, kx.astype(lift_cols(Y * (2 / eps), (hw - kx.sum(Y * Y, axis=1)) / eps, kx), dtype)


def fused_sums(X: Array, Y: Array, hw: Array, B: Array, eps: float, kept: Kept | None, kx: Namespace) -> np.ndarray:
    """The float32 row sums of :func:`shifted_softmin` by the compiled kernels of
    :mod:`._fused`, on as many threads as PyTorch's CPU kernels use: over all columns
    from the lifted rows; over the ``kept`` columns from X, Y, hw, B in float64, each
    row cell's exponents formed in its own coordinates."""
    from . import _fused  # imports numba: only where compiled_cpu found it

    torch = torch_module()
    threads = torch.get_num_threads() if torch is not None else None
    floor = exp_floor(np.float32, np)
    if kept is not None:
        return _fused.local_row_sums(to_numpy(X), to_numpy(Y), to_numpy(hw), to_numpy(B), eps, kept, floor, threads)
    Xa, Ya = lifted(X, Y, hw, B, eps, kx.float32, kx)
    return _fused.exp_row_sums(to_numpy(Xa, np.float32), to_numpy(Ya, np.float32), floor, threads)


def without_gauge(shift: Array, kx: Namespace) -> tuple[Array, Array]:
    """``shift - k`` and k = max(shift) (0 if no entry is finite).

    The potentials' gauge (f + k, g - k) is free and drifts during the iterations;
    the exponents (h_j - C_ij) / eps only need h up to that constant. Taken out
    before the cast to float32 and added back after it, the entries stay of size
    diameter^p / eps and so does their rounding, 2^-24 diameter^p / eps, not
    2^-24 |k| / eps (a drift of k = 30 cost units made the soft-min 250 times less
    accurate at eps = 2e-4 diameter^2)."""
    k = kx.max(shift)
    k = kx.where(kx.isfinite(k), k, kx.zeros_like(k))
    return shift - k, k


def block_cost(Xb: Array, Y: Array, pb: CloudProblem) -> Array:
    """|x_i - y_j|^p for a block of rows; for p = 2 by one matrix product,
    |x|^2 + |y|^2 - 2 x.y, clipped at 0 (the clouds are centred)."""
    xp = pb.xp
    if pb.p != 2:
        return euclidean_cost(Xb, Y, pb.p, xp)
    sq = xp.sum(Xb * Xb, axis=1)[:, None] + xp.sum(Y * Y, axis=1)[None, :] - 2 * (Xb @ xp.matrix_transpose(Y))
    return xp.clip(sq, 0.0, None)


@dataclass(frozen=True)
class OnlineMap:
    """The point-cloud problem at one eps as a :class:`~._map.SinkhornMap`, in the
    log domain (x = g / eps): nothing to absorb, nothing to overflow."""

    pb: CloudProblem
    eps: float
    g0: Array  # the potential the iterations start from
    fast: bool = False  # float32 blocks (see :func:`softmin`)

    @classmethod
    def at(cls, pb: CloudProblem, g: Array, eps: float, fast: bool = False) -> "OnlineMap":
        return cls(pb, eps, g, fast)

    @property
    def bound(self) -> float:
        return float(self.pb.xp.finfo(self.pb.x.dtype).max) ** 0.5

    def step(self, x: Array) -> Step:
        """f from g = eps x, then g' from f; the column marginal of the plan (f, g)
        is b exp(x - g'/(tau eps)), read off the second transform for free."""
        pb, eps, xp = self.pb, self.eps, self.pb.xp
        tau = pb.tau(eps)
        f, g_new = self.transforms(eps * x, tau)
        column = pb.b * xp.exp(x - g_new / (tau * eps))
        target = pb.b if pb.rho is None else pb.b * xp.exp(-eps * x / pb.rho)
        return Step(x, f, g_new / eps, xp.sum(xp.abs(column - target)))

    def transforms(self, g: Array, tau: float) -> tuple[Array, Array]:
        """f = softmin over y of (g - C), then g' = softmin over x of (f - C)."""
        pb, eps = self.pb, self.eps
        f = softmin(g, pb.b, pb.x, pb.y, eps, tau, pb, self.fast, pb.kernel.cells_y)
        return f, softmin(f, pb.a, pb.y, pb.x, eps, tau, pb, self.fast, pb.kernel.cells_x)

    def start(self) -> Step:
        return self.step(self.g0 / self.eps)

    def out_of_range(self, s: Step) -> bool:
        return False

    def absorb(self, s: Step) -> tuple["OnlineMap", Step]:
        return self, s

    def potentials(self, s: Step) -> tuple[Array, Array]:
        return s.u, self.eps * s.x


def transport_terms(f: Array, g: Array, eps: float, pb: CloudProblem):
    """See :func:`_transport_terms`; run in the kernel namespace."""
    xp, kx = pb.xp, pb.kernel.xp
    out = _transport_terms(to_namespace(f, kx), to_namespace(g, kx), eps, pb.kernel)
    return tuple(to_namespace(t, xp) for t in out)


def _transport_terms(f: Array, g: Array, eps: float, pb: CloudProblem):
    """One blockwise pass over the plan P_ij = a_i b_j exp((f_i + g_j - C_ij)/eps).

    Returns <C, P>, the total mass of P, and the envelope gradients
    Gx_i = sum_j P_ij grad_x C(x_i, y_j) and Gy_j = sum_i P_ij grad_y C(x_i, y_j),
    with grad_x |x - y|^p = p |x - y|^(p-2) (x - y) (0 at x = y).
    """
    xp, x, y = pb.xp, pb.x, pb.y
    n = x.shape[0]
    col = (safe_log(pb.b, xp) + g / eps)[None, :]
    cost, mass = xp.zeros((), dtype=x.dtype), xp.zeros((), dtype=x.dtype)
    Gx, Wx, Wsum = [], xp.zeros_like(y), xp.zeros_like(pb.b)
    for i in range(0, n, pb.block):
        rows = slice(i, min(i + pb.block, n))
        C = block_cost(x[rows, :], y, pb)
        P = exp_floored(col + (safe_log(pb.a[rows], xp) + f[rows] / eps)[:, None] - C / eps, xp)
        cost, mass = cost + xp.sum(P * C), mass + xp.sum(P)
        W = pb.p * P * norm_power(C, pb.p, xp)  # P_ij p |x_i - y_j|^(p-2)
        Gx.append(xp.sum(W, axis=1)[:, None] * x[rows, :] - W @ y)
        Wx, Wsum = Wx + xp.matrix_transpose(W) @ x[rows, :], Wsum + xp.sum(W, axis=0)
    Gy = Wsum[:, None] * y - Wx
    return cost, mass, xp.concat(Gx, axis=0), Gy


def norm_power(C: Array, p: float, xp: Namespace) -> Array:
    """|x - y|^(p-2) from C = |x - y|^p, taken as 0 where x = y."""
    if p == 2:
        return xp.ones_like(C)
    positive = C > 0
    return xp.where(positive, xp.where(positive, C, xp.ones_like(C)) ** ((p - 2) / p), xp.zeros_like(C))


def _blocks(n: int, block: int):
    return (slice(i, min(i + block, n)) for i in range(0, n, block))


def _c_transform(h: Array, w: Array, X: Array, Y: Array, pb: CloudProblem) -> Array:
    """min_j C(X_i, Y_j) - h_j over j with w_j > 0, blockwise over rows of X."""
    xp = pb.xp
    h = xp.where(w > 0, h, -xp.inf)
    parts = [xp.min(block_cost(X[r, :], Y, pb) - h[None, :], axis=1)
             for r in _blocks(X.shape[0], pb.block)]
    return parts[0] if len(parts) == 1 else xp.concat(parts)


def bracket(f: Array, g: Array, eps: float, pb: CloudProblem) -> tuple[Array, Array]:
    """See :func:`_bracket`; run in the kernel namespace, in the input's dtype."""
    xp, kx = pb.xp, pb.kernel.xp
    lower, upper = _bracket(to_namespace(f, kx), to_namespace(g, kx), eps, pb.kernel)
    return to_namespace(lower, xp), to_namespace(upper, xp)


def _bracket(f: Array, g: Array, eps: float, pb: CloudProblem) -> tuple[Array, Array]:
    """Certified lower and upper bounds on the exact OT, blockwise.

    Lower: the dual value after the double c-transform of f. Upper: the cost of the
    Altschuler-Weed-Rigollet rounding of the Gibbs plan of (f, g), accumulated over
    three passes: row sums, then column sums after the row shrink, then the cost
    of the shrunk plan and of the rank-one correction.
    """
    xp, x, y, a, b = pb.xp, pb.x, pb.y, pb.a, pb.b
    g1 = _c_transform(f, a, y, x, pb)
    f1 = _c_transform(g1, b, x, y, pb)
    if not bool(xp.all(b > 0)):
        g1 = xp.where(b > 0, g1, _c_transform(f1, a, y, x, pb))
    lower = xp.sum(a * f1) + xp.sum(b * g1)

    def plan_block(r):
        C = block_cost(x[r, :], y, pb)
        logs = (safe_log(a[r], xp) + f[r] / eps)[:, None] + (safe_log(b, xp) + g / eps)[None, :]
        return C, exp_floored(logs - C / eps, xp)

    rows = xp.concat([xp.sum(plan_block(r)[1], axis=1) for r in _blocks(x.shape[0], pb.block)])
    s = shrink(a, rows, xp)
    cols = xp.zeros_like(b)
    for r in _blocks(x.shape[0], pb.block):
        cols = cols + s[r] @ plan_block(r)[1]
    t = shrink(b, cols, xp)
    err_c = xp.maximum(b - t * cols, xp.zeros_like(b))
    cost, cross, total = xp.zeros((), dtype=x.dtype), xp.zeros((), dtype=x.dtype), xp.zeros((), dtype=x.dtype)
    for r in _blocks(x.shape[0], pb.block):
        C, P = plan_block(r)
        X = s[r][:, None] * P * t[None, :]
        err_r = xp.maximum(a[r] - xp.sum(X, axis=1), xp.zeros_like(a[r]))
        cost, cross, total = cost + xp.sum(X * C), cross + err_r @ (C @ err_c), total + xp.sum(err_r)
    upper = cost + (cross / total if float(total) > 0 else 0.0)
    return lower, upper



def fast_tol(tol: float, eps: float, magnitude: float | None = None) -> float:
    """The marginal error float32 blocks iterate to at eps, for exponents whose terms
    are at most ``magnitude`` in size (default 1/eps: costs in [0, 1])."""
    return max(tol, FAST_TOL, FLOAT32_FLOOR * (1 / eps if magnitude is None else magnitude))


def solve(pb: CloudProblem, eps: float, tol: float, max_iter: int, scale: float,
          schedule: tuple[float, float, int], blame: str = "x, y") -> Outcome:
    """Eps-scaled Sinkhorn on the clouds from ``scale`` down to ``eps``
    (``schedule``: factor, stage tolerance, stage iterations): float32 blocks down
    to marginal error :func:`fast_tol` on at most half the iterations, then
    float64 ones to ``tol``; the float64 error is the one reported. A map not
    finite at its start raises a ValueError naming ``blame``."""
    fast = run(lambda g, e: OnlineMap.at(pb, g, e, True), pb.xp.zeros_like(pb.b), eps, fast_tol(tol, eps),
               max_iter // 2, scale, *schedule, blame)
    g = fast.map.potentials(fast.step)[1]
    out = solve_at(OnlineMap.at(pb, g, eps), tol, max_iter - fast.n_iter, blame)
    return Outcome(out.map, out.step, fast.n_iter + out.n_iter, out.error, out.converged)
