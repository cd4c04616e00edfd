"""Grid cells of a point cloud, and the truncated kernel's support over cell pairs.

A cloud is sorted cell by cell; a pair of cells (I, J) is kept when some entry of
its block can carry relative mass above exp(-theta) (Schmitzer 2016, arXiv
1610.06519), judged with Cmin(I, J) = max(|c_I - c_J| - r_I - r_J, 0)^p <= C_ij.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._backend import Namespace
from ..transport._cost import euclidean_cost

__all__ = ["CellBound", "Cells", "INDEX_ENTRIES", "Kept", "KeptBlocks", "PAIR_BLOCK", "Pairs", "Support", "cell_bound", "cell_max",
           "cell_pair_blocks", "cell_side", "grid_cells", "kept_runs", "kept_spread", "slack_pairs", "support"]


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


# Cell pairs per block of the on-the-fly Cmin / Cmax: about 8 MB per float64 block.
PAIR_BLOCK = 2**20


def cell_pair_blocks(cx: Cells, cy: Cells, p: float, upper: bool = False) -> Iterator[tuple[slice, np.ndarray, np.ndarray | None]]:
    """(rows, Cmin, Cmax) over blocks of row cells: bounds on C_ij over the points
    of each cell pair (Cmax only with ``upper``), never the Kx x Ky matrices.

    The centre distances come from the differences (``euclidean_cost``: exact to
    rounding, as Cmin must stay a lower bound; the radii carry a relative margin
    for that rounding). At n = 10^6 points the full matrices
    would be 2 10^8 entries each; a block holds about PAIR_BLOCK."""
    K = len(cy.centre)
    step = max(1, PAIR_BLOCK // K)
    for i in range(0, len(cx.centre), step):
        rows = slice(i, min(i + step, len(cx.centre)))
        D = euclidean_cost(cx.centre[rows], cy.centre, 1.0, np)
        reach = cx.radius[rows, None] + cy.radius[None, :]
        yield rows, np.maximum(D - reach, 0.0) ** p, (D + reach) ** p if upper else None


@dataclass(frozen=True)
class Pairs:
    """Cell pairs (I, J) sorted by I then J, with their Cmin(I, J); ``shape`` (Kx, Ky).
    Stored sparse: the kept pairs are a few per cent of Kx Ky."""

    I: np.ndarray
    J: np.ndarray
    cmin: np.ndarray
    shape: tuple[int, int]

    @property
    def ids(self) -> np.ndarray:
        return self.I * self.shape[1] + self.J

    def fraction(self) -> float:
        """Share of all cell pairs kept."""
        return len(self.I) / (self.shape[0] * self.shape[1])

    def transpose(self) -> Pairs:
        order = np.lexsort((self.I, self.J))
        return Pairs(self.J[order], self.I[order], self.cmin[order], (self.shape[1], self.shape[0]))

    def union(self, other: Pairs) -> Pairs:
        ids = np.concatenate([self.ids, other.ids])
        ids, first = np.unique(ids, return_index=True)
        I, J = np.divmod(ids, self.shape[1])
        return Pairs(I, J, np.concatenate([self.cmin, other.cmin])[first], self.shape)

    def misses(self, other: Pairs) -> bool:
        """Whether some pair of ``other`` is not in this set."""
        return not bool(np.all(np.isin(other.ids, self.ids, assume_unique=True)))

    def mask(self, rows: slice) -> np.ndarray:
        """The pairs of row cells ``rows`` as a dense (len, Ky) mask."""
        lo, hi = np.searchsorted(self.I, [rows.start, rows.stop])
        out = np.zeros((rows.stop - rows.start, self.shape[1]), dtype=bool)
        out[self.I[lo:hi] - rows.start, self.J[lo:hi]] = True
        return out


def slack_pairs(f: np.ndarray, g: np.ndarray, cx: Cells, cy: Cells, p: float, level: float) -> Pairs:
    """Cell pairs whose largest possible exponent (f + g - C)/eps exceeds -level/eps:
    max_I f + max_J g - Cmin(I, J) > -level (f, g sorted cell by cell)."""
    F, G = cell_max(f, cx), cell_max(g, cy)
    I, J, C = [], [], []
    for rows, cmin, _ in cell_pair_blocks(cx, cy, p):
        i, j = np.nonzero(F[rows, None] + G[None, :] - cmin > -level)
        I.append(i + rows.start)
        J.append(j)
        C.append(cmin[i, j])
    return Pairs(np.concatenate(I), np.concatenate(J), np.concatenate(C), (len(cx.start), len(cy.start)))


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


def cell_bound(pairs: Pairs, rows: Cells, cols: Cells) -> CellBound:
    counts = np.bincount(pairs.I, minlength=pairs.shape[0])
    first = np.cumsum(counts) - counts
    return CellBound(cols.start, first, pairs.J, pairs.cmin, counts == 0, rows.end - rows.start)


# Kept column indices formed once for a whole support (each way) up to this many
# entries (256 MB in int32); above it each row cell's indices are formed as its block
# is read. At 10^6 points and eps = 2e-3 a support holds 1.3 10^9 of them each way.
INDEX_ENTRIES = 2**26


@dataclass(frozen=True)
class Kept:
    """The kept columns of every row cell, as runs of consecutive columns (NumPy):
    the rows starts[k]:ends[k] see the columns lo[r]:hi[r] for r in
    first[k]:first[k + 1], ``counts[k]`` columns in all. A column cell is a range of
    the sorted cloud and neighbouring kept cells merge into one run, so this is
    O(kept cell pairs), not one index per kept column. Also the row cells' centres,
    and ``spread``, the size of the exponents' terms in coordinates centred on the
    row cell (p = 2; :func:`kept_spread`)."""

    starts: np.ndarray
    ends: np.ndarray
    first: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    counts: np.ndarray
    centres: np.ndarray
    spread: float

    def columns(self, k: int) -> np.ndarray:
        """The sorted kept columns of row cell k."""
        runs = slice(int(self.first[k]), int(self.first[k + 1]))
        return _ranges(self.lo[runs], self.hi[runs])


def kept_runs(pairs: Pairs, cells: Cells, other: Cells) -> Kept:
    """The kept columns of each row cell of ``pairs`` (sorted by row cell, then column
    cell) as runs: consecutive column cells J, J + 1 are consecutive points."""
    I, J = pairs.I, pairs.J
    head = np.ones(len(I), dtype=bool)
    head[1:] = (I[1:] != I[:-1]) | (J[1:] != J[:-1] + 1)
    heads = np.flatnonzero(head)
    tails = np.concatenate([heads[1:], [len(I)]])[:len(heads)] - 1
    lo, hi = other.start[J[heads]], other.end[J[tails]]
    first = np.searchsorted(I[heads], np.arange(pairs.shape[0] + 1))
    counts = np.zeros(pairs.shape[0], dtype=np.int64)
    np.add.at(counts, I[heads], hi - lo)
    return Kept(cells.start, cells.end, first, lo, hi, counts, cells.centre, kept_spread(pairs, cells, other))


def kept_spread(pairs: Pairs, cells: Cells, other: Cells) -> float:
    """max over kept pairs (I, J) of Cmax - Cmin + 2 (r_I^2 + 2 r_I (D + r_J)), D = |c_I - c_J|.

    With x' = x - c_I and y' = y - c_I (|x'| <= r_I, |y'| <= D + r_J), the exponent of a kept entry is
    (hw_j - B_I - |y'|^2)/eps + 2 x'.y'/eps - |x'|^2/eps, the first term computed in
    float64 before rounding. Over the entries that carry the row's mass (E >= -1 up to
    the bound's slack, Cmax - Cmin) the three terms are at most spread / eps + 1 in
    size, which bounds the float32 rounding of E: 2^-24 (spread / eps + 1) a term."""
    spread = 0.0
    for s in range(0, len(pairs.I), PAIR_BLOCK):  # blocks: 10^7 pairs at 10^6 points
        I, J = pairs.I[s:s + PAIR_BLOCK], pairs.J[s:s + PAIR_BLOCK]
        D = np.linalg.norm(cells.centre[I] - other.centre[J], axis=1)
        rI, rJ = cells.radius[I], other.radius[J]
        R = rI + rJ
        spread = max(spread, float(np.max((D + R) ** 2 - np.maximum(D - R, 0.0) ** 2 + 2 * (rI**2 + 2 * rI * (D + rJ)))))
    return spread


class KeptBlocks:
    """(start, end, kept column indices) for each row cell, the indices in the kernel's
    namespace: formed once for every cell where they take at most INDEX_ENTRIES
    entries (filled cell by cell: one _ranges over all runs held int64 temporaries of
    the whole support), else formed for each cell as its block is read."""

    def __init__(self, kept: Kept, kx: Namespace, dev, index_dtype) -> None:
        self.kept, self.kx, self.dev, self.dtype = kept, kx, dev, index_dtype
        self.ptr = np.concatenate([np.zeros(1, np.int64), np.cumsum(kept.counts)])
        self.flat = None
        if self.ptr[-1] <= INDEX_ENTRIES:
            flat = np.empty(int(self.ptr[-1]), dtype=index_dtype)
            for k in range(len(self)):
                flat[self.ptr[k]:self.ptr[k + 1]] = kept.columns(k)
            self.flat = kx.asarray(flat, device=dev)

    def __len__(self) -> int:
        return len(self.kept.starts)

    def __iter__(self) -> Iterator[tuple[int, int, Any]]:
        starts, ends = self.kept.starts, self.kept.ends
        for k in range(len(self)):
            yield int(starts[k]), int(ends[k]), self.columns(k)

    def columns(self, k: int):
        if self.flat is not None:
            return self.flat[int(self.ptr[k]):int(self.ptr[k + 1])]
        return self.kx.asarray(self.kept.columns(k).astype(self.dtype), device=self.dev)

    @property
    def max_rows(self) -> int:
        return int(np.max(self.kept.ends - self.kept.starts, initial=0))

    @property
    def max_columns(self) -> int:
        return int(np.max(self.kept.counts, initial=0))


@dataclass(frozen=True)
class Support:
    """The kept cell pairs: each row cell's kept columns and each column cell's kept
    rows (:class:`Kept`, and as index blocks in the kernel's namespace,
    :class:`KeptBlocks`), and the exponent bounds of both directions."""

    pairs: Pairs
    rows: KeptBlocks  # per row cell: (start, end, column indices)
    cols: KeptBlocks  # per column cell: (start, end, row indices)
    row_bound: CellBound
    col_bound: CellBound

    @property
    def row_kept(self) -> Kept:
        return self.rows.kept

    @property
    def col_kept(self) -> Kept:
        return self.cols.kept


def support(pairs: Pairs, cx: Cells, cy: Cells, kx: Namespace, dev) -> Support:
    # the index blocks are the support's memory (k entries per cell each way): 32-bit where they fit
    index_dtype = np.int32 if max(cx.end[-1], cy.end[-1]) < 2**31 else np.int64
    transposed = pairs.transpose()
    rows = KeptBlocks(kept_runs(pairs, cx, cy), kx, dev, index_dtype)
    cols = KeptBlocks(kept_runs(transposed, cy, cx), kx, dev, index_dtype)
    return Support(pairs, rows, cols, cell_bound(pairs, cx, cy), cell_bound(transposed, cy, cx))


def _ranges(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The concatenation of start[k]:end[k] (points of the listed cells, sorted cell by cell)."""
    lengths = end - start
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(start - offsets, lengths) + np.arange(int(lengths.sum()))
