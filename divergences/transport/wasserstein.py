"""``wasserstein``: W_p between empirical measures, points -> cost -> exact solver."""

from __future__ import annotations

from .. import _validate as check
from .._backend import Array, namespace
from .._numerics import binary_scale, ldexp, root
from ._cost import relative_euclidean_cost
from .exact import solve
from .one_d import monotone_wp

__all__ = ["METHODS", "wasserstein"]

METHODS = ("auto", "1d", "network_simplex", "assignment", "lp")


def wasserstein(
    x: Array,
    y: Array,
    a: Array | None = None,
    b: Array | None = None,
    *,
    p: float = 1,
    method: str = "auto",
    normalize: bool = False,
) -> Array:
    r"""The p-Wasserstein distance between two empirical measures.

    .. math::

        W_p(\mu, \nu) = \Big( \min_{P \in U(a, b)} \sum_{ij} P_{ij} \|x_i - y_j\|_2^p \Big)^{1/p},
        \qquad \mu = \sum_i a_i \delta_{x_i},\ \nu = \sum_j b_j \delta_{y_j}

    (Villani 2009, Def. 6.1; Peyre and Cuturi 2019, arXiv 1803.00567, Ch. 2).
    Returns W_p itself, not W_p^p.

    Parameters
    ----------
    x, y : arrays (n, d), (m, d) or (n,), (m,)
        Support points; 1-D arrays are points on the line.
    a, b : arrays (n,), (m,), optional
        Nonnegative weights of equal total mass (uniform when omitted).
    p : float
        Order, p >= 1; the ground cost is the Euclidean distance to the power p.
    method : {"auto", "1d", "network_simplex", "assignment", "lp"}
        ``"auto"``: the closed form in one dimension (sorted quantile functions,
        O((n + m) log(n + m)), any weights, n != m), otherwise the network simplex
        on the n x m cost. ``"1d"`` forces the closed form (d = 1 only); the others
        are passed to :func:`divergences.solve`.
    normalize : bool
        Rescale both weight vectors to unit mass instead of rejecting unequal masses.

    Returns
    -------
    array (0-D)
        W_p in the caller's namespace, dtype and device. PyTorch gradients flow to
        the points and weights (envelope theorem; the plan is held constant).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0, 0.0], [1.0, 0.0]])
    >>> float(wasserstein(x, x + np.array([0.0, 2.0]), p=2))
    2.0
    """
    xp = namespace(x, y, a, b)
    p = check.check_p(p)
    method = check.choice(method, "method", METHODS)
    x, y, a, b = check.point_measures(x, y, a, b, xp, normalize)
    one_dim = x.shape[1] == 1
    if method == "1d" and not one_dim:
        raise ValueError(f"method='1d' needs one-dimensional points, got d = {x.shape[1]}")
    # Scale equivariance: coordinates scaled by an exact power of two into (-1, 1),
    # costs divided by their largest entry D^p (so in [0, 1] at every p), then
    # W_p(x, y) = 2^e D W_p(relative problem).
    e = binary_scale(x, y, xp=xp)
    x, y = ldexp(x, -e), ldexp(y, -e)
    if one_dim and method in ("auto", "1d"):
        value = monotone_wp(x[:, 0], y[:, 0], a, b, p, xp)
    else:
        value = _relative_wp(x, y, a, b, p, method, xp)
        if value is None and a is not None and not bool(xp.all(a > 0) & xp.all(b > 0)):
            # costs out of range, set perhaps by points without mass: on the support with mass
            on_x, on_y = xp.nonzero(a > 0)[0], xp.nonzero(b > 0)[0]
            value = _relative_wp(xp.take(x, on_x, axis=0), xp.take(y, on_y, axis=0), xp.take(a, on_x),
                                 xp.take(b, on_y), p, method, xp)
        if value is None:
            raise ValueError(
                f"x, y: |x - y|^p spans more than the range of {x.dtype} at p = {p:g} "
                "(the optimal plan uses costs below the smallest float relative to the largest); "
                "lower p or use wasserstein_1d / sliced_wasserstein"
            )
    return check.scaled_back(value, e, "x, y", "W_p", p, xp)


def _relative_wp(x, y, a, b, p: float, method: str, xp) -> Array | None:
    """W_p from costs divided by their largest entry D^p; None when the optimal plan
    moves mass along costs that underflowed relative to D^p (each below the smallest
    subnormal s, so the value is known to within mass s) and the value is too small
    for that to be below its rounding (zero-weight points far away can set D: the
    caller then retries without them)."""
    C, D, lost = relative_euclidean_cost(x, y, p, xp)
    result = solve(C, a, b, method="network_simplex" if method == "auto" else method)
    if lost is not None and bool(xp.any(lost & (result.plan > 0))):
        info = xp.finfo(C.dtype)
        mass = 1.0 if a is None else float(xp.sum(a))
        if float(result.value) < 2 * mass * float(info.smallest_normal):  # mass s > u value
            return None
    return D * root(result.value, p, xp)
