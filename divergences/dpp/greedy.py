r"""Greedy MAP inference for DPPs by incremental Cholesky updates (Chen, Zhang and
Zhou, NeurIPS 2018, arXiv 1709.05135)."""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as v
from .._backend import (Array, Namespace, compiled_cpu, constant, device, index_array, is_numpy, namespace,
                        result_dtype)

__all__ = ["greedy_map"]


def greedy_map(L: Array, k: int) -> Array:
    r"""Greedy maximum a posteriori set of the DPP: k items, each maximising the log-det gain.

    .. math::

        j_{t+1} = \arg\max_{i \notin Y_t} \log\det L_{Y_t \cup \{i\}}
        = \arg\max_{i \notin Y_t} d_i^2, \qquad
        d_i^2 = L_{ii} - L_{i Y_t} L_{Y_t}^{-1} L_{Y_t i},

    with the Schur complements :math:`d_i^2` (the gains
    :math:`\det L_{Y \cup i} / \det L_Y`) updated by an incremental Cholesky
    factorisation: :math:`e_i = (L_{j i} - \langle c_j, c_i \rangle) / d_j`,
    :math:`c_i \leftarrow (c_i, e_i)`, :math:`d_i^2 \leftarrow d_i^2 - e_i^2`
    (Chen, Zhang, Zhou, NeurIPS 2018, arXiv 1709.05135, Alg. 1). Greedy is a
    heuristic for the NP-hard MAP problem, not its exact solution. Ties go to the
    lowest index.

    Parameters
    ----------
    L : array (n, n)
        Symmetric positive semi-definite kernel.
    k : int
        Number of items wanted, 0 <= k <= n.

    Returns
    -------
    array (m,)
        int64 indices in selection order, in the namespace and on the device of
        ``L``; m = k unless the greedy set stops early (below).

    Raises
    ------
    ValueError
        ``k`` out of range; L non-square; NaN/inf on the diagonal or in the row
        of a chosen item; :math:`L_{YY}` of the chosen items not symmetric (beyond
        ``sqrt(eps)`` times its largest magnitude); a negative diagonal entry or a
        Schur complement below ``-sqrt(eps)`` times the largest diagonal entry
        (then L is not positive semi-definite).

    Notes
    -----
    Round-off: the computed gains :math:`d_i^2` of items already spanned by the
    chosen ones are of order ``eps`` and may be negative. Selection stops as soon as
    the best remaining gain is at most ``n * eps * max_i L_ii`` (the kernel's
    numerical rank is exhausted: every further item would give
    :math:`\det L_Y = 0`), so the result can hold fewer than k items; no division by
    a nonpositive gain ever happens.

    Input checks are confined to what the algorithm reads, in O(n + k^2): the
    result depends only on the diagonal and the rows of the chosen items (entries
    never read cannot change it); a non-finite entry in a read row shows in the gains
    or in :math:`L_{YY}`. Symmetry is checked on
    :math:`L_{YY}`, whose determinant the result maximises, not on the read rows
    against their columns: that strided O(nk) gather alone costs as much as the
    whole algorithm (measured at n = 5000, k = 100), and a full symmetry,
    finiteness or eigenvalue check would cost O(n^2) to O(n^3), more than the
    algorithm itself for k^2 < n.

    O(n k^2) time (O(nk) per step), O(nk) memory; runs in the caller's namespace
    with a few host synchronisations per step (the argmax, its gain, the checks).
    For NumPy input with numba installed the steps run in one compiled loop (the
    same products and the same argmax; ``_backend.compiled_cpu``).

    Examples
    --------
    >>> import numpy as np
    >>> L = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, 0.1], [0.0, 0.1, 0.8]])
    >>> greedy_map(L, 2)  # item 0 (ties break to the lowest index), then the most diverse
    array([0, 2])
    """
    xp = namespace(L)
    L = v.as_array(L, "L", xp)
    if L.ndim != 2 or L.shape[0] != L.shape[1]:
        raise ValueError(f"L must be a square matrix of shape (n, n), got shape {tuple(L.shape)}")
    if L.shape[0] == 0:
        raise ValueError("L is empty: got shape (0, 0)")
    L = constant(v.as_float(L, xp, result_dtype(xp, L)), xp)
    n = L.shape[0]
    k = v.subset_size(k, n)
    eps = float(xp.finfo(L.dtype).eps)
    d2 = xp.asarray(xp.linalg.diagonal(L), copy=True)  # diagonal() may be a view of L
    top, low = float(xp.max(d2)), float(xp.min(d2))  # both NaN if any entry is NaN
    if not (math.isfinite(top) and math.isfinite(low)):
        raise ValueError("L contains NaN or infinite values on its diagonal")
    if low < -math.sqrt(eps) * max(top, 0.0):
        raise ValueError("L must be positive semi-definite: it has a negative diagonal entry")
    floor = n * eps * top
    # row t is written whole before it is read (rows :t only are read at step t)
    C = xp.empty((max(k - 1, 0), n), dtype=L.dtype, device=device(L))
    if _compiled(L):
        chosen = _compiled_steps(L, k, floor, C, d2)
    else:
        chosen = _steps(L, k, floor, C, d2, xp)
    if chosen:
        _check_read(L, chosen, d2, top, len(chosen) - (len(chosen) == k), xp)
    return index_array(chosen, L, xp)


