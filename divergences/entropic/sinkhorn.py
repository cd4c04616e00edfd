"""``sinkhorn``: entropic optimal transport on a dense cost matrix."""

from __future__ import annotations

import warnings

from .. import _validate as check
from .._backend import Array, Namespace, constant, namespace, safe_log
from .._results import TransportResult
from ..transport._polytope import feasible_potentials, rounded_cost
from . import _kernel as k
from ._solver import run

ON_FAIL = ("warn", "raise")
# Eps-scaling: each stage divides eps by 10 and is solved to marginal error 1e-3
# (at most 100 iterations); measured 1.5x to 2x faster than halving eps per stage.
SCALING, STAGE_TOL, STAGE_ITER = 0.1, 1e-3, 100


def sinkhorn(
    M: Array,
    a: Array | None = None,
    b: Array | None = None,
    *,
    eps: float,
    tol: float = 1e-6,
    max_iter: int = 10_000,
    unbalanced: float | None = None,
    init: tuple[Array, Array] | None = None,
    on_fail: str = "warn",
) -> TransportResult:
    r"""Entropic optimal transport by accelerated, stabilised Sinkhorn iterations.

    .. math::

        \mathrm{OT}_\varepsilon(a, b) = \min_{P \ge 0} \langle M, P\rangle
        + \varepsilon\, \mathrm{KL}(P \,|\, a b^\top)
        \;[+\, \rho\, \mathrm{KL}(P\mathbf 1 | a) + \rho\, \mathrm{KL}(P^\top\mathbf 1 | b)]

    with :math:`P\mathbf 1 = a`, :math:`P^\top \mathbf 1 = b` in the balanced case
    (Cuturi 2013, arXiv 1306.0895; the KL convention of Feydy et al. 2019,
    arXiv 1810.08278, and OTT-JAX; the bracket is the unbalanced problem of
    Sejourne et al. 2019, arXiv 1910.12958). The optimal plan is
    :math:`P_{ij} = a_i b_j \exp((f_i + g_j - M_{ij})/\varepsilon)`.

    Parameters
    ----------
    M : array (n, m)
        Finite cost matrix.
    a, b : arrays (n,), (m,), optional
        Nonnegative weights (uniform when omitted), of equal mass when balanced.
    eps : float
        Regularisation strength, > 0, in the units of M.
    tol : float
        Target marginal error (see ``marginal_error`` below).
    max_iter : int
        Cap on the total number of iterations, annealing stages included.
    unbalanced : float, optional
        rho > 0: replace the marginal constraints by rho-weighted KL penalties
        (``None`` or ``inf``: balanced).
    init : (f, g), optional
        Warm start from the potentials of an earlier solve at a nearby eps or cost;
        annealing is skipped. Only ``g`` is used: the f-update from it is exact.
    on_fail : {"warn", "raise"}
        What happens when ``tol`` is not reached within ``max_iter``.

    Returns
    -------
    TransportResult
        ``value`` = <M, P> (what POT's ``sinkhorn2`` returns); ``entropic_value``
        = OT_eps, evaluated by its dual at the potentials; both are >= the exact OT
        for balanced problems. ``plan``, potentials ``f``, ``g`` (Feydy's
        convention), ``marginal_error`` (the larger L1 violation of the marginal
        conditions; unbalanced: of P 1 = a exp(-f / rho) and its twin), ``n_iter``,
        ``converged`` (``marginal_error <= tol``).

    Notes
    -----
    Iterations run in the kernel domain (two matrix-vector products each) with
    absorption into log-domain potentials whenever the scalings leave a safe range
    (Schmitzer 2016, arXiv 1610.06519), after annealing eps from the cost's range
    by factors of 10; at each eps, Anderson acceleration of the map g -> g
    (memory 10; Walker and Ni 2011) replaces the slow linear rate of plain
    Sinkhorn. Cost O(n m) memory and O(n m) per iteration. Gradients (PyTorch):
    ``entropic_value`` is differentiable in M, a, b through the final potentials
    (envelope theorem: d/dM = P, d/da = f, d/db = g); ``value`` differentiates as
    <M, P> with P held constant. No gradient is taken through the iterations.

    Examples
    --------
    >>> import numpy as np
    >>> r = sinkhorn(np.array([[0.0, 1.0], [1.0, 0.0]]), eps=0.01)
    >>> r.converged, round(float(r.value), 6)
    (True, 0.0)
    """
    xp = namespace(M, a, b, *(init if isinstance(init, (tuple, list)) else ()))
    pb, live = _problem(M, a, b, unbalanced, xp)
    eps = check.positive_number(eps, "eps")
    tol = check.positive_number(tol, "tol")
    max_iter = check.positive_int_or_zero(max_iter, "max_iter")
    on_fail = check.choice(on_fail, "on_fail", ON_FAIL)
    g0, eps_start = _start(pb, init, eps, xp)
    make = lambda g, e: k.DenseMap.at(pb, g, e)  # noqa: E731
    out = run(make, g0, eps, tol, max_iter, eps_start, SCALING, STAGE_TOL, STAGE_ITER)
    f, g = out.map.potentials(out.step)
    P = k.plan(out.map.kn, out.step, xp)
    if not out.converged:
        _fail(on_fail, out.error, tol, out.n_iter)
    bracket = _bracket(f, P, pb) if pb.rho is None else (None, None)
    return TransportResult(
        value=xp.sum(P * live[0]),
        plan=P,
        f=f,
        g=g,
        gap=None,
        method="sinkhorn",
        converged=out.converged,
        entropic_value=entropic_dual(f, g, *live, eps, pb.rho, xp),
        marginal_error=out.error,
        n_iter=out.n_iter,
        lower=bracket[0],
        upper=bracket[1],
    )


