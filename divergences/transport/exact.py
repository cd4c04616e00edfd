"""Exact discrete optimal transport: ``solve``.

Three independent exact solvers, each called at a NumPy boundary:

- ``"network_simplex"``: POT's network simplex (Bonneel et al., SIGGRAPH Asia 2011);
- ``"assignment"``: SciPy's ``linear_sum_assignment`` (uniform weights, n == m),
  with optimal duals recovered by shortest paths on the optimal matching;
- ``"lp"``: the transport linear program solved by HiGHS, duals from its marginals.

The plan and potentials come back to the caller's namespace, and the value is
recomputed there from the caller's own cost with the plan held constant, so
gradients flow (envelope theorem) and the device is kept.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .. import _validate as v
from .._backend import Array, constant, device, from_numpy, namespace, to_numpy
from .._results import TransportResult
from .._numerics import overflow_message, sum_error_bound, unit_roundoff
from ._polytope import feasible_pair

METHODS = ("auto", "network_simplex", "assignment", "lp")

Solution = tuple[np.ndarray, np.ndarray, np.ndarray, bool]


def solve(
    M: Array,
    a: Array | None = None,
    b: Array | None = None,
    *,
    method: str = "auto",
    normalize: bool = False,
    max_iter: int | None = None,
    on_fail: str = "warn",
) -> TransportResult:
    r"""Exact optimal transport between two discrete measures.

    .. math::

        \mathrm{OT}(a, b) = \min_{P \ge 0,\ P 1 = a,\ P^\top 1 = b} \langle M, P \rangle
        = \max_{f_i + g_j \le M_{ij}} \langle a, f \rangle + \langle b, g \rangle

    (Kantorovich duality; Peyre and Cuturi 2019, arXiv 1803.00567, Ch. 2-3).

    Parameters
    ----------
    M : array (n, m)
        Cost matrix, finite. Any array API library; the result lives in the same
        namespace, dtype and device.
    a, b : arrays (n,), (m,), optional
        Nonnegative weights of equal total mass; uniform ``1/n``, ``1/m`` when omitted.
    method : {"auto", "network_simplex", "assignment", "lp"}
        ``"auto"`` uses the network simplex, the fastest of the three.
        ``"assignment"`` needs n == m and uniform weights. ``"lp"`` (HiGHS) is the
        independent reference, for small problems (n m variables).
    normalize : bool
        Rescale ``a`` and ``b`` to unit mass instead of rejecting unequal masses.
    max_iter : int, optional
        Iteration cap of the network simplex (default ``max(10^5, n m)``).
    on_fail : {"warn", "raise"}
        What to do when a solver stops before optimality: warn (the result has
        ``converged=False``) or raise ``RuntimeError``.

    Returns
    -------
    TransportResult
        ``value`` = <M, P> (W_p^p when M is the p-th power of a distance), ``plan``,
        feasible potentials ``f``, ``g``, ``gap``, ``method`` and ``converged``.
        ``gap`` is a certificate that holds in floating point:
        ``|value - OT(a, b)| <= gap``. It is primal - dual value (the potentials
        are made feasible by a c-transform, which never lowers the dual value),
        widened by an a-priori bound on the round-off of both sums,
        :math:`\gamma_k \sum_k |t_k|` with :math:`\gamma_k = k u / (1 - k u)`
        (Higham 2002, Lemma 3.1), u the unit round-off of float64 for the solve and
        of the caller's dtype for ``value``. A solver stopped early may leave a plan
        outside the transport polytope (POT's network simplex does); then ``gap``
        is ``inf``.

    Notes
    -----
    Units and scale: ``value`` is in the units of M times the mass; with masses
    t a, t b and cost s M the result is exactly s t times that of (M, a, b), up to
    round-off. The solvers work on ``M / max|M|`` and unit masses (their tolerances are
    absolute, so this makes them relative) and the plan, potentials and gap are
    mapped back. ``value`` must be representable: an overflowing <M, P> raises.

    The network simplex runs in roughly O(n^2 m) worst case and far less in practice;
    memory is O(n m). Gradients: d value/dM = P, d value/da = f, d value/db = g.

    Examples
    --------
    >>> import numpy as np
    >>> from divergences import solve
    >>> r = solve(np.array([[0.0, 1.0], [1.0, 0.0]]))
    >>> float(r.value), r.gap < 1e-15
    (0.0, True)
    """
    _reject_pot_order(M, a, b)
    xp = namespace(M, a, b)
    M, a, b = v.cost_and_weights(M, a, b, xp)
    n, m = M.shape
    a, b = v.balanced(a, b, xp, normalize)
    method = v.choice(method, "method", METHODS)
    on_fail = v.on_fail(on_fail)
    if method == "auto":
        method = "network_simplex"

    # Scale equivariance: the solvers see max |M| = 1 and unit masses, so their
    # absolute tolerances act relative to the caller's scales; potentials map back
    # by the cost scale, the plan by the mass.
    Mn, an, bn = to_numpy(M), to_numpy(a), to_numpy(b)
    cost_scale_of_M = max(float(Mn.max()), -float(Mn.min()))
    cost_scale = cost_scale_of_M or 1.0
    mass = float(an.sum())
    Mn, an, bn = Mn / cost_scale, an / mass, bn / bn.sum()
    if method == "assignment":
        _check_assignment(an, bn)
    limit = max(100_000, n * m) if max_iter is None else v.check_positive_int(max_iter, "max_iter")
    plan, f, _, converged = _SOLVERS[method](Mn, an, bn, limit)
    f, g = feasible_pair(f, Mn, an, np)
    rows, cols = np.divmod(np.flatnonzero(plan.ravel() > 0), m)  # 8x faster than np.nonzero
    support = plan[rows, cols]
    terms = support * Mn[rows, cols]
    gap = _gap(support, terms, rows, cols, an, bn, f, g, float(cost_scale_of_M > 0))
    if not converged:
        gap = gap if _in_polytope(plan, an, bn) else np.inf
        message = f"solve(method={method!r}) stopped before optimality; gap = {gap * cost_scale * mass:.3g}"
        v.report_failure(on_fail, message)
    caller_gap = _to_caller_units(gap, terms, cost_scale, mass, xp, M.dtype)
    if cost_scale * mass > float(xp.finfo(M.dtype).max):
        _check_value_fits(terms, cost_scale, mass, xp, M.dtype)
    return _result(M, a, b, plan * mass, support * mass, rows, cols, f * cost_scale, g * cost_scale, caller_gap,
                   method, converged, xp)


def _check_value_fits(terms, cost_scale, mass, xp, dtype) -> None:
    """<M, P> = cost_scale * mass * <M / cost_scale, P / mass>, checked in logarithms
    before the caller's dtype is asked to hold it."""
    unit = abs(float(np.sum(terms)))
    big = float(xp.finfo(dtype).max)
    if unit > 0 and math.log(unit) + math.log(cost_scale) + math.log(mass) >= math.log(big):
        raise ValueError(overflow_message("M, a, b", "<M, P>", dtype))


def _reject_pot_order(M, a, b) -> None:
    """POT's ``emd(a, b, M)`` order passed to ``solve(M, a, b)`` fails with a clear error."""
    if np.ndim(M) == 1 and a is not None and np.ndim(b) == 2:
        raise ValueError(
            "solve takes (M, a, b), cost first; got a 1-D M and a 2-D b, "
            "which looks like POT's (a, b, M) order"
        )


def _gap(support, terms, rows, cols, a, b, f, g, max_abs_M: float) -> float:
    """A bound on |<M, P> - OT(a, b)| that holds in floating point (unit-scale units),
    from the plan's support (its entries ``support`` at ``rows, cols``, and the
    products ``terms`` = P_ij M_ij there).

    primal - dual, plus: the a-priori round-off of both sums (gamma bounds, see
    ``_numerics``); the c-transform's rounding, which can break f_i + g_j <= M_ij
    by u |g_j| (so the dual drops by at most u sum_j b_j |g_j|); and 2 (|P 1 - a|_1
    + |P^T 1 - b|_1) max |M| for marginals off by round-off (Altschuler, Weed and
    Rigollet 2017, Lemma 7); max |M| is 1 here unless M is 0, where every plan is
    optimal and the defect costs nothing. Plain NumPy (the solvers' boundary): at
    n = 100 the namespace calls cost more than the arithmetic.
    """
    primal, dual = float(terms.sum()), float(a @ f + b @ g)
    b_abs_g = float(b @ np.abs(g))  # a, b >= 0: |a| = a
    defect = float(np.abs(_marginal(rows, support, a.size) - a).sum()
                   + np.abs(_marginal(cols, support, b.size) - b).sum())
    rounding = (
        sum_error_bound(terms.size, float(np.abs(terms).sum()), np, np.float64)
        + sum_error_bound(a.size, float(a @ np.abs(f)), np, np.float64)
        + sum_error_bound(b.size, b_abs_g, np, np.float64)
    )
    slack = rounding + 2 * unit_roundoff(np, np.float64) * b_abs_g + 2 * defect * max_abs_M
    return max(primal - dual, 0.0) + slack


def _marginal(index: np.ndarray, mass: np.ndarray, size: int) -> np.ndarray:
    """Row or column sums of a plan from its support (O(nnz), not O(n m))."""
    return np.bincount(index, weights=mass, minlength=size)


def _to_caller_units(gap: float, terms: np.ndarray, cost_scale: float, mass: float, xp, dtype) -> float:
    """The unit-scale gap in the caller's units, plus the round-off of recomputing the
    value <M, P> in the caller's dtype; rounded up (never to 0 when positive)."""
    if not np.isfinite(gap):
        return gap
    scaled = float(gap) * cost_scale * mass * (1 + 1e-15)  # Python floats: inf, no warning
    scaled += sum_error_bound(terms.size + 1, float(np.sum(np.abs(terms))) * cost_scale * mass, xp, dtype)
    return float(np.nextafter(scaled, np.inf)) if gap > 0 else scaled


def _in_polytope(plan: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """P >= 0 with marginals a and b up to round-off."""
    tol = 1e-9 * a.sum()
    rows_ok = np.abs(plan.sum(1) - a).sum() <= tol
    return bool(rows_ok and np.abs(plan.sum(0) - b).sum() <= tol and np.all(plan >= 0))


def _result(M, a, b, plan, support, rows, cols, f, g, gap, method, converged, xp) -> TransportResult:
    """Bring the NumPy solution home and recompute the value from the caller's arrays
    (``support``: the plan's entries at ``rows, cols``)."""
    flat = xp.asarray(rows * M.shape[1] + cols, device=device(M))
    mass = from_numpy(support, M, xp)
    f_x, g_x = from_numpy(f, M, xp), from_numpy(g, M, xp)
    # <M, P> with P held constant, plus zero-valued terms whose gradients in a and b
    # are the potentials (envelope theorem).
    value = (
        xp.sum(mass * xp.take(xp.reshape(M, (-1,)), flat))
        + xp.sum((a - constant(a, xp)) * f_x)
        + xp.sum((b - constant(b, xp)) * g_x)
    )
    return TransportResult(
        value=v.representable(value, "M, a, b", "<M, P>", None, xp),
        plan=from_numpy(plan, M, xp),
        f=f_x,
        g=g_x,
        gap=gap,
        method=method,
        converged=converged,
    )


def _check_assignment(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise ValueError(f"method='assignment' needs n == m, got M of shape {(a.size, b.size)}")
    for w, name in ((a, "a"), (b, "b")):
        if np.ptp(w) > 1e-12 * w.max():
            raise ValueError(f"method='assignment' needs uniform weights; {name} is not uniform")


def _network_simplex(M: np.ndarray, a: np.ndarray, b: np.ndarray, max_iter: int) -> Solution:
    """POT's network simplex on the support of a and b (zero weights dropped)."""
    from ot.lp.emd_wrap import emd_c

    rows, cols = np.flatnonzero(a > 0), np.flatnonzero(b > 0)
    sub = M if (rows.size, cols.size) == M.shape else M[np.ix_(rows, cols)]
    G, _, f_s, g_s, code = emd_c(a[rows], b[cols], np.ascontiguousarray(sub), max_iter, 1)
    plan = G if sub is M else _inflate(G, rows, cols, M.shape)
    f, g = np.zeros(M.shape[0]), np.zeros(M.shape[1])
    f[rows], g[cols] = f_s, g_s
    return plan, f, g, code == 1


def _inflate(G: np.ndarray, rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    plan = np.zeros(shape)
    plan[np.ix_(rows, cols)] = G
    return plan


def _assignment(M: np.ndarray, a: np.ndarray, b: np.ndarray, max_iter: int) -> Solution:
    """Hungarian-type solver; duals from shortest paths on the optimal matching.

    With sigma the optimal permutation and C[i, k] = M[i, sigma(k)], dual feasibility
    with complementary slackness reads u_i <= u_k + C[i, k] - C[k, k]: a system of
    difference constraints whose solution is the shortest-path distances of the
    graph k -> i with weights C[i, k] - C[k, k] (no negative cycle at the optimum).
    Then g_sigma(k) = C[k, k] - u_k.
    """
    from scipy.optimize import linear_sum_assignment

    rows, sigma = linear_sum_assignment(M)
    n = M.shape[0]
    C = M[:, sigma]
    diag = np.diagonal(C).copy()
    u = np.zeros(n)
    converged = False
    for _ in range(n + 1):  # Bellman-Ford, vectorised over all edges
        u_new = np.minimum(u, np.min(C - (diag - u)[None, :], axis=1))
        if np.array_equal(u_new, u):
            converged = True
            break
        u = u_new
    g = np.empty(n)
    g[sigma] = diag - u
    plan = np.zeros_like(M)
    plan[rows, sigma] = a
    return plan, u, g, converged


def _linear_program(M: np.ndarray, a: np.ndarray, b: np.ndarray, max_iter: int) -> Solution:
    """The transport LP in HiGHS; the equality marginals are the potentials.

    HiGHS's tolerances are absolute, so the cost is scaled to max |M| = 1 (and the
    duals back), with feasibility tolerances tightened to 1e-10: without this, costs
    below 1e-7 are read as ties and the "exact" reference is off by that much.
    """
    import scipy.sparse as sp
    from scipy.optimize import linprog

    n, m = M.shape
    scale = float(np.abs(M).max()) or 1.0
    rows = sp.kron(sp.eye(n), np.ones((1, m)))
    cols = sp.kron(np.ones((1, n)), sp.eye(m))
    res = linprog(
        M.ravel() / scale,
        A_eq=sp.vstack([rows, cols]).tocsr(),
        b_eq=np.concatenate([a, b]),
        bounds=(0, None),
        method="highs",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
    )
    if res.x is None:
        raise RuntimeError(f"HiGHS failed on the transport LP: {res.message}")
    duals = scale * res.eqlin.marginals
    plan = np.clip(res.x.reshape(n, m), 0.0, None)
    return plan, duals[:n], duals[n:], bool(res.status == 0)


_SOLVERS: dict[str, Callable[..., Solution]] = {
    "network_simplex": _network_simplex,
    "assignment": _assignment,
    "lp": _linear_program,
}

__all__ = ["solve"]
