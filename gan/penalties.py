r"""Gradient penalties on a critic, each a differentiable scalar that trains the critic.

Every penalty takes the critic's input gradient :math:`\nabla_x D(x)` at a batch of
points with ``create_graph=True`` (so the penalty's own gradient reaches the critic's
parameters) and reduces it **per sample**: the norm of sample i is taken over all of
its axes (for images, C x H x W), never over the batch and never over one axis only.
The critic must treat samples independently (no batch norm), as Gulrajani et al.
require.

=================  =============================================================  =====================
function           value                                                          paper
=================  =============================================================  =====================
gradient_penalty   :math:`\lambda\,\mathbb E\,(\|\nabla D(\hat x)\| - 1)^2`       Gulrajani et al. 2017
lipschitz_penalty  :math:`\lambda\,\mathbb E\max(0, \|\nabla D(\hat x)\| - 1)^2`  Petzka et al. 2018
r1                 :math:`\frac\gamma2\,\mathbb E_{real}\|\nabla D(x)\|^2`        Mescheder et al. 2018
r2                 :math:`\frac\gamma2\,\mathbb E_{fake}\|\nabla D(x)\|^2`        Mescheder et al. 2018
wdiv_penalty       :math:`k\,\mathbb E\|\nabla D(u)\|^p`, u given                 Wu et al. 2018
=================  =============================================================  =====================

The interpolates :math:`\hat x_i = \alpha_i x_i + (1 - \alpha_i) \tilde x_i` use one
:math:`\alpha_i \sim U[0, 1]` per sample, pairing real and fake by batch index.
"""

from __future__ import annotations

import torch

from ._checks import Critic, batch, detached, positive, raw_scores, same_shape

__all__ = ["gradient_penalty", "interpolates", "lipschitz_penalty", "norms_from_squares", "r1", "r2", "squared_grad_norms",
           "wdiv_penalty"]


# ------------------------------------------------------------------ gradients


def squared_grad_norms(critic: Critic, x: torch.Tensor, name: str = "x") -> torch.Tensor:
    r"""Per-sample :math:`\|\nabla_x D(x_i)\|_2^2` (shape (N,)), summed over all non-batch
    axes, with ``create_graph=True``. ``x`` is detached first: the penalty trains the
    critic, never what produced ``x``."""
    x = batch(x, name).detach()  # a new alias: never the caller's tensor
    return _owned_squared_grad_norms(critic, x, name)


