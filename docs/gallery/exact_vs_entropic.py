"""Exact and entropic transport plans between two small 2-D clouds.

The exact plan of ``divergences.solve`` is a vertex of the transport polytope: at most
n + m - 1 nonzero entries. Entropic plans from ``divergences.sinkhorn`` are dense and
blur as eps grows; their cost <M, P_eps> stays above the exact cost, and each carries a
certified bracket lower <= OT <= upper on the exact value.

    python exact_vs_entropic.py [--n 40] [--out exact_vs_entropic.png]
"""

from __future__ import annotations

import argparse

import numpy as np

import divergences as dv


def clouds(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A Gaussian blob and a ring, n points each."""
    rng = np.random.default_rng(seed)
    x = 0.3 * rng.normal(size=(n, 2))
    angle = rng.uniform(0, 2 * np.pi, size=n)
    y = np.stack([np.cos(angle), np.sin(angle)], axis=1) + np.array([2.0, 0.0])
    return x, y


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="points per cloud")
    parser.add_argument("--eps", type=float, nargs="+", default=[0.05, 0.01, 0.002],
                        help="entropic scales, relative to the largest cost")
    parser.add_argument("--out", default="exact_vs_entropic.png", help="figure file (needs matplotlib)")
    args = parser.parse_args(argv)

    x, y = clouds(args.n)
    M = ((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=-1)  # squared Euclidean: OT = W_2^2
    exact = dv.solve(M)
    print(f"exact     W_2^2 = {float(exact.value):.6f}  gap = {exact.gap:.1e}  "
          f"nonzeros = {int((np.asarray(exact.plan) > 0).sum())} (<= n + m - 1 = {2 * args.n - 1})")

    plans = [("exact", np.asarray(exact.plan))]
    print(f"{'eps':>9} {'<M,P_eps>':>10} {'OT_eps':>10} {'lower':>10} {'upper':>10} {'marg.err':>9} {'iters':>6}")
    for rel in args.eps:
        eps = rel * float(M.max())
        r = dv.sinkhorn(M, eps=eps)
        print(f"{eps:9.4f} {float(r.value):10.6f} {float(r.entropic_value):10.6f} "
              f"{float(r.lower):10.6f} {float(r.upper):10.6f} {r.marginal_error:9.1e} {r.n_iter:6d}")
        assert float(r.lower) - 1e-9 <= float(exact.value) <= float(r.upper) + 1e-9  # the certificate
        plans.append((f"eps = {eps:.3g}", np.asarray(r.plan)))

    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no figure")
        return
    # left: the clouds and the exact matching; then each plan as an n x m image, rows
    # and columns sorted by height so that the exact plan sits near the diagonal
    rows, cols = np.argsort(x[:, 1]), np.argsort(y[:, 1])
    fig, axes = plt.subplots(1, 1 + len(plans), figsize=(2.8 * (1 + len(plans)), 2.8))
    P = plans[0][1]
    for i, j in zip(*np.nonzero(P)):
        axes[0].plot([x[i, 0], y[j, 0]], [x[i, 1], y[j, 1]], color="0.6", lw=0.6)
    axes[0].scatter(*x.T, s=8, color="tab:blue", zorder=3)
    axes[0].scatter(*y.T, s=8, color="tab:orange", zorder=3)
    axes[0].set_aspect("equal")
    axes[0].set_title("exact matching")
    for ax, (title, P) in zip(axes[1:], plans):
        ax.imshow(P[np.ix_(rows, cols)], cmap="Greys", interpolation="nearest")
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"figure written to {args.out}")


if __name__ == "__main__":
    main()
