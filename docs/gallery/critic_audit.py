"""Audit a WGAN-GP critic against the exact W_1 of the batches it is evaluated on.

A critic f trained with ``gan.loss("wgan-gp")`` on two fixed 2-D clouds should
approach an optimal Kantorovich potential. ``gan.audit.critic_gap`` measures how far
it is: with kr = E_real f - E_fake f and L the empirical Lipschitz constant of f on
both batches, f / L is feasible in the Kantorovich-Rubinstein dual, so
kr / L <= W_1 for every critic and gap = W_1 - kr / L >= 0 is 0 only at an optimum.

    python critic_audit.py [--steps 600] [--n 128]
"""

from __future__ import annotations

import argparse

import torch

import gan


def clouds(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Real: a Gaussian blob at the origin; fake: a stretched blob at (3, 1)."""
    real = 0.5 * torch.randn(n, 2, generator=generator)
    fake = torch.randn(n, 2, generator=generator) * torch.tensor([1.5, 0.3]) + torch.tensor([3.0, 1.0])
    return real, fake


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600, help="critic updates")
    parser.add_argument("--n", type=int, default=128, help="samples per cloud")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    torch.set_num_threads(1)  # a 2-D toy: thread start-up costs more than it saves
    torch.manual_seed(args.seed)
    real, fake = clouds(args.n, torch.Generator().manual_seed(args.seed))
    critic = torch.nn.Sequential(
        torch.nn.Linear(2, 64), torch.nn.LeakyReLU(0.2),
        torch.nn.Linear(64, 64), torch.nn.LeakyReLU(0.2),
        torch.nn.Linear(64, 1),
    )
    loss = gan.loss("wgan-gp")  # E D(fake) - E D(real) + 10 E (|grad D(x_hat)| - 1)^2
    opt = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))

    print(f"{'step':>5} {'kr':>8} {'lipschitz':>9} {'kr/L':>8} {'W_1':>8} {'gap':>8}")

    def audit(step: int) -> gan.audit.CriticGap:
        out = gan.audit.critic_gap(critic, real, fake)
        print(f"{step:5d} {out.kr:8.4f} {out.lipschitz:9.4f} {out.kr / out.lipschitz:8.4f} "
              f"{out.w1:8.4f} {out.gap:8.4f}")
        return out

    checkpoints = {args.steps // 3, 2 * args.steps // 3} - {0, args.steps}
    first = audit(0)
    for step in range(1, args.steps + 1):
        opt.zero_grad()
        loss.critic(critic, real, fake).backward()
        opt.step()
        if step in checkpoints:
            audit(step)
    last = audit(args.steps)
    assert last.gap >= -1e-9 and first.gap >= -1e-9  # a lower bound for every critic
    print(f"gap {first.gap:.4f} -> {last.gap:.4f} ({100 * last.gap / last.w1:.1f}% of W_1)")


if __name__ == "__main__":
    main()
