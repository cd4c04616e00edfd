"""Zero-weight points: dropped from the iteration, restored in the result.

A point of weight 0 carries no mass, so its row (column) of the plan is 0 and its
potential is free in the iteration; left in, it only costs time, and its scaling
drifts to the edge of the float range (absorptions, stalls). The iteration runs on
the support, the plan is padded with zeros, and the potential of a zero-weight
point is its soft c-transform, the value the optimality condition gives it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._backend import Array, Namespace, device

__all__ = ["Support"]


@dataclass(frozen=True)
class Support:
    rows: Array | None  # indices of a > 0; None when a > 0 everywhere
    cols: Array | None
    row_map: Array | None  # position in the support, or len(rows) for a zero weight
    col_map: Array | None
    xp: Namespace

    @classmethod
    def of(cls, a: Array, b: Array, xp: Namespace) -> "Support":
        rows, row_map = _indices(a, xp)
        cols, col_map = _indices(b, xp)
        return cls(rows, cols, row_map, col_map, xp)

    @property
    def full(self) -> bool:
        return self.rows is None and self.cols is None

    def restrict(self, M: Array, a: Array, b: Array) -> tuple[Array, Array, Array]:
        xp = self.xp
        if self.rows is not None:
            M, a = xp.take(M, self.rows, axis=0), xp.take(a, self.rows, axis=0)
        if self.cols is not None:
            M, b = xp.take(M, self.cols, axis=1), xp.take(b, self.cols, axis=0)
        return M, a, b

    def restrict_columns(self, g: Array) -> Array:
        return g if self.cols is None else self.xp.take(g, self.cols, axis=0)

    def plan(self, P: Array) -> Array:
        xp = self.xp
        if self.row_map is not None:
            P = xp.take(_pad(P, 0, xp), self.row_map, axis=0)
        if self.col_map is not None:
            P = xp.take(_pad(P, 1, xp), self.col_map, axis=1)
        return P

    def vectors(self, f: Array, g: Array) -> tuple[Array, Array]:
        """f, g on every point, 0 on zero weights (to be replaced by the caller)."""
        xp = self.xp
        if self.row_map is not None:
            f = xp.take(_pad(f, 0, xp), self.row_map, axis=0)
        if self.col_map is not None:
            g = xp.take(_pad(g, 0, xp), self.col_map, axis=0)
        return f, g


def _indices(w: Array, xp: Namespace) -> tuple[Array | None, Array | None]:
    positive = w > 0
    if bool(xp.all(positive)):
        return None, None
    rows = xp.nonzero(positive)[0]
    position = xp.cumulative_sum(xp.astype(positive, rows.dtype)) - 1
    return rows, xp.where(positive, position, xp.asarray(rows.shape[0], dtype=rows.dtype, device=device(w)))


def _pad(v: Array, axis: int, xp: Namespace) -> Array:
    """v with one more zero entry (row) along ``axis``."""
    shape = list(v.shape)
    shape[axis] = 1
    return xp.concat([v, xp.zeros(tuple(shape), dtype=v.dtype, device=device(v))], axis=axis)
