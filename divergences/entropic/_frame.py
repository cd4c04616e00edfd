"""The length unit point-cloud solvers work in: coordinates centred on the joint
bounding box and divided by its diagonal r, so every cost |x - y|^p lies in [0, 1],
eps' = eps / r^p, and results map back exactly (a value by r^p, a gradient in the
points by r^(p - 1)). Without it, clouds of spread 1e20 or 1e-30 overflow or
underflow the float32 blocks of the online kernel, and p = 100 overflows at
distances of 1e4, where the results themselves are representable."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._backend import Array, Namespace, constant
from ._dense import normalised_eps

__all__ = ["Frame"]


@dataclass(frozen=True)
class Frame:
    """Coordinates centred on the joint bounding box and divided by its diagonal r,
    so costs lie in [0, 1] and eps' = eps / r^p; a cost is r^p times its framed value."""

    centre: Array  # half the box's centre
    radius: float
    p: float
    power: float  # r^p, the unit of cost
    negligible: bool  # r^p below the dtype's smallest normal number: every cost rounds to ~0

    @classmethod
    def of(cls, x: Array, y: Array, p: float, xp: Namespace) -> "Frame":
        """The frame of the clouds x, y, refused (``ValueError`` naming ``x, y``) where
        r^p, and with it |x - y|^p, overflows the dtype."""
        xc, yc = constant(x, xp), constant(y, xp)
        # The centre of the bounding box, halved (and the box's half-widths):
        # coordinates near the float maximum must not overflow here.
        lo = xp.minimum(xp.min(xc, axis=0), xp.min(yc, axis=0))
        hi = xp.maximum(xp.max(xc, axis=0), xp.max(yc, axis=0))
        centre, half = lo / 4 + hi / 4, hi / 2 - lo / 2
        top = float(xp.max(half))
        radius = 2 * top * float(xp.linalg.vector_norm(half / top)) if top > 0 else 1.0
        if not math.isfinite(radius):
            raise ValueError(f"x, y: the spread of the points overflows {x.dtype}")
        info = xp.finfo(x.dtype)
        log_power = p * math.log(radius)
        if log_power >= math.log(float(info.max)):
            raise ValueError(f"x, y: |x - y|^p overflows {x.dtype} at p = {p:g} (spread {radius:.3g})")
        negligible = log_power < math.log(float(info.smallest_normal))
        return cls(centre, radius, p, radius ** p if not negligible else 0.0, negligible)

    def refuse_negligible(self, dtype) -> None:
        """A ``ValueError`` naming ``x, y`` where every cost underflows: no result
        carries a significant digit of it."""
        if self.negligible:
            raise ValueError(f"x, y: |x - y|^p underflows {dtype} at p = {self.p:g} (spread "
                             f"{self.radius:.3g}); rescale the points")

    def points(self, z: Array) -> Array:
        return (z / 2 - self.centre) * (2 / self.radius)

    def eps(self, eps: float, dtype, xp: Namespace) -> float:
        """eps / r^p, refused below the dtype's resolution (see :func:`._dense.normalised_eps`)."""
        return normalised_eps(eps, self.power, dtype, xp, "x, y")

    def unit_eps(self, eps: float) -> float:
        """eps / r^p, refused only where it underflows to 0 or overflows."""
        e = eps / self.power
        if not 0 < e < math.inf:
            raise ValueError(f"eps: eps / diameter^p = {eps:.3g} / {self.power:.3g} is not representable")
        return e

    def value(self, s: Array) -> Array:
        """r^p s: a cost back in the caller's units."""
        return s * self.power

    def gradient(self, G: Array) -> Array:
        """r^(p - 1) G: a gradient in the framed points back in the caller's units
        (finite whenever r^p is, as p >= 1)."""
        return G * self.radius ** (self.p - 1)