def _owned_squared_grad_norms(critic: Critic, x: torch.Tensor, name: str) -> torch.Tensor:
    """:func:`squared_grad_norms` at points made here, free to take ``requires_grad``.
    The scores are summed unpoisoned: only their gradient enters a penalty, and the
    poison of :func:`gan._checks.scores` adds nothing to a gradient."""
    out = raw_scores(critic, x.requires_grad_(True), name)
    (g,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return (g if g.ndim == 2 else g.reshape(g.shape[0], -1)).pow(2).sum(dim=1)


def interpolates(
    real: torch.Tensor,
    fake: torch.Tensor,
    alpha: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r""":math:`\hat x_i = \alpha_i x_i + (1 - \alpha_i)\tilde x_i`, one :math:`\alpha_i \sim U[0,1]`
    per sample (or the given ``alpha`` of shape (N,)), both inputs detached."""
    real, fake = batch(real, "real"), batch(fake, "fake")
    same_shape(real, fake)
    n = real.shape[0]
    if alpha is None:
        alpha = torch.rand(n, generator=generator, dtype=real.dtype, device=real.device)
    elif not isinstance(alpha, torch.Tensor) or tuple(alpha.shape) != (n,):
        raise ValueError(f"alpha must be a tensor of shape ({n},), one weight per sample")
    a = detached(alpha)
    a = a if a.dtype == real.dtype else a.to(real.dtype)
    shape = (n,) + (1,) * (real.ndim - 1)
    a = a.view(shape) if a.is_contiguous() else a.reshape(shape)  # view: one operation, reshape two
    return a * detached(real) + (1 - a) * detached(fake)


def norms_from_squares(sq: torch.Tensor) -> torch.Tensor:
    r"""The norms :math:`\sqrt{\|g\|^2 + \tau}` from squared norms, :math:`\tau` the
    smallest normal float (``finfo.tiny``): within :math:`\sqrt\tau` (1e-19 in
    float32) of :math:`\|g\|`, and equal to it in floating point once
    :math:`\|g\|^2 > 2^{p}\tau` (p the mantissa bits). Smooth in g, so every
    derivative is finite: the gradient :math:`g / \sqrt{\|g\|^2 + \tau}` is 0, not
    NaN, at a zero gradient of the critic (dead ReLUs), at first and second order
    (``vector_norm``'s second derivative is NaN there; a clamp costs three kernels more
    a step). The norms of WGAN-GP's and WGAN-LP's penalties (Gulrajani et al. 2017,
    Petzka et al. 2018).

    >>> import torch
    >>> norms_from_squares(torch.tensor([4.0, 0.0]))
    tensor([2.0000e+00, 1.0842e-19])
    """
    return (sq + torch.finfo(sq.dtype).tiny).sqrt()


def _interpolate_norms(critic: Critic, real: torch.Tensor, fake: torch.Tensor,
                       alpha: torch.Tensor | None, generator: torch.Generator | None) -> torch.Tensor:
    """Per-sample gradient norms of the critic at the interpolates of real and fake
    (the sample of WGAN-GP and WGAN-LP)."""
    x = interpolates(real, fake, alpha, generator)
    return norms_from_squares(_owned_squared_grad_norms(critic, x, "the interpolates"))


# ---------------------------------------------------------------------- penalties


def gradient_penalty(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    lam: float = 10.0,
    target: float = 1.0,
    alpha: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""The two-sided WGAN-GP penalty :math:`\lambda\,\mathbb E\,(\|\nabla D(\hat x)\|_2 - t)^2`.

    On interpolates :math:`\hat x_i = \alpha_i x_i + (1 - \alpha_i)\tilde x_i` with one
    :math:`\alpha_i \sim U[0, 1]` per sample; the norm is per sample over all of its
    axes (Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017,
    arXiv 1704.00028, Algorithm 1: lambda = 10, target t = 1).

    Parameters
    ----------
    critic : callable
        Maps a batch (N, ...) to scores (N,) or (N, 1).
    real, fake : tensors (N, ...)
        Paired by batch index, same shape; both are detached.
    lam : float
        Weight, >= 0 (default 10).
    target : float
        The target norm t, >= 0 (default 1).
    alpha : tensor (N,), optional
        The interpolation weights; drawn uniformly (from ``generator``) when omitted.
    generator : torch.Generator, optional
        Source of the random ``alpha``.

    Returns
    -------
    tensor ()
        The penalty; its gradient (``create_graph=True``) reaches the critic's parameters.

    Examples
    --------
    A linear critic w.x has gradient w everywhere, so the penalty is ``lam (|w| - 1)^2``:

    >>> import torch
    >>> w = torch.tensor([3.0, 4.0])
    >>> float(gradient_penalty(lambda x: x @ w, torch.zeros(5, 2), torch.ones(5, 2)))
    160.0
    """
    lam = positive(lam, "lam", allow_zero=True)
    target = positive(target, "target", allow_zero=True)
    norms = _interpolate_norms(critic, real, fake, alpha, generator)
    return lam * ((norms - target) ** 2).mean()


def lipschitz_penalty(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    lam: float = 10.0,
    target: float = 1.0,
    alpha: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""The one-sided WGAN-LP penalty :math:`\lambda\,\mathbb E\,\max(0, \|\nabla D(\hat x)\|_2 - t)^2`.

    Like :func:`gradient_penalty` (same interpolates, per-sample norms) but only norms
    above the target are penalised: the Lipschitz constraint itself, not unit gradient
    norm (Petzka, Fischer and Lukovnikov, "On the regularization of Wasserstein GANs",
    ICLR 2018, arXiv 1709.08894).

    Parameters
    ----------
    critic, real, fake, lam, target, alpha, generator
        As in :func:`gradient_penalty`.

    Returns
    -------
    tensor ()

    Examples
    --------
    >>> import torch
    >>> w = torch.tensor([0.3, 0.4])  # |w| = 0.5 < 1: no penalty
    >>> float(lipschitz_penalty(lambda x: x @ w, torch.zeros(4, 2), torch.ones(4, 2)))
    0.0
    """
    lam = positive(lam, "lam", allow_zero=True)
    target = positive(target, "target", allow_zero=True)
    norms = _interpolate_norms(critic, real, fake, alpha, generator)
    return lam * (torch.relu(norms - target) ** 2).mean()


def r1(critic: Critic, real: torch.Tensor, *, gamma: float = 10.0) -> torch.Tensor:
    r"""The zero-centred R1 penalty :math:`\frac\gamma2\,\mathbb E_{P}\|\nabla D(x)\|_2^2` on real data.

    Mescheder, Geiger and Nowozin, "Which Training Methods for GANs do actually
    Converge?", ICML 2018 (arXiv 1801.04406), eq. (9); per-sample squared norms.

    Parameters
    ----------
    critic : callable
        Maps a batch (N, ...) to scores (N,) or (N, 1).
    real : tensor (N, ...)
        Detached before the gradient is taken.
    gamma : float
        Weight, >= 0 (default 10).

    Returns
    -------
    tensor ()

    Examples
    --------
    >>> import torch
    >>> float(r1(lambda x: (x ** 2).sum(dim=1) / 2, torch.tensor([[1.0, 2.0], [0.0, 3.0]]), gamma=2.0).detach())
    7.0
    """
    gamma = positive(gamma, "gamma", allow_zero=True)
    return gamma / 2 * squared_grad_norms(critic, real, "real").mean()


def r2(critic: Critic, fake: torch.Tensor, *, gamma: float = 10.0) -> torch.Tensor:
    r"""The zero-centred R2 penalty :math:`\frac\gamma2\,\mathbb E_{Q}\|\nabla D(\tilde x)\|_2^2` on fake data.

    Mescheder, Geiger and Nowozin, ICML 2018 (arXiv 1801.04406), eq. (10); ``fake`` is
    detached (the penalty trains the critic only).

    Parameters
    ----------
    critic : callable
    fake : tensor (N, ...)
    gamma : float
        Weight, >= 0 (default 10).

    Returns
    -------
    tensor ()

    Examples
    --------
    >>> import torch
    >>> float(r2(lambda x: x.sum(dim=1), torch.zeros(3, 4), gamma=1.0))  # |grad|^2 = 4
    2.0
    """
    gamma = positive(gamma, "gamma", allow_zero=True)
    return gamma / 2 * squared_grad_norms(critic, fake, "fake").mean()


def wdiv_penalty(critic: Critic, x: torch.Tensor, *, k: float = 2.0, p: float = 6.0) -> torch.Tensor:
    r"""The WGAN-div penalty :math:`k\,\mathbb E_u \|\nabla D(u)\|_2^p` on the given sample ``x``.

    The power is computed as :math:`(\sum g^2)^{p/2}` on the squared per-sample norm,
    never through a square root (exact, and a finite gradient at g = 0). No target
    norm (Wu et al., "Wasserstein Divergence for GANs", ECCV 2018, arXiv 1712.01026:
    k = 2, p = 6). Which points ``x`` to use (real, fake, both, interpolates) is the
    caller's choice; see ``gan.loss("wgan-div", sample=...)``.

    Parameters
    ----------
    critic : callable
    x : tensor (N, ...)
        The penalty sample u, detached first.
    k : float
        Weight, > 0 (default 2).
    p : float
        Power, > 1 (default 6).

    Returns
    -------
    tensor ()

    Examples
    --------
    >>> import torch
    >>> float(wdiv_penalty(lambda x: 2 * x.sum(dim=1), torch.zeros(3, 1)))  # 2 * 2^6
    128.0
    """
    k = positive(k, "k")
    p = positive(p, "p")
    if p <= 1:
        raise ValueError(f"p must be > 1 (the Wasserstein divergence needs p > 1), got {p!r}")
    return k * squared_grad_norms(critic, x, "the penalty sample").pow(p / 2).mean()
