r"""Training steps for a generator and a critic, and the classic stabilising helpers.

Two ways to take one step of a GAN built from a :class:`gan.Loss`:

- :func:`alternating_step`: ``n_critic`` critic updates on
  :math:`L_D(x, \mathrm{sg}(G(z)))`, then one generator update on :math:`L_G(G(z))`,
  each with its own optimiser (WGAN's Algorithm 1; two time-scale update rule, TTUR,
  Heusel et al. 2017, arXiv 1706.08500, by giving the two optimisers different
  learning rates).
- :func:`single_loss_step`: one scalar
  :math:`L = L_D(x, \mathrm{sg}(G(z))) + L_G(G(z))` in which :math:`L_G` sees the
  critic's parameters through a stop-gradient, so one backward pass gives each
  network exactly its own gradient (the alternating step's gradients at
  ``n_critic=1``, tested), and both optimisers step together.

Helpers (Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016,
arXiv 1606.03498; Sonderby et al. 2016, arXiv 1610.04490; Miyato et al. 2018,
arXiv 1802.05957): :func:`smooth_labels`, :func:`instance_noise`,
:class:`HistoricalAverage`, :func:`spectral_norm`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Union

import torch
from torch.func import functional_call

from .diversity import OGANLoss
from .losses import Loss
from .penalties import _positive

__all__ = [
    "HistoricalAverage",
    "StepLosses",
    "alternating_step",
    "instance_noise",
    "single_loss",
    "single_loss_step",
    "smooth_labels",
    "spectral_norm",
]

Batch = Union[torch.Tensor, Callable[[], torch.Tensor]]


@dataclass(frozen=True)
class StepLosses:
    """The losses of one training step, detached (no host synchronisation):
    ``critic`` (the last critic loss) and ``generator`` (the generator loss)."""

    critic: torch.Tensor
    generator: torch.Tensor


def _draw(batch: Batch, name: str) -> torch.Tensor:
    """A batch: the tensor itself, or a fresh one from a callable."""
    x = batch() if callable(batch) and not isinstance(batch, torch.Tensor) else batch
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or a callable returning one, got {type(x).__name__}")
    return x


def _check(generator: object, critic: object, loss: object, n_critic: object = 1) -> int:
    for obj, name in ((generator, "generator"), (critic, "critic")):
        if not isinstance(obj, torch.nn.Module):
            raise TypeError(f"{name} must be a torch.nn.Module, got {type(obj).__name__}")
    if not isinstance(loss, (Loss, OGANLoss)):
        raise TypeError(
            "loss must be a gan.Loss (from gan.loss(name)) or an O-GAN loss (from "
            f"gan.diversity.ogan_loss), got {type(loss).__name__}"
        )
    if isinstance(n_critic, bool) or not isinstance(n_critic, int) or n_critic < 1:
        raise ValueError(f"n_critic must be an integer >= 1, got {n_critic!r}")
    return n_critic


def _latent(loss: Loss | OGANLoss, z: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The extra arguments of ``loss.critic`` and ``loss.generator``: the latent batch
    for O-GAN (its correlation between z and the code of G(z)), none otherwise."""
    return (z,) if isinstance(loss, OGANLoss) else ()


