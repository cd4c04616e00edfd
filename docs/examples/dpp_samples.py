"""
DPP samples vs i.i.d. samples
=============================

A determinantal point process with an RBF likelihood kernel
(:func:`divergences.dpp.rbf_kernel`) on 400 candidate points of the unit square
repels: the probability of a set is proportional to the squared volume spanned by
its feature vectors, so near-duplicates rarely appear together (Kulesza and Taskar
2012; :doc:`/dpp`). Drawn here with the exact spectral sampler
:func:`divergences.dpp.sample_k` (k = 40) against 40 candidates drawn uniformly
without replacement.
"""

import matplotlib.pyplot as plt
import numpy as np

import divergences as dv

rng = np.random.default_rng(0)
candidates = rng.uniform(size=(400, 2))
L = dv.dpp.rbf_kernel(candidates, bandwidth=0.1)
k = 40


def nearest_neighbour_distance(points):
    d = np.linalg.norm(points[:, None] - points[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    return float(d.min(axis=1).mean())


dpp_draws = [np.asarray(dv.dpp.sample_k(L, k, seed=s)) for s in range(20)]
iid_draws = [rng.choice(len(candidates), size=k, replace=False) for _ in range(20)]
dpp_nn = np.mean([nearest_neighbour_distance(candidates[i]) for i in dpp_draws])
iid_nn = np.mean([nearest_neighbour_distance(candidates[i]) for i in iid_draws])
print(f"mean nearest-neighbour distance over 20 draws: DPP {dpp_nn:.4f}, i.i.d. {iid_nn:.4f}")
assert dpp_nn > iid_nn

fig, axes = plt.subplots(1, 2, figsize=(7.5, 3.8), sharey=True)
for ax, idx, title in ((axes[0], iid_draws[0], "i.i.d."), (axes[1], dpp_draws[0], "k-DPP")):
    ax.scatter(*candidates.T, s=3, color="0.8")
    ax.scatter(*candidates[idx].T, s=18, color="tab:red")
    ax.set_title(f"{title}: {k} of {len(candidates)} points")
    ax.set_aspect("equal")
fig.tight_layout()
plt.show()
