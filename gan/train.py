r"""Training steps for a generator and a critic.

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

Both take any :class:`gan.GANLoss`: a :class:`gan.Loss` from :func:`gan.loss`, or a
loss that also takes the latent batch (``takes_latent``, O-GAN's). The stabilising
helpers (label smoothing, instance noise, historical averaging, spectral
normalisation, weight clipping) live in :mod:`gan.stabilizers`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Union

import warnings
from typing import Any

import torch
from torch.func import functional_call

from .losses import GANLoss
from .stabilizers import HistoricalAverage, instance_noise, smooth_labels, spectral_normalize  # noqa: F401 (their earlier home)

__all__ = ["StepLosses", "alternating_step", "single_loss", "single_loss_step"]


def __getattr__(name: str) -> Any:
    if name == "spectral_norm":
        warnings.warn(
            "gan.train.spectral_norm is deprecated and will be removed in 0.3; use gan.stabilizers.spectral_normalize "
            "(the same function; divergences.linalg.spectral_norm is the value)",
            DeprecationWarning, stacklevel=2,
        )
        return spectral_normalize
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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
    if not isinstance(loss, GANLoss):
        raise TypeError(
            "loss must be a gan.Loss (from gan.loss(name)) or another gan.GANLoss (critic and generator "
            f"methods, takes_latent), got {type(loss).__name__}"
        )
    if isinstance(n_critic, bool) or not isinstance(n_critic, int) or n_critic < 1:
        raise ValueError(f"n_critic must be an integer >= 1, got {n_critic!r}")
    return n_critic


def _latent(loss: GANLoss, z: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The extra arguments of ``loss.critic`` and ``loss.generator``: the latent batch
    when the loss takes it (``takes_latent``), none otherwise."""
    return (z,) if loss.takes_latent else ()


def alternating_step(
    generator: torch.nn.Module,
    critic: torch.nn.Module,
    loss: GANLoss,
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
    loss: GANLoss,
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
    loss: GANLoss,
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