def alternating_step(
    generator: torch.nn.Module,
    critic: torch.nn.Module,
    loss: Loss,
    real: Batch,
    z: Batch,
    g_opt: torch.optim.Optimizer,
    c_opt: torch.optim.Optimizer,
    *,
    n_critic: int = 1,
) -> StepLosses:
    r"""One alternating GAN step: ``n_critic`` critic updates, then one generator update.

    Each critic update minimises ``loss.critic(critic, x, G(z))`` (fakes made without
    a graph through G) and steps ``c_opt``; the generator update minimises
    ``loss.generator(critic, x, G(z))`` and steps ``g_opt``, its backward pass
    restricted to the generator's parameters (the critic's ``.grad`` is left as its
    last update set it). Arjovsky et al. 2017 (arXiv 1701.07875), Algorithm 1, use
    ``n_critic=5``; TTUR (Heusel et al. 2017, arXiv 1706.08500) is one critic step
    with a larger critic learning rate, e.g. ``Adam(critic, 4e-4)`` and
    ``Adam(generator, 1e-4)``.

    Parameters
    ----------
    generator, critic : torch.nn.Module
        ``generator(z)`` gives a fake batch; ``critic(x)`` scores of shape (N,) or (N, 1).
    loss : gan.Loss or gan.diversity.OGANLoss
        From ``gan.loss(name)``, or ``gan.diversity.ogan_loss(...)``: then ``critic``
        outputs a code of shape (N, d) and both losses also receive the latent batch
        that made the fakes.
    real, z : tensor or callable
        The real batch and the latent batch; a callable ``() -> tensor`` is called
        afresh for each critic update and for the generator update (new batches,
        as in Algorithm 1), a tensor is reused.
    g_opt, c_opt : torch.optim.Optimizer
        Over the generator's and the critic's parameters.
    n_critic : int
        Critic updates per generator update (>= 1).

    Returns
    -------
    StepLosses
        The last critic loss and the generator loss, detached.

    Examples
    --------
    >>> import torch, gan
    >>> _ = torch.manual_seed(0)
    >>> G, D = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    >>> g_opt = torch.optim.SGD(G.parameters(), lr=1e-2)
    >>> c_opt = torch.optim.SGD(D.parameters(), lr=4e-2)  # TTUR: a faster critic
    >>> out = gan.train.alternating_step(G, D, gan.loss("wgan"), torch.randn(8, 2),
    ...                                  lambda: torch.randn(8, 2), g_opt, c_opt, n_critic=5)
    >>> out.critic.shape, out.generator.requires_grad
    (torch.Size([]), False)
    """
    n_critic = _check(generator, critic, loss, n_critic)
    c_loss = None
    for _ in range(n_critic):
        x, latent = _draw(real, "real"), _draw(z, "z")
        with torch.no_grad():
            fake = generator(latent)
        c_opt.zero_grad(set_to_none=True)
        c_loss = loss.critic(critic, x, fake, *_latent(loss, latent))
        c_loss.backward()
        c_opt.step()
    g_opt.zero_grad(set_to_none=True)
    x, latent = _draw(real, "real"), _draw(z, "z")
    g_loss = loss.generator(critic, x, generator(latent), *_latent(loss, latent))
    g_loss.backward(inputs=[p for p in generator.parameters() if p.requires_grad])
    g_opt.step()
    return StepLosses(c_loss.detach(), g_loss.detach())


