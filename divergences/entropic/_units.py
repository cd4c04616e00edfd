"""The units a dense entropic problem is solved in, and the exact way back.

The solvers see M' = (M - offset) / scale in [0, 1], eps' = eps / scale and, when
balanced, masses a' = a / t_a, b' = b / t_b of total 1, so every tolerance is
relative (the marginal error to the mass, the potentials to the cost's range) and
nothing overflows at any scale of the input. Back in the caller's units
(balanced, t = t_a = t_b):

    P = t P',   f + g = scale (f' + g') + offset - eps log t,
    <M, P> = t (scale <M', P'> + offset |P'|),
    OT_eps = t (scale OT'_eps' + offset) + eps t (t - 1 - log t),

the last term from the reference measure a b^T of mass t^2 in KL(P | a b^T).
Unbalanced problems are not homogeneous in the masses nor invariant under a shift
of M (the plan's mass is free): only the scale is divided out, with rho' = rho /
scale, and OT_eps = scale OT'_eps'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._backend import Array, Namespace

__all__ = ["NormalisedCost", "Units"]


@dataclass(frozen=True)
class Units:
    scale: float
    offset: float
    ta: float
    tb: float
    eps: float  # in the caller's units
    balanced: bool

    @classmethod
    def of(cls, M: Array, a: Array, b: Array, eps: float, balanced: bool, xp: Namespace,
           blame: str = "M", unit_mass: bool = False) -> "Units":
        """``unit_mass``: a and b are probability vectors, their sums 1 up to
        round-off taken as exactly 1 (the t-term below is eps-sensitive)."""
        hi, lo = float(xp.max(M)), float(xp.min(M))
        if balanced:
            offset, half = lo, hi / 2 - lo / 2
            ta, tb = (1.0, 1.0) if unit_mass else (float(xp.sum(a)), float(xp.sum(b)))
        else:
            offset, half, ta, tb = 0.0, max(abs(hi), abs(lo)) / 2, 1.0, 1.0
        scale = 2 * half if half > 0 else 1.0
        if not math.isfinite(scale):
            raise ValueError(f"{blame}: the cost's range max - min overflows {M.dtype}")
        if not (math.isfinite(ta) and math.isfinite(tb)):
            raise ValueError(f"a, b: the total mass overflows {M.dtype}")
        return cls(scale, offset, ta, tb, eps, balanced)

    @property
    def shift(self) -> float:
        """Half of f + g - scale (f' + g'), given to each potential."""
        if not self.balanced:
            return 0.0
        return (self.offset - self.eps * math.log(self.tb)) / 2

    def cost(self, M: Array) -> Array:
        return (M - self.offset) / self.scale

    def normalised(self, M: Array) -> "NormalisedCost":
        """M' as :meth:`cost` gives it, formed where it is read."""
        return NormalisedCost(M, self.offset, self.scale)

    def weights(self, a: Array, b: Array) -> tuple[Array, Array]:
        return a / self.ta, b / self.tb

    def potential(self, h: Array) -> Array:
        return self.scale * h + self.shift

    def normalised_potential(self, h: Array) -> Array:
        return (h - self.shift) / self.scale

    def transport(self, inner: Array, mass: Array) -> Array:
        """<M, P> from <M', P'> and |P'|."""
        return self.ta * (self.scale * inner + self.offset * mass)

    def bound(self, h: Array) -> Array:
        """An exact-OT bound from its normalised value (masses 1 when balanced)."""
        return self.ta * (self.scale * h + self.offset)

    def entropic(self, value: Array) -> Array:
        if not self.balanced:
            return self.scale * value
        return self.ta * (self.scale * value + self.offset) + self.eps * self.ta * _excess_entropy(self.tb)


@dataclass(frozen=True)
class NormalisedCost:
    """M' = (M - offset) / scale, formed block by block where a solver reads it, so
    that no normalised n x m copy is held: a fresh buffer of that size costs a pass
    and a page fault every 4 KB. The blocks are the numbers ``Units.cost`` gives."""

    M: Array
    offset: float
    scale: float

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.M.shape)

    def rows(self, r: slice) -> Array:
        """Rows ``r`` of M' (not to be written to: they may be M's own)."""
        return self._normalise(self.M[r, :])

    def full(self) -> Array:
        return self._normalise(self.M)

    def scaled_rows(self, r: slice, c: float) -> Array:
        """c times rows ``r`` of M', a fresh array: (M - offset) * (c / scale) in two
        passes, one of them in place (M' then c M' took three and two buffers)."""
        X = self.M[r, :]
        if self.offset == 0.0:
            return X * (c / self.scale)
        X = X - self.offset
        X *= c / self.scale
        return X

    def _normalise(self, X: Array) -> Array:
        if self.offset == 0.0 and self.scale == 1.0:
            return X
        Y = X - self.offset
        Y /= self.scale  # in place: one fresh buffer per block, not two
        return Y


def _excess_entropy(t: float) -> float:
    """t - 1 - log t >= 0; near t = 1 as d - log1p(d), d = t - 1 (no cancellation)."""
    d = t - 1
    return d - math.log1p(d) if abs(d) < 0.5 else d - math.log(t)
