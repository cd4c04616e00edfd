"""Result objects: frozen dataclasses with named fields, like SciPy's results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Array = Any


@dataclass(frozen=True)
class TransportResult:
    """The solution of a discrete optimal transport problem.

    Attributes
    ----------
    value : array (0-D)
        Transport cost ``<M, P> = sum_ij M_ij P_ij`` of ``plan``. Differentiable in the
        caller's framework: d value / dM = P, d value / da = f, d value / db = g
        (envelope theorem).
    plan : array (n, m)
        The transport plan P, with ``P 1 = a`` and ``P^T 1 = b``.
    f, g : arrays (n,), (m,)
        Dual potentials, feasible: ``f_i + g_j <= M_ij``.
    gap : float or None
        Primal minus dual value, ``<M, P> - (<a, f> + <b, g>)``, >= 0; zero (to
        round-off) certifies optimality. ``None`` for entropic solvers, whose plan
        solves another problem.
    method : str
        The solver that produced the result.
    converged : bool
        Whether the solver reported an optimal solution (exact solvers) or reached
        its tolerance (iterative solvers).
    entropic_value : array (0-D) or None
        Entropic solvers: the regularised objective
        ``OT_eps = <M, P> + eps KL(P | a b^T)`` (plus the marginal penalties when
        unbalanced), evaluated by its dual at the final potentials; gradients by
        the envelope theorem (d/dM = P, d/da = f, d/db = g).
    marginal_error : float
        Iterative solvers: the larger L1 violation of the two marginal conditions
        at the returned plan; 0 for exact solvers.
    n_iter : int
        Iterative solvers: iterations used; 0 for exact solvers.
    lower, upper : arrays (0-D) or None
        Entropic solvers: a certified bracket ``lower <= OT(a, b) <= upper`` on the
        exact (unregularised) cost, from the double c-transform of ``f`` and the
        rounding of ``plan`` onto U(a, b) (see :func:`divergences.certify`);
        ``None`` for unbalanced problems, which have no such exact value.
    """

    value: Array
    plan: Array
    f: Array
    g: Array
    gap: float | None
    method: str
    converged: bool
    entropic_value: Array | None = None
    marginal_error: float = 0.0
    n_iter: int = 0
    lower: Array | None = None
    upper: Array | None = None
