"""
The certified bracket against eps
=================================

Every result of :func:`divergences.sinkhorn` carries a bracket
``lower`` :math:`\\le \\mathrm{OT} \\le` ``upper`` on the exact optimal cost: the
potentials made feasible by a double c-transform give the lower bound, the plan
rounded onto the transport polytope (Altschuler, Weed and Rigollet 2017) the upper
one (:doc:`/wasserstein`). Here the bracket is drawn
against :math:`\\varepsilon` with the exact cost of :func:`divergences.solve`, for
two clouds of 200 points and the squared Euclidean cost (OT = :math:`W_2^2`).
"""

import matplotlib.pyplot as plt
import numpy as np

import divergences as dv

rng = np.random.default_rng(1)
x = rng.normal(size=(200, 2))
y = rng.normal(size=(200, 2)) + np.array([2.0, 1.0])
M = ((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=-1)
exact = float(dv.solve(M).value)

epsilons = float(M.max()) * np.logspace(-1, -3, 7)
rows = []
for eps in epsilons:
    r = dv.sinkhorn(M, eps=eps)
    rows.append((float(r.lower), float(r.value), float(r.upper)))
    assert rows[-1][0] - 1e-9 <= exact <= rows[-1][2] + 1e-9
lower, value, upper = map(np.array, zip(*rows))
print(f"exact W_2^2 = {exact:.6f}")
for eps, lo, up in zip(epsilons, lower, upper):
    print(f"eps = {eps:8.4f}: {lo:.6f} <= W_2^2 <= {up:.6f}  (width {up - lo:.1e})")

# %%
# The width of the bracket falls roughly in proportion to :math:`\varepsilon`: a
# smaller :math:`\varepsilon` buys digits of the exact value, at the price of more
# iterations.
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
left.fill_between(epsilons, lower, upper, alpha=0.3, label="certified bracket")
left.plot(epsilons, value, "o-", ms=3, label=r"$\langle M, P_\varepsilon\rangle$")
left.axhline(exact, color="k", lw=0.8, label="exact (network simplex)")
left.set_xscale("log")
left.set_xlabel(r"$\varepsilon$")
left.set_ylabel(r"$W_2^2$")
left.legend()
right.loglog(epsilons, upper - lower, "o-")
right.set_xlabel(r"$\varepsilon$")
right.set_ylabel("upper - lower")
fig.tight_layout()
plt.show()
