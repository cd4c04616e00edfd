r"""The GAN-QP (quadratic potential) divergence (Su, arXiv 1811.07296).

.. math::

    QP(P, Q) = \sup_T\; \mathbb E_{x_r \sim P,\, x_f \sim Q}\Big[ T(x_r, x_f) - T(x_f, x_r)
        - \frac{(T(x_r, x_f) - T(x_f, x_r))^2}{2 \lambda\, d(x_r, x_f)} \Big]

``qp_objective`` is the sampled critic objective; ``qp_divergence`` the exact value
for two histograms on one support, in closed form.

Derivation. On a finite support with P = a, Q = b and distances D, only the
antisymmetric part A_ij = T(i, j) - T(j, i) enters. The pair {i, j} (i != j)
contributes a_i b_j [A - A^2/(2 lam D_ij)] + a_j b_i [-A - A^2/(2 lam D_ij)]
(A = A_ij, D symmetric) = (a_i b_j - a_j b_i) A - (a_i b_j + a_j b_i) A^2 / (2 lam D_ij),
a concave parabola in A maximised at A* = lam D_ij (a_i b_j - a_j b_i) / (a_i b_j + a_j b_i)
with value lam D_ij (a_i b_j - a_j b_i)^2 / (2 (a_i b_j + a_j b_i)); the diagonal
(x_r = x_f, A = 0) contributes nothing. Summing over unordered pairs,

    QP(a, b) = (lam / 4) sum_{i != j} D_ij (a_i b_j - a_j b_i)^2 / (a_i b_j + a_j b_i),

symmetric in (a, b), >= 0, and 0 iff a_i b_j = a_j b_i on every pair with D_ij > 0
(for a metric D: iff a = b). This is the optimum Su derives for GAN-QP.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _validate as check
from ._backend import Array, Namespace, constant, device, namespace, result_dtype
from ._numerics import overflow_message


def qp_objective(t_rf: Array, t_fr: Array, d: Array, *, lam: float = 1.0) -> Array:
    r"""The sampled GAN-QP critic objective (to be maximised by the critic).

    .. math::

        \frac1n \sum_s \Big[ (T_{rf} - T_{fr})_s - \frac{(T_{rf} - T_{fr})_s^2}{2 \lambda\, d_s} \Big]

    over n pairs :math:`(x_r, x_f)_s`, :math:`x_r \sim P` and :math:`x_f \sim Q`
    independent, with :math:`T_{rf} = T(x_r, x_f)`, :math:`T_{fr} = T(x_f, x_r)` and
    :math:`d_s = d(x_r, x_f)` (Su, "GAN-QP", arXiv 1811.07296). A pair at
    distance 0 contributes 0 if :math:`T_{rf} = T_{fr}` and ``-inf`` otherwise (the
    limit of the penalty). Its supremum over T is :func:`qp_divergence`.

    Parameters
    ----------
    t_rf, t_fr : arrays (..., n)
        Critic values on the pairs and on the swapped pairs.
    d : array (..., n)
        Distances :math:`d(x_r, x_f) \ge 0` of the pairs (Su uses the L1 or L2 norm
        of the difference). The three arrays broadcast; the last axis is averaged.
    lam : float
        :math:`\lambda > 0`, the weight of the quadratic potential.

    Returns
    -------
    array (...)
        The objective, in the caller's namespace, dtype and device. Gradients
        (PyTorch) flow to all three inputs.

    Raises
    ------
    ValueError
        NaN or infinite values, negative distances, shapes that do not broadcast,
        ``lam <= 0``, or a penalty beyond the dtype; the message names the
        arguments.

    Notes
    -----
    The penalty is computed as diff (diff / (2 lam d)), homogeneous of degree 1 like
    the objective: (s T, s d) gives s times the objective at any scale s where it
    is representable, without squares that under- or overflow.

    Examples
    --------
    >>> import numpy as np
    >>> float(qp_objective(np.array([2.0]), np.array([1.0]), np.array([1.0]), lam=1.0))  # 1 - 1/2
    0.5
    """
    xp = namespace(t_rf, t_fr, d)
    lam = check.positive_number(lam, "lam")
    raw = [check.as_array(x, n, xp) for x, n in ((t_rf, "t_rf"), (t_fr, "t_fr"), (d, "d"))]
    dtype = result_dtype(xp, *raw)
    t_rf, t_fr, d = (check.samples(x, n, xp, dtype, axis="the pairs") for x, n in zip(raw, ("t_rf", "t_fr", "d")))
    if bool(xp.min(d) < 0):
        raise ValueError("d has negative entries: distances must be >= 0")
    try:
        np.broadcast_shapes(tuple(t_rf.shape), tuple(t_fr.shape), tuple(d.shape))
    except ValueError:
        raise ValueError(
            f"t_rf {tuple(t_rf.shape)}, t_fr {tuple(t_fr.shape)} and d {tuple(d.shape)} do not broadcast"
        ) from None
    pos = d > 0
    # diff (diff / (2 lam d)): homogeneous of degree 1 like the objective, so no
    # square under- or overflows where the objective is representable
    with np.errstate(over="ignore", invalid="ignore"):  # checked next
        diff = t_rf - t_fr
        penalty = diff * (diff / (2 * lam * xp.where(pos, d, xp.ones_like(d))))
    if not bool(xp.all(xp.isfinite(diff) & (xp.isfinite(penalty) | ~pos))):
        raise ValueError(overflow_message("t_rf, t_fr, d", "the objective", dtype))
    zero = xp.zeros_like(penalty)
    penalty = xp.where(pos, penalty, xp.where(diff == 0, zero, zero + xp.inf))
    return xp.mean(diff - penalty, axis=-1)


def qp_divergence(a: Array, b: Array, D: Array, *, lam: float = 1.0, normalize: bool = False) -> Array:
    r"""The exact GAN-QP divergence between two histograms on one support.

    .. math::

        QP(a, b) = \frac{\lambda}{4} \sum_{i \ne j} D_{ij}\,
            \frac{(a_i b_j - a_j b_i)^2}{a_i b_j + a_j b_i}

    (terms with :math:`a_i b_j + a_j b_i = 0` are 0): the supremum of
    :func:`qp_objective` in expectation over free two-argument critics T. It is
    attained pointwise in the antisymmetric part :math:`A = T(x_i, x_j) - T(x_j, x_i)`:
    each unordered pair contributes the concave parabola
    :math:`(a_i b_j - a_j b_i) A - (a_i b_j + a_j b_i) A^2 / (2\lambda D_{ij})`, maximised at
    :math:`A^* = \lambda D_{ij} (a_i b_j - a_j b_i) / (a_i b_j + a_j b_i)`
    (Su, "GAN-QP", arXiv 1811.07296; derivation in docs/gan_qp.md).

    Parameters
    ----------
    a, b : arrays (..., n)
        Histograms of P and Q on the same n points: nonnegative, finite, mass 1.
        Leading axes are a batch and broadcast.
    D : array (..., n, n)
        Distances between the points: finite, nonnegative, symmetric and with a zero
        diagonal (each up to ``sqrt(eps)`` times ``max |D|``).
    lam : float
        :math:`\lambda > 0`. The divergence is linear in it.
    normalize : bool
        Rescale ``a`` and ``b`` to unit mass instead of rejecting other masses.

    Returns
    -------
    array (...)
        QP per batch entry, in the caller's namespace, dtype and device.

    Raises
    ------
    ValueError
        Histograms of different shapes, negative or NaN entries, masses other than
        1, ``lam <= 0``, a ``D`` of the wrong shape, negative, not symmetric or with a
        nonzero diagonal; the message names the argument.

    Notes
    -----
    Symmetric in (a, b); 0 iff :math:`a_i b_j = a_j b_i` for every pair with
    :math:`D_{ij} > 0`, so for a metric D iff a = b. With a fixed metric D it lies
    between :math:`\frac{\lambda}{4} \min_{i \ne j} D_{ij} \sum_{i\ne j} \frac{(a_ib_j -
    a_jb_i)^2}{a_ib_j + a_jb_i}` and the same with the maximum. O(n^2) time and memory
    per batch entry. Gradients (PyTorch) flow to a, b and D (0 from pairs with
    :math:`a_i b_j + a_j b_i = 0`). In the units of D times lam; each term is
    computed as :math:`D_{ij} \delta (\delta / \sigma)` with :math:`\delta =
    a_i b_j - a_j b_i`, :math:`\sigma = a_i b_j + a_j b_i` (no squared products:
    weights near 1e-160 keep full precision), and a value beyond the dtype raises
    ValueError naming ``D, lam``.

    Examples
    --------
    Two points at distance 1, a = (1, 0), b = (0, 1): one pair with
    :math:`a_1 b_2 = 1`, :math:`a_2 b_1 = 0`, so QP = (1/4)(1 + 1) = 1/2.

    >>> import numpy as np
    >>> D = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> float(qp_divergence(np.array([1.0, 0.0]), np.array([0.0, 1.0]), D))
    0.5
    """
    xp = namespace(a, b, D)
    lam = check.positive_number(lam, "lam")
    raw_a, raw_b, raw_D = check.as_array(a, "a", xp), check.as_array(b, "b", xp), check.as_array(D, "D", xp)
    dtype = result_dtype(xp, raw_a, raw_b, raw_D)
    a = check.probability_vectors(raw_a, "a", xp, dtype, normalize)
    b = check.probability_vectors(raw_b, "b", xp, dtype, normalize)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"a and b must be histograms on the same points (same last axis), got shapes "
            f"{tuple(a.shape)} and {tuple(b.shape)}"
        )
    D = distance_matrix(raw_D, a.shape[-1], xp, dtype)
    try:
        np.broadcast_shapes(tuple(a.shape[:-1]), tuple(b.shape[:-1]), tuple(D.shape[:-2]))
    except ValueError:
        raise ValueError(
            f"the batch shapes of a {tuple(a.shape)}, b {tuple(b.shape)} and D {tuple(D.shape)} do not broadcast"
        ) from None
    ab = a[..., :, None] * b[..., None, :]  # a_i b_j
    ba = xp.matrix_transpose(ab)
    diff, den = ab - ba, ab + ba
    pos = den > 0
    # diff (diff / den) rather than diff^2 / den: the square of products of tiny
    # weights underflows where the ratio does not
    ratio = xp.where(pos, diff * (diff / xp.where(pos, den, xp.ones_like(den))), xp.zeros_like(den))
    # ratio_ij <= den_ij and sum den = 2 (unit masses): the terms D_ij / 4 ratio_ij
    # sum to at most max D / 2, so only the factor lam can overflow, when QP does
    value = lam * xp.sum((0.25 * D) * ratio, axis=(-2, -1))
    return check.representable(value, "D, lam", "QP", None, xp)


def distance_matrix(D: Array, n: int, xp: Namespace, dtype: Any) -> Array:
    """A finite nonnegative symmetric (..., n, n) matrix with a zero diagonal, up to
    sqrt(eps) max|D|; returned symmetrised, its diagonal set to 0."""
    D = check.as_float(D, xp, dtype)
    if D.ndim < 2 or tuple(D.shape[-2:]) != (n, n):
        raise ValueError(f"D must have shape (..., {n}, {n}) (one row and column per point), got {tuple(D.shape)}")
    check.check_finite(D, "D", xp)
    if bool(xp.min(D) < 0):
        raise ValueError("D has negative entries: distances must be >= 0")
    D0 = constant(D, xp)
    tol = math.sqrt(xp.finfo(dtype).eps) * float(xp.max(D0))
    if float(xp.max(xp.abs(D0 - xp.matrix_transpose(D0)))) > tol:
        raise ValueError(f"D must be symmetric (up to sqrt(eps) max|D| = {tol:.2g})")
    eye = xp.eye(n, dtype=dtype, device=device(D))
    if float(xp.max(xp.abs(D0 * eye))) > tol:
        raise ValueError(f"D must have a zero diagonal (d(x, x) = 0; up to {tol:.2g})")
    return (D + xp.matrix_transpose(D)) / 2 * (1 - eye)


__all__ = ["qp_divergence", "qp_objective"]
