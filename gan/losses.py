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
import torch.nn.functional as F

import divergences
from divergences.fdiv import FDivergence

from . import penalties as pen
from ._checks import Critic, batch, paired, positive, real_number, same_shape, scores
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

WDIV_SAMPLES = ("real", "fake", "real+fake", "interpolates")

_Fn = Callable[[Critic, torch.Tensor, torch.Tensor], torch.Tensor]


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
    _critic: _Fn = field(repr=False, compare=False)
    _generator: _Fn = field(repr=False, compare=False)

    def critic(self, critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """The critic's loss (minimised by the critic); ``fake`` is detached."""
        real, fake = batch(real, "real"), batch(fake, "fake").detach()
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


# ------------------------------------------------------- standard and least squares


def _sgan(hp: Mapping[str, Any], saturating: bool) -> tuple[_Fn, _Fn]:
    alpha = hp["real_label"]

    def critic(D, real, fake):
        # -E_P [alpha log s(D) + (1 - alpha) log(1 - s(D))] - E_Q log(1 - s(D))
        r = scores(D, real, "real")
        real_term = F.softplus(-r) if alpha == 1 else alpha * F.softplus(-r) + (1 - alpha) * F.softplus(r)
        return real_term.mean() + F.softplus(scores(D, fake, "fake")).mean()

    def generator(D, real, fake):
        s = scores(D, fake, "fake")
        return -F.softplus(s).mean() if saturating else F.softplus(-s).mean()

    return critic, generator


def _lsgan(hp):
    a, b, c = hp["a"], hp["b"], hp["c"]
    target = b if hp["real_label"] == 1 else a + hp["real_label"] * (b - a)

    def critic(D, real, fake):
        return 0.5 * ((scores(D, real, "real") - target) ** 2).mean() + 0.5 * ((scores(D, fake, "fake") - a) ** 2).mean()

    def generator(D, real, fake):
        return 0.5 * ((scores(D, fake, "fake") - c) ** 2).mean()

    return critic, generator


def _hinge(hp):
    def critic(D, real, fake):
        return torch.relu(1 - scores(D, real, "real")).mean() + torch.relu(1 + scores(D, fake, "fake")).mean()

    def generator(D, real, fake):
        return -scores(D, fake, "fake").mean()

    return critic, generator


# -------------------------------------------------------------------- Wasserstein


def _wgan_with(penalty: _Fn | None) -> tuple[_Fn, _Fn]:
    def critic(D, real, fake):
        value = scores(D, fake, "fake").mean() - scores(D, real, "real").mean()
        return value if penalty is None else value + penalty(D, real, fake)

    def generator(D, real, fake):
        return -scores(D, fake, "fake").mean()

    return critic, generator


def _wgan(hp):
    return _wgan_with(None)


def _wgan_gp(hp):
    def penalty(D, real, fake):
        same_shape(real, fake)
        return pen.gradient_penalty(D, real, fake, lam=hp["lam"], target=hp["target"])

    return _wgan_with(penalty)


def _wgan_lp(hp):
    def penalty(D, real, fake):
        same_shape(real, fake)
        return pen.lipschitz_penalty(D, real, fake, lam=hp["lam"], target=hp["target"])

    return _wgan_with(penalty)


def _wdiv_points(sample: Any, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The WGAN-div penalty sample u for the ``sample`` option."""
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


def _wgan_div(hp):
    k, p, sample = hp["k"], hp["p"], hp["sample"]

    def penalty(D, real, fake):
        return pen.wdiv_penalty(D, _wdiv_points(sample, real, fake.detach()), k=k, p=p)

    return _wgan_with(penalty)


# ------------------------------------------------------------------------- GAN-QP


def _qp_distances(real: torch.Tensor, fake: torch.Tensor, norm: str, per_dimension: bool) -> torch.Tensor:
    """d(x_r, x_f) per pair: the L1 or L2 norm of the difference, divided by the
    number of dimensions D (l1) or its square root (l2) when ``per_dimension``
    (the official code's mean over pixels)."""
    same_shape(real, fake)
    diff = (real - fake).reshape(real.shape[0], -1)
    if norm == "l1":
        return diff.abs().mean(dim=1) if per_dimension else diff.abs().sum(dim=1)
    return (diff.pow(2).mean(dim=1) if per_dimension else diff.pow(2).sum(dim=1)).sqrt()


def _gan_qp(hp):
    lam, norm, per_dimension = hp["lam"], hp["norm"], hp["per_dimension"]

    def critic(D, real, fake):
        # -E[delta - delta^2 / (2 lam d)], delta = D(x_r) - D(x_f); a pair at d = 0
        # adds 0 if delta = 0 and +inf otherwise (divergences.qp_objective's limit)
        d = _qp_distances(real, fake, norm, per_dimension)
        delta = scores(D, real, "real") - scores(D, fake, "fake")
        d = d.to(delta.dtype)
        apart = d > 0
        quad = delta * delta / (2 * lam * torch.where(apart, d, torch.ones_like(d)))
        quad = torch.where(apart, quad, torch.where(delta == 0, torch.zeros_like(quad), torch.full_like(quad, torch.inf)))
        return (quad - delta).mean()

    def generator(D, real, fake):
        same_shape(real, fake)
        return (scores(D, real, "real") - scores(D, fake, "fake")).mean()

    return critic, generator


# ------------------------------------------------------------------- relativistic

_PAIRED = "its critic compares C(x_r) with C(x_f) of the same batch index"

# (link on a relativistic score that should be high, link on one that should be low)
_LINKS: dict[str, tuple[Callable[[torch.Tensor], torch.Tensor], Callable[[torch.Tensor], torch.Tensor]]] = {
    "rasgan": (lambda t: F.softplus(-t), F.softplus),  # -log s(t), -log(1 - s(t))
    "ralsgan": (lambda t: (t - 1) ** 2, lambda t: (t + 1) ** 2),
    "rahinge": (lambda t: torch.relu(1 - t), lambda t: torch.relu(1 + t)),
}


def _rsgan(hp):
    def gap(D, real, fake):
        paired(real, fake, "rsgan", _PAIRED)
        return scores(D, real, "real") - scores(D, fake, "fake")

    def critic(D, real, fake):
        return F.softplus(-gap(D, real, fake)).mean()

    def generator(D, real, fake):
        return F.softplus(gap(D, real, fake)).mean()

    return critic, generator


def _average_gaps(D: Critic, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """d_r = C(x_r) - mean C(x_f) and d_f = C(x_f) - mean C(x_r): batch means only,
    so the two batch sizes may differ."""
    r, f = scores(D, real, "real"), scores(D, fake, "fake")
    return r - f.mean(), f - r.mean()


def _relativistic_average(kind: str):
    high, low = _LINKS[kind]

    def build(hp):
        scale = 0.5 if hp["halve"] else 1.0

        def critic(D, real, fake):
            dr, df = _average_gaps(D, real, fake)
            return scale * (high(dr).mean() + low(df).mean())

        def generator(D, real, fake):
            dr, df = _average_gaps(D, real, fake)
            return scale * (low(dr).mean() + high(df).mean())

        return critic, generator

    return build


# -------------------------------------------------------------------------- f-GAN


def _pearson_table(v: torch.Tensor) -> torch.Tensor:
    """Nowozin et al.'s Table 2 conjugate of Pearson chi^2 on its activation v: v^2/4 + v."""
    return v * (v / 4 + 1)


def _fgan(spec: FDivergence):
    def build(hp):
        table = spec.name == "pearson" and not hp.get("clamp", True)

        def fstar(v):
            return _pearson_table(v) if table else spec.conjugate_of_activation(v)

        def critic(D, real, fake):
            # -(E_P g_f(v) - E_Q f*(g_f(v)))
            return fstar(scores(D, fake, "fake")).mean() - spec.activation(scores(D, real, "real")).mean()

        if hp["generator"] == "saddle":
            def generator(D, real, fake):
                return -fstar(scores(D, fake, "fake")).mean()
        else:
            def generator(D, real, fake):
                return -spec.activation(scores(D, fake, "fake")).mean()
        return critic, generator

    return build


def _alpha_builder(hp):
    return _fgan(divergences.alpha_divergence(hp["alpha"]))(hp)


# --------------------------------------------------------------------- validation


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def _label(value: Any) -> float:
    v = real_number(value, "real_label")
    if not 0 < v <= 1:
        raise ValueError(f"real_label must be in (0, 1] (1: no smoothing; Salimans et al. use 0.9), got {value!r}")
    return v


def _check_sgan(hp):
    return {"real_label": _label(hp["real_label"])}


def _check_lsgan(hp):
    a, b, c = (real_number(hp[n], n) for n in "abc")
    if a == b:
        raise ValueError(f"a and b (the fake and real labels) must differ, got a = b = {a}")
    return {"a": a, "b": b, "c": c, "real_label": _label(hp["real_label"])}


def _check_lam_target(hp):
    return {"lam": positive(hp["lam"], "lam"), "target": positive(hp["target"], "target", allow_zero=True)}


def _check_wdiv(hp):
    k = positive(hp["k"], "k")
    p = positive(hp["p"], "p")
    if p <= 1:
        raise ValueError(f"p must be > 1, got {hp['p']!r}")
    sample = hp["sample"]
    if not callable(sample) and sample not in WDIV_SAMPLES:
        raise ValueError(f"sample must be one of {', '.join(WDIV_SAMPLES)} or a callable (real, fake) -> points, got {sample!r}")
    return {"k": k, "p": p, "sample": sample}


def _check_qp(hp):
    if hp["norm"] not in ("l1", "l2"):
        raise ValueError(f"norm must be 'l1' or 'l2', got {hp['norm']!r}")
    return {"lam": positive(hp["lam"], "lam"), "norm": hp["norm"], "per_dimension": _flag(hp["per_dimension"], "per_dimension")}


def _check_halve(hp):
    return {"halve": _flag(hp["halve"], "halve")}


def _check_fgan(hp):
    if hp["generator"] not in ("heuristic", "saddle"):
        raise ValueError(f"generator must be 'heuristic' or 'saddle', got {hp['generator']!r}")
    out = dict(hp)
    if "clamp" in hp:
        out["clamp"] = _flag(hp["clamp"], "clamp")
    return out


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


def _no_check(hp):
    return dict(hp)


# ----------------------------------------------------------------------- registry


@dataclass(frozen=True)
class _Spec:
    """A registered loss: its defaults, paper, one-line summary, hyperparameter check
    and the builder of its (critic, generator) pair from checked hyperparameters."""

    defaults: Mapping[str, Any]
    reference: str
    summary: str
    build: Callable[[Mapping[str, Any]], tuple[_Fn, _Fn]]
    check: Callable[[dict[str, Any]], dict[str, Any]] = _no_check


_RA = _RGAN + " (halve=True: the reference code's halved sums)"

_REGISTRY: dict[str, _Spec] = {
    "sgan": _Spec({"real_label": 1.0}, _GOODFELLOW + _SMOOTH,
                  "saturating GAN: critic -E log s(D(x)) - E log(1 - s(D(x~))), generator E log(1 - s(D(x~)))",
                  lambda hp: _sgan(hp, True), _check_sgan),
    "ns-sgan": _Spec({"real_label": 1.0}, _GOODFELLOW + _SMOOTH,
                     "non-saturating GAN: sgan's critic, generator -E log s(D(x~))",
                     lambda hp: _sgan(hp, False), _check_sgan),
    "lsgan": _Spec({"a": 0.0, "b": 1.0, "c": 1.0, "real_label": 1.0}, _MAO + _SMOOTH,
                   "least squares, 0-1 coding: critic (E(D(x) - b)^2 + E(D(x~) - a)^2)/2, generator E(D(x~) - c)^2 / 2",
                   _lsgan, _check_lsgan),
    "hinge": _Spec({}, _HINGE, "critic E relu(1 - D(x)) + E relu(1 + D(x~)), generator -E D(x~)", _hinge),
    "wgan": _Spec({}, _WGAN, "critic E D(x~) - E D(x) (with gan.clip_weights), generator -E D(x~)", _wgan),
    "wgan-gp": _Spec({"lam": 10.0, "target": 1.0}, _GP, "wgan + lam E(|grad D(x^)| - 1)^2 on interpolates, "
                     "one alpha per sample, per-sample norms", _wgan_gp, _check_lam_target),
    "wgan-lp": _Spec({"lam": 10.0, "target": 1.0}, _LP, "wgan + lam E max(0, |grad D(x^)| - 1)^2 on interpolates",
                     _wgan_lp, _check_lam_target),
    "wgan-div": _Spec({"k": 2.0, "p": 6.0, "sample": "interpolates"}, _WDIV, "wgan + k E|grad D(u)|^p, "
                      "|g|^p = (sum g^2)^(p/2); u from real, fake, real+fake or interpolates", _wgan_div, _check_wdiv),
    "gan-qp": _Spec({"lam": 10.0, "norm": "l1", "per_dimension": True}, _QP + " (and its official Keras code)",
                    "critic -E[D(x) - D(x~) - (D(x) - D(x~))^2 / (2 lam d)], pairs by batch index, "
                    "d = mean |x - x~| (l1) or sqrt(mean (x - x~)^2) (l2); generator E[D(x) - D(x~)]",
                    _gan_qp, _check_qp),
    "rsgan": _Spec({}, _RGAN, "critic E softplus(-(D(x) - D(x~))), generator E softplus(-(D(x~) - D(x))), "
                   "pairs by batch index", _rsgan),
    "rasgan": _Spec({"halve": True}, _RA, "relativistic average standard GAN", _relativistic_average("rasgan"),
                    _check_halve),
    "ralsgan": _Spec({"halve": True}, _RA, "relativistic average least squares", _relativistic_average("ralsgan"),
                     _check_halve),
    "rahinge": _Spec({"halve": True}, _RA, "relativistic average hinge", _relativistic_average("rahinge"),
                     _check_halve),
}

for _kind, _fd in divergences.FDIVERGENCES.items():
    _REGISTRY[f"f-gan:{_kind}"] = _Spec(
        {"generator": "heuristic", **({"clamp": True} if _kind == "pearson" else {})},
        _FGAN + "; " + _fd.reference,
        f"f-GAN for {_fd.formula}: critic E_Q f*(g_f(v)) - E_P g_f(v), generator -E_Q g_f(v) "
        "('heuristic', Nowozin et al. Sec. 3.2) or -E_Q f*(g_f(v)) ('saddle')",
        _fgan(_fd), _check_fgan,
    )

_REGISTRY["f-gan:alpha"] = _Spec(
    {"alpha": None, "generator": "heuristic"}, _FGAN + "; Amari (1985); Cichocki and Amari, Entropy 12 (2010)",
    "f-GAN for the Amari alpha-divergence (alpha required, not 0 or 1)", _alpha_builder, _check_alpha,
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
"""Other names for the losses of :data:`LOSSES`, as the widely used ports spell them.
:func:`loss` also reads names case-insensitively with ``_`` for ``-`` (``"WGAN_GP"``)."""


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
