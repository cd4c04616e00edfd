"""
Sinkhorn convergence against POT
================================

The same entropic problem solved by :func:`divergences.sinkhorn` and by POT's
``ot.sinkhorn`` (plain Sinkhorn-Knopp iterations), for a sweep of stopping
tolerances. Both minimise :math:`\\langle M, P\\rangle + \\varepsilon
\\mathrm{KL}(P | a b^\\top)` under the marginal constraints; POT's entropy term
:math:`-H(P)` differs from this KL by a constant when the marginals are fixed, so
``reg = eps`` gives the same plan (:doc:`/conventions`).

Each solver reports a different error, so both are measured here the same way: the
L1 violation of the two marginal conditions by the returned plan. ``n_iter`` counts
our iterations including the annealing stages; POT's ``log["niter"]`` its own.
"""

import matplotlib.pyplot as plt
import numpy as np
import ot

import divergences as dv

rng = np.random.default_rng(0)
n = 150
x = rng.normal(size=(n, 2))
y = rng.normal(size=(n, 2)) * np.array([2.0, 0.5]) + np.array([1.0, 0.0])
a = np.full(n, 1.0 / n)
b = np.full(n, 1.0 / n)
M = ot.dist(x, y)  # squared Euclidean
eps = 0.01 * float(M.max())


def marginal_error(P):
    return float(np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum())


# %%
# A sweep of tolerances
# ---------------------
ours, pots = [], []
print(f"{'tol':>6} | {'ours: iters':>11} {'error':>8} | {'POT: iters':>10} {'error':>8}")
for tol in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8):
    r = dv.sinkhorn(M, a, b, eps=eps, tol=tol, max_iter=20000)
    ours.append((r.n_iter, marginal_error(np.asarray(r.plan))))
    P, log = ot.sinkhorn(a, b, M, reg=eps, stopThr=tol, numItermax=20000, log=True)
    pots.append((log["niter"], marginal_error(P)))
    (n_ours, e_ours), (n_pot, e_pot) = ours[-1], pots[-1]
    print(f"{tol:6.0e} | {n_ours:11d} {e_ours:8.1e} | {n_pot:10d} {e_pot:8.1e}")

# %%
# The same value at convergence
# -----------------------------
# ``value`` is :math:`\langle M, P_\varepsilon\rangle`, which is what ``ot.sinkhorn2``
# returns.
ours_value = float(dv.sinkhorn(M, a, b, eps=eps, tol=1e-9).value)
pot_value = float(ot.sinkhorn2(a, b, M, reg=eps, stopThr=1e-12,
                               numItermax=100000))
print(f"<M, P_eps>: divergences {ours_value:.8f}, POT {pot_value:.8f}")
assert abs(ours_value - pot_value) <= 1e-6 * pot_value

fig, ax = plt.subplots(figsize=(5.5, 3.6))
ax.semilogy(*zip(*ours), "o-", label="divergences.sinkhorn (Anderson, annealed)")
ax.semilogy(*zip(*pots), "s--", label="ot.sinkhorn (Sinkhorn-Knopp)")
ax.set_xlabel("iterations")
ax.set_ylabel("L1 marginal error of the plan")
ax.set_title(f"n = m = {n}, eps = 1% of max cost")
ax.legend(loc="upper right")
fig.tight_layout()
plt.show()
