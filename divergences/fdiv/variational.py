r"""The f-GAN critic objective, a lower bound on the f-divergence (Fenchel-Young)."""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

from .. import _validate as check
from .._backend import Array, namespace, result_dtype
from ._generators import FDivergence, resolve

__all__ = ["variational_f"]


def _kind_by_keyword(fn: Callable[..., Array]) -> Callable[..., Array]:
    """The former call ``variational_f(kind, t_p, t_q, ...)`` still works, with a
    DeprecationWarning: a leading name or FDivergence is taken as ``kind``."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Array:
        if args and isinstance(args[0], (str, FDivergence)):
            if "kind" in kwargs:
                raise TypeError("variational_f() got kind both by position and by keyword")
            warnings.warn("variational_f: pass kind by keyword, variational_f(t_p, t_q, a, b, kind=...); "
                          "kind as the first positional argument is deprecated", DeprecationWarning, stacklevel=2)
            kwargs["kind"], args = args[0], args[1:]
        return fn(*args, **kwargs)

    return call


@_kind_by_keyword
def variational_f(
    t_p: Array,
    t_q: Array,
    a: Array | None = None,
    b: Array | None = None,
    *,
    kind: str | FDivergence,
    alpha: float | None = None,
    normalize: bool = False,
) -> Array:
    r"""The f-GAN critic objective :math:`\mathbb E_P[T] - \mathbb E_Q[f^*(T)] \le D_f(P\|Q)`.

    .. math::

        V(T) = \sum_i a_i\, T(x_i) - \sum_j b_j\, f^*(T(y_j))

    for samples :math:`x_i \sim P` with weights :math:`a`, :math:`y_j \sim Q` with weights
    :math:`b`. For every T it is a lower bound on :math:`D_f(P\|Q)` (Fenchel-Young), with
    equality at :math:`T = f'(p/q)` (``FDIVERGENCES[kind].optimal_critic``)
    (Nguyen, Wainwright and Jordan, IEEE Trans. Inf. Theory 56, 2010; Nowozin, Cseke
    and Tomioka, f-GAN, NeurIPS 2016, arXiv 1606.00709). A critic maximises it;
    the f-GAN generator minimises it.

    Parameters
    ----------
    t_p, t_q : arrays (..., n), (..., m)
        Critic values at the samples of P and of Q, finite, already mapped into
        ``conjugate_domain`` (apply ``FDIVERGENCES[kind].activation`` to raw network
        outputs). Where ``t_q`` leaves the domain :math:`f^* = \infty` and the
        objective is ``-inf`` (still a valid, useless, lower bound). Leading axes are
        a batch and broadcast.
    a, b : arrays (..., n), (..., m), optional
        Probability weights of the samples (uniform when omitted), as in
        :func:`f_divergence`.
    kind : str or FDivergence
        A kind of :func:`f_divergence` or an :class:`FDivergence` (e.g.
        ``alpha_divergence(0.5)``), by keyword (the former first positional place
        still works, with a DeprecationWarning).
    alpha : float, optional
        The parameter for ``kind="alpha"``.
    normalize : bool
        Rescale ``a`` and ``b`` to unit mass instead of rejecting other masses.

    Returns
    -------
    array (...)
        The objective per batch entry, in the caller's namespace, dtype and device.

    Notes
    -----
    O(n + m). Samples with zero weight contribute 0 even where :math:`f^* = \infty`.
    Gradients (PyTorch) flow to ``t_p``, ``t_q`` and the weights.

    Examples
    --------
    At the optimal critic on the support of two histograms the bound is tight:

    >>> import numpy as np
    >>> from divergences import FDIVERGENCES, f_divergence
    >>> p, q = np.array([0.2, 0.3, 0.5]), np.array([0.4, 0.4, 0.2])
    >>> T = FDIVERGENCES["js"].optimal_critic(p / q)
    >>> bool(np.isclose(variational_f(T, T, p, q, kind="js"), f_divergence(p, q, "js")))
    True
    >>> bool(variational_f(np.zeros(3), np.zeros(3), p, q, kind="js") <= f_divergence(p, q, "js"))
    True
    """
    spec = resolve(kind, alpha)
    xp = namespace(t_p, t_q, a, b)
    tp, tq = check.as_array(t_p, "t_p", xp), check.as_array(t_q, "t_q", xp)
    raw = [tp, tq] + [check.as_array(w, n, xp) for w, n in ((a, "a"), (b, "b")) if w is not None]
    dtype = result_dtype(xp, *raw)
    tp, tq = check.samples(tp, "t_p", xp, dtype), check.samples(tq, "t_q", xp, dtype)
    fstar = spec.conjugate(tq)
    if a is None:
        ep = xp.mean(tp, axis=-1)
    else:
        a = check.probability_vectors(a, "a", xp, dtype, normalize)
        tp, a = check.same_bins(tp, a, "t_p", "a", xp)
        ep = xp.sum(a * tp, axis=-1)
    if b is None:
        eq = xp.mean(fstar, axis=-1)
    else:
        b = check.probability_vectors(b, "b", xp, dtype, normalize)
        fstar, b = check.same_bins(fstar, b, "t_q", "b", xp)
        eq = xp.sum(b * xp.where(b > 0, fstar, xp.zeros_like(fstar)), axis=-1)  # 0 inf = 0
    return ep - eq