def _stopped(critic: torch.nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """The critic with its parameters seen through a stop-gradient (buffers as they are)."""
    params = {name: p.detach() for name, p in critic.named_parameters()}
    return lambda x: functional_call(critic, params, (x,))


def single_loss(
    generator: torch.nn.Module,
    critic: torch.nn.Module,
    loss: Loss,
    real: torch.Tensor,
    z: torch.Tensor,
) -> tuple[torch.Tensor, StepLosses]:
    r"""The single GAN objective :math:`L = L_D(x, \mathrm{sg}(G(z))) + L_G^{\mathrm{sg}(\theta_D)}(G(z))`.

    ``L_D = loss.critic(critic, real, fake)`` sees ``fake`` detached, so its gradient
    reaches the critic only; ``L_G = loss.generator(critic_sg, real, fake)`` calls the
    critic through ``torch.func.functional_call`` with its parameters detached, so its
    gradient reaches the generator only. Hence :math:`\nabla_{\theta_D} L = \nabla_{\theta_D} L_D`
    and :math:`\nabla_{\theta_G} L = \nabla_{\theta_G} L_G`: one ``L.backward()`` gives each
    network exactly the gradient of its own loss, with one generator forward pass.

    Parameters
    ----------
    generator, critic : torch.nn.Module
    loss : gan.Loss or gan.diversity.OGANLoss
        As in :func:`alternating_step`.
    real, z : tensor
        The real and the latent batch.

    Returns
    -------
    (tensor, StepLosses)
        ``L`` (differentiable) and its two parts, detached.

    Examples
    --------
    >>> import torch, gan
    >>> G, D = torch.nn.Linear(1, 1), torch.nn.Linear(1, 1)
    >>> L, parts = gan.train.single_loss(G, D, gan.loss("wgan"), torch.ones(4, 1), torch.zeros(4, 1))
    >>> L.backward()
    >>> bool(torch.allclose(L.detach(), parts.critic + parts.generator))
    True
    """
    _check(generator, critic, loss)
    fake = generator(z)
    c_loss = loss.critic(critic, real, fake, *_latent(loss, z))  # detaches fake
    g_loss = loss.generator(_stopped(critic), real, fake, *_latent(loss, z))
    return c_loss + g_loss, StepLosses(c_loss.detach(), g_loss.detach())


def single_loss_step(
    generator: torch.nn.Module,
    critic: torch.nn.Module,
    loss: Loss,
    real: torch.Tensor,
    z: torch.Tensor,
    g_opt: torch.optim.Optimizer,
    c_opt: torch.optim.Optimizer,
) -> StepLosses:
    r"""One simultaneous GAN step from one backward pass of :func:`single_loss`.

    Both optimisers are zeroed, ``L.backward()`` runs once, and both step (once if
    ``g_opt is c_opt``, one optimiser holding both networks). The gradients equal
    those of :func:`alternating_step` with ``n_critic=1`` taken at the same
    parameters; the difference is that the generator's gradient uses the critic
    before its update (simultaneous, not alternating, updates). TTUR works as in
    :func:`alternating_step`, through the two learning rates.

    Parameters
    ----------
    generator, critic, loss, real, z
        As in :func:`single_loss`.
    g_opt, c_opt : torch.optim.Optimizer
        Over the generator's and the critic's parameters (may be the same object).

    Returns
    -------
    StepLosses

    Examples
    --------
    >>> import torch, gan
    >>> G, D = torch.nn.Linear(1, 1), torch.nn.Linear(1, 1)
    >>> opt = torch.optim.SGD([*G.parameters(), *D.parameters()], lr=0.1)
    >>> out = gan.train.single_loss_step(G, D, gan.loss("hinge"), torch.ones(4, 1), torch.zeros(4, 1), opt, opt)
    >>> out.generator.requires_grad
    False
    """
    L, parts = single_loss(generator, critic, loss, _draw(real, "real"), _draw(z, "z"))
    opts = (g_opt,) if g_opt is c_opt else (g_opt, c_opt)
    for opt in opts:
        opt.zero_grad(set_to_none=True)
    L.backward()
    for opt in opts:
        opt.step()
    return parts


# -------------------------------------------------------------------- helpers


def smooth_labels(labels: torch.Tensor, smoothing: float = 0.1) -> torch.Tensor:
    r"""One-sided label smoothing: positive targets 1 become :math:`1 - s`, negatives stay 0.

    Salimans et al. 2016 (arXiv 1606.03498, Sec. 3.4) smooth only the real (positive)
    labels: smoothing the fake ones too would reward the generator for staying where
    it is. Use the result as the target of
    ``torch.nn.functional.binary_cross_entropy_with_logits`` in the critic loss.

    Parameters
    ----------
    labels : tensor
        Targets in [0, 1] (1 for real, 0 for fake).
    smoothing : float
        s in [0, 1) (default 0.1, targets 0.9).

    Returns
    -------
    tensor
        ``labels * (1 - s)``: the same shape, dtype and device.

    Examples
    --------
    >>> import torch
    >>> smooth_labels(torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64), 0.1).tolist()
    [0.9, 0.0, 0.9]
    """
    if not isinstance(labels, torch.Tensor) or not labels.is_floating_point():
        raise TypeError("labels must be a floating-point torch.Tensor")
    s = _positive(smoothing, "smoothing", allow_zero=True)
    if s >= 1:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing!r}")
    return labels * (1 - s)


def instance_noise(x: torch.Tensor, sigma: float, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Instance noise: :math:`x + \sigma\,\varepsilon`, :math:`\varepsilon \sim N(0, I)`.

    Applied to **both** real and fake batches before the critic, it makes the two
    distributions overlap, so the critic's optimum (and the divergence it
    estimates) is smooth; anneal :math:`\sigma` to 0 during training (Sonderby et al.
    2016, arXiv 1610.04490; Arjovsky and Bottou 2017, arXiv 1701.04862, Sec. 3).

    Parameters
    ----------
    x : tensor
        A batch; gradients flow through it.
    sigma : float
        Standard deviation, >= 0 (0 returns ``x`` itself).
    generator : torch.Generator, optional
        Source of the noise.

    Returns
    -------
    tensor
        Same shape, dtype and device as ``x``.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(10000, dtype=torch.float64)
    >>> y = instance_noise(x, 0.5, generator=torch.Generator().manual_seed(0))
    >>> round(float(y.std()), 1)
    0.5
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("x must be a floating-point torch.Tensor")
    sigma = _positive(sigma, "sigma", allow_zero=True)
    if sigma == 0:
        return x
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return x + sigma * noise


