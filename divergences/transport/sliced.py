"""Sliced and max-sliced Wasserstein distances: W_p of one-dimensional projections.

Projections onto unit vectors are 1-Lipschitz, so every projected distance is a
lower bound on W_p, and so are their mean (sliced) and maximum (max-sliced).
"""

from __future__ import annotations

import numpy as np

from .. import _validate as check
from .._backend import Array, Namespace, constant, default_rng, from_numpy, namespace
from .._numerics import binary_scale, ldexp, scaled_pth_root_of_sum
from .one_d import monotone_wp, quantile_coupling

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
    e = binary_scale(x, y, xp=xp)  # exact: coordinates into (-1, 1), no overflow
    x, y = ldexp(x, -e), ldexp(y, -e)
    # (mean_k W_k^p)^(1/p) in the scaled form: no W_k^p is ever formed.
    value = scaled_pth_root_of_sum(_projected_wp(x, y, a, b, theta, p, xp), None, p, xp)
    return check.scaled_back(value, e, "x, y", "SW_p", p, xp)


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
    the best of ``n_projections`` random directions is refined by up to ``n_iter``
    ascent steps. Each step maximises the linearisation of the projected cost under
    the current monotone coupling, :math:`g = \nabla / \|\nabla\|` with
    :math:`\nabla = \sum_k m_k |\langle\theta, \delta_k\rangle|^{p-1}
    \mathrm{sign}\langle\theta, \delta_k\rangle \delta_k`, and moves to the best
    direction on the arc :math:`\theta + t (g - \theta)`, t = 1, 1/2, ..., 2^-23;
    the ascent stops at the first step that does not increase the value. The value
    returned is the exact projected W_p at the direction reached, so it is always a
    lower bound on the true max-sliced distance and on W_p.

    Parameters
    ----------
    x, y, a, b, p, n_projections, seed, normalize
        As in :func:`sliced_wasserstein`.
    n_iter : int
        Most ascent steps from the best random direction (0 keeps the random
        search); the ascent ends earlier at a local maximum.

    Notes
    -----
    O((K + 24 n_iter) (n + m) (d + log(n + m))) time. PyTorch gradients are those of
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
    e = binary_scale(x, y, xp=xp)
    x, y = ldexp(x, -e), ldexp(y, -e)
    xc, yc = constant(x, xp), constant(y, xp)
    values = _projected_wp(xc, yc, a, b, theta, p, xp)
    k = int(xp.argmax(values))
    best, best_value = theta[:, k : k + 1], float(values[k])
    for _ in range(n_iter):
        step, value = _ascent_step(xc, yc, a, b, best, p, xp)
        if not value > best_value:
            break  # a local maximum: the remaining steps would all stay here
        best, best_value = step, value
    value = _projected_wp(x, y, a, b, best, p, xp)[0]
    return check.scaled_back(value, e, "x, y", "max-sliced W_p", p, xp)


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


def _projected_wp(x, y, a, b, theta, p, xp) -> Array:
    """W_p of the projections on each column of theta, shape (K,)."""
    u, v = xp.matrix_transpose(x @ theta), xp.matrix_transpose(y @ theta)
    u, v, a, b = check.broadcast_batch(xp, u=u, v=v, a=a, b=b)
    return monotone_wp(u, v, a, b, p, xp)


# Step lengths tried towards the linearisation's maximiser, longest first.
_STEPS = 2.0 ** -np.arange(0, 24, dtype=np.float64)


def _ascent_step(x, y, a, b, theta, p, xp) -> tuple[Array, float]:
    """The best direction on the arc from theta towards the linearisation's maximiser.

    The linearised objective's maximiser g can lie past a kink of the projected
    cost (where two projections tie and the monotone coupling changes), where the
    cost is lower. The step tries theta + t (g - theta) for t = 1, 1/2, ..., 2^-23
    in one batched evaluation and returns the best with its value, so that the
    ascent increases monotonically and its path does not hinge on how round-off
    breaks a tie. The caller stops when no step improves.
    """
    g = _linearised_maximiser(x, y, a, b, theta, p, xp)
    steps = from_numpy(_STEPS, x, xp)
    arc = theta + steps[None, :] * (g - theta)
    arc = arc / xp.linalg.vector_norm(arc, axis=0, keepdims=True)
    values = _projected_wp(x, y, a, b, arc, p, xp)
    k = int(xp.argmax(values))
    return arc[:, k : k + 1], float(values[k])


def _linearised_maximiser(x, y, a, b, theta, p, xp) -> Array:
    """Maximise the linearised projected cost on the sphere for the current coupling."""
    u, v = (x @ theta)[:, 0], (y @ theta)[:, 0]
    mass, iu, iv = quantile_coupling(u, v, a, b, xp)
    delta = xp.take(x, iu, axis=0) - xp.take(y, iv, axis=0)
    s = delta @ theta[:, 0]
    top = float(xp.max(xp.abs(s)))
    if top == 0.0:
        return theta
    s = s / top  # the direction is scale-free; |s|^(p-1) <= 1 cannot overflow
    weight = mass * xp.sign(s) * (xp.abs(s) ** (p - 1) if p != 1 else 1.0)
    grad = xp.sum(weight[:, None] * delta, axis=0)
    norm = float(xp.linalg.vector_norm(grad))
    if norm == 0.0:
        return theta
    return (grad / norm)[:, None]
