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
    gap : float
        Primal minus dual value, ``<M, P> - (<a, f> + <b, g>)``, >= 0; zero (to
        round-off) certifies optimality.
    method : str
        The solver that produced the result.
    converged : bool
        Whether the solver reported an optimal solution.
    """

    value: Array
    plan: Array
    f: Array
    g: Array
    gap: float
    method: str
    converged: bool
