"""One WGAN-GP training step: ``gan.train.alternating_step`` with ``gan.loss("wgan-gp")``
against the same step hand-written in torch.

Problem: 2-D data (a shifted Gaussian), latent dimension 2, batch 256, float32 on the
CPU; critic and generator are MLPs 2-64-64-1 and 2-64-64-2 with ReLU, Adam (TTUR
learning rates 4e-4 and 1e-4), n_critic = 1. One step is one critic update (wgan
loss + gradient penalty, lam = 10, one alpha per sample) and one generator update.
Measured: best wall time of ``STEPS`` consecutive steps, ours and the hand-written
one interleaved (best-of-k), each on its own copy of the same networks. The value
column compares the critic losses of the first step from identical states and
random streams (0 up to round-off: the two compute the same thing).

Target: <= 1.05x the hand-written step (issue 6).
"""

from __future__ import annotations

import copy

import torch

import gan

from ._timing import Row, best_times

BATCH = 256
STEPS = 20


def _nets(seed: int = 0) -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(seed)
    mlp = lambda d_out: torch.nn.Sequential(  # noqa: E731
        torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, d_out)
    )
    return mlp(2), mlp(1)


def _opts(G: torch.nn.Module, D: torch.nn.Module) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    return torch.optim.Adam(G.parameters(), 1e-4, betas=(0.5, 0.9)), torch.optim.Adam(D.parameters(), 4e-4, betas=(0.5, 0.9))


def hand_step(G, D, real, z, g_opt, c_opt, lam: float = 10.0) -> torch.Tensor:
    """The WGAN-GP step as usually written (Gulrajani et al. 2017, Algorithm 1)."""
    with torch.no_grad():
        fake = G(z)
    c_opt.zero_grad(set_to_none=True)
    alpha = torch.rand(real.shape[0], dtype=real.dtype)[:, None]
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    gp = lam * ((grad.norm(2, dim=1) - 1) ** 2).mean()
    c_loss = D(fake).mean() - D(real).mean() + gp
    c_loss.backward()
    c_opt.step()
    g_opt.zero_grad(set_to_none=True)
    g_loss = -D(G(z)).mean()
    g_loss.backward()
    g_opt.step()
    return c_loss.detach()


def _rows(repeats: int) -> list[Row]:
    g = torch.Generator().manual_seed(0)
    real = torch.randn(BATCH, 2, generator=g) * 0.5 + torch.tensor([2.0, -1.0])
    z = torch.randn(BATCH, 2, generator=g)
    loss = gan.loss("wgan-gp")
    G, D = _nets()
    G2, D2 = copy.deepcopy(G), copy.deepcopy(D)
    ours_opts, hand_opts = _opts(G, D), _opts(G2, D2)

    torch.manual_seed(1)
    ours_value = float(gan.train.alternating_step(G, D, loss, real, z, *ours_opts).critic)
    torch.manual_seed(1)
    hand_value = float(hand_step(G2, D2, real, z, *hand_opts))

    def ours() -> None:
        for _ in range(STEPS):
            gan.train.alternating_step(G, D, loss, real, z, *ours_opts)

    def hand() -> None:
        for _ in range(STEPS):
            hand_step(G2, D2, real, z, *hand_opts)

    seconds = best_times({"ours": ours, "hand": hand}, repeats=repeats, warmup=2)
    note = f"{STEPS} steps per timing, batch {BATCH}, {torch.get_num_threads()} threads"
    return [Row("gan wgan-gp step", BATCH, seconds["ours"], "hand-written torch", seconds["hand"],
                abs(ours_value - hand_value), note, 1.05)]


def run(quick: bool = False) -> list[Row]:
    return _rows(repeats=5 if quick else 30)