class HistoricalAverage:
    r"""Historical averaging: the penalty :math:`w \sum_p \|\theta_p - \bar\theta_p\|^2`.

    :math:`\bar\theta = \frac1t \sum_{i=1}^t \theta[i]` is the running average of the
    parameters recorded by :meth:`update` (call it after each optimiser step);
    adding the penalty to a player's loss pulls it toward its past, which damps the
    oscillations of gradient descent on a game (Salimans et al. 2016,
    arXiv 1606.03498, Sec. 3.3). Before the first :meth:`update` the penalty is 0.

    Parameters
    ----------
    module : torch.nn.Module
        The network whose trainable parameters are averaged.
    weight : float
        w >= 0 (default 1).

    Examples
    --------
    >>> import torch
    >>> m = torch.nn.Linear(1, 1, bias=False)
    >>> h = HistoricalAverage(m)
    >>> with torch.no_grad():
    ...     _ = m.weight.fill_(1.0); h.update(); _ = m.weight.fill_(3.0); h.update()
    >>> h.count, float(h().detach())  # average 2, current 3
    (2, 1.0)
    """

    def __init__(self, module: torch.nn.Module, weight: float = 1.0) -> None:
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        self.module = module
        self.weight = _positive(weight, "weight", allow_zero=True)
        self.count = 0
        self._params = [p for p in module.parameters() if p.requires_grad]
        self.average = [torch.zeros_like(p, memory_format=torch.contiguous_format) for p in self._params]

    @torch.no_grad()
    def update(self) -> None:
        """Add the current parameters to the running average."""
        self.count += 1
        for avg, p in zip(self.average, self._params):
            avg.add_(p.detach() - avg, alpha=1.0 / self.count)

    def __call__(self) -> torch.Tensor:
        """The penalty, differentiable in the current parameters."""
        if self.count == 0 or not self._params:
            ref = self._params[0] if self._params else torch.zeros(())
            return torch.zeros((), dtype=ref.dtype, device=ref.device)
        total = sum(((p - avg) ** 2).sum() for p, avg in zip(self._params, self.average))
        return self.weight * total

    def __repr__(self) -> str:
        return f"HistoricalAverage(weight={self.weight}, count={self.count})"


_SN_TYPES = (
    torch.nn.Linear,
    torch.nn.Conv1d,
    torch.nn.Conv2d,
    torch.nn.Conv3d,
    torch.nn.ConvTranspose1d,
    torch.nn.ConvTranspose2d,
    torch.nn.ConvTranspose3d,
    torch.nn.Bilinear,
    torch.nn.Embedding,
)


def spectral_norm(module: torch.nn.Module, *, n_power_iterations: int = 1, eps: float = 1e-12) -> torch.nn.Module:
    r"""Spectral normalisation of every linear and convolution layer of ``module``.

    Registers ``torch.nn.utils.parametrizations.spectral_norm`` on ``module`` itself
    if it is such a layer, else on each such sub-layer: the weight is used as
    :math:`W / \hat\sigma(W)`, :math:`\hat\sigma` the power-iteration estimate of the
    largest singular value (one iteration per forward pass in training mode;
    Miyato et al., ICLR 2018, arXiv 1802.05957). For a Linear layer the normalised
    weight has spectral norm 1 (up to the estimate's convergence: the tests check it
    with ``divergences.linalg.spectral_norm``), so an MLP with 1-Lipschitz
    activations is 1-Lipschitz. For convolutions the bound is on the reshaped
    kernel, not the convolution operator, as in the paper.

    Parameters
    ----------
    module : torch.nn.Module
    n_power_iterations : int
        Power iterations per forward pass (default 1, the paper's).
    eps : float
        Guard in the normalisations.

    Returns
    -------
    torch.nn.Module
        ``module``, modified in place.

    Examples
    --------
    >>> import torch
    >>> net = spectral_norm(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1)))
    >>> torch.nn.utils.parametrize.is_parametrized(net[0], "weight")
    True
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if isinstance(n_power_iterations, bool) or not isinstance(n_power_iterations, int) or n_power_iterations < 1:
        raise ValueError(f"n_power_iterations must be an integer >= 1, got {n_power_iterations!r}")
    sn = torch.nn.utils.parametrizations.spectral_norm
    layers = [module] if isinstance(module, _SN_TYPES) else [m for m in module.modules() if isinstance(m, _SN_TYPES)]
    if not layers:
        raise ValueError("module has no linear, convolution or embedding layer to normalise")
    for layer in layers:
        if not torch.nn.utils.parametrize.is_parametrized(layer, "weight"):
            sn(layer, n_power_iterations=n_power_iterations, eps=eps)
    return module