def _steps(L: Array, k: int, floor: float, C: Array, d2: Array, xp: Namespace) -> list[int]:
    """The greedy steps in array calls; C and d2 are updated in place."""
    chosen: list[int] = []
    for t in range(k):
        j = int(xp.argmax(d2))
        gain = float(d2[j])
        if not gain > floor:  # also stops on NaN (reported below)
            break
        chosen.append(j)
        if t == k - 1:
            break
        _cholesky_row(L, C, t, j, gain, xp)
        e = C[t, :]
        d2 -= e * e
        d2[j] = -xp.inf  # chosen items stay at -inf: -inf - e_i^2 = -inf
    return chosen


def _compiled(L: Array) -> bool:
    """Float NumPy input with numba installed (``_backend.compiled_cpu``)."""
    return isinstance(L, np.ndarray) and L.dtype in (np.float32, np.float64) and compiled_cpu(L)


def _compiled_steps(L: np.ndarray, k: int, floor: float, C: np.ndarray, d2: np.ndarray) -> list[int]:
    """The greedy steps in one compiled loop (:mod:`._fused_greedy`)."""
    from ._fused_greedy import greedy_steps  # imports numba: only where compiled_cpu found it

    chosen = np.empty(k, dtype=np.int64)
    count = greedy_steps(L, k, floor, C, d2, chosen)
    return chosen[:count].tolist()


def _cholesky_row(L: Array, C: Array, t: int, j: int, gain: float, xp: Namespace) -> None:
    """Row t of the incremental Cholesky factor: C[t] = (L[j] - C[:t, j] C[:t]) / sqrt(gain).

    NumPy writes each step into C[t] (``out=``): at n = 2000, k = 50 the temporaries of
    the plain expression cost a fifth of the run. The array API has no ``out=``."""
    if not is_numpy(xp):
        C[t, :] = (L[j, :] - C[:t, j] @ C[:t, :]) / math.sqrt(gain)
        return
    row = C[t, :]
    np.dot(C[:t, j], C[:t, :], out=row)  # BLAS gemv; matmul is slower on the strided column
    np.subtract(L[j, :], row, out=row)
    row /= math.sqrt(gain)  # the rounding of the plain expression


def _check_read(L: Array, chosen: list[int], d2: Array, top: float, marked: int, xp: Namespace) -> None:
    """After greedy_map: the rows of the chosen items Y finite (those it read, and the
    last one), L_YY symmetric (up to sqrt(eps) times its largest entry), and no Schur
    complement below -sqrt(eps) times the largest diagonal entry (gains only
    decrease, so the final ones are the smallest). O(n + k^2), no row gathered.

    A NaN or infinity in a row that the algorithm read reaches the gains d2 (as NaN,
    or as -inf at an item not chosen, which then can never be chosen), or lies in
    L_YY; so the read rows are checked through d2 (``marked`` entries are -inf by
    construction) and the k^2 entries of L_YY, not by reading the k rows again.
    Maxima and minima propagate NaN: one reduction checks both finiteness and size."""
    n, m = L.shape[0], len(chosen)
    # L_YY in ascending index order (a symmetric permutation of it: the same checks),
    # so that the k^2 reads walk through L forwards instead of jumping about it
    idx = np.sort(np.asarray(chosen, dtype=np.int64))
    flat = index_array((idx[:, None] * n + idx[None, :]).reshape(-1), L, xp)
    block = xp.reshape(xp.take(xp.reshape(L, (-1,)), flat), (m, m))
    scale = float(xp.max(xp.abs(block)))
    last_row = float(xp.max(xp.abs(L[chosen[-1], :])))
    at_inf = xp.isinf(d2)
    worst = float(xp.min(xp.where(at_inf, 0.0, d2)))
    if not (math.isfinite(scale) and math.isfinite(last_row) and math.isfinite(worst)):
        raise ValueError("L contains NaN or infinite values in the rows of the chosen items")
    if int(xp.count_nonzero(at_inf)) != marked:
        raise ValueError("L contains infinite values in the rows of the chosen items (or entries whose squares overflow)")
    tol = math.sqrt(float(xp.finfo(L.dtype).eps))
    if float(xp.max(xp.abs(block - xp.matrix_transpose(block)))) > tol * scale:
        raise ValueError(
            "L must be symmetric: L[Y, Y] of the chosen items differs from its transpose beyond sqrt(eps) relative"
        )
    if worst < -tol * top:
        raise ValueError(
            f"L must be positive semi-definite: a Schur complement is {worst:.3g} < -sqrt(eps) * max L_ii"
        )
