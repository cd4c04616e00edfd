"""Kernels on the truncated support of multiscale Sinkhorn: the soft-min of the
iterations and the blocks of the plan, each over the kept columns of a row cell."""

from __future__ import annotations

from .._backend import Array, Namespace, device, is_torch, to_numpy
from .._numerics import clip_below_zero, exp_floored, logsumexp, safe_log
from ..transport._cost import euclidean_cost
from . import _online as o
from ._cells import CellBound, Kept, KeptBlocks

__all__ = ["gradient_block", "kept_products", "plan_blocks", "truncated_softmin"]


def truncated_softmin(h, w, X, Y, eps: float, blocks: KeptBlocks, p: float, kx: Namespace, fast: bool,
                      bound: CellBound | None = None, kept: Kept | None = None) -> Array:
    """-eps LSE over the kept columns of each row block (rows in cell order)."""
    if p == 2 and bound is not None and kept is not None:
        out = _bounded_softmin(h, w, X, Y, eps, blocks, bound, kx, fast, kept)
        if bool(kx.all(kx.isfinite(out))):
            return out
    dtype = kx.float32 if fast else X.dtype
    shift = safe_log(w, kx) + h / eps
    out = []
    if p == 2:
        shift, gauge = o.without_gauge(shift - kx.sum(Y * Y, axis=1) / eps, kx)
        shift = kx.astype(shift, dtype)
        Y2 = kx.astype(Y * (2 / eps), dtype)
        Xc = kx.astype(X, dtype)
        for s, e, idx in blocks:
            Yb = kx.take(Y2, idx, axis=0)
            out.append(logsumexp(Xc[s:e, :] @ kx.matrix_transpose(Yb) + kx.take(shift, idx)[None, :], 1, kx))
        lse = kx.astype(kx.concat(out), X.dtype) + gauge - kx.sum(X * X, axis=1) / eps
    else:
        shift, gauge = o.without_gauge(shift, kx)
        shift, Xc, Yc = kx.astype(shift, dtype), kx.astype(X, dtype), kx.astype(Y, dtype)
        for s, e, idx in blocks:
            C = euclidean_cost(Xc[s:e, :], kx.take(Yc, idx, axis=0), p, kx)
            out.append(logsumexp(kx.take(shift, idx)[None, :] - C / eps, 1, kx))
        lse = kx.astype(kx.concat(out), X.dtype) + gauge
    return -eps * lse


def _bounded_softmin(h, w, X, Y, eps: float, blocks: KeptBlocks, bound: CellBound, kx: Namespace, fast: bool,
                     kept: Kept) -> Array:
    """:func:`~._online.shifted_softmin` over the kept columns of each row cell, the
    rows shifted by their cell's bound B_I (:class:`CellBound`)."""
    hw = h + eps * safe_log(w, kx)
    B = kx.asarray(bound.per_row(to_numpy(hw)), dtype=X.dtype, device=device(X))
    return o.shifted_softmin(X, Y, hw, B, eps, kx, fast,
                             lambda Xa, Ya: (E for *_, (E,) in kept_products([(Xa, Ya)], blocks, kx)), kept)


def kept_products(factors: list, blocks: KeptBlocks, kx: Namespace):
    """(s, e, idx, [Xa[s:e] @ Ya[idx]^T for each (Xa, Ya) of ``factors``]) over the
    kept columns of each row block, each consumed before the next is made (the
    indices formed once per block). In PyTorch the gathered columns and the products
    are written into reused buffers (see :func:`~._online.row_block_products`)."""
    if not is_torch(kx):
        for s, e, idx in blocks:
            yield s, e, idx, [Xa[s:e, :] @ kx.matrix_transpose(kx.take(Ya, idx, axis=0)) for Xa, Ya in factors]
        return
    import torch

    rows, cols = blocks.max_rows, blocks.max_columns
    outs = [torch.empty(rows * cols, dtype=Xa.dtype, device=Xa.device) for Xa, _ in factors]
    kept = [torch.empty(cols * Ya.shape[1], dtype=Ya.dtype, device=Ya.device) for _, Ya in factors]
    for s, e, idx in blocks:
        k = int(idx.shape[0])
        products = []
        for (Xa, Ya), out, buf in zip(factors, outs, kept):
            Yk = torch.index_select(Ya, 0, idx, out=buf[: k * Ya.shape[1]].view(k, Ya.shape[1]))
            products.append(torch.matmul(Xa[s:e, :], Yk.T, out=out[: (e - s) * k].view(e - s, k)))
        yield s, e, idx, products


def plan_blocks(X, Y, u, v, wu, wv, eps: float, blocks: KeptBlocks, pb: o.CloudProblem):
    """(s, e, idx, C, P) per kept block of the plan P_ij = wu_i wv_j exp((u_i + v_j - C_ij)/eps),
    each valid until the next block is asked for (it may be overwritten by the caller).

    For p = 2 both C and log P are single products of lifted rows (:func:`~._online.lift_rows`):
    C_ij = [x_i, 1, |x_i|^2] . [-2 y_j, |y_j|^2, 1], log P_ij = [x_i, 1, r_i] . [2 y_j/eps, c_j, 1]
    (the clouds are centred, so the expansion's cancellation stays at round-off)."""
    kx = pb.xp
    col = safe_log(wv, kx) + v / eps
    row = safe_log(wu, kx) + u / eps
    if pb.p != 2:
        for s, e, idx in blocks:
            C = o.block_cost(X[s:e, :], kx.take(Y, idx, axis=0), pb)
            yield s, e, idx, C, exp_floored(row[s:e][:, None] + kx.take(col, idx)[None, :] - C / eps, kx)
        return
    x2, y2 = kx.sum(X * X, axis=1), kx.sum(Y * Y, axis=1)
    Xc, Yc = o.lift_rows(X, x2, kx), o.lift_cols(-2 * Y, y2, kx)
    Xl, Yl = o.lift_rows(X, row - x2 / eps, kx), o.lift_cols(Y * (2 / eps), col - y2 / eps, kx)
    # C and P of a block land in reused buffers (PyTorch): the caller consumes, and may
    # overwrite, each block before the next is made
    for s, e, idx, (Cb, Lb) in kept_products([(Xc, Yc), (Xl, Yl)], blocks, kx):
        yield s, e, idx, clip_below_zero(Cb, kx), exp_floored(Lb, kx)


def gradient_block(P: Array, C: Array, X: Array, Y: Array, pb: o.CloudProblem) -> Array:
    """sum_j P_ij grad_x C(x_i, y_j) for a block: p |x - y|^(p-2) (x - y) weighted by P."""
    kx = pb.xp
    W = pb.p * P * o.norm_power(C, pb.p, kx)
    return kx.sum(W, axis=1)[:, None] * X - W @ Y
