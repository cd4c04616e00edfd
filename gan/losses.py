r"""GAN critic and generator losses by name, each the variational form of a divergence.

``loss(name, **hparams)`` returns a :class:`Loss`; ``Loss.critic(critic, real, fake)``
is the loss the critic (discriminator) minimises and ``Loss.generator(critic, real,
fake)`` the one the generator minimises, both scalar tensors. The critic loss detaches
``fake``; the generator loss needs no gradient of the critic's parameters (they may
be frozen). Critics output raw scores (logits) of shape (N,) or (N, 1); every loss
works on logits through softplus forms, never on probabilities.

What each critic loss estimates at the optimal critic (tests check each identity):

- ``sgan``: :math:`\log 4 - 2\,JS(P, Q)` at :math:`D^* = p/(p+q)` (logit :math:`\log p/q`).
- ``f-gan:<kind>``: :math:`-D_f(P\|Q)` at :math:`T^* = f'(p/q)`.
- ``wgan``: :math:`-W_1(P, Q)` at the optimal 1-Lipschitz potential.
- ``wgan-div``: :math:`-W_{k,p}(P, Q)` at the optimal critic (1-D, u uniform).
- ``gan-qp``: :math:`-QP(P, Q)` at the optimal critic.

See docs/gan.md for the list with conventions and papers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable

import torch
import torch.nn.functional as F

import divergences
from divergences.fdiv import FDivergence

from . import penalties as pen
from .penalties import Critic, _batch, _positive, _same_shape, _scores

LOG2 = math.log(2.0)

_GOODFELLOW = "Goodfellow et al., Generative Adversarial Nets, NeurIPS 2014 (arXiv 1406.2661)"
_MAO = "Mao et al., Least Squares Generative Adversarial Networks, ICCV 2017 (arXiv 1611.04076)"
_HINGE = "Lim and Ye, Geometric GAN, 2017 (arXiv 1705.02894); Miyato et al., ICLR 2018 (arXiv 1802.05957)"
_WGAN = "Arjovsky, Chintala and Bottou, Wasserstein GAN, ICML 2017 (arXiv 1701.07875)"
_GP = "Gulrajani et al., Improved Training of Wasserstein GANs, NeurIPS 2017 (arXiv 1704.00028)"
_LP = "Petzka, Fischer and Lukovnikov, On the regularization of Wasserstein GANs, ICLR 2018 (arXiv 1709.08894)"
_WDIV = "Wu et al., Wasserstein Divergence for GANs, ECCV 2018 (arXiv 1712.01026)"
_QP = "Su, GAN-QP: A Novel GAN Framework without Gradient Vanishing and Lipschitz Constraint, arXiv 1811.07296"
_RGAN = "Jolicoeur-Martineau, The relativistic discriminator, ICLR 2019 (arXiv 1807.00734)"
_FGAN = "Nowozin, Cseke and Tomioka, f-GAN, NeurIPS 2016 (arXiv 1606.00709)"

WDIV_SAMPLES = ("real", "fake", "real+fake", "interpolates")

_Fn = Callable[[Critic, torch.Tensor, torch.Tensor], torch.Tensor]


# ------------------------------------------------------------------------ the Loss


@dataclass(frozen=True)
class Loss:
    r"""A GAN loss: the critic's and the generator's objectives, both minimised.

    Attributes
    ----------
    name : str
        The registered name (``"wgan-gp"``, ``"f-gan:kl"``, ...).
    hparams : Mapping
        The hyperparameters in use (defaults filled in), read-only.
    reference : str
        The paper (and where it differs, the code) the definition follows.

    Methods
    -------
    critic(critic, real, fake)
        The critic loss, a scalar tensor; ``fake`` is detached.
    generator(critic, real, fake)
        The generator loss, a scalar tensor; gradients reach ``fake``. ``real`` is
        used by the relativistic losses and gan-qp (ignored by the others).

    Examples
    --------
    >>> import torch, gan
    >>> L = gan.loss("wgan")
    >>> critic = lambda x: x.sum(dim=1)
    >>> real, fake = torch.ones(4, 2), torch.zeros(4, 2)
    >>> float(L.critic(critic, real, fake)), float(L.generator(critic, real, fake))
    (-2.0, -0.0)
    """

    name: str
    hparams: Mapping[str, Any]
    reference: str
    _critic: _Fn = field(repr=False, compare=False)
    _generator: _Fn = field(repr=False, compare=False)

    def critic(self, critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """The critic's loss (minimised by the critic); ``fake`` is detached."""
        real, fake = _batch(real, "real"), _batch(fake, "fake").detach()
        return self._critic(critic, real, fake)

    def generator(self, critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """The generator's loss (minimised by the generator); differentiable in ``fake``."""
        real, fake = _batch(real, "real"), _batch(fake, "fake")
        return self._generator(critic, real, fake)


@dataclass(frozen=True)
class LossInfo:
    """One entry of :data:`LOSSES`: the loss's ``name``, its default hyperparameters
    ``defaults`` (read-only), the paper it follows (``reference``) and a one-line
    ``summary`` of its critic and generator losses."""

    name: str
    defaults: Mapping[str, Any]
    reference: str
    summary: str


# ------------------------------------------------------------------ the losses


def _pair(real: torch.Tensor, fake: torch.Tensor, what: str) -> None:
    if real.shape[0] != fake.shape[0]:
        raise ValueError(
            f"real and fake must have the same batch size for {what} (paired by batch index), "
            f"got {real.shape[0]} and {fake.shape[0]}"
        )


def _sgan(hp: Mapping[str, Any], saturating: bool) -> tuple[_Fn, _Fn]:
    def critic(D, real, fake):
        # -E_P log sigma(D) - E_Q log(1 - sigma(D))
        return F.softplus(-_scores(D, real, "real")).mean() + F.softplus(_scores(D, fake, "fake")).mean()

    def generator(D, real, fake):
        s = _scores(D, fake, "fake")
        return -F.softplus(s).mean() if saturating else F.softplus(-s).mean()

    return critic, generator


def _lsgan(hp):
    a, b, c = hp["a"], hp["b"], hp["c"]

    def critic(D, real, fake):
        return 0.5 * ((_scores(D, real, "real") - b) ** 2).mean() + 0.5 * ((_scores(D, fake, "fake") - a) ** 2).mean()

    def generator(D, real, fake):
        return 0.5 * ((_scores(D, fake, "fake") - c) ** 2).mean()

    return critic, generator


def _hinge(hp):
    def critic(D, real, fake):
        return torch.relu(1 - _scores(D, real, "real")).mean() + torch.relu(1 + _scores(D, fake, "fake")).mean()

    def generator(D, real, fake):
        return -_scores(D, fake, "fake").mean()

    return critic, generator


def _wgan_with(penalty: Callable[[Critic, torch.Tensor, torch.Tensor], torch.Tensor] | None):
    def critic(D, real, fake):
        value = _scores(D, fake, "fake").mean() - _scores(D, real, "real").mean()
        return value if penalty is None else value + penalty(D, real, fake)

    def generator(D, real, fake):
        return -_scores(D, fake, "fake").mean()

    return critic, generator


def _wgan(hp):
    return _wgan_with(None)


def _wgan_gp(hp):
    def penalty(D, real, fake):
        _same_shape(real, fake)
        return pen.gradient_penalty(D, real, fake, lam=hp["lam"], target=hp["target"])

    return _wgan_with(penalty)


def _wgan_lp(hp):
    def penalty(D, real, fake):
        _same_shape(real, fake)
        return pen.lipschitz_penalty(D, real, fake, lam=hp["lam"], target=hp["target"])

    return _wgan_with(penalty)


def _wgan_div(hp):
    k, p, sample = hp["k"], hp["p"], hp["sample"]

    def points(real, fake):
        if callable(sample):
            return sample(real, fake)
        if sample == "real":
            return real
        if sample == "fake":
            return fake
        if sample == "real+fake":
            if real.shape[1:] != fake.shape[1:]:
                raise ValueError(
                    f"real and fake must have the same sample shape for sample='real+fake', got "
                    f"{tuple(real.shape)} and {tuple(fake.shape)}"
                )
            return torch.cat([real, fake.to(real.dtype)], dim=0)
        return pen.interpolates(real, fake)

    def penalty(D, real, fake):
        return pen.wdiv_penalty(D, points(real, fake.detach()), k=k, p=p)

    return _wgan_with(penalty)


def _gan_qp(hp):
    lam, norm = hp["lam"], hp["norm"]

    def distances(real, fake):
        _same_shape(real, fake)
        diff = (real - fake).reshape(real.shape[0], -1)
        if norm == "l1":
            return diff.abs().mean(dim=1)
        return diff.pow(2).mean(dim=1).sqrt()

    def critic(D, real, fake):
        t_r, t_f = _scores(D, real, "real"), _scores(D, fake, "fake")
        d = distances(real, fake)
        return -divergences.qp_objective(t_r, t_f, d, lam=lam)

    def generator(D, real, fake):
        _same_shape(real, fake)
        return (_scores(D, real, "real") - _scores(D, fake, "fake")).mean()

    return critic, generator


def _relativistic(kind: str):
    def builder(hp):
        def scores(D, real, fake):
            _pair(real, fake, kind)
            return _scores(D, real, "real"), _scores(D, fake, "fake")

        if kind == "rsgan":
            def critic(D, real, fake):
                r, f = scores(D, real, fake)
                return F.softplus(-(r - f)).mean()

            def generator(D, real, fake):
                r, f = scores(D, real, fake)
                return F.softplus(-(f - r)).mean()
            return critic, generator

        def rel(D, real, fake):
            r, f = scores(D, real, fake)
            return r - f.mean(), f - r.mean()  # real vs mean fake, fake vs mean real

        if kind == "rasgan":
            def critic(D, real, fake):
                dr, df = rel(D, real, fake)
                return (F.softplus(-dr).mean() + F.softplus(df).mean()) / 2

            def generator(D, real, fake):
                dr, df = rel(D, real, fake)
                return (F.softplus(dr).mean() + F.softplus(-df).mean()) / 2
        elif kind == "ralsgan":
            def critic(D, real, fake):
                dr, df = rel(D, real, fake)
                return (((dr - 1) ** 2).mean() + ((df + 1) ** 2).mean()) / 2

            def generator(D, real, fake):
                dr, df = rel(D, real, fake)
                return (((dr + 1) ** 2).mean() + ((df - 1) ** 2).mean()) / 2
        else:  # rahinge
            def critic(D, real, fake):
                dr, df = rel(D, real, fake)
                return (torch.relu(1 - dr).mean() + torch.relu(1 + df).mean()) / 2

            def generator(D, real, fake):
                dr, df = rel(D, real, fake)
                return (torch.relu(1 + dr).mean() + torch.relu(1 - df).mean()) / 2
        return critic, generator

    return builder


# f-GAN: stable f*(g_f(v)) on raw outputs v, from Nowozin et al. Table 2 with the
# normalisations of divergences.FDIVERGENCES (js is half of theirs)
_FSTAR_OF_V: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "kl": lambda v: torch.exp(v - 1),
    "reverse_kl": lambda v: v - 1,
    "js": lambda v: (F.softplus(v) - LOG2) / 2,
    "tv": lambda v: torch.tanh(v) / 2,
    "pearson": lambda v: torch.where(v >= -2, v * (v / 4 + 1), -torch.ones_like(v)),
    "neyman": lambda v: 2 - 2 * torch.exp(v / 2),
    "hellinger": lambda v: torch.expm1(-v),
    "gan": F.softplus,
}


