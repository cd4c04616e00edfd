r"""How the arena trains each loss: the papers' recipes, one shared recipe, and the entry names.

Two recipe sets (``--recipe``):

- ``paper``: :data:`PAPER`, one row per loss of ``gan.LOSSES`` with the optimiser,
  learning rates, betas, critic updates per generator update and penalty weight of the
  paper that introduced it, and the citation. These recipes were tuned for images and
  long budgets (WGAN-GP's toy experiments run 100k iterations), so they are compared in
  the documented long run, not in the default one.
- ``common``: :data:`COMMON`, one recipe for every loss (Adam, one critic update per
  generator update, the same rates): a controlled comparison in which only the loss
  differs. A loss's own constants (WGAN's clipping bound, the penalty weights) are part
  of the loss and kept.

Entry names: a name of ``gan.LOSSES``, then any of the suffixes of :data:`SUFFIXES`
(``+gdpp``, ``+r1``, ``+r2``, ``+sn``, ``+single``, ``+vbn``) and ``+pac<m>`` (a packed
critic that judges m samples at once, ``m`` from 2 to :data:`MAX_PAC`; Lin et al.,
PacGAN, NeurIPS 2018, arXiv 1712.04086), or ``ogan:<loss>`` for O-GAN on top of a loss
(the critic becomes an encoder of the latent code; Su 2019, arXiv 1903.01931).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

import torch

import gan

__all__ = ["BATCH", "COMMON", "GDPP_SUFFIX", "KINDS", "LOSSES", "MAX_PAC", "PAC_SUFFIX", "PAPER", "Entry", "Recipe",
           "SUFFIXES", "batch_size", "build_loss", "parse", "recipe", "split"]

BATCH = 256

_DCGAN = "Radford, Metz, Chintala, DCGAN, ICLR 2016 (arXiv 1511.06434): Adam 2e-4, betas (0.5, 0.999)"
_RGAN = ("Jolicoeur-Martineau, The relativistic discriminator, ICLR 2019 (arXiv 1807.00734): "
         "Adam 2e-4, betas (0.5, 0.999), n_D = 1")


@dataclass(frozen=True)
class Recipe:
    """The training settings of one arena entry.

    ``optimizer`` is ``"adam"`` or ``"rmsprop"`` (``betas`` unused for RMSProp);
    ``clip`` is WGAN's weight-clipping bound (after every critic update); ``hparams``
    go to ``gan.loss``; ``citation`` says where the numbers come from.
    """

    optimizer: str = "adam"
    lr_generator: float = 1e-3
    lr_critic: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    n_critic: int = 1
    clip: float | None = None
    hparams: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    citation: str = ""


def _hp(**kw: Any) -> Mapping[str, Any]:
    return MappingProxyType(kw)


def _dcgan(**kw: Any) -> Recipe:
    return Recipe("adam", 2e-4, 2e-4, (0.5, 0.999), 1, **{"citation": _DCGAN, **kw})


_GP_ADAM: dict[str, Any] = dict(optimizer="adam", lr_generator=1e-4, lr_critic=1e-4, betas=(0.0, 0.9), n_critic=5)

# One row per loss: the paper's optimiser, rates, betas, n_critic and penalty weight.
PAPER: Mapping[str, Recipe] = MappingProxyType({
    "sgan": _dcgan(citation="Goodfellow et al. 2014 (loss); optimiser of " + _DCGAN),
    "ns-sgan": _dcgan(citation="Goodfellow et al. 2014 (loss); optimiser of " + _DCGAN),
    "lsgan": Recipe("adam", 2e-4, 2e-4, (0.5, 0.999), 1,
                    citation="Mao et al., LSGAN, ICCV 2017 (arXiv 1611.04076): Adam 2e-4, beta1 0.5"),
    "hinge": Recipe("adam", 2e-4, 2e-4, (0.0, 0.9), 5,
                    citation="Miyato et al., SN-GAN, ICLR 2018 (arXiv 1802.05957), ResNet on CIFAR-10: "
                             "Adam 2e-4, betas (0, 0.9), n_dis = 5"),
    "wgan": Recipe("rmsprop", 5e-5, 5e-5, (0.0, 0.0), 5, clip=0.01,
                   citation="Arjovsky et al., WGAN, ICML 2017 (arXiv 1701.07875), Algorithm 1: RMSProp 5e-5, "
                            "n_critic = 5, c = 0.01"),
    "wgan-gp": Recipe(**_GP_ADAM, hparams=_hp(lam=10.0),
                      citation="Gulrajani et al., WGAN-GP, NeurIPS 2017 (arXiv 1704.00028), Algorithm 1: "
                               "Adam 1e-4, betas (0, 0.9), n_critic = 5, lambda = 10"),
    "wgan-lp": Recipe(**_GP_ADAM, hparams=_hp(lam=10.0),
                      citation="Petzka et al., WGAN-LP, ICLR 2018 (arXiv 1709.08894): WGAN-GP's settings "
                               "(Adam 1e-4, betas (0, 0.9), n_critic = 5), lambda = 10"),
    "wgan-div": Recipe("adam", 2e-4, 2e-4, (0.5, 0.999), 5, hparams=_hp(k=2.0, p=6.0),
                       citation="Wu et al., WGAN-div, ECCV 2018 (arXiv 1712.01026): Adam 2e-4, betas (0.5, 0.999), "
                                "n_critic = 5, k = 2, p = 6"),
    "gan-qp": Recipe("adam", 2e-4, 2e-4, (0.5, 0.999), 2, hparams=_hp(lam=10.0),
                     citation="Su, GAN-QP, arXiv 1811.07296, and its Keras code: Adam 2e-4, beta1 0.5, "
                              "two critic updates per generator update, lambda = 10"),
    **{name: Recipe("adam", 2e-4, 2e-4, (0.5, 0.999), 1, citation=_RGAN)
       for name in ("rsgan", "rasgan", "ralsgan", "rahinge")},
    **{name: _dcgan(hparams=_hp(alpha=1.5) if name == "f-gan:alpha" else _hp(),
                    citation="Nowozin et al., f-GAN, NeurIPS 2016 (arXiv 1606.00709): Adam 2e-4, beta1 0.5 "
                             "(DCGAN's)" + ("; alpha = 1.5 (the registry needs one)" if name == "f-gan:alpha" else ""))
       for name in gan.LOSSES if name.startswith("f-gan:")},
})

# One recipe for all: Adam at 1e-3 (the toy targets are 2-D or 64-D, the budget short),
# DCGAN's betas, one critic update per generator update, a constant rate. Kept after
# measuring alternatives on ring8, grid25 and digits at the default budget (3 seeds,
# docs/arena.md, "Run time"): a linear decay of the rates to 0, Adam 2e-4 or 5e-4,
# betas (0.5, 0.9), a critic rate four times the generator's, 3 critic updates, an 8-D
# latent, width 256 or batches of 512 did no better within what 2 cores afford; nor, on
# grid25 at 3000 steps, did a packed critic (+pac2, +pac3: hinge+pac2 hits 21-23 of
# 25 modes only at twice the steps), LeakyReLU or Adam 2e-3. Under it hinge learns
# ring8 in 3 of 3 seeds; no loss learns grid25, and the losses with a gradient penalty
# (wgan-gp, gan-qp) need more critic updates than it gives.
COMMON = Recipe("adam", 1e-3, 1e-3, (0.5, 0.999), 1,
                citation="the arena's shared recipe, measured against alternatives at the default budget: "
                         "Adam 1e-3, betas (0.5, 0.999) (DCGAN's, Radford et al. 2016), n_critic = 1")

KINDS = ("common", "paper")

GDPP_WEIGHT = 1.0  # Elfeki et al. 2019 add the GDPP loss to the generator's with weight 1
R_GAMMA = 10.0  # Mescheder et al. 2018 use gamma = 10 on CIFAR-10 and CelebA
OGAN_LAM = 0.5  # the official O-GAN code's weight
SUFFIXES = ("+gdpp", "+r1", "+r2", "+sn", "+single", "+vbn")
GDPP_SUFFIX = SUFFIXES[0]
OGAN_PREFIX = "ogan:"
PAC_SUFFIX = "+pac"  # followed by the pack size m: "+pac2"
MAX_PAC = 8  # PacGAN measures m = 2, 3, 4
_PAC = re.compile(re.escape(PAC_SUFFIX) + r"([0-9]+)$")


@dataclass(frozen=True)
class Entry:
    """A parsed entry name: the base loss and what is added to it."""

    name: str
    base: str
    gdpp: bool = False
    r1: bool = False
    r2: bool = False
    sn: bool = False
    single: bool = False
    vbn: bool = False
    ogan: bool = False
    pac: int = 1  # samples per critic input (PacGAN's m); 1: unpacked


def parse(name: str) -> Entry:
    """The :class:`Entry` of a name; ValueError for an unknown one.

    >>> e = parse("ns-sgan+r1+sn")
    >>> e.base, e.r1, e.sn, e.gdpp
    ('ns-sgan', True, True, False)
    >>> parse("hinge+pac2").pac
    2
    """
    if not isinstance(name, str):
        raise ValueError(f"a loss name must be a string, got {name!r}")
    rest, flags = name, dict[str, Any]()
    ogan = rest.startswith(OGAN_PREFIX)
    if ogan:
        rest = rest[len(OGAN_PREFIX):]
    changed = True
    while changed:
        changed = False
        for suffix in SUFFIXES:
            if rest.endswith(suffix):
                flags[suffix[1:]] = True
                rest, changed = rest[: -len(suffix)], True
        packed = _PAC.search(rest)
        if packed and "pac" not in flags:
            flags["pac"] = int(packed.group(1))
            rest, changed = rest[: packed.start()], True
    if rest not in gan.LOSSES:
        raise ValueError(f"unknown loss {name!r}; known: names of gan.LOSSES, each with any of "
                         f"{', '.join(SUFFIXES)}, {PAC_SUFFIX}<m>, or {OGAN_PREFIX}<loss>")
    if not 2 <= flags.get("pac", 2) <= MAX_PAC:
        raise ValueError(f"{name!r}: the pack size of {PAC_SUFFIX}<m> must be from 2 to {MAX_PAC}")
    if ogan and (flags.get("gdpp") or flags.get("single") or "pac" in flags):
        raise ValueError(f"{name!r}: O-GAN entries take +r1, +r2, +sn and +vbn only")
    if flags.get("gdpp") and flags.get("single"):  # the single loss sees the critic as a function, without features
        raise ValueError(f"{name!r}: +gdpp and +single do not combine")
    return Entry(name, rest, ogan=ogan, **flags)


def batch_size(name: str) -> int:
    """Real and generated points per update of entry ``name``: :data:`BATCH`, times m
    for ``+pac<m>`` (the critic still sees :data:`BATCH` inputs, each of m points).

    >>> batch_size("hinge"), batch_size("hinge+pac2")
    (256, 512)
    """
    return BATCH * parse(name).pac


def split(name: str) -> tuple[str, bool]:
    """``(base, with_gdpp)`` of an entry name (kept for callers of the first arena)."""
    e = parse(name)
    return e.base, e.gdpp


# The entries `--losses all` runs: every loss, and the library's training ideas on
# top of a standard GAN, the hinge loss and WGAN-GP.
LOSSES: tuple[str, ...] = (
    *gan.LOSSES,
    "ns-sgan+gdpp", "wgan-gp+gdpp", "hinge+gdpp",
    "ns-sgan+r1", "ns-sgan+r2", "hinge+sn", "ns-sgan+sn", "ns-sgan+single", "ns-sgan+vbn", "ogan:gan-qp", "ogan:ns-sgan",
    "hinge+pac2", "ns-sgan+pac2",
)


def recipe(name: str, kind: str = "common") -> Recipe:
    """The settings the arena trains entry ``name`` with under recipe set ``kind``.

    >>> recipe("wgan-gp", "paper").lr_critic, recipe("wgan-gp", "paper").n_critic, recipe("wgan-gp").n_critic
    (0.0001, 5, 1)
    """
    e = parse(name)
    if kind not in KINDS:
        raise ValueError(f"recipe must be one of {', '.join(KINDS)}, got {kind!r}")
    own = PAPER[e.base]
    r = own if kind == "paper" else replace(COMMON, clip=own.clip, hparams=own.hparams)
    if e.single:  # one backward for both players: one critic update per generator update
        r = replace(r, n_critic=1)
    return r


@dataclass(frozen=True)
class _Extended(gan.Loss):
    """A ``gan.Loss`` with GDPP on the generator's side and R1/R2 on the critic's."""

    gdpp_weight: float = 0.0
    r1_gamma: float = 0.0
    r2_gamma: float = 0.0

    def critic(self, critic: Any, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        value = super().critic(critic, real, fake)
        if self.r1_gamma:
            value = value + gan.penalties.r1(critic, real, gamma=self.r1_gamma)
        if self.r2_gamma:
            value = value + gan.penalties.r2(critic, fake.detach(), gamma=self.r2_gamma)
        return value

    def generator(self, critic: Any, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        value = super().generator(critic, real, fake)
        if self.gdpp_weight:
            value = value + self.gdpp_weight * gan.diversity.gdpp(critic.features(real).detach(),
                                                                  critic.features(fake))
        return value


def build_loss(name: str, kind: str = "common") -> gan.Loss | gan.diversity.OGANLoss:
    """The loss object of an entry: a ``gan.Loss`` (with GDPP, R1, R2 added as asked) or,
    for ``ogan:<loss>``, ``gan.diversity.ogan_loss``.

    >>> build_loss("hinge+gdpp").name, build_loss("f-gan:alpha").hparams["alpha"]
    ('hinge+gdpp', 1.5)
    """
    e, r = parse(name), recipe(name, kind)
    if e.ogan:
        defaults = gan.LOSSES[e.base].defaults  # gan-qp's own lam (10) would clash with O-GAN's
        own = {k: v for k, v in r.hparams.items() if defaults.get(k) != v}
        return gan.diversity.ogan_loss(e.base, lam=OGAN_LAM, **own)
    loss = gan.loss(e.base, **r.hparams)
    if not (e.gdpp or e.r1 or e.r2):
        return loss
    parts = {f.name: getattr(loss, f.name) for f in fields(loss)}
    return _Extended(**{**parts, "name": name}, gdpp_weight=GDPP_WEIGHT if e.gdpp else 0.0,
                     r1_gamma=R_GAMMA if e.r1 else 0.0, r2_gamma=R_GAMMA if e.r2 else 0.0)
