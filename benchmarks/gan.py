"""One WGAN-GP training step: ``gan.train.alternating_step`` with ``gan.loss("wgan-gp")``
against the same step hand-written in torch.

Problem: 2-D data (a shifted Gaussian), latent dimension 2, batch 256, float32 on the
CPU; critic and generator are MLPs 2-64-64-1 and 2-64-64-2 with ReLU, Adam (TTUR
learning rates 4e-4 and 1e-4), n_critic = 1. One step is one critic update (wgan
loss + gradient penalty, lam = 10, one alpha per sample) and one generator update.
Measured, on one torch thread: best wall time of ``STEPS`` (quick: 5) consecutive updates, ours and the hand-written
one interleaved (best-of-k), each on its own copy of the same networks, for the full
alternating step and for its two halves timed separately: the critic update (the
loss with its gradient penalty, backward, Adam) and the generator update (ours
restricts the backward pass to the generator's parameters, the hand-written one
runs it through the critic too). The value column compares the critic losses of the
first step from identical states and random streams, and the generator losses of
the next update (0 up to round-off: the two compute the same thing).

Targets: <= 1.05x the hand-written step; <= 1.0x for each half.
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


def hand_critic(G, D, real, z, c_opt, lam: float = 10.0) -> torch.Tensor:
    """The WGAN-GP critic update as usually written (Gulrajani et al. 2017, Algorithm 1)."""
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
    return c_loss.detach()


def hand_generator(G, D, z, g_opt) -> torch.Tensor:
    """The generator update as usually written: a full backward pass (critic included)."""
    g_opt.zero_grad(set_to_none=True)
    g_loss = -D(G(z)).mean()
    g_loss.backward()
    g_opt.step()
    return g_loss.detach()


def hand_step(G, D, real, z, g_opt, c_opt, lam: float = 10.0) -> torch.Tensor:
    """One critic update, then one generator update."""
    c_loss = hand_critic(G, D, real, z, c_opt, lam)
    hand_generator(G, D, z, g_opt)
    return c_loss


def ours_critic(G, D, loss, real, z, c_opt) -> torch.Tensor:
    """The critic update of ``gan.train.alternating_step`` (its first half)."""
    with torch.no_grad():
        fake = G(z)
    c_opt.zero_grad(set_to_none=True)
    c_loss = loss.critic(D, real, fake)
    c_loss.backward()
    c_opt.step()
    return c_loss.detach()


def ours_generator(G, D, loss, real, z, g_opt) -> torch.Tensor:
    """The generator update of ``gan.train.alternating_step`` (its second half)."""
    g_opt.zero_grad(set_to_none=True)
    g_loss = loss.generator(D, real, G(z))
    g_loss.backward(inputs=[p for p in G.parameters() if p.requires_grad])
    g_opt.step()
    return g_loss.detach()


def _repeat(fn, *args, steps: int = STEPS):
    def run_steps() -> None:
        for _ in range(steps):
            fn(*args)
    return run_steps


def _rows(repeats: int, steps: int) -> list[Row]:
    g = torch.Generator().manual_seed(0)
    real = torch.randn(BATCH, 2, generator=g) * 0.5 + torch.tensor([2.0, -1.0])
    z = torch.randn(BATCH, 2, generator=g)
    loss = gan.loss("wgan-gp")
    G, D = _nets()
    G2, D2 = copy.deepcopy(G), copy.deepcopy(D)
    (g_opt, c_opt), (g_opt2, c_opt2) = _opts(G, D), _opts(G2, D2)

    torch.manual_seed(1)
    ours_value = float(gan.train.alternating_step(G, D, loss, real, z, g_opt, c_opt).critic)
    torch.manual_seed(1)
    hand_value = float(hand_step(G2, D2, real, z, g_opt2, c_opt2))
    gen_diff = abs(float(ours_generator(G, D, loss, real, z, g_opt)) - float(hand_generator(G2, D2, z, g_opt2)))

    fns = {
        "step ours": _repeat(gan.train.alternating_step, G, D, loss, real, z, g_opt, c_opt, steps=steps),
        "step hand": _repeat(hand_step, G2, D2, real, z, g_opt2, c_opt2, steps=steps),
        "critic ours": _repeat(ours_critic, G, D, loss, real, z, c_opt, steps=steps),
        "critic hand": _repeat(hand_critic, G2, D2, real, z, c_opt2, steps=steps),
        "generator ours": _repeat(ours_generator, G, D, loss, real, z, g_opt, steps=steps),
        "generator hand": _repeat(hand_generator, G2, D2, z, g_opt2, steps=steps),
    }
    seconds = best_times(fns, repeats=repeats, warmup=1)
    note = f"{steps} updates per timing, {torch.get_num_threads()} thread(s)"
    regime = f"batch {BATCH}, 2-D MLPs 64-64"
    rows = []
    for what, diff, target in (("step", abs(ours_value - hand_value), 1.05), ("critic", abs(ours_value - hand_value), 1.0),
                               ("generator", gen_diff, 1.0)):
        rows.append(Row(f"gan wgan-gp {what}", BATCH, seconds[f"{what} ours"], "hand-written torch",
                        seconds[f"{what} hand"], diff, note, target, regime=regime))
    return rows


def run(quick: bool = False) -> list[Row]:
    # One torch thread on both sides: at batch 256 a second OpenMP thread saves little
    # and stalls whenever another process holds a core (the benchmark machine is shared).
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _rows(repeats=3, steps=5) if quick else _rows(repeats=30, steps=STEPS)
    finally:
        torch.set_num_threads(saved)
