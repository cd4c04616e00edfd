"""Sinkhorn on a dense cost in the kernel domain, with absorption.

State: absorbed potentials (f0, g0), the stabilised kernel
K_ij = a_i b_j exp((f0_i + g0_j - M_ij) / eps) and x = log v. One Sinkhorn
iteration is the map

    u = (a_eff / K e^x)^tau,    T(x) = tau (log b_eff - log(u K)),

two matrix-vector products and no exp over the matrix: ten to twenty times
cheaper than a log-domain step. The potentials are f = f0 + eps log u and
g = g0 + eps x, and the plan is diag(u) K diag(e^x). Whenever the scalings leave a
safe range, or eps changes, they are absorbed into (f0, g0) and K is rebuilt from
one exact log-domain half-step, after which every row of K sums to its target
mass, so no row underflows (Schmitzer, arXiv 1610.06519, Sec. 4).

Unbalanced problems (KL marginal penalties of weight rho) change only the exponent
tau = rho / (rho + eps) and the targets a_eff = a exp(-f0 / rho),
b_eff = b exp(-g0 / rho) (Sejourne et al., arXiv 1910.12958, Sec. 3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._backend import Array, Namespace, block_scale, compiled_cpu, device
from .._numerics import exp_inplace, safe_log
from ._blocks import row_blocks
from ._common import tau
from ._map import Step
from ._units import NormalisedCost

__all__ = [
    "DenseMap",
    "Kernel",
    "Problem",
    "needs_absorption",
    "plan",
    "potentials",
    "rebuild",
    "scaling_limit",
    "step",
]

# A Sinkhorn step reads a kernel of more than STEP_BLOCKED_FROM entries (16 MB in
# float64, past the benchmark machine's caches) in row blocks of STEP_BLOCKS x
# BLOCK_ENTRIES: K v and u K in one pass through memory. Measured 0.72x to 0.95x
# the time of a whole solve at n = 2000 (eps' = 1e-2 to 1), no change at n = 1000.
# Only above eps' = STEP_BLOCKED_EPS (so never in an eps-scaling stage, which starts
# at 1e-2): u K summed by blocks rounds differently, and at eps' = 1e-4 the
# conditioning of the potentials (1/eps', and the stages before) turned that into
# 1e-9 of their value at n = 1600.
STEP_BLOCKS, STEP_BLOCKED_FROM, STEP_BLOCKED_EPS = 4, 2**21, 2e-2
# Scalings are absorbed once |log u| or |log v| exceeds this share of log(max float).
_ABSORB_SHARE = 0.25


@dataclass(frozen=True)
class Problem:
    """A validated dense entropic problem (arrays of one namespace, dtype, device)."""

    cost: NormalisedCost
    a: Array
    b: Array
    rho: float | None  # None: balanced
    xp: Namespace

    def tau(self, eps: float) -> float:
        return tau(self.rho, eps)


@dataclass(frozen=True)
class Kernel:
    """Absorbed potentials and the kernel they stabilise, at one eps."""

    f0: Array
    g0: Array
    K: Array
    a_eff: Array
    b_eff: Array
    eps: float
    tau: float
    positive: bool  # a_eff > 0 and b_eff > 0 everywhere: no zero-weight guard needed
    blocked: bool  # steps read K by row blocks


def rebuild(pb: Problem, g: Array, eps: float) -> Kernel:
    """Absorb ``g`` at ``eps``: one exact log-domain f-update, then the kernel.

    S_ij = log b_j + (g_j - M_ij)/eps; f_i = -tau eps LSE_j S_ij; and
    K_ij = a_i b_j exp((f_i + g_j - M_ij)/eps) = a_i exp(f_i/eps + S_ij), built from
    the exponentials of the LSE itself: one exp per entry, over blocks of rows
    (:mod:`._blocks`), so the kernel is the only n x m buffer written; for float64
    NumPy input with numba installed, in two compiled row sweeps around one
    exponential (:mod:`._fused_kernel`).
    """
    xp, tau = pb.xp, pb.tau(eps)
    n, m = pb.cost.shape
    h = g / eps + safe_log(pb.b, xp)
    K = xp.empty((n, m), dtype=pb.a.dtype, device=device(pb.a))
    if _compiled(pb, K, h):
        from ._fused_kernel import rebuild_rows  # imports numba: only where compiled_cpu found it

        f = rebuild_rows(K, pb.cost.M, pb.cost.offset, pb.cost.scale, h, pb.a, eps, tau)
    else:
        f = _rebuild_blocks(K, pb, h, eps, tau)
    a_eff, b_eff = pb.a, pb.b
    if pb.rho is not None:
        a_eff, b_eff = pb.a * xp.exp(-f / pb.rho), pb.b * xp.exp(-g / pb.rho)
    positive = bool(xp.all(a_eff > 0)) and bool(xp.all(b_eff > 0))
    blocked = n * m > STEP_BLOCKED_FROM and eps >= STEP_BLOCKED_EPS
    return Kernel(f, g, K, a_eff, b_eff, eps, tau, positive, blocked)


def _rebuild_blocks(K: Array, pb: Problem, h: Array, eps: float, tau: float) -> Array:
    """:func:`rebuild`'s kernel written into ``K`` over row blocks; returns f."""
    xp = pb.xp
    n, m = pb.cost.shape
    parts = []
    for rows in row_blocks(n, m, block_scale(pb.a)):
        S = pb.cost.scaled_rows(rows, -1.0 / eps)
        S += h[None, :]
        smax = xp.max(S, axis=1)
        S -= smax[:, None]
        E = exp_inplace(S, xp)
        f = -tau * eps * (smax + xp.log(xp.sum(E, axis=1)))
        E *= (pb.a[rows] * xp.exp(f / eps + smax))[:, None]
        K[rows, :] = E
        parts.append(f)
    return parts[0] if len(parts) == 1 else xp.concat(parts)


