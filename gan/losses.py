r"""GAN critic and generator losses by name, each the variational form of a divergence.

``loss(name, **hparams)`` returns a :class:`Loss`; ``Loss.critic(critic, real, fake)``
is the loss the critic (discriminator) minimises and ``Loss.generator(critic, real,
fake)`` the one the generator minimises, both scalar tensors. The critic loss detaches
``fake``; the generator loss needs no gradient of the critic's parameters (they may
be frozen). Critics output raw scores (logits) of shape (N,) or (N, 1); every loss
works on logits through softplus forms, never on probabilities. A NaN or infinite
score makes the loss NaN (:class:`gan.detect_nonfinite` raises instead).

What each critic loss estimates at the optimal critic (tests check each identity):

- ``sgan``: :math:`\log 4 - 2\,JS(P, Q)` at :math:`D^* = p/(p+q)` (logit :math:`\log p/q`).
- ``f-gan:<kind>``: :math:`-D_f(P\|Q)` at :math:`T^* = f'(p/q)`.
- ``wgan``: :math:`-W_1(P, Q)` at the optimal 1-Lipschitz potential.
- ``wgan-div``: :math:`-W_{k,p}(P, Q)` at the optimal critic (1-D, u uniform).
- ``gan-qp``: :math:`-QP(P, Q)` at the optimal critic.

See docs/gan.md for the list with conventions, and docs/gan_papers.md for each loss
beside its paper's equation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, ClassVar, Protocol, runtime_checkable

import torch

import divergences

from ._checks import Critic, batch, detached
from ._families import (
    Fn,
    WDIV_SAMPLES,  # noqa: F401 (gan.losses.WDIV_SAMPLES)
    alpha,
    check_alpha,
    check_fgan,
    check_halve,
    check_lam_target,
    check_lsgan,
    check_qp,
    check_sgan,
    check_wdiv,
    fgan,
    gan_qp,
    hinge,
    lsgan,
    no_check,
    relativistic_average,
    rsgan,
    sgan,
    wgan,
    wgan_div,
    wgan_gp,
    wgan_lp,
)
from .stabilizers import clip_weights

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
_SMOOTH = "; one-sided label smoothing: Salimans et al., NeurIPS 2016 (arXiv 1606.03498), Sec. 3.4"



# ------------------------------------------------------------------- the protocol


@runtime_checkable
class GANLoss(Protocol):
    r"""What the training steps of :mod:`gan.train` accept as a loss.

    A ``critic`` and a ``generator`` method, each returning the scalar its player
    minimises, and ``takes_latent``: whether both also take the latent batch that
    made the fakes, as a fourth argument (O-GAN's correlation needs it).
    :class:`Loss` (from :func:`gan.loss`) and :class:`gan.diversity.OGANLoss` satisfy it.
    """

    takes_latent: bool

    def critic(self, critic: Critic, real: torch.Tensor, fake: torch.Tensor, *latent: torch.Tensor) -> torch.Tensor:
        """The critic's loss; ``fake`` is detached."""
        ...

    def generator(self, critic: Critic, real: torch.Tensor, fake: torch.Tensor, *latent: torch.Tensor) -> torch.Tensor:
        """The generator's loss, differentiable in ``fake``."""
        ...


@dataclass(frozen=True)
class Loss:
    r"""A GAN loss: the critic's and the generator's objectives, both minimised.

    Attributes
    ----------
    name : str
        The registered name (``"wgan-gp"``, ``"f-gan:kl"``, ...), never an alias.
    hparams : Mapping
        The hyperparameters in use (defaults filled in), read-only.
    reference : str
        The paper (and where it differs, the code) the definition follows.
    takes_latent : bool
        False: the two methods take ``(critic, real, fake)`` only (:class:`GANLoss`).

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

    takes_latent: ClassVar[bool] = False

    name: str
    hparams: Mapping[str, Any]
    reference: str
    _critic: Fn = field(repr=False, compare=False)
    _generator: Fn = field(repr=False, compare=False)

    def critic(self, critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """The critic's loss (minimised by the critic); ``fake`` is detached."""
        real, fake = batch(real, "real"), detached(batch(fake, "fake"))
        return self._critic(critic, real, fake)

    def generator(self, critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """The generator's loss (minimised by the generator); differentiable in ``fake``."""
        real, fake = batch(real, "real"), batch(fake, "fake")
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


# ----------------------------------------------------------------------- registry


@dataclass(frozen=True)
class _Spec:
    """A registered loss: its defaults, paper, one-line summary, hyperparameter check
    and the builder of its (critic, generator) pair from checked hyperparameters."""

    defaults: Mapping[str, Any]
    reference: str
    summary: str
    build: Callable[[Mapping[str, Any]], tuple[Fn, Fn]]
    check: Callable[[dict[str, Any]], dict[str, Any]] = no_check


_RA = _RGAN + " (halve=True: the reference code's halved sums)"

_REGISTRY: dict[str, _Spec] = {
    "sgan": _Spec({"real_label": 1.0}, _GOODFELLOW + _SMOOTH,
                  "saturating GAN: critic -E log s(D(x)) - E log(1 - s(D(x~))), generator E log(1 - s(D(x~)))",
                  lambda hp: sgan(hp, True), check_sgan),
    "ns-sgan": _Spec({"real_label": 1.0}, _GOODFELLOW + _SMOOTH,
                     "non-saturating GAN: sgan's critic, generator -E log s(D(x~))",
                     lambda hp: sgan(hp, False), check_sgan),
    "lsgan": _Spec({"a": 0.0, "b": 1.0, "c": 1.0, "real_label": 1.0}, _MAO + _SMOOTH,
                   "least squares, 0-1 coding: critic (E(D(x) - b)^2 + E(D(x~) - a)^2)/2, generator E(D(x~) - c)^2 / 2",
                   lsgan, check_lsgan),
    "hinge": _Spec({}, _HINGE, "critic E relu(1 - D(x)) + E relu(1 + D(x~)), generator -E D(x~)", hinge),
    "wgan": _Spec({}, _WGAN, "critic E D(x~) - E D(x) (with gan.clip_weights), generator -E D(x~)", wgan),
    "wgan-gp": _Spec({"lam": 10.0, "target": 1.0}, _GP, "wgan + lam E(|grad D(x^)| - 1)^2 on interpolates, "
                     "one alpha per sample, per-sample norms", wgan_gp, check_lam_target),
    "wgan-lp": _Spec({"lam": 10.0, "target": 1.0}, _LP, "wgan + lam E max(0, |grad D(x^)| - 1)^2 on interpolates",
                     wgan_lp, check_lam_target),
    "wgan-div": _Spec({"k": 2.0, "p": 6.0, "sample": "interpolates"}, _WDIV, "wgan + k E|grad D(u)|^p, "
                      "|g|^p = (sum g^2)^(p/2); u from real, fake, real+fake or interpolates", wgan_div, check_wdiv),
    "gan-qp": _Spec({"lam": 10.0, "norm": "l1", "per_dimension": True}, _QP + " (and its official Keras code)",
                    "critic -E[D(x) - D(x~) - (D(x) - D(x~))^2 / (2 lam d)], pairs by batch index, "
                    "d = mean |x - x~| (l1) or sqrt(mean (x - x~)^2) (l2) (per_dimension=False: the norms); "
                    "generator E[D(x) - D(x~)]",
                    gan_qp, check_qp),
    "rsgan": _Spec({}, _RGAN, "critic E softplus(-(D(x) - D(x~))), generator E softplus(-(D(x~) - D(x))), "
                   "pairs by batch index", rsgan),
    "rasgan": _Spec({"halve": True}, _RA, "relativistic average standard GAN", relativistic_average("rasgan"),
                    check_halve),
    "ralsgan": _Spec({"halve": True}, _RA, "relativistic average least squares", relativistic_average("ralsgan"),
                     check_halve),
    "rahinge": _Spec({"halve": True}, _RA, "relativistic average hinge", relativistic_average("rahinge"),
                     check_halve),
}

for _kind, _fd in divergences.FDIVERGENCES.items():
    _REGISTRY[f"f-gan:{_kind}"] = _Spec(
        {"generator": "heuristic", **({"clamp": True} if _kind == "pearson" else {})},
        _FGAN + "; " + _fd.reference,
        f"f-GAN for {_fd.formula}: critic E_Q f*(g_f(v)) - E_P g_f(v), generator -E_Q g_f(v) "
        "('heuristic', Nowozin et al. Sec. 3.2) or -E_Q f*(g_f(v)) ('saddle')",
        fgan(_fd), check_fgan,
    )

_REGISTRY["f-gan:alpha"] = _Spec(
    {"alpha": None, "generator": "heuristic"}, _FGAN + "; Amari (1985); Cichocki and Amari, Entropy 12 (2010)",
    "f-GAN for the Amari alpha-divergence (alpha required, not 0 or 1)", alpha, check_alpha,
)

ALIASES: Mapping[str, str] = MappingProxyType({
    # the names of the widely used ports (PyTorch-GAN, Mimicry, StudioGAN, BigGAN-PyTorch)
    "gan": "sgan", "minimax": "sgan", "saturating": "sgan",
    "ns": "ns-sgan", "nsgan": "ns-sgan", "non-saturating": "ns-sgan", "vanilla": "ns-sgan", "dcgan": "ns-sgan",
    "ls": "lsgan", "least-squares": "lsgan", "least-square": "lsgan",
    "hinge-gan": "hinge", "wasserstein": "wgan", "wgangp": "wgan-gp", "wganlp": "wgan-lp", "wgandiv": "wgan-div",
    "ganqp": "gan-qp", "qp": "gan-qp",
    "rgan": "rsgan", "relativistic": "rsgan", "relativistic-gan": "rsgan",
    "ragan": "rasgan", "relativistic-average": "rasgan",
    "rahingegan": "rahinge", "ra-hinge": "rahinge",
})
"""Other names for the losses of :data:`gan.LOSSES`, as the widely used ports spell them.
:func:`gan.loss` also reads names case-insensitively with ``_`` for ``-`` (``"WGAN_GP"``)."""


def _canonical(name: object) -> str:
    """The registered name of ``name``, an alias or a spelling variant of one."""
    if not isinstance(name, str):
        raise ValueError(_unknown(name))
    if name in _REGISTRY:
        return name
    key = name.strip().lower().replace("_", "-")
    key = ALIASES.get(key, key)
    if key not in _REGISTRY:
        raise ValueError(_unknown(name))
    return key


class _Losses(Mapping):
    """The registered GAN losses. ``LOSSES[name]`` is a ``LossInfo`` with the name's
    ``defaults`` (hyperparameters), ``reference`` (paper) and ``summary`` (formula in
    words). Names: sgan, ns-sgan, lsgan, hinge, wgan, wgan-gp, wgan-lp, wgan-div,
    gan-qp, rsgan, rasgan, ralsgan, rahinge, and f-gan:<kind> for every kind of
    ``divergences.FDIVERGENCES`` plus f-gan:alpha. Build one with ``gan.loss(name)``;
    ``gan.losses.ALIASES`` lists the other names it accepts.

    >>> import gan
    >>> dict(gan.LOSSES["wgan-gp"].defaults)
    {'lam': 10.0, 'target': 1.0}
    >>> "f-gan:kl" in gan.LOSSES
    True
    """

    def __getitem__(self, name: str) -> LossInfo:
        if name not in _REGISTRY:
            raise KeyError(_unknown(name))
        spec = _REGISTRY[name]
        return LossInfo(name, MappingProxyType(dict(spec.defaults)), spec.reference, spec.summary)

    def __iter__(self) -> Iterator[str]:
        return iter(_REGISTRY)

    def __len__(self) -> int:
        return len(_REGISTRY)

    def __repr__(self) -> str:
        return f"LOSSES({', '.join(_REGISTRY)})"


LOSSES: Mapping[str, LossInfo] = _Losses()


def _unknown(name: object) -> str:
    return f"unknown loss {name!r}; known: {', '.join(_REGISTRY)} (and the aliases of gan.losses.ALIASES)"


def loss(name: str, **hparams: Any) -> Loss:
    r"""The GAN loss registered as ``name``, with hyperparameters over its defaults.

    Parameters
    ----------
    name : str
        One of ``gan.LOSSES`` (see there and docs/gan.md), or an alias of
        ``gan.losses.ALIASES`` (``"ragan"``, ``"vanilla"``, ``"wgan_gp"``, ...).
    **hparams
        Overrides of the defaults in ``gan.LOSSES[name].defaults``: ``lam``,
        ``target`` (wgan-gp, wgan-lp); ``k``, ``p``, ``sample`` (wgan-div); ``lam``,
        ``norm``, ``per_dimension`` (gan-qp); ``a``, ``b``, ``c`` (lsgan);
        ``real_label`` (sgan, ns-sgan, lsgan: one-sided label smoothing, 1 = off,
        Salimans et al. use 0.9); ``halve`` (rasgan, ralsgan, rahinge);
        ``generator`` ("heuristic" or "saddle"), ``alpha`` and, for pearson,
        ``clamp`` (f-gan).

    Returns
    -------
    Loss
        Its ``name`` is the registered one (an alias resolved).

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
    >>> gan.loss("ragan").name
    'rasgan'
    >>> gan.loss("wgan-gp", lam=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: lam must be a finite number > 0, got -1.0
    """
    name = _canonical(name)
    spec = _REGISTRY[name]
    extra = sorted(set(hparams) - set(spec.defaults))
    if extra:
        accepted = ", ".join(spec.defaults) or "none"
        raise ValueError(f"unknown hyperparameter(s) {', '.join(extra)} for loss {name!r}; accepted: {accepted}")
    try:
        hp = spec.check({**spec.defaults, **hparams})
    except TypeError as err:
        raise ValueError(str(err)) from None
    critic, generator = spec.build(hp)
    return Loss(name, MappingProxyType(hp), spec.reference, critic, generator)


__all__ = ["ALIASES", "GANLoss", "LOSSES", "Loss", "LossInfo", "clip_weights", "loss"]