def _bracket(f: Array, P: Array, pb: k.Problem) -> tuple[Array, Array]:
    """Certified lower and upper bounds on the exact OT from the run's own f and plan."""
    xp = pb.xp
    f_ok, g_ok = feasible_potentials(f, None, pb.M, pb.a, pb.b, xp)
    upper = rounded_cost(P, pb.M, pb.a, pb.b, xp)
    return xp.sum(pb.a * f_ok) + xp.sum(pb.b * g_ok), upper


def entropic_dual(f: Array, g: Array, M: Array, a: Array, b: Array, eps: float,
                  rho: float | None, xp: Namespace) -> Array:
    """The dual objective at fixed (f, g), differentiable in M, a and b:

    balanced:   <a, f> + <b, g> - eps <a b^T, exp((f + g - M)/eps) - 1>,
    unbalanced: the first two terms become -rho <a, exp(-f/rho) - 1> (and for b).
    At optimal potentials it equals OT_eps, and its partial derivatives are the
    envelope-theorem gradients (P, f, g).
    """
    # a_i b_j exp(...) in the log domain: where a_i b_j = 0 the exponent may be
    # large (potentials of zero-weight points), and inf * 0 would give NaN.
    log_ab = safe_log(a, xp)[:, None] + safe_log(b, xp)[None, :]
    P = xp.exp(log_ab + (f[:, None] + g[None, :] - M) / eps)
    mass = xp.sum(P) - xp.sum(a) * xp.sum(b)
    if rho is None:
        return xp.sum(a * f) + xp.sum(b * g) - eps * mass
    return (-rho * xp.sum(a * xp.expm1(-f / rho)) - rho * xp.sum(b * xp.expm1(-g / rho))
            - eps * mass)


def _problem(M, a, b, unbalanced, xp: Namespace) -> tuple[k.Problem, tuple[Array, Array, Array]]:
    """The validated problem on constant copies, and the live (M, a, b) for gradients."""
    M, a, b = check.cost_and_weights(M, a, b, xp)
    rho = None if unbalanced is None else check.positive_number(unbalanced, "unbalanced", allow_inf=True)
    if rho is None or rho == float("inf"):
        rho = None
        a, b = check.balanced(a, b, xp, normalize=False)
    pb = k.Problem(constant(M, xp), constant(a, xp), constant(b, xp), rho, xp)
    return pb, (M, a, b)


def _start(pb: k.Problem, init, eps: float, xp: Namespace) -> tuple[Array, float]:
    """Initial g and the first eps of the annealing (the cost's range; none on warm start)."""
    if init is None:
        spread = float(xp.max(pb.M) - xp.min(pb.M))
        return xp.zeros_like(pb.b), max(eps, spread)
    if not isinstance(init, (tuple, list)) or len(init) != 2:
        raise TypeError("init must be a pair (f, g) of potentials")
    f, g = (check.as_float(check.as_array(t, name, xp), xp, pb.M.dtype) for t, name in zip(init, ("init[0]", "init[1]")))
    for t, name, size in ((f, "init[0]", pb.M.shape[0]), (g, "init[1]", pb.M.shape[1])):
        if t.ndim != 1 or t.shape[0] != size:
            raise ValueError(f"{name} must have shape ({size},), got {tuple(t.shape)}")
        check.check_finite(t, name, xp)
    return constant(g, xp), eps


def _fail(on_fail: str, error: float, tol: float, n_iter: int) -> None:
    message = (f"sinkhorn stopped at marginal error {error:.3g} > tol = {tol:.3g} after "
               f"{n_iter} iterations; raise max_iter or eps, or loosen tol")
    if on_fail == "raise":
        raise RuntimeError(message)
    warnings.warn(message, RuntimeWarning, stacklevel=3)
