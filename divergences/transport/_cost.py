"""Ground costs between point clouds, computed from differences (no cancellation)."""

from __future__ import annotations

from .._backend import Array, Namespace

__all__ = ["DENSE_ENTRIES", "bounding_diagonal", "euclidean_cost"]

# The dense solvers build the cost while it has at most this many entries (128 MB in
# float64); the blockwise ones stream it beyond.
DENSE_ENTRIES = 2**24
# Pairs per block: keeps the (block, m, d) difference tensor near 32 MB in float64.
_BLOCK_ENTRIES = 4_000_000


def euclidean_cost(x: Array, y: Array, p: float, xp: Namespace) -> Array:
    """M_ij = |x_i - y_j|_2^p for (n, d) and (m, d) clouds, blockwise over rows.

    Built from differences rather than |x|^2 + |y|^2 - 2 x.y, which cancels badly
    for nearby points; the square root is guarded so gradients at x_i = y_j are 0.
    """
    n, m, d = x.shape[0], y.shape[0], x.shape[1]
    step = max(1, _BLOCK_ENTRIES // (m * d))
    blocks = []
    for start in range(0, n, step):
        diff = x[start : min(start + step, n), None, :] - y[None, :, :]
        blocks.append(_power_of_norm(xp.sum(diff * diff, axis=-1), p, xp))
    return blocks[0] if len(blocks) == 1 else xp.concat(blocks, axis=0)


def _power_of_norm(sq: Array, p: float, xp: Namespace) -> Array:
    """|z|^p from |z|^2, without the infinite derivative of sqrt at 0."""
    if p == 2:
        return sq
    positive = sq > 0
    return xp.where(positive, xp.where(positive, sq, 1.0) ** (p / 2), 0.0)


def bounding_diagonal(*clouds: Array, xp: Namespace) -> float:
    """Diagonal of the joint bounding box of (n, d) clouds: at least every distance
    between their points (the scale eps-scaling starts from)."""
    both = clouds[0] if len(clouds) == 1 else xp.concat(list(clouds), axis=0)
    return float(xp.linalg.vector_norm(xp.max(both, axis=0) - xp.min(both, axis=0)))
