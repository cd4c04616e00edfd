"""``wasserstein``: W_p between empirical measures, points -> cost -> exact solver."""

from __future__ import annotations

from .. import _validate as check
from .._backend import Array, namespace
from .._numerics import root
from ._cost import euclidean_cost
from .exact import solve
from .one_d import wasserstein_pp

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
    if one_dim and method in ("auto", "1d"):
        return root(wasserstein_pp(x[:, 0], y[:, 0], a, b, p, xp), p, xp)
    M = euclidean_cost(x, y, p, xp)
    result = solve(M, a, b, method="network_simplex" if method == "auto" else method)
    return root(result.value, p, xp)
