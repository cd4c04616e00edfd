"""Sliced and max-sliced Wasserstein distances: W_p of one-dimensional projections.

Projections onto unit vectors are 1-Lipschitz, so every projected distance is a
lower bound on W_p, and so are their mean (sliced) and maximum (max-sliced).
"""

from __future__ import annotations

import numpy as np

from .. import _validate as check
from .._backend import Array, Namespace, constant, default_rng, from_numpy, namespace
from .._numerics import root
from .one_d import quantile_coupling, wasserstein_pp

__all__ = ["max_sliced_wasserstein", "sliced_wasserstein"]


def sliced_wasserstein(
    x: Array,
    y: Array,
    a: Array | None = None,
    b: Array | None = None,
    *,
    p: float = 2,
    n_projections: int = 128,
    seed: int | np.random.Generator | None = None,
    normalize: bool = False,
) -> Array:
    r"""Sliced Wasserstein distance (Monte Carlo over random directions).

    .. math::

        SW_p(\mu, \nu) = \Big( \mathbb{E}_{\theta \sim U(S^{d-1})}
        W_p^p(\theta_\# \mu, \theta_\# \nu) \Big)^{1/p}
        \approx \Big( \frac1K \sum_{k=1}^K W_p^p(\langle \theta_k, x \rangle,
        \langle \theta_k, y \rangle) \Big)^{1/p}

    (Bonneel, Rabin, Peyre, Pfister, JMIV 2015). Returns the p-th root. Since each
    projection is 1-Lipschitz, :math:`SW_p \le W_p`.

    Parameters
    ----------
    x, y : arrays (n, d), (m, d) or (n,), (m,)
        Support points.
    a, b : arrays (n,), (m,), optional
        Weights of equal total mass (uniform when omitted).
    p : float
        Order, p >= 1.
    n_projections : int
        Number K of directions, drawn uniformly on the sphere; the estimate's
        standard error decreases as K^(-1/2).
    seed : int or numpy.random.Generator, optional
        Source of the directions (results are reproducible for a fixed seed).
    normalize : bool
        Rescale both weight vectors to unit mass instead of rejecting unequal masses.

    Notes
    -----
    O(K (n + m) (d + log(n + m))) time, O(K (n + m)) memory.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0, 0.0], [1.0, 1.0]])
    >>> float(sliced_wasserstein(x, x, seed=0))
    0.0
    """
    xp, x, y, a, b = _prepare(x, y, a, b, normalize)
    p = check.check_p(p)
    theta = _directions(x, n_projections, seed, xp)
    return root(xp.mean(_projected_wpp(x, y, a, b, theta, p, xp)), p, xp)


def max_sliced_wasserstein(
    x: Array,
    y: Array,
    a: Array | None = None,
    b: Array | None = None,
    *,
    p: float = 2,
    n_projections: int = 128,
    n_iter: int = 20,
    seed: int | np.random.Generator | None = None,
    normalize: bool = False,
) -> Array:
    r"""Max-sliced Wasserstein distance: the largest projected W_p found.

    .. math::

        \max_{\theta \in S^{d-1}} W_p(\theta_\# \mu, \theta_\# \nu) \;\le\; W_p(\mu, \nu)

    (Deshpande et al., CVPR 2019). The maximisation over the sphere is not concave:
    the best of ``n_projections`` random directions is refined by ``n_iter`` ascent
    steps, each maximising the linearisation of the projected cost under the current
    monotone coupling, :math:`\theta \leftarrow \nabla / \|\nabla\|` with
    :math:`\nabla = \sum_k m_k |\langle\theta, \delta_k\rangle|^{p-1}
    \mathrm{sign}\langle\theta, \delta_k\rangle \delta_k`. The value returned is the
    exact projected W_p at the best direction seen, so it is always a lower bound
    on the true max-sliced distance and on W_p.

    Parameters
    ----------
    x, y, a, b, p, n_projections, seed, normalize
        As in :func:`sliced_wasserstein`.
    n_iter : int
        Ascent steps from the best random direction (0 keeps the random search).

    Notes
    -----
    O((K + n_iter) (n + m) (d + log(n + m))) time. PyTorch gradients are those of
    W_p at the maximising direction held fixed (Danskin's theorem).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0, 0.0], [0.0, 1.0]])
    >>> round(float(max_sliced_wasserstein(x, x + np.array([3.0, 4.0]), seed=0)), 6)
    5.0
    """
    xp, x, y, a, b = _prepare(x, y, a, b, normalize)
    p = check.check_p(p)
    n_iter = check.positive_int_or_zero(n_iter, "n_iter")
    theta = _directions(x, n_projections, seed, xp)
    xc, yc = constant(x, xp), constant(y, xp)
    values = _projected_wpp(xc, yc, a, b, theta, p, xp)
    k = int(xp.argmax(values))
    best, best_value = theta[:, k : k + 1], float(values[k])
    current = best
    for _ in range(n_iter):
        current = _ascent_step(xc, yc, a, b, current, p, xp)
        value = float(_projected_wpp(xc, yc, a, b, current, p, xp)[0])
        if value > best_value:
            best, best_value = current, value
    return root(_projected_wpp(x, y, a, b, best, p, xp)[0], p, xp)


def _prepare(x, y, a, b, normalize):
    xp = namespace(x, y, a, b)
    x, y, a, b = check.point_measures(x, y, a, b, xp, normalize)
    return xp, x, y, a, b


def _directions(x: Array, k: object, seed, xp: Namespace) -> Array:
    """(d, K) matrix of independent directions uniform on the unit sphere."""
    k = check.check_positive_int(k, "n_projections")
    g = default_rng(seed).standard_normal((x.shape[1], k))
    g /= np.linalg.norm(g, axis=0, keepdims=True)
    return from_numpy(g, x, xp)


def _projected_wpp(x, y, a, b, theta, p, xp) -> Array:
    """W_p^p of the projections on each column of theta, shape (K,)."""
    u, v = xp.matrix_transpose(x @ theta), xp.matrix_transpose(y @ theta)
    u, v, a, b = check.broadcast_batch(xp, u=u, v=v, a=a, b=b)
    return wasserstein_pp(u, v, a, b, p, xp)


def _ascent_step(x, y, a, b, theta, p, xp) -> Array:
    """Maximise the linearised projected cost on the sphere for the current coupling."""
    u, v = (x @ theta)[:, 0], (y @ theta)[:, 0]
    mass, iu, iv = quantile_coupling(u, v, a, b, xp)
    delta = xp.take(x, iu, axis=0) - xp.take(y, iv, axis=0)
    s = delta @ theta[:, 0]
    weight = mass * xp.sign(s) * (abs(s) ** (p - 1) if p != 1 else 1.0)
    grad = xp.sum(weight[:, None] * delta, axis=0)
    norm = float(xp.linalg.vector_norm(grad))
    if norm == 0.0:
        return theta
    return (grad / norm)[:, None]