def _compiled(pb: Problem, K: Array, h: Array) -> bool:
    """Float64 NumPy arrays, numba installed (``_backend.compiled_cpu``), and no NaN
    in h (the compiled row maxima would drop it, where the array path propagates it)."""
    arrays = (K, pb.cost.M, pb.a, h)
    return (all(isinstance(t, np.ndarray) and t.dtype == np.float64 for t in arrays) and compiled_cpu(K)
            and not bool(np.isnan(h).any()))


def step(kn: Kernel, x: Array, pb: Problem) -> Step:
    """The Sinkhorn map at x, with the marginal error of the pair it starts from.

    The row condition holds exactly after the u-update, so the error is the column
    violation |e^x (u K) - b_eff e^(-eps x / rho)|_1 (the balanced case: rho = inf),
    read off the product computed for T(x) anyway.
    """
    xp = pb.xp
    v = xp.exp(x)
    n, m = kn.K.shape
    u_parts, uK = [], None
    blocks = row_blocks(n, m, STEP_BLOCKS * block_scale(x)) if kn.blocked else [slice(0, n)]
    for r in blocks:  # K read once: u K summed as the rows of u are formed
        K = kn.K[r, :]
        u = _ratio(kn.a_eff[r], K @ v, kn.positive, xp)
        if kn.tau != 1.0:
            u = u ** kn.tau
        part = u @ K
        uK = part if uK is None else uK + part
        u_parts.append(u)
    u = u_parts[0] if len(u_parts) == 1 else xp.concat(u_parts)
    target = kn.b_eff if pb.rho is None else kn.b_eff * xp.exp(-kn.eps * x / pb.rho)
    error = xp.sum(xp.abs(v * uK - target))
    return Step(x, u, kn.tau * xp.log(_ratio(kn.b_eff, uK, kn.positive, xp)), error)


def _ratio(w: Array, Kv: Array, positive: bool, xp: Namespace) -> Array:
    """w / Kv, and 1 where w = 0: zero-weight points keep their scaling (their rows
    and columns of K are zero, so the scaling never reaches the plan). ``positive``:
    w > 0 everywhere, and w / Kv is the whole answer."""
    if positive:
        return w / Kv
    positive = w > 0
    return xp.where(positive, w / xp.where(positive, Kv, xp.ones_like(Kv)), xp.ones_like(w))


def scaling_limit(dtype, xp: Namespace) -> float:
    """Largest |log u|, |log v| kept before absorbing them into the potentials."""
    return _ABSORB_SHARE * math.log(xp.finfo(dtype).max)


def needs_absorption(kn: Kernel, s: Step, xp: Namespace) -> bool:
    limit = scaling_limit(kn.K.dtype, xp)
    worst = xp.maximum(xp.max(xp.abs(s.x)), xp.max(xp.abs(xp.log(s.u))))
    return not bool(worst <= limit)  # NaN counts as out of range


def potentials(kn: Kernel, s: Step, pb: Problem) -> tuple[Array, Array]:
    """(f, g) of the step (zero-weight points never reach the iteration)."""
    return kn.f0 + kn.eps * pb.xp.log(s.u), kn.g0 + kn.eps * s.x


def plan(kn: Kernel, s: Step, xp: Namespace, in_place: bool = False) -> Array:
    """P = diag(u) K diag(e^x); ``in_place`` overwrites the kernel (a spent map)."""
    P = kn.K if in_place else kn.K * 1.0
    P *= s.u[:, None]
    P *= xp.exp(s.x)[None, :]
    return P


@dataclass(frozen=True)
class DenseMap:
    """The dense problem at one eps as a :class:`~._map.SinkhornMap`."""

    kn: Kernel
    pb: Problem

    @classmethod
    def at(cls, pb: Problem, g: Array, eps: float) -> "DenseMap":
        return cls(rebuild(pb, g, eps), pb)

    @property
    def eps(self) -> float:
        return self.kn.eps

    @property
    def bound(self) -> float:
        return 1.01 * scaling_limit(self.kn.K.dtype, self.pb.xp)  # exp(x) cannot overflow

    def step(self, x: Array) -> Step:
        return step(self.kn, x, self.pb)

    def start(self) -> Step:
        return self.step(self.pb.xp.zeros_like(self.pb.b))

    def out_of_range(self, s: Step) -> bool:
        return needs_absorption(self.kn, s, self.pb.xp)

    def absorb(self, s: Step) -> tuple["DenseMap", Step]:
        fresh = DenseMap.at(self.pb, self.potentials(s)[1], self.eps)
        return fresh, fresh.start()

    def potentials(self, s: Step) -> tuple[Array, Array]:
        return potentials(self.kn, s, self.pb)
