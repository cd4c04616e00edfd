r"""How the arena trains each loss: one table of per-loss settings, with the reason for each.

Every run uses Adam with :math:`\beta = (0.5, 0.9)` (Radford et al. 2016 lowered
:math:`\beta_1` to 0.5 for GANs; Gulrajani et al. 2017 use :math:`\beta_2 = 0.9`),
batches of :data:`BATCH` and the MLPs of ``gan.arena.models``. A :class:`Recipe`
sets what differs: critic updates per generator update, learning rates, WGAN's weight
clipping, fixed loss hyperparameters, and the GDPP weight.

Names: every name of ``gan.LOSSES``, and ``<name>+gdpp`` for any of them: the same
loss with the GDPP diversity term (Elfeki et al., ICML 2019, arXiv 1812.00068) on the
critic's last hidden layer added to the generator loss,
:math:`L_G + w\,\mathcal L_{\rm GDPP}(\phi(x), \phi(G(z)))`, with :math:`\phi(x)`
detached so that only the generator learns from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

import torch

import gan

from .models import Critic

__all__ = ["BATCH", "GDPP_SUFFIX", "LOSSES", "Recipe", "build_loss", "recipe"]

BATCH = 128
GDPP_SUFFIX = "+gdpp"


@dataclass(frozen=True)
class Recipe:
    """The training settings of one arena loss (see the module's table)."""

    n_critic: int = 1
    lr_generator: float = 2e-3
    lr_critic: float = 2e-3
    clip: float | None = None  # WGAN's weight clipping bound c, after each critic update
    hparams: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    gdpp_weight: float = 0.0
    why: str = ("one critic update per generator update (DCGAN practice); learning rates 2e-3, above "
                "DCGAN's 2e-4, for a 2-D target and a short budget")


_WGAN_FAMILY = ("n_critic = 5 as in WGAN's and WGAN-GP's Algorithm 1 (the loss assumes a near-optimal critic); "
                "learning rates 1e-3, half the default, since the critic takes five steps per generator step")


def _wgan(**kw: Any) -> Recipe:
    return Recipe(**{"n_critic": 5, "lr_generator": 1e-3, "lr_critic": 1e-3, "why": _WGAN_FAMILY, **kw})


# losses not listed use Recipe()'s defaults
_TABLE: dict[str, Recipe] = {
    "wgan": _wgan(clip=0.01, why=_WGAN_FAMILY + "; clipping c = 0.01 (Arjovsky et al. 2017)"),
    "wgan-gp": _wgan(),
    "wgan-lp": _wgan(),
    "wgan-div": _wgan(),
    "f-gan:alpha": Recipe(hparams=MappingProxyType({"alpha": 1.5}),
                          why="alpha = 1.5, between KL (alpha -> 1) and Pearson/2 (alpha = 2), "
                              "which the registry already covers"),
}

# the GDPP variants that `--losses all` runs: the two families of the GDPP paper
# (a standard GAN and WGAN-GP) and the hinge loss
_GDPP_BASES = ("ns-sgan", "wgan-gp", "hinge")
GDPP_WEIGHT = 1.0  # the paper adds the GDPP loss to the generator's with weight 1

LOSSES: tuple[str, ...] = (*gan.LOSSES, *(b + GDPP_SUFFIX for b in _GDPP_BASES))


def split(name: str) -> tuple[str, bool]:
    """``(base, with_gdpp)`` of an arena loss name; ValueError for an unknown one.

    >>> split("wgan-gp+gdpp"), split("hinge")
    (('wgan-gp', True), ('hinge', False))
    """
    gdpp = isinstance(name, str) and name.endswith(GDPP_SUFFIX)
    base = name[: -len(GDPP_SUFFIX)] if gdpp else name
    if not isinstance(base, str) or base not in gan.LOSSES:
        raise ValueError(f"unknown loss {name!r}; known: {', '.join(LOSSES)} (or <loss>{GDPP_SUFFIX} for any loss)")
    return base, gdpp


def recipe(name: str) -> Recipe:
    """The settings the arena trains ``name`` with.

    >>> recipe("wgan-gp").n_critic, recipe("sgan").n_critic, recipe("ns-sgan+gdpp").gdpp_weight
    (5, 1, 1.0)
    """
    base, gdpp = split(name)
    r = _TABLE.get(base, Recipe())
    if gdpp:
        r = Recipe(**{**{f.name: getattr(r, f.name) for f in fields(r)}, "gdpp_weight": GDPP_WEIGHT,
                      "why": r.why + f"; plus GDPP with weight {GDPP_WEIGHT} (Elfeki et al. 2019)"})
    return r


@dataclass(frozen=True)
class _WithGDPP(gan.Loss):
    """A ``gan.Loss`` whose generator loss adds ``weight`` times GDPP on critic features."""

    weight: float = GDPP_WEIGHT

    def generator(self, critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        adversarial = super().generator(critic, real, fake)
        diversity = gan.diversity.gdpp(critic.features(real).detach(), critic.features(fake))
        return adversarial + self.weight * diversity


def build_loss(name: str) -> gan.Loss:
    """The ``gan.Loss`` for an arena name, with the recipe's hyperparameters.

    >>> build_loss("hinge+gdpp").name, build_loss("f-gan:alpha").hparams["alpha"]
    ('hinge+gdpp', 1.5)
    """
    base, gdpp = split(name)
    r = recipe(name)
    loss = gan.loss(base, **r.hparams)
    if not gdpp:
        return loss
    parts = {f.name: getattr(loss, f.name) for f in fields(loss)}
    return _WithGDPP(**{**parts, "name": name}, weight=r.gdpp_weight)
