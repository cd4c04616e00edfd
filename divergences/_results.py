"""Result objects: frozen dataclasses with named fields, like SciPy's results."""

from __future__ import annotations

from dataclasses import dataclass

from ._backend import Array

__all__ = ["Certificate", "SpectralNormResult", "TransportResult"]


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


@dataclass(frozen=True)
class Certificate:
    """A guaranteed bracket ``lower <= OT(a, b) <= upper`` on the exact cost.

    Attributes
    ----------
    lower : array (0-D)
        ``<a, f> + <b, g>`` for the feasible pair below.
    upper : array (0-D)
        ``<M, plan>``.
    plan : array (n, m)
        A transport plan exactly in U(a, b) (to round-off): P >= 0, P 1 = a, P^T 1 = b.
    f, g : arrays (n,), (m,)
        Potentials feasible for the dual: ``f_i + g_j <= M_ij`` everywhere.
    """

    lower: Array
    upper: Array
    plan: Array
    f: Array
    g: Array

    @property
    def width(self) -> float:
        return float(self.upper - self.lower)


@dataclass(frozen=True)
class SpectralNormResult:
    """The outcome of :func:`spectral_norm`.

    Attributes
    ----------
    value : array (0-D)
        :math:`\\|A v\\|` at the final unit vector ``v``: a lower bound on the
        spectral norm :math:`\\sigma_1(A)`. Differentiable (PyTorch) through the
        operator with ``v`` held fixed: for a matrix the gradient is
        :math:`u v^\\top`, that of spectral normalisation (Miyato et al. 2018).
    u, v : arrays (m,), (n,)
        Unit left and right singular vector estimates (constants, no graph); pass
        ``v`` back as ``v0`` to continue the iteration (persistent power iteration).
    n_iter : int
        Power iterations run (each one ``matvec`` and one ``rmatvec``).
    converged : bool
        Whether the residual fell to ``tol``; always False when ``tol`` is None.
    residual : float
        :math:`\\|A^\\top u - \\sigma v\\| / \\sigma` at the last iteration: some
        singular value :math:`\\sigma_j` of A satisfies
        :math:`|\\sigma_j^2 - \\sigma^2| \\le \\sigma^2 \\cdot \\mathrm{residual}`.
    """

    value: Array
    u: Array
    v: Array
    n_iter: int
    converged: bool
    residual: float
