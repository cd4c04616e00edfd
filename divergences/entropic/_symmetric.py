"""OT_eps(a, a): the symmetric Sinkhorn map of Feydy et al. (2019, Sec. 3.1).

At the optimum of a self-transport problem f = g, and the averaged update
f <- (f + softmin_a(f)) / 2 converges in a few iterations where the alternating
one crawls (its plan is nearly diagonal at small eps). The softmin runs on a
dense cost or blockwise on a point cloud.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .._backend import Array, Namespace
from . import _compensated
from ._common import softmin
from ._map import Step

__all__ = ["Softmin", "SymmetricMap", "dense_softmin"]

Softmin = Callable[[Array, float], Array]  # (potential, eps) -> soft c-transform


def dense_softmin(C: Array, w: Array, xp: Namespace, compensated: bool = False) -> Softmin:
    """h -> -eps LSE_j(log w_j + (h_j - C_ij)/eps) on a dense cost; by compensated
    sums (w of mass 1) where eps exceeds the range of C."""
    if compensated:
        return lambda h, eps: _compensated.softmin(h, w, C, eps, xp)
    return lambda h, eps: softmin(h, w, C, eps, 1.0, 1, xp)


@dataclass(frozen=True)
class SymmetricMap:
    """The self-transport problem at one eps as a :class:`~._map.SinkhornMap`,
    on x = f / eps, in the log domain."""

    softmin: Softmin
    w: Array
    eps: float
    f0: Array
    xp: Namespace

    @property
    def bound(self) -> float:
        return float(self.xp.finfo(self.w.dtype).max) ** 0.5

    def step(self, x: Array) -> Step:
        """T(x) = (x + softmin(eps x)/eps) / 2; the marginal of the plan (f, f) is
        w exp(x - softmin(eps x)/eps)."""
        xp = self.xp
        s = self.softmin(self.eps * x, self.eps) / self.eps
        error = xp.sum(self.w * xp.abs(xp.expm1(x - s)))
        return Step(x, x, (x + s) / 2, error)

    def start(self) -> Step:
        return self.step(self.f0 / self.eps)

    def out_of_range(self, s: Step) -> bool:
        return False

    def absorb(self, s: Step) -> tuple["SymmetricMap", Step]:
        return self, s

    def potentials(self, s: Step) -> tuple[Array, Array]:
        f = self.eps * s.x
        return f, f
