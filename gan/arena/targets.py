r"""The arena's targets: the 8-Gaussian ring, the 25-Gaussian grid, the Swiss roll, and digits.

``digits`` (scikit-learn's 8x8 images, 64-D) lives in ``gan.arena.digits`` and is
loaded on first access to ``TARGETS["digits"]``; the rest of this module is about the
2-D targets.

Each :class:`Target` samples i.i.d. points and knows its noiseless support, the
``skeleton``: the mode centres of a mixture, or a dense polyline along the roll. A
sample is *high quality* when it lies within 3 standard deviations of the skeleton
(Srivastava et al., VEEGAN, NeurIPS 2017, arXiv 1705.07761; Lin et al., PacGAN,
NeurIPS 2018, arXiv 1712.04086); for the mixtures the nearest skeleton point is
also the mode the sample counts for (``gan.arena.score.coverage``).

- ``ring8``: :math:`\tfrac18 \sum_k N(2(\cos\tfrac{2\pi k}8, \sin\tfrac{2\pi k}8), 0.02^2 I)`
  (Metz et al., Unrolled GANs, ICLR 2017, arXiv 1611.02163).
- ``grid25``: :math:`\tfrac1{25} \sum_{i,j} N((2i, 2j), 0.05^2 I)`, i, j in -2..2.
- ``swissroll``: :math:`t = \tfrac{3\pi}2(1 + 2u)`, u ~ U[0, 1],
  :math:`x = (t\cos t, t\sin t)/7.5 + \tfrac{0.25}{7.5}\,\varepsilon`: scikit-learn's
  ``make_swiss_roll(noise=0.25)`` seen from above and scaled by 1/7.5, as in the toy
  experiments of Gulrajani et al. (WGAN-GP, NeurIPS 2017, arXiv 1704.00028). A
  continuous curve: it has no discrete modes (``modes`` is None).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

__all__ = ["TARGETS", "Target"]

Sampler = Callable[[int, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class Target:
    """A 2-D target distribution.

    Attributes
    ----------
    name : str
    summary : str
        One line: what it is.
    std : float
        Per-coordinate standard deviation of the noise around the skeleton; a sample
        within ``3 * std`` of the skeleton is high quality.
    skeleton : ndarray (K, 2)
        The noiseless support: the K mode centres, or points along the roll.
    discrete : bool
        Whether the skeleton points are modes (mixtures) or a polyline (the roll).
    reference : str
    """

    name: str
    summary: str
    std: float
    skeleton: np.ndarray = field(repr=False)
    discrete: bool
    reference: str
    _draw: Sampler = field(repr=False, compare=False)

    dim = 2

    @property
    def modes(self) -> np.ndarray | None:
        """The mode centres (K, 2), or None for a target without discrete modes."""
        return self.skeleton if self.discrete else None

    @property
    def n_modes(self) -> int | None:
        """K, or None for a target without discrete modes."""
        return len(self.skeleton) if self.discrete else None

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` i.i.d. samples, float64 array (n, 2), drawn from ``rng``.

        >>> import numpy as np
        >>> TARGETS["ring8"].sample(3, np.random.default_rng(0)).shape
        (3, 2)
        """
        return self._draw(n, rng)


def _mixture(centres: np.ndarray, std: float) -> Sampler:
    def draw(n: int, rng: np.random.Generator) -> np.ndarray:
        return centres[rng.integers(0, len(centres), n)] + std * rng.standard_normal((n, 2))

    return draw


_ROLL_SCALE = 7.5  # scikit-learn's roll spans about +-14; this brings it to about +-2


def _roll(t: np.ndarray) -> np.ndarray:
    return np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / _ROLL_SCALE


def _swissroll(std: float) -> Sampler:
    def draw(n: int, rng: np.random.Generator) -> np.ndarray:
        t = 1.5 * math.pi * (1 + 2 * rng.random(n))
        return _roll(t) + std * rng.standard_normal((n, 2))

    return draw


def _ring8() -> Target:
    angles = 2 * math.pi * np.arange(8) / 8
    centres = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return Target("ring8", "8 Gaussians on a circle of radius 2, std 0.02", 0.02, centres, True,
                  "Metz et al., Unrolled Generative Adversarial Networks, ICLR 2017 (arXiv 1611.02163)",
                  _mixture(centres, 0.02))


def _grid25() -> Target:
    axis = np.arange(-4.0, 5.0, 2.0)
    centres = np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
    return Target("grid25", "25 Gaussians on the 5x5 grid {-4, -2, 0, 2, 4}^2, std 0.05", 0.05, centres, True,
                  "Srivastava et al., VEEGAN, NeurIPS 2017 (arXiv 1705.07761)", _mixture(centres, 0.05))


def _swissroll_target() -> Target:
    std = 0.25 / _ROLL_SCALE
    # 6000 points along the curve (arc length about 11.8): spacing 0.002, so the distance
    # to the polyline's vertices overstates the distance to the curve by at most 0.001 << 3 std
    skeleton = _roll(np.linspace(1.5 * math.pi, 4.5 * math.pi, 6000))
    return Target("swissroll", "Swiss roll t(cos t, sin t)/7.5, t in [1.5pi, 4.5pi], std 1/30", std, skeleton, False,
                  "Gulrajani et al., Improved Training of Wasserstein GANs, NeurIPS 2017 (arXiv 1704.00028)",
                  _swissroll(std))


_TOY = MappingProxyType({t.name: t for t in (_ring8(), _grid25(), _swissroll_target())})


class _Targets(Mapping):
    """The 2-D targets, and ``digits`` loaded on first access (it imports scikit-learn)."""

    def __getitem__(self, name: str):
        if name == "digits":
            from . import digits

            return digits.load()
        return _TOY[name]

    def __iter__(self) -> Iterator[str]:
        return iter((*_TOY, "digits"))

    def __len__(self) -> int:
        return len(_TOY) + 1

    def __repr__(self) -> str:
        return f"TARGETS({', '.join(self)})"


TARGETS: Mapping[str, Target] = _Targets()
