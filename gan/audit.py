r"""Audit a trained critic against the exact transport: how far is it from the true dual?

:func:`critic_gap` evaluates a critic on a real and a fake batch and compares its
Kantorovich-Rubinstein value with the exact :math:`W_1` of the two batches
(``divergences.solve``), scaled by its empirical Lipschitz constant on those points.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

import divergences

from ._checks import Critic, batch, scores

__all__ = ["CriticGap", "critic_gap"]

_TINY = 1e-300


@dataclass(frozen=True)
class CriticGap:
    r"""The result of :func:`critic_gap` (Python floats).

    Attributes
    ----------
    kr : float
        :math:`\mathbb E_{\rm real} f - \mathbb E_{\rm fake} f`, the critic's
        Kantorovich-Rubinstein value.
    w1 : float
        The exact :math:`W_1` between the two batches (Euclidean cost on flattened samples).
    lipschitz : float
        The critic's empirical Lipschitz constant on the union of both batches.
    gap : float
        ``w1 - kr / max(lipschitz, tiny)``, >= 0 up to round-off.
    """

    kr: float
    w1: float
    lipschitz: float
    gap: float


@torch.no_grad()
def critic_gap(critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> CriticGap:
    r"""How far a critic is from the optimal Kantorovich potential of two batches.

    With :math:`f` the critic, :math:`x_1..x_n` the real and :math:`y_1..y_m` the
    fake samples (flattened, uniform weights) and :math:`L` the empirical Lipschitz
    constant :math:`\max_{u \ne v} |f(u) - f(v)| / \|u - v\|_2` over the union of
    both batches:

    .. math::

        \mathrm{kr} = \tfrac1n \sum_i f(x_i) - \tfrac1m \sum_j f(y_j), \qquad
        \mathrm{gap} = W_1 - \mathrm{kr} / L \;\ge\; 0 .

    Why the gap is nonnegative for **any** critic: by Kantorovich-Rubinstein duality,
    :math:`W_1(\mu, \nu) = \sup \{\mathbb E_\mu g - \mathbb E_\nu g : g\ 1\text{-Lipschitz}\}`
    and only the values of :math:`g` on the finite support matter (the dual LP's
    constraints are :math:`g(u) - g(v) \le \|u - v\|` for support points u, v). On
    the union of the batches :math:`f / L` satisfies exactly these constraints, so it
    is dual feasible and :math:`\mathrm{kr}/L \le W_1`: no global Lipschitz bound is
    needed, the empirical one suffices. The gap is 0 exactly when :math:`f/L` is an
    optimal potential, so it measures how far a trained WGAN critic is from the
    true dual (a critic that is too flat, or not Lipschitz where the data are, shows
    up as a large gap). The sign follows ``gan.loss("wgan")``: the critic should
    score real samples higher (``kr > 0``).

    Parameters
    ----------
    critic : callable
        Maps a batch (N, ...) to scores (N,) or (N, 1); called under ``torch.no_grad``.
    real, fake : tensors (n, ...), (m, ...)
        The two batches, with the same sample shape (batch sizes may differ).

    Returns
    -------
    CriticGap
        ``kr``, ``w1``, ``lipschitz``, ``gap``.

    Notes
    -----
    Cost: the exact transport on an (n, m) cost matrix (network simplex) and
    O((n + m)^2 d) for the Lipschitz constant: meant for audit batches of a few
    thousand samples. References: Villani 2009, Thm. 5.10 and Particular Case 5.16;
    Arjovsky et al. 2017 (arXiv 1701.07875).

    Examples
    --------
    The critic f(x) = x on two point masses 0 and 3 is an optimal potential:

    >>> import torch, gan
    >>> out = gan.audit.critic_gap(lambda x: x[:, 0], torch.full((2, 1), 3.0), torch.zeros(3, 1))
    >>> out.kr, out.w1, out.lipschitz, out.gap
    (3.0, 3.0, 1.0, 0.0)
    """
    real, fake = batch(real, "real"), batch(fake, "fake")
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(
            f"real and fake must have the same sample shape, got {tuple(real.shape[1:])} and {tuple(fake.shape[1:])}"
        )
    fr, ff = scores(critic, real, "real"), scores(critic, fake, "fake")
    if not (torch.isfinite(fr).all() and torch.isfinite(ff).all()):
        raise ValueError("the critic returned NaN or inf scores")
    x, y = real.reshape(real.shape[0], -1), fake.reshape(fake.shape[0], -1)
    dtype = torch.promote_types(torch.promote_types(fr.dtype, ff.dtype), x.dtype)
    fr, ff, x, y = fr.to(dtype), ff.to(dtype), x.to(dtype), y.to(dtype)
    kr = float(divergences.kantorovich_rubinstein(fr, ff))
    # Euclidean cost from differences (no |x|^2 + |y|^2 - 2 x.y cancellation); divergences
    # keeps its own blockwise one private (transport/_cost.py)
    M = torch.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(dim=-1))
    w1 = float(divergences.solve(M, on_fail="raise").value)
    lip = float(divergences.lipschitz_constant(torch.cat([fr, ff]), torch.cat([x, y])))
    return CriticGap(kr=kr, w1=w1, lipschitz=lip, gap=w1 - kr / max(lip, _TINY))
