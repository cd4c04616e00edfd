"""
Exact vs entropic plans
=======================

A Gaussian blob and a ring of 40 points each in the plane, squared Euclidean cost,
so the exact optimal cost is :math:`W_2^2`.

- :func:`divergences.solve` returns the exact plan: a vertex of the transport
  polytope, with at most :math:`n + m - 1` nonzero entries (here a permutation
  scaled by :math:`1/n`, since the weights are uniform), and a duality gap at
  round-off level.
- :func:`divergences.sinkhorn` at :math:`\\varepsilon` = 5 %, 1 % and 0.2 % of the
  largest cost returns dense plans
  :math:`P_{ij} = a_i b_j e^{(f_i + g_j - M_{ij})/\\varepsilon}` that sharpen
  towards the exact plan as :math:`\\varepsilon` falls (:doc:`/entropic`).
"""

import matplotlib.pyplot as plt
import numpy as np

import divergences as dv

rng = np.random.default_rng(0)
n = 40
x = 0.3 * rng.normal(size=(n, 2))
angle = rng.uniform(0, 2 * np.pi, size=n)
y = np.stack([np.cos(angle), np.sin(angle)], axis=1) + np.array([2.0, 0.0])
M = ((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=-1)  # squared Euclidean: OT = W_2^2

# %%
# The exact plan and its certificate
# ----------------------------------
exact = dv.solve(M)
nonzeros = int((np.asarray(exact.plan) > 0).sum())
print(f"W_2^2 = {float(exact.value):.6f}, duality gap = {exact.gap:.1e}, "
      f"nonzeros = {nonzeros} (<= n + m - 1 = {2 * n - 1})")

# %%
# Entropic plans
# --------------
# For each :math:`\varepsilon`: :math:`\langle M, P_\varepsilon\rangle` (``value``),
# the regularised objective :math:`\mathrm{OT}_\varepsilon` (``entropic_value``), and
# the certified bracket ``lower`` :math:`\le \mathrm{OT} \le` ``upper`` carried by the
# result. Both values stay above the exact cost and approach it as
# :math:`\varepsilon` falls; the bracket always contains it.
plans = [("exact", np.asarray(exact.plan))]
print(f"{'eps':>8} {'<M,P_eps>':>10} {'OT_eps':>10} {'lower':>10} {'upper':>10} {'iters':>6}")
for rel in (0.05, 0.01, 0.002):
    eps = rel * float(M.max())
    r = dv.sinkhorn(M, eps=eps)
    print(f"{eps:8.4f} {float(r.value):10.6f} {float(r.entropic_value):10.6f} "
          f"{float(r.lower):10.6f} {float(r.upper):10.6f} {r.n_iter:6d}")
    assert float(r.lower) - 1e-9 <= float(exact.value) <= float(r.upper) + 1e-9
    plans.append((f"eps = {eps:.3g}", np.asarray(r.plan)))

# %%
# The plans as images
# -------------------
# Left, the clouds and the exact matching; then each plan as an :math:`n \times m`
# image, rows and columns sorted by height so that the exact plan sits near the
# diagonal.
rows, cols = np.argsort(x[:, 1]), np.argsort(y[:, 1])
fig, axes = plt.subplots(1, 1 + len(plans), figsize=(2.6 * (1 + len(plans)), 2.8))
for i, j in zip(*np.nonzero(plans[0][1])):
    axes[0].plot([x[i, 0], y[j, 0]], [x[i, 1], y[j, 1]], color="0.6", lw=0.6)
axes[0].scatter(*x.T, s=8, color="tab:blue", zorder=3, label="blob")
axes[0].scatter(*y.T, s=8, color="tab:orange", zorder=3, label="ring")
axes[0].set_aspect("equal")
axes[0].set_title("exact matching")
for ax, (title, P) in zip(axes[1:], plans):
    ax.imshow(P[np.ix_(rows, cols)], cmap="Greys", interpolation="nearest")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
plt.show()
