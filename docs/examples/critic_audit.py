"""
Auditing a WGAN-GP critic
=========================

A small MLP critic trained with :func:`gan.loss("wgan-gp") <gan.loss>` on two fixed
clouds of 128 points, audited by :func:`gan.audit.critic_gap` before training and
every 100 Adam steps.

The audit compares the critic's Kantorovich-Rubinstein value
:math:`\\mathrm{kr} = \\mathbb E_{\\rm real} f - \\mathbb E_{\\rm fake} f` with the
exact :math:`W_1` of the two batches (:func:`divergences.solve` on the Euclidean
cost). Scaled by the critic's empirical Lipschitz constant :math:`L` on both batches,
:math:`f/L` satisfies every constraint of the dual linear program, so
:math:`\\mathrm{kr}/L \\le W_1` for every critic, and
:math:`\\mathrm{gap} = W_1 - \\mathrm{kr}/L \\ge 0` vanishes only at an optimal
potential (:doc:`/wasserstein`).

What a run shows: ``kr`` itself overshoots :math:`W_1`, since the gradient penalty
holds the gradient norm near 1 only on the interpolates, on average, so the trained
critic is not 1-Lipschitz and its raw value bounds nothing; ``kr / L`` is a certified
lower bound, and the gap falls as the critic trains, though not monotonically: the
critic loss is not the gap.
"""

import matplotlib.pyplot as plt
import torch

import gan

torch.set_num_threads(1)  # a 2-D toy: thread start-up costs more than it saves
torch.manual_seed(0)
generator = torch.Generator().manual_seed(0)
real = 0.5 * torch.randn(128, 2, generator=generator)
stretch, shift = torch.tensor([1.5, 0.3]), torch.tensor([3.0, 1.0])
fake = torch.randn(128, 2, generator=generator) * stretch + shift

critic = torch.nn.Sequential(
    torch.nn.Linear(2, 64), torch.nn.LeakyReLU(0.2),
    torch.nn.Linear(64, 64), torch.nn.LeakyReLU(0.2),
    torch.nn.Linear(64, 1),
)
loss = gan.loss("wgan-gp")  # E D(fake) - E D(real) + 10 E (|grad D(x_hat)| - 1)^2
opt = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))

# %%
# Training, with an audit every 100 steps
# ---------------------------------------
audits = {}
print(f"{'step':>5} {'kr':>8} {'lipschitz':>9} {'kr/L':>8} {'W_1':>8} {'gap':>8}")
for step in range(301):
    if step % 100 == 0:
        out = gan.audit.critic_gap(critic, real, fake)
        audits[step] = out
        print(f"{step:5d} {out.kr:8.4f} {out.lipschitz:9.4f} {out.kr / out.lipschitz:8.4f} "
              f"{out.w1:8.4f} {out.gap:8.4f}")
        assert out.gap >= -1e-9  # a certified lower bound for every critic
    opt.zero_grad()
    loss.critic(critic, real, fake).backward()
    opt.step()

first, last = audits[0], audits[300]
print(f"gap {first.gap:.4f} -> {last.gap:.4f} ({100 * last.gap / last.w1:.1f}% of W_1)")

# %%
# The critic's level sets
# -----------------------
both = torch.cat([real, fake])
low, high = both.min(dim=0).values - 0.5, both.max(dim=0).values + 0.5
xx, yy = torch.meshgrid(torch.linspace(low[0], high[0], 160),
                        torch.linspace(low[1], high[1], 80), indexing="xy")
with torch.no_grad():
    values = critic(torch.stack([xx.ravel(), yy.ravel()], dim=1)).reshape(xx.shape)
fig, ax = plt.subplots(figsize=(7, 3.2))
contour = ax.contourf(xx.numpy(), yy.numpy(), values.numpy(), levels=20, cmap="RdBu_r")
fig.colorbar(contour, ax=ax, label="critic f")
ax.scatter(*real.T, s=6, color="k", label="real")
ax.scatter(*fake.T, s=6, color="w", edgecolor="k", linewidth=0.3, label="fake")
ax.set_aspect("equal")
ax.legend(loc="upper left")
fig.tight_layout()
plt.show()
