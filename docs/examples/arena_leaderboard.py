"""
The arena's leaderboard
=======================

``python -m gan.arena`` trains one small MLP GAN per loss, target and seed and scores
each run by the exact :math:`W_2` between generated and real points
(:func:`divergences.solve`; :doc:`/arena`). This example ranks the losses from a
results file: the records of five losses on the ring of 8 Gaussians, two seeds each,
shipped next to this script (``arena_ring8.json``) and produced by::

    python -m gan.arena --losses ns-sgan,ns-sgan+gdpp,wgan-gp,gan-qp,rasgan --targets ring8 --steps 400 --samples 300 --seed 0 --out seed0
    python -m gan.arena --losses ns-sgan,ns-sgan+gdpp,wgan-gp,gan-qp,rasgan --targets ring8 --steps 400 --samples 300 --seed 1 --out seed1

It reads only the fields ``loss``, ``target``, ``seed`` and ``w2`` of each record, so
the ``results.json`` of any arena run can be passed instead::

    python docs/examples/arena_leaderboard.py arena-results/results.json

For scale: two independent sets of 300 real points are about 0.44 apart in
:math:`W_2` (the floor a perfect generator reaches, from the same runs). 400
generator steps are few: the ranking here is that of a short run, not a verdict
on the losses (the full arena trains 700 steps on three targets).
"""

import json
import sys
from collections import defaultdict
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

try:
    here = Path(__file__).resolve().parent
except NameError:  # sphinx-gallery runs each example from its own folder, without __file__
    here = Path.cwd()
results = Path(sys.argv[1]) if len(sys.argv) > 1 else here / "arena_ring8.json"
records = json.loads(results.read_text())

# %%
# Mean exact :math:`W_2` over seeds, per target and loss (lower is better); a run
# that diverged has ``w2`` null and ranks last.
by_target = defaultdict(lambda: defaultdict(list))
for r in records:
    by_target[r["target"]][r["loss"]].append(np.inf if r["w2"] is None else float(r["w2"]))

for target, losses in sorted(by_target.items()):
    ranking = sorted(losses.items(), key=lambda item: np.mean(item[1]))
    print(f"{target}\n| rank | loss | mean W2 | runs |\n|---:|---|---:|---:|")
    for rank, (loss, w2) in enumerate(ranking, start=1):
        print(f"| {rank} | {loss} | {np.mean(w2):.3f} | {len(w2)} |")

# %%
# Each dot is one run (one seed).
fig, axes = plt.subplots(1, len(by_target), figsize=(5.5 * len(by_target), 3.2), squeeze=False)
for ax, (target, losses) in zip(axes[0], sorted(by_target.items())):
    ranking = sorted(losses.items(), key=lambda item: np.mean(item[1]))
    for row, (loss, w2) in enumerate(ranking):
        ax.plot(w2, [row] * len(w2), "o", color="tab:blue", alpha=0.7)
        ax.plot([np.mean(w2)], [row], "|", color="k", ms=14)
    ax.set_yticks(range(len(ranking)), [loss for loss, _ in ranking])
    ax.invert_yaxis()
    ax.set_xlabel(r"exact $W_2$ to the target (lower is better)")
    ax.set_title(target)
fig.tight_layout()
plt.show()
