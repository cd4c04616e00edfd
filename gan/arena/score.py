r"""The arena's scores: exact W_2, mode coverage and the critic's audit gap.

- :func:`w2`: :math:`W_2(\hat\mu, \hat\nu) = \big(\min_P \sum_{ij} P_{ij}\|x_i - y_j\|^2\big)^{1/2}`
  between two point clouds with uniform weights, by ``divergences.solve`` (network
  simplex) on the squared Euclidean cost.
- :func:`coverage`: with :math:`s` the target's noise std, a sample is high quality
  when its distance to the nearest skeleton point is at most :math:`3s` (Srivastava
  et al., VEEGAN, 2017; Lin et al., PacGAN, 2018); ``quality`` is the share of
  high-quality samples, and for a mixture of K modes a mode is *hit* when at least
  :data:`HIT_SHARE` of its fair share n/K of the n samples are high-quality samples
  nearest to it (at least one sample).
- ``digits``: classes produced and the KL between class histograms
  (``gan.arena.digits.class_coverage``).
- O-GAN entries: the encoder's correlation
  :math:`\mathbb E_z\,\rho(z, e(G(z)))` (``gan.diversity.correlation``).
- :func:`audit_gap`: ``gan.audit.critic_gap(critic, real, fake).gap``,
  :math:`W_1 - \mathrm{kr}/L \ge 0`, on the first :data:`AUDIT_SAMPLES` points of
  each evaluation set: 0 when the critic, rescaled by its empirical Lipschitz constant,
  is an optimal Kantorovich potential.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

import divergences
import gan

from .models import pack
from .records import Checkpoint
from .targets import Target

__all__ = ["AUDIT_SAMPLES", "Coverage", "HIT_SHARE", "audit_gap", "coverage", "evaluate", "w2"]

HIT_SHARE = Fraction(1, 10)  # exact, so that ceil(HIT_SHARE * n / K) has no round-off
AUDIT_SAMPLES = 500  # the audit's W_1 solve and O(n^2) Lipschitz constant stay cheap


def w2(x: np.ndarray, y: np.ndarray) -> float:
    r"""The exact :math:`W_2` between two point clouds (uniform weights), a float.

    Cost :math:`O(nm)` memory and a network simplex (about 0.5 s for 2000 x 2000).

    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(50, 2))
    >>> round(w2(x, x + [3.0, 4.0]), 12)  # a translation by v moves every point by |v| = 5
    5.0
    """
    cost = cdist(x, y, "sqeuclidean")  # one (n, m) array, no (n, m, 2) temporary
    value = float(divergences.solve(cost, on_fail="raise").value)
    return math.sqrt(max(value, 0.0))


@dataclass(frozen=True)
class Coverage:
    """``modes``: modes hit (None without discrete modes); ``quality``: share of high-quality samples."""

    modes: int | None
    quality: float


def coverage(samples: np.ndarray, target: Target) -> Coverage:
    r"""Modes hit and the share of high-quality samples (within 3 std of the skeleton).

    >>> import numpy as np
    >>> from gan.arena.targets import TARGETS
    >>> ring = TARGETS["ring8"]
    >>> coverage(np.repeat(ring.modes, 10, axis=0), ring)  # every mode, exactly
    Coverage(modes=8, quality=1.0)
    >>> coverage(np.zeros((80, 2)), ring)  # the centre of the ring: no mode
    Coverage(modes=0, quality=0.0)
    """
    n = len(samples)
    dist, index = cKDTree(target.skeleton).query(samples)  # the nearest skeleton point, exactly
    good = dist <= 3 * target.std
    quality = float(good.mean()) if n else 0.0
    if not target.discrete:
        return Coverage(None, quality)
    counts = np.bincount(index[good], minlength=len(target.skeleton))
    needed = max(1, math.ceil(HIT_SHARE * n / len(target.skeleton)))
    return Coverage(int((counts >= needed).sum()), quality)


def audit_gap(critic: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor) -> float:
    r"""``gan.audit.critic_gap(critic, real, fake).gap`` on the first :data:`AUDIT_SAMPLES`
    rows of each batch: :math:`W_1 - \mathrm{kr}/L`, in the units of the data.

    >>> import torch
    >>> real, fake = torch.ones(4, 2), torch.zeros(4, 2)
    >>> audit_gap(lambda x: x.sum(dim=1) / 2 ** 0.5, real, fake)  # the optimal potential
    0.0
    """
    k = AUDIT_SAMPLES
    return float(gan.audit.critic_gap(critic, real[:k], fake[:k]).gap)


def _critic_score(D: torch.nn.Module):
    """The critic as a scalar score in float64 (O-GAN's code through its mean)."""
    score = gan.diversity.ogan_score(D) if getattr(D, "code", 0) else D
    return lambda x: score(x.to(torch.float32)).to(torch.float64)


def _packs(x: torch.Tensor, m: int) -> torch.Tensor:
    """The points in packs of m (``gan.arena.models.pack``), a remainder of fewer than m dropped."""
    return pack(x[: len(x) // m * m], m)


@torch.no_grad()
def evaluate(step: int, G: torch.nn.Module, D: torch.nn.Module, z: torch.Tensor, real: np.ndarray,
             target) -> Checkpoint:
    """Every score of the generator ``G`` (on latents ``z``) against ``real`` at ``step``."""
    fake = G(z).to(torch.float64)
    fake_np = fake.cpu().numpy()
    if not np.isfinite(fake_np).all():
        return Checkpoint(step, None, 0 if target.n_modes else None, 0.0, None)
    m = getattr(D, "pack", 1)  # a packed critic is audited on packs: a potential on the product space
    try:
        gap = audit_gap(_critic_score(D), _packs(torch.as_tensor(real, device=fake.device), m), _packs(fake, m))
    except ValueError:  # the critic's scores are NaN or inf
        gap = None
    corr = None
    if getattr(D, "code", 0):
        corr = float(gan.diversity.correlation(z, D(fake.to(torch.float32))).mean())
    if target.name == "digits":
        from .digits import class_coverage

        c = class_coverage(fake_np)
        return Checkpoint(step, w2(real, fake_np), c.classes, c.quality, gap, c.classes, c.class_kl, corr)
    cover = coverage(fake_np, target)
    return Checkpoint(step, w2(real, fake_np), cover.modes, cover.quality, gap, encoder_corr=corr)
