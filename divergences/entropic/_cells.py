"""Grid cells of a point cloud, and the truncated kernel's support over cell pairs.

A cloud is sorted cell by cell; a pair of cells (I, J) is kept when some entry of
its block can carry relative mass above exp(-theta) (Schmitzer 2016, arXiv
1610.06519), judged with Cmin(I, J) = max(|c_I - c_J| - r_I - r_J, 0)^p <= C_ij.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._backend import Namespace

__all__ = ["CellBound", "Cells", "Support", "cell_bound", "cell_distances", "cell_max", "cell_side", "grid_cells",
           "slack_keep", "support"]


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
    """(Cmin, Cmax): bounds on C_ij over the pairs of each cell pair.

    The centre distances come from the differences (exact to rounding: Cmin must
    stay a lower bound), in row blocks of about 2^20 differences written into the
    two outputs: no (Kx, Ky, d) array and no full-size temporaries (at Kx = Ky =
    3125, d = 3, those were 234 MB and five 78 MB matrices)."""
    K, d = len(cy.centre), cx.centre.shape[1]
    step = max(1, 2**20 // (K * d))
    cmin, cmax = np.empty((len(cx.centre), K)), np.empty((len(cx.centre), K))
    for i in range(0, len(cx.centre), step):
        rows = slice(i, i + step)
        D = np.sqrt(((cx.centre[rows, None, :] - cy.centre[None, :, :]) ** 2).sum(-1))
        reach = cx.radius[rows, None] + cy.radius[None, :]
        cmin[rows] = np.maximum(D - reach, 0.0) ** p
        cmax[rows] = (D + reach) ** p
    return cmin, cmax


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
