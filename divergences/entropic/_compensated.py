"""Sinkhorn at eps above the cost's range, in the log domain with compensated sums.

Once eps exceeds the range of M, every exp((g_j - M_ij)/eps) lies within a factor e
of the others, and as eps grows they all tend to 1: the plain log-sum-exp then
returns the mean exponent only to one ulp of 1, which the factor eps turns into an
error of eps * 1e-16 on the potentials (the whole value at eps = 1e16 x range, and
``OT_eps(a, b) - OT_eps(a, a)`` cancels to noise long before). Centring each row at
its weighted mean exponent c_i and summing expm1 keeps every digit:

    f_i = -eps (c_i + log1p(sum_j b_j expm1(z_ij - c_i))),   z_ij = (g_j - M_ij)/eps,

with -eps c_i = sum_j b_j (M_ij - g_j) a matrix-vector product and |z - c| <= 3
(costs normalised to [0, 1], eps >= 1, masses 1). As eps -> inf this tends to the
expansion OT_eps = <a, M b> - |M~|^2_{ab} / (2 eps) + O(eps^-2), M~ the doubly
centred cost, so the Sinkhorn divergence tends to half the MMD of the kernel -M
(Feydy et al. 2019, arXiv 1810.08278, Sec. 2), the energy distance for p = 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._backend import Array, Namespace
from ._map import Step

__all__ = ["CompensatedMap", "excess", "plan", "softmin"]


def softmin(h: Array, w: Array, M: Array, eps: float, xp: Namespace) -> Array:
    """-eps log sum_j w_j exp((h_j - M_ij)/eps) for every row i, w of mass 1."""
    mean = M @ w - xp.sum(w * h)  # -eps c_i
    spread = (h[None, :] - M + mean[:, None]) / eps
    return mean - eps * xp.log1p(xp.expm1(spread) @ w)


def excess(f: Array, g: Array, M: Array, a: Array, b: Array, eps: float, xp: Namespace) -> Array:
    """sum_ij a_i b_j expm1((f_i + g_j - M_ij)/eps): the plan's mass minus |a||b|,
    without the cancellation of forming both."""
    return a @ xp.expm1((f[:, None] + g[None, :] - M) / eps) @ b


def plan(f: Array, g: Array, M: Array, a: Array, b: Array, eps: float, xp: Namespace) -> Array:
    return a[:, None] * b[None, :] * xp.exp((f[:, None] + g[None, :] - M) / eps)


@dataclass(frozen=True)
class CompensatedMap:
    """A balanced dense problem (masses 1, M in [0, 1]) at eps >= 1 as a
    :class:`~._map.SinkhornMap` on x = g itself (g / eps would fall towards 0)."""

    M: Array
    a: Array
    b: Array
    eps: float
    g0: Array
    xp: Namespace

    @property
    def bound(self) -> float:
        return float(self.xp.finfo(self.M.dtype).max) ** 0.5

    def step(self, x: Array) -> Step:
        """f from g = x, then g' from f; the column marginal of the plan (f, x) is
        b exp((x - g')/eps), whose violation is read off expm1."""
        xp, M = self.xp, self.M
        f = softmin(x, self.b, M, self.eps, xp)
        g_new = softmin(f, self.a, xp.matrix_transpose(M), self.eps, xp)
        error = xp.sum(self.b * xp.abs(xp.expm1((x - g_new) / self.eps)))
        return Step(x, f, g_new, error)

    def start(self) -> Step:
        return self.step(self.g0)

    def out_of_range(self, s: Step) -> bool:
        return False

    def absorb(self, s: Step) -> tuple["CompensatedMap", Step]:
        return self, s

    def potentials(self, s: Step) -> tuple[Array, Array]:
        return s.u, s.x
