r"""f-divergences between histograms and their variational (f-GAN) forms.

For a convex :math:`f : [0, \infty) \to \mathbb R`,

.. math::

    D_f(P \,\|\, Q) = \sum_x q(x)\, f\!\Big(\frac{p(x)}{q(x)}\Big)
    \;\ge\; \sup_T \; \mathbb E_P[T] - \mathbb E_Q[f^*(T)]

with :math:`f^*(t) = \sup_{u \ge 0} tu - f(u)` the Fenchel conjugate; the bound is tight
at :math:`T = f'(p/q)` (Nguyen, Wainwright and Jordan 2010; Nowozin, Cseke and Tomioka,
"f-GAN", NeurIPS 2016, arXiv 1606.00709, Tables 1 and 2). Zeros follow the usual
conventions: :math:`0 f(0/0) = 0` and :math:`0 f(p/0) = p \lim_{u\to\infty} f(u)/u`.

``f_divergence`` computes :math:`D_f` exactly, ``FDIVERGENCES[kind]`` (and
``alpha_divergence(alpha)``) holds :math:`f`, :math:`f^*`, the f-GAN output activation
and the optimal critic :math:`f'`, and ``variational_f`` is the f-GAN critic objective.
See docs/fdiv.md for the derivations of the conjugates.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable


from .. import _validate as check
from .._backend import Array, Namespace, namespace, result_dtype
from .._numerics import (
    LOG2, div_or_inf, exp_or_inf, expm1_or_inf, inv_or_inf, log1mexp, log_lambertw_exp,
    log_ratio_1p, masked, pow_or_inf, safe_log, softplus, xlogx_minus,
)

__all__ = ["FDIVERGENCES", "KINDS", "FDivergence", "alpha_divergence", "resolve"]

NOWOZIN = "Nowozin, Cseke and Tomioka, f-GAN, NeurIPS 2016 (arXiv 1606.00709), Tables 1-2"
KINDS = ("kl", "reverse_kl", "js", "tv", "pearson", "neyman", "hellinger", "jeffreys", "gan", "alpha")

# ------------------------------------------------------------- the f-divergences


@dataclass(frozen=True)
class FDivergence:
    r"""One f-divergence: its generator, Fenchel conjugate and f-GAN parametrisation.

    Attributes
    ----------
    name : str
        The ``kind`` it is registered under (``"alpha"`` for the Amari family).
    formula : str
        :math:`D_f(P\|Q)` in words, with this library's normalisation.
    f : callable
        The generator :math:`f(u)` for :math:`u \ge 0` (``+inf`` for ``u < 0``), convex,
        with :math:`D_f(P\|Q) = \sum_x q f(p/q)`.
    conjugate : callable
        The Fenchel conjugate :math:`f^*(t) = \sup_{u \ge 0}\, tu - f(u)`, exact on all
        of :math:`\mathbb R` (``+inf`` where the supremum is infinite).
    conjugate_domain : tuple of float
        ``(lo, hi)``: the open interval on which :math:`f^*` is finite (at an end
        point it is its limit, which may be finite or ``inf``).
    activation : callable
        The f-GAN output activation :math:`g_f: \mathbb R \to` ``conjugate_domain``
        (Nowozin et al. 2016, Table 2): a critic is ``T = activation(V(x))``.
    optimal_critic : callable
        :math:`f'(u)` at the density ratio ``u = p/q`` (``inf`` allowed): the critic
        at which :func:`variational_f` equals :math:`D_f`.
    reference : str
        Where the divergence and its f-GAN form come from.
    alpha : float or None
        The parameter of the ``"alpha"`` family, ``None`` otherwise.

    Notes
    -----
    The callables act elementwise on arrays of any array API library (or Python
    numbers, as NumPy) and return the same namespace, dtype and device; they do no
    input checks.

    Examples
    --------
    >>> import numpy as np
    >>> from divergences import FDIVERGENCES
    >>> kl = FDIVERGENCES["kl"]
    >>> u, t = 2.0, 0.5
    >>> bool(kl.f(u) + kl.conjugate(t) >= u * t)  # Fenchel-Young
    True
    >>> float(kl.conjugate(kl.optimal_critic(u)))  # f*(f'(u)) = u f'(u) - f(u) = u
    2.0
    """

    name: str
    formula: str
    f: Callable[[Any], Any] = field(repr=False)
    conjugate: Callable[[Any], Any] = field(repr=False)
    conjugate_domain: tuple[float, float]
    activation: Callable[[Any], Any] = field(repr=False)
    optimal_critic: Callable[[Any], Any] = field(repr=False)
    reference: str
    alpha: float | None = None
    _term: Callable[[Array, Array, Namespace], Array] | None = field(default=None, repr=False, compare=False)
    _activated: Callable[[Any], Any] | None = field(default=None, repr=False, compare=False)

    def conjugate_of_activation(self, v: Any) -> Any:
        r""":math:`f^*(g_f(v))` on raw critic outputs ``v``, the f-GAN critic's fake term.

        In closed form where one exists (``exp(v - 1)`` for kl, ``softplus(v)`` for
        gan, ``expm1(v)`` for hellinger, ...): the composition itself rounds
        :math:`g_f(v)` onto the edge of ``conjugate_domain`` for large ``|v|`` (1 - e^-v
        is 1 in float32 from v = 17 on) and would return ``inf`` there.

        >>> from divergences import FDIVERGENCES
        >>> float(FDIVERGENCES["gan"].conjugate_of_activation(200.0))  # softplus(200)
        200.0
        """
        if self._activated is not None:
            return self._activated(v)
        return self.conjugate(self.activation(v))


def _elementwise(fn: Callable[[Array, Namespace], Array], *, nonneg: bool = False) -> Callable[[Any], Any]:
    """A public elementwise callable from ``fn(x, xp)``; with ``nonneg`` the input is
    a ratio u >= 0 and the result is +inf for u < 0 (outside dom f)."""

    def call(x: Any) -> Any:
        xp = namespace(x)
        x = check.as_array(x, "the argument", xp)
        x = check.as_float(x, xp, result_dtype(xp, x))
        if not nonneg:
            return fn(x, xp)
        out = fn(xp.clip(x, 0.0, None), xp)
        return xp.where(x < 0, xp.inf, out)

    call.__doc__ = fn.__doc__
    call.__name__ = getattr(fn, "__name__", "call")
    return call


def _kl_term(p: Array, q: Array, xp: Namespace) -> Array:
    """p log(p/q) with 0 log(0/q) = 0 and p log(p/0) = inf."""
    pp, qp = p > 0, q > 0
    val = p * (xp.log(masked(p, pp, xp)) - xp.log(masked(q, qp, xp)))
    return xp.where(pp, xp.where(qp, val, xp.inf), xp.zeros_like(val))


def _js_term(p: Array, q: Array, xp: Namespace) -> Array:
    m = (p + q) / 2
    return (_kl_term(p, m, xp) + _kl_term(q, m, xp)) / 2


def _chi2_term(p: Array, q: Array, xp: Namespace) -> Array:
    """(p - q)^2 / q with 0/0 = 0 and p^2/0 = inf."""
    qp = q > 0
    d = p - q
    return xp.where(qp, div_or_inf(d * d, masked(q, qp, xp), xp), xp.where(p > 0, xp.inf, xp.zeros_like(d)))


def _sqrt0(x: Array, xp: Namespace) -> Array:
    """sqrt x with gradient 0 (not inf) at 0."""
    pos = x > 0
    return xp.where(pos, xp.sqrt(masked(x, pos, xp)), xp.zeros_like(x))


def _jeffreys_term(p: Array, q: Array, xp: Namespace) -> Array:
    both = (p > 0) & (q > 0)
    val = (p - q) * (xp.log(masked(p, both, xp)) - xp.log(masked(q, both, xp)))
    return xp.where(both, val, xp.where(p == q, xp.zeros_like(val), xp.inf))


_Fn = Callable[[Array, Namespace], Array]


def _make(
    name: str,
    formula: str,
    f: _Fn,
    conjugate: _Fn,
    domain: tuple[float, float],
    activation: _Fn,
    critic: _Fn,
    term: Callable[[Array, Array, Namespace], Array],
    reference: str = NOWOZIN,
    alpha: float | None = None,
) -> FDivergence:
    return FDivergence(
        name=name,
        formula=formula,
        f=_elementwise(f, nonneg=True),
        conjugate=_elementwise(conjugate),
        conjugate_domain=domain,
        activation=_elementwise(activation),
        optimal_critic=_elementwise(critic, nonneg=True),
        reference=reference,
        alpha=alpha,
        _term=term,
        _activated=_elementwise(_ACTIVATED[name]) if name in _ACTIVATED else None,
    )


# f*(g_f(v)) in closed form, each the composition of the kind's conjugate and
# activation simplified (Nowozin et al. 2016, Table 2, with these normalisations)
_ACTIVATED: dict[str, _Fn] = {
    "kl": lambda v, xp: exp_or_inf(v - 1, xp),
    "reverse_kl": lambda v, xp: v - 1,
    "js": lambda v, xp: (softplus(v, xp) - LOG2) / 2,
    "tv": lambda v, xp: xp.tanh(v) / 2,
    "pearson": lambda v, xp: xp.where(v >= -2, v * (v / 4 + 1), -xp.ones_like(v)),
    "neyman": lambda v, xp: 2 - 2 * exp_or_inf(v / 2, xp),
    "hellinger": lambda v, xp: expm1_or_inf(v, xp),
    "gan": lambda v, xp: softplus(v, xp),
}


def _kl() -> FDivergence:
    return _make(
        "kl", "sum p log(p/q)",
        lambda u, xp: xp.where(u > 0, u * xp.log(masked(u, u > 0, xp)), xp.zeros_like(u)),
        lambda t, xp: exp_or_inf(t - 1, xp),
        (-math.inf, math.inf),
        lambda v, xp: v,
        lambda u, xp: 1 + safe_log(u, xp),
        _kl_term,
        NOWOZIN + "; Kullback and Leibler, Ann. Math. Stat. 22 (1951)",
    )


def _reverse_kl() -> FDivergence:
    def conj(t, xp):
        neg = t < 0
        return xp.where(neg, -1 - xp.log(-xp.where(neg, t, -xp.ones_like(t))), xp.inf)

    return _make(
        "reverse_kl", "sum q log(q/p)",
        lambda u, xp: -safe_log(u, xp),
        conj,
        (-math.inf, 0.0),
        lambda v, xp: -exp_or_inf(-v, xp),
        lambda u, xp: -inv_or_inf(u, xp),
        lambda p, q, xp: _kl_term(q, p, xp),
    )


def _pearson() -> FDivergence:
    return _make(
        "pearson", "sum (p - q)^2 / q",
        lambda u, xp: (u - 1) ** 2,
        # f = (u - 1)^2 on u >= 0 only: below t = -2 the supremum sits at u = 0
        lambda t, xp: xp.where(t >= -2, t * (t / 4 + 1), -xp.ones_like(t)),
        (-math.inf, math.inf),
        lambda v, xp: v,
        lambda u, xp: 2 * (u - 1),
        _chi2_term,
    )


def _neyman() -> FDivergence:
    def conj(t, xp):
        inside = t <= 1
        return xp.where(inside, 2 - 2 * xp.sqrt(1 - xp.where(inside, t, xp.ones_like(t))), xp.inf)

    def f(u, xp):
        return (1 - u) ** 2 * inv_or_inf(u, xp)

    def critic(u, xp):
        return 1 - inv_or_inf(u * u, xp)

    return _make(
        "neyman", "sum (p - q)^2 / p", f, conj, (-math.inf, 1.0),
        lambda v, xp: 1 - exp_or_inf(v, xp), critic,
        lambda p, q, xp: _chi2_term(q, p, xp),
    )


def _hellinger() -> FDivergence:
    def conj(t, xp):
        inside = t < 1
        return xp.where(inside, t / (1 - xp.where(inside, t, xp.zeros_like(t))), xp.inf)

    def critic(u, xp):
        pos = u > 0
        return xp.where(pos, 1 - 1 / xp.sqrt(masked(u, pos, xp)), -xp.inf)

    return _make(
        "hellinger", "sum (sqrt p - sqrt q)^2  (= 2 - 2 sum sqrt(p q), no factor 1/2)",
        lambda u, xp: (_sqrt0(u, xp) - 1) ** 2,
        conj, (-math.inf, 1.0),
        lambda v, xp: -expm1_or_inf(-v, xp), critic,  # 1 - e^-v, Nowozin et al. Table 2
        lambda p, q, xp: (_sqrt0(p, xp) - _sqrt0(q, xp)) ** 2,
        NOWOZIN + "; Hellinger, J. reine angew. Math. 136 (1909)",
    )


def _jeffreys() -> FDivergence:
    def f(u, xp):
        pos = u > 0
        return xp.where(pos, (u - 1) * xp.log(masked(u, pos, xp)), xp.inf)

    def conj(t, xp):
        # f'(u) = log u + 1 - 1/u = t at u = 1/w, w + log w = 1 - t: w = W(e^(1 - t)),
        # f*(t) = w + 1/w + t - 2 (Nowozin et al. 2016, Table 2)
        y = log_lambertw_exp(1 - t, xp)
        return xp.exp(y) + exp_or_inf(-y, xp) + t - 2

    def critic(u, xp):
        return safe_log(u, xp) + 1 - inv_or_inf(u, xp)

    return _make(
        "jeffreys", "sum (p - q) log(p/q) = KL(p||q) + KL(q||p)", f, conj, (-math.inf, math.inf),
        lambda v, xp: v, critic, _jeffreys_term,
        NOWOZIN + "; Jeffreys, Proc. R. Soc. A 186 (1946)",
    )


def _js() -> FDivergence:
    half_log2 = LOG2 / 2

    def conj(t, xp):
        inside = t < half_log2
        tt = xp.where(inside, t, xp.zeros_like(t))
        return xp.where(inside, -(LOG2 + log1mexp(2 * tt - LOG2, xp)) / 2, xp.inf)

    return _make(
        "js", "KL(p||m)/2 + KL(q||m)/2, m = (p + q)/2  (<= log 2)",
        lambda u, xp: (xlogx_minus(u, xp) + (u + 1) * LOG2) / 2,
        conj, (-math.inf, half_log2),
        lambda v, xp: (LOG2 - softplus(-v, xp)) / 2,
        lambda u, xp: (LOG2 + log_ratio_1p(u, xp)) / 2,
        _js_term,
        NOWOZIN + " (their Table 1 generator is twice this one: f, f* and g_f here are "
        "scaled to the 1/2 normalisation); Lin, IEEE Trans. Inf. Theory 37 (1991)",
    )


def _gan() -> FDivergence:
    def conj(t, xp):
        inside = t < 0
        return xp.where(inside, -log1mexp(xp.where(inside, t, -xp.ones_like(t)), xp), xp.inf)

    return _make(
        "gan", "sum p log(2p/(p+q)) + q log(2q/(p+q)) - log 4 = 2 JS - log 4  (f(1) = -log 4)",
        xlogx_minus, conj, (-math.inf, 0.0),
        lambda v, xp: -softplus(-v, xp),
        log_ratio_1p,
        lambda p, q, xp: 2 * _js_term(p, q, xp) - (p + q) * LOG2,
        NOWOZIN + "; Goodfellow et al., NeurIPS 2014 (arXiv 1406.2661)",
    )


def _tv() -> FDivergence:
    def conj(t, xp):
        # f = |u - 1|/2 on u >= 0: f*(t) = t on [-1/2, 1/2] (Nowozin et al.), -1/2 below
        return xp.where(t <= 0.5, xp.clip(t, -0.5, None), xp.inf)

    return _make(
        "tv", "sum |p - q| / 2",
        lambda u, xp: abs(u - 1) / 2,
        conj, (-math.inf, 0.5),
        lambda v, xp: xp.tanh(v) / 2,
        lambda u, xp: xp.sign(u - 1) / 2,
        lambda p, q, xp: abs(p - q) / 2,
    )


def alpha_divergence(alpha: float) -> FDivergence:
    r"""The Amari alpha-divergence as an :class:`FDivergence` (for ``kind="alpha"``).

    .. math::

        D_\alpha(P\|Q) = \frac{\sum_x p^\alpha q^{1-\alpha} - 1}{\alpha(\alpha - 1)},
        \qquad f(u) = \frac{u^\alpha - 1 - \alpha(u - 1)}{\alpha(\alpha-1)},

    :math:`\alpha \notin \{0, 1\}` (the limits are reverse KL and KL). The linear term of
    :math:`f` (Nowozin et al. 2016, Table 1; Cichocki and Amari, Entropy 12, 2010)
    leaves :math:`D_\alpha` unchanged on probability vectors and makes :math:`f \ge 0`,
    :math:`f'(1) = 0`. Its conjugate, with :math:`B = 1 + (\alpha - 1)t`, is
    :math:`f^*(t) = (B^{\alpha/(\alpha-1)} - 1)/\alpha` where :math:`B > 0`; for
    :math:`\alpha > 1` it is :math:`-1/\alpha` where :math:`B \le 0` (the supremum sits at
    :math:`u = 0`), for :math:`\alpha < 1` it is ``+inf`` beyond
    :math:`t = 1/(1 - \alpha)`. The f-GAN activation is :math:`v` for
    :math:`\alpha > 1` and :math:`1/(1-\alpha) - \log(1 + e^{-v})` for :math:`\alpha < 1`.
    Special cases: :math:`D_2` = pearson / 2, :math:`D_{-1}` = neyman / 2,
    :math:`D_{1/2}` = 2 hellinger.

    Parameters
    ----------
    alpha : float
        Finite, not 0 or 1.

    Returns
    -------
    FDivergence

    Examples
    --------
    >>> import numpy as np
    >>> from divergences import alpha_divergence
    >>> d = alpha_divergence(2.0)
    >>> round(float(d.f(3.0)), 12)  # (9 - 1 - 2*2)/2
    2.0
    >>> round(float(d.conjugate(d.optimal_critic(3.0))), 12)  # u f'(u) - f(u) = 3*2 - 2
    4.0
    """
    a = _alpha(alpha)
    scale = 1 / (a * (a - 1))
    expo = a / (a - 1)

    def f(u, xp):
        return (pow_or_inf(u, a, xp) - 1 - a * (u - 1)) * scale

    def conj(t, xp):
        B = 1 + (a - 1) * t
        pos = B > 0
        val = (pow_or_inf(xp.where(pos, B, xp.ones_like(B)), expo, xp) - 1) / a
        if a > 1:
            return xp.where(pos, val, xp.full_like(t, -1 / a))
        edge = xp.full_like(t, -1 / a if a < 0 else math.inf)  # B = 0: the limit
        return xp.where(pos, val, xp.where(B == 0, edge, xp.inf))

    def act(v, xp):
        return v if a > 1 else 1 / (1 - a) - softplus(-v, xp)

    def critic(u, xp):
        return (pow_or_inf(u, a - 1, xp) - 1) / (a - 1)

    def term(p, q, xp):
        both = (p > 0) & (q > 0)
        lp, lq = xp.log(masked(p, both, xp)), xp.log(masked(q, both, xp))
        mixed = xp.where(both, exp_or_inf(a * lp + (1 - a) * lq, xp), xp.zeros_like(p))
        val = (mixed - q - a * (p - q)) * scale  # q f(p/q); at one zero: q/a or p/(1 - a)
        if a > 1:  # p > 0 = q: p f'(inf) = inf
            return xp.where((p > 0) & (q == 0), xp.inf, val)
        if a < 0:  # q > 0 = p: q f(0) = inf
            return xp.where((q > 0) & (p == 0), xp.inf, val)
        return val

    hi = math.inf if a > 1 else 1 / (1 - a)
    return _make(
        "alpha", f"(sum p^a q^(1-a) - 1) / (a (a - 1)), a = {a:g}",
        f, conj, (-math.inf, hi), act, critic, term,
        NOWOZIN + "; Amari, Differential-Geometrical Methods in Statistics (1985); "
        "Cichocki and Amari, Entropy 12 (2010)",
        alpha=a,
    )


def _alpha(alpha: object) -> float:
    a = check.real_number(alpha, "alpha", "a real number (not 0 or 1)")
    if not math.isfinite(a) or a in (0.0, 1.0):
        raise ValueError(
            f"alpha must be a finite number other than 0 and 1 (their limits are "
            f"kind='reverse_kl' and kind='kl'), got {alpha!r}"
        )
    return a


class _Table(Mapping):
    """The f-divergences by name. ``FDIVERGENCES[kind]`` is an :class:`FDivergence`
    with the generator ``f``, its Fenchel conjugate ``conjugate`` and
    ``conjugate_domain``, the f-GAN output ``activation`` and the ``optimal_critic``
    f'(p/q), following Nowozin, Cseke and Tomioka (f-GAN, NeurIPS 2016, arXiv
    1606.00709, Tables 1 and 2), with this library's normalisations (see each entry's
    ``formula``). Kinds: kl, reverse_kl, js, tv, pearson, neyman, hellinger, jeffreys,
    gan. The Amari family is ``alpha_divergence(alpha)``.

    >>> from divergences import FDIVERGENCES
    >>> sorted(FDIVERGENCES)[:3]
    ['gan', 'hellinger', 'jeffreys']
    >>> FDIVERGENCES["tv"].conjugate_domain
    (-inf, 0.5)
    """

    def __init__(self, entries: dict[str, FDivergence]):
        self._entries = dict(entries)

    def __getitem__(self, kind: str) -> FDivergence:
        if kind == "alpha":
            raise KeyError("kind 'alpha' takes a parameter: use alpha_divergence(alpha)")
        if kind not in self._entries:
            raise KeyError(f"unknown f-divergence {kind!r}; known: {', '.join(self._entries)}")
        return self._entries[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"FDIVERGENCES({', '.join(self._entries)})"


FDIVERGENCES: Mapping[str, FDivergence] = _Table(
    {d.name: d for d in (_kl(), _reverse_kl(), _js(), _tv(), _pearson(), _neyman(), _hellinger(), _jeffreys(), _gan())}
)


def resolve(kind: object, alpha: object) -> FDivergence:
    """The FDivergence for ``kind`` (a name or an FDivergence) and ``alpha``."""
    if isinstance(kind, FDivergence):
        if alpha is not None:
            raise ValueError("alpha must be None when kind is an FDivergence (it carries its own alpha)")
        return kind
    check.choice(kind, "kind", KINDS)
    if kind == "alpha":
        if alpha is None:
            raise ValueError("alpha must be given for kind='alpha' (a number other than 0 and 1)")
        return alpha_divergence(alpha)  # type: ignore[arg-type]
    if alpha is not None:
        raise ValueError(f"alpha is only used with kind='alpha', got alpha={alpha!r} for kind={kind!r}")
    return FDIVERGENCES[kind]  # type: ignore[index]