def _fgan(spec: FDivergence):
    stable = _FSTAR_OF_V.get(spec.name)

    def fstar(v):
        return stable(v) if stable is not None else spec.conjugate(spec.activation(v))

    def critic(D, real, fake):
        # -(E_P g_f(v) - E_Q f*(g_f(v)))
        return fstar(_scores(D, fake, "fake")).mean() - spec.activation(_scores(D, real, "real")).mean()

    def builder(hp):
        if hp["generator"] == "saddle":
            def generator(D, real, fake):
                return -fstar(_scores(D, fake, "fake")).mean()
        else:
            def generator(D, real, fake):
                return -spec.activation(_scores(D, fake, "fake")).mean()
        return critic, generator

    return builder


# --------------------------------------------------------------------- validation


def _real(v: Any, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        raise ValueError(f"{name} must be a finite real number, got {v!r}")
    return float(v)


def _check_lsgan(hp):
    a, b, c = (_real(hp[n], n) for n in "abc")
    if a == b:
        raise ValueError(f"a and b (the fake and real labels) must differ, got a = b = {a}")
    return {"a": a, "b": b, "c": c}


def _check_lam_target(hp):
    return {"lam": _positive(hp["lam"], "lam"), "target": _positive(hp["target"], "target", allow_zero=True)}


def _check_wdiv(hp):
    k = _positive(hp["k"], "k")
    p = _positive(hp["p"], "p")
    if p <= 1:
        raise ValueError(f"p must be > 1, got {hp['p']!r}")
    sample = hp["sample"]
    if not callable(sample) and sample not in WDIV_SAMPLES:
        raise ValueError(f"sample must be one of {', '.join(WDIV_SAMPLES)} or a callable (real, fake) -> points, got {sample!r}")
    return {"k": k, "p": p, "sample": sample}


def _check_qp(hp):
    if hp["norm"] not in ("l1", "l2"):
        raise ValueError(f"norm must be 'l1' or 'l2', got {hp['norm']!r}")
    return {"lam": _positive(hp["lam"], "lam"), "norm": hp["norm"]}


def _check_fgan(hp):
    if hp["generator"] not in ("heuristic", "saddle"):
        raise ValueError(f"generator must be 'heuristic' or 'saddle', got {hp['generator']!r}")
    return dict(hp)


def _no_check(hp):
    return dict(hp)


# ----------------------------------------------------------------------- registry

_Entry = tuple[dict[str, Any], str, str, Callable[[dict], dict], Callable[[Mapping], tuple[_Fn, _Fn]]]

_ENTRIES: dict[str, _Entry] = {
    "sgan": ({}, _GOODFELLOW, "saturating GAN: critic -E log s(D(x)) - E log(1 - s(D(x~))), "
             "generator E log(1 - s(D(x~)))", _no_check, lambda hp: _sgan(hp, True)),
    "ns-sgan": ({}, _GOODFELLOW, "non-saturating GAN: sgan's critic, generator -E log s(D(x~))",
                _no_check, lambda hp: _sgan(hp, False)),
    "lsgan": ({"a": 0.0, "b": 1.0, "c": 1.0}, _MAO, "least squares, 0-1 coding: critic "
              "(E(D(x) - b)^2 + E(D(x~) - a)^2)/2, generator E(D(x~) - c)^2 / 2", _check_lsgan, _lsgan),
    "hinge": ({}, _HINGE, "critic E relu(1 - D(x)) + E relu(1 + D(x~)), generator -E D(x~)", _no_check, _hinge),
    "wgan": ({}, _WGAN, "critic E D(x~) - E D(x) (with gan.clip_weights), generator -E D(x~)", _no_check, _wgan),
    "wgan-gp": ({"lam": 10.0, "target": 1.0}, _GP, "wgan + lam E(|grad D(x^)| - 1)^2 on interpolates, "
                "one alpha per sample, per-sample norms", _check_lam_target, _wgan_gp),
    "wgan-lp": ({"lam": 10.0, "target": 1.0}, _LP, "wgan + lam E max(0, |grad D(x^)| - 1)^2 on interpolates",
                _check_lam_target, _wgan_lp),
    "wgan-div": ({"k": 2.0, "p": 6.0, "sample": "interpolates"}, _WDIV, "wgan + k E|grad D(u)|^p, "
                 "|g|^p = (sum g^2)^(p/2); u from real, fake, real+fake or interpolates", _check_wdiv, _wgan_div),
    "gan-qp": ({"lam": 10.0, "norm": "l1"}, _QP + " (and its official Keras code)",
               "critic -E[D(x) - D(x~) - (D(x) - D(x~))^2 / (2 lam d)], pairs by batch index, "
               "d = mean |x - x~| (l1) or sqrt(mean (x - x~)^2) (l2); generator E[D(x) - D(x~)]",
               _check_qp, _gan_qp),
    "rsgan": ({}, _RGAN, "critic E softplus(-(D(x) - D(x~))), generator E softplus(-(D(x~) - D(x))), "
              "pairs by batch index", _no_check, _relativistic("rsgan")),
    "rasgan": ({}, _RGAN + " (reference code's halved sums)", "relativistic average standard GAN",
               _no_check, _relativistic("rasgan")),
    "ralsgan": ({}, _RGAN + " (reference code's halved sums)", "relativistic average least squares",
                _no_check, _relativistic("ralsgan")),
    "rahinge": ({}, _RGAN + " (reference code's halved sums)", "relativistic average hinge",
                _no_check, _relativistic("rahinge")),
}

for _kind in divergences.FDIVERGENCES:
    _spec = divergences.FDIVERGENCES[_kind]
    _ENTRIES[f"f-gan:{_kind}"] = (
        {"generator": "heuristic"}, _FGAN + "; " + _spec.reference,
        f"f-GAN for {_spec.formula}: critic E_Q f*(g_f(v)) - E_P g_f(v), generator -E_Q g_f(v) "
        "('heuristic', Nowozin et al. Sec. 3.2) or -E_Q f*(g_f(v)) ('saddle')",
        _check_fgan, _fgan(_spec),
    )


def _alpha_builder(hp):
    spec = divergences.alpha_divergence(hp["alpha"])
    return _fgan(spec)(hp)


def _check_alpha(hp):
    if hp["alpha"] is None:
        raise ValueError("alpha must be given for 'f-gan:alpha' (a finite number other than 0 and 1)")
    try:
        divergences.alpha_divergence(hp["alpha"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"alpha out of range: {err}") from None
    out = _check_fgan(hp)
    out["alpha"] = float(hp["alpha"])
    return out


_ENTRIES["f-gan:alpha"] = (
    {"alpha": None, "generator": "heuristic"}, _FGAN + "; Amari (1985); Cichocki and Amari, Entropy 12 (2010)",
    "f-GAN for the Amari alpha-divergence (alpha required, not 0 or 1)", _check_alpha, _alpha_builder,
)


class _Losses(Mapping):
    """The registered GAN losses. ``LOSSES[name]`` is a ``LossInfo`` with the name's
    ``defaults`` (hyperparameters), ``reference`` (paper) and ``summary`` (formula in
    words). Names: sgan, ns-sgan, lsgan, hinge, wgan, wgan-gp, wgan-lp, wgan-div,
    gan-qp, rsgan, rasgan, ralsgan, rahinge, and f-gan:<kind> for every kind of
    ``divergences.FDIVERGENCES`` plus f-gan:alpha. Build one with ``gan.loss(name)``.

    >>> import gan
    >>> dict(gan.LOSSES["wgan-gp"].defaults)
    {'lam': 10.0, 'target': 1.0}
    >>> "f-gan:kl" in gan.LOSSES
    True
    """

    def __getitem__(self, name: str) -> LossInfo:
        if name not in _ENTRIES:
            raise KeyError(_unknown(name))
        defaults, reference, summary, _, _ = _ENTRIES[name]
        return LossInfo(name, MappingProxyType(dict(defaults)), reference, summary)

    def __iter__(self) -> Iterator[str]:
        return iter(_ENTRIES)

    def __len__(self) -> int:
        return len(_ENTRIES)

    def __repr__(self) -> str:
        return f"LOSSES({', '.join(_ENTRIES)})"


LOSSES: Mapping[str, LossInfo] = _Losses()


def _unknown(name: object) -> str:
    return f"unknown loss {name!r}; known: {', '.join(_ENTRIES)}"


def loss(name: str, **hparams: Any) -> Loss:
    r"""The GAN loss registered as ``name``, with hyperparameters over its defaults.

    Parameters
    ----------
    name : str
        One of ``gan.LOSSES`` (see there and docs/gan.md).
    **hparams
        Overrides of the defaults in ``gan.LOSSES[name].defaults``: ``lam``,
        ``target`` (wgan-gp, wgan-lp); ``k``, ``p``, ``sample`` (wgan-div); ``lam``,
        ``norm`` (gan-qp); ``a``, ``b``, ``c`` (lsgan); ``generator``
        ("heuristic" or "saddle") and ``alpha`` (f-gan).

    Returns
    -------
    Loss

    Raises
    ------
    ValueError
        An unknown name (the message lists the known ones), an unknown
        hyperparameter, or one out of range (the message names it).

    Examples
    --------
    >>> import gan
    >>> L = gan.loss("wgan-div", p=4)
    >>> L.name, L.hparams["k"], L.hparams["p"]
    ('wgan-div', 2.0, 4.0)
    >>> gan.loss("wgan-gp", lam=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: lam must be a finite number > 0, got -1.0
    """
    if not isinstance(name, str) or name not in _ENTRIES:
        raise ValueError(_unknown(name))
    defaults, reference, _, check, build = _ENTRIES[name]
    extra = sorted(set(hparams) - set(defaults))
    if extra:
        accepted = ", ".join(defaults) or "none"
        raise ValueError(f"unknown hyperparameter(s) {', '.join(extra)} for loss {name!r}; accepted: {accepted}")
    try:
        hp = check({**defaults, **hparams})
    except TypeError as err:
        raise ValueError(str(err)) from None
    critic, generator = build(hp)
    return Loss(name, MappingProxyType(hp), reference, critic, generator)


@torch.no_grad()
def clip_weights(module: torch.nn.Module, c: float = 0.01) -> torch.nn.Module:
    r"""Clamp every parameter of ``module`` to :math:`[-c, c]` in place (WGAN's crude
    Lipschitz constraint; Arjovsky, Chintala and Bottou 2017, arXiv 1701.07875,
    Algorithm 1, c = 0.01). Call it after each critic step. Returns ``module``.

    Examples
    --------
    >>> import torch, gan
    >>> m = torch.nn.Linear(2, 1)
    >>> _ = torch.nn.init.constant_(m.weight, 3.0)
    >>> float(gan.clip_weights(m, c=0.5).weight.detach().max())
    0.5
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    c = _positive(c, "c")
    for p in module.parameters():
        p.clamp_(-c, c)
    return module


__all__ = ["LOSSES", "Loss", "LossInfo", "clip_weights", "loss"]
