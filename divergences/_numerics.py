"""Numerically careful elementwise functions: logs, log-sum-exp, roots and powers,
and the overflow-safe pieces the f-divergence conjugates are built from. Every one
returns +-inf (never NaN, never a warning) where the exact value overflows, and keeps
PyTorch gradients finite inside masked branches."""

from __future__ import annotations

import math

from ._backend import Array, Namespace, constant, is_torch

__all__ = [
    "LOG2", "abs_pow", "div_or_inf", "exp_or_inf", "expm1_or_inf", "inv_or_inf", "log1mexp", "log_lambertw_exp",
    "log_ratio_1p", "logsumexp", "masked", "pow_or_inf", "root", "safe_log", "softplus", "xlogx_minus",
]

LOG2 = math.log(2.0)


def logsumexp(x: Array, axis: int, xp: Namespace) -> Array:
    """log sum exp along ``axis``, stable; rows of -inf give -inf (not NaN)."""
    if is_torch(xp):
        return xp.logsumexp(x, dim=axis)  # fused kernel
    m = xp.max(x, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    return xp.squeeze(m, axis=axis) + xp.log(xp.sum(xp.exp(x - m), axis=axis))


def safe_log(w: Array, xp: Namespace) -> Array:
    """log w with log 0 = -inf, without a divide-by-zero warning."""
    positive = w > 0
    return xp.where(positive, xp.log(xp.where(positive, w, xp.ones_like(w))), -xp.inf)


def abs_pow(d: Array, p: float) -> Array:
    """|d|^p, with the cheap products for p = 1 and p = 2."""
    if p == 1:
        return abs(d)
    if p == 2:
        return d * d
    return abs(d) ** p


def root(s: Array, p: float, xp: Namespace) -> Array:
    """s^(1/p), with gradient 0 (not NaN) where s = 0."""
    if p == 1:
        return s
    positive = s > 0
    return xp.where(positive, xp.where(positive, s, 1.0) ** (1.0 / p), 0.0)


def masked(x: Array, mask: Array, xp: Namespace) -> Array:
    """``x`` where ``mask``, 1 elsewhere: a safe argument for log, sqrt and division
    inside a masked branch (no warning, and no NaN gradient leaking out of it)."""
    return xp.where(mask, x, xp.ones_like(x))


def exp_or_inf(x: Array, xp: Namespace) -> Array:
    """exp x, +inf where it overflows (or comes within 1% of the largest float),
    without an overflow warning."""
    top = math.log(float(xp.finfo(x.dtype).max)) - 0.01
    return xp.where(x > top, xp.inf, xp.exp(xp.clip(x, None, top)))


def expm1_or_inf(x: Array, xp: Namespace) -> Array:
    """e^x - 1, exact near 0 (expm1) and +inf where it overflows, without a warning."""
    return xp.where(x > 1, exp_or_inf(x, xp) - 1, xp.expm1(xp.clip(x, None, 1.0)))


def inv_or_inf(u: Array, xp: Namespace) -> Array:
    """1/u for u >= 0, +inf where it overflows (u = 0 or subnormal), without a warning."""
    ok = u > 1 / float(xp.finfo(u.dtype).max)
    return xp.where(ok, 1 / masked(u, ok, xp), xp.inf)


def div_or_inf(a: Array, b: Array, xp: Namespace) -> Array:
    """a/b for b > 0, +-inf where it overflows, without a warning."""
    over = abs(a) * (1 / float(xp.finfo(a.dtype).max)) > b
    inf = xp.full_like(a, xp.inf)
    return xp.where(over, xp.where(a < 0, -inf, inf), a / xp.where(over, xp.ones_like(b), b))


def pow_or_inf(u: Array, e: float, xp: Namespace) -> Array:
    """u^e for u >= 0 (0^e = 0 for e > 0, inf for e < 0), inf where it overflows; no warnings."""
    pos = u > 0
    val = exp_or_inf(e * xp.log(masked(u, pos, xp)), xp)
    return xp.where(pos, val, xp.zeros_like(u) if e > 0 else xp.full_like(u, xp.inf))


def softplus(x: Array, xp: Namespace) -> Array:
    """log(1 + e^x), stable."""
    return xp.logaddexp(xp.zeros_like(x), x)


def log1mexp(x: Array, xp: Namespace) -> Array:
    """log(1 - e^x) for x < 0, accurate at both ends (Maechler 2012); -inf at x = 0."""
    near = x > -LOG2
    xn = xp.where(near, x, -xp.ones_like(x))
    xf = xp.where(near, -xp.ones_like(x), x)
    return xp.where(near, safe_log(-xp.expm1(xn), xp), xp.log1p(-xp.exp(xf)))


def log_ratio_1p(u: Array, xp: Namespace) -> Array:
    """log(u / (1 + u)) for u in [0, inf]: -inf at 0, 0 at inf, no cancellation."""
    big = u > 1
    ub = masked(u, big, xp)
    small = xp.where(big, xp.ones_like(u), u)
    return xp.where(big, -xp.log1p(1 / ub), safe_log(small, xp) - xp.log1p(small))


def xlogx_minus(u: Array, xp: Namespace) -> Array:
    """g(u) = u log u - (u + 1) log(u + 1) on [0, inf); above 1 as
    -(u log(1 + 1/u) + log(1 + u)) (no cancellation at large u); g(0) = 0."""
    big = u > 1
    ub = masked(u, big, xp)
    small = xp.where(big, xp.zeros_like(u), u)
    pos = small > 0
    xlogx = xp.where(pos, small * xp.log(masked(small, pos, xp)), xp.zeros_like(u))
    return xp.where(big, -(ub * xp.log1p(1 / ub) + xp.log1p(ub)), xlogx - (small + 1) * xp.log1p(small))


def log_lambertw_exp(s: Array, xp: Namespace, steps: int = 6) -> Array:
    """log W(e^s), W the principal branch of Lambert W, for real s (any size, no overflow).

    Solves y + e^y = s for y = log W by Newton's method (the function is convex and
    increasing, so Newton converges from any start after one step) on constant
    inputs, then takes one more step on the graph: its derivative is the implicit
    one, dy/ds = 1 / (1 + e^y).
    """
    s0 = constant(s, xp)
    big = s0 > 1
    sb = xp.where(big, s0, 2 * xp.ones_like(s0))
    y = xp.where(big, xp.log(sb - xp.log(sb)), s0 - xp.exp(xp.clip(s0, None, 1.0)))
    for _ in range(steps):
        e = xp.exp(y)
        y = y - (e + y - s0) / (e + 1)
    e = xp.exp(y)
    y = y - (e + y - s) / (e + 1)
    return y  # log W(e^s)
