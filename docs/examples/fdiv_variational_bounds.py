"""
f-divergence variational bounds
===============================

For every critic :math:`T`, :func:`divergences.variational_f` gives
:math:`\\mathbb E_P T - \\mathbb E_Q f^*(T) \\le D_f(P\\|Q)` (Fenchel-Young), with
equality at :math:`T^* = f'(p/q)` (``FDIVERGENCES[kind].optimal_critic``). The f-GAN
critic climbs this bound (Nowozin et al. 2016). Here, two histograms on 30 points:
the bound along the path :math:`T = s\\,T^*` for :math:`s \\in [0, 1.6]` peaks at
:math:`s = 1` on the exact :func:`divergences.f_divergence` (:doc:`/fdiv`).
"""

import matplotlib.pyplot as plt
import numpy as np

import divergences as dv

support = np.linspace(-3, 3, 30)
p = np.exp(-0.5 * (support - 0.5) ** 2)
p /= p.sum()
q = np.exp(-0.5 * (support / 1.5) ** 2)
q /= q.sum()

scales = np.linspace(0.0, 1.6, 33)
fig, axes = plt.subplots(1, 4, figsize=(12, 3), sharex=True)
for ax, kind in zip(axes, ("kl", "js", "hellinger", "pearson")):
    exact = float(dv.f_divergence(p, q, kind))
    t_star = dv.FDIVERGENCES[kind].optimal_critic(p / q)
    bounds = np.array([float(dv.variational_f(kind, s * t_star, s * t_star, p, q))
                       for s in scales])
    assert np.all(bounds <= exact + 1e-12)
    assert abs(bounds[scales == 1.0][0] - exact) <= 1e-12 * max(1.0, exact)
    print(f"{kind:>9}: D_f = {exact:.6f}, bound at T* = {bounds[scales == 1.0][0]:.6f}, "
          f"at T = 0: {bounds[0]:.6f}")
    ax.plot(scales, bounds, label=r"$E_P T - E_Q f^*(T)$")
    ax.axhline(exact, color="k", lw=0.8, label=r"$D_f(P\|Q)$")
    ax.set_title(kind)
    ax.margins(y=0.12)
    ax.set_xlabel(r"$s$ in $T = s\,T^*$")
axes[0].legend(fontsize=8)
fig.tight_layout()
plt.show()
