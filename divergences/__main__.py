"""A short tour: ``python -m divergences`` computes each distance once and prints it."""

from __future__ import annotations

import numpy as np

import divergences as dv

__all__ = ["main"]


def _rows() -> list[tuple[str, float]]:
    rng = np.random.default_rng(0)
    mean = np.array([2.0, 0.0])
    cov = np.array([[1.0, 0.5], [0.5, 2.0]])
    x = rng.normal(size=(400, 2))
    y = rng.multivariate_normal(mean, cov, size=300)
    M = np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1)
    r = dv.solve(M)
    return [
        ("W_2 exact (network simplex)", float(dv.wasserstein(x, y, p=2))),
        ("  same value from solve(|x - y|^2)", float(r.value) ** 0.5),
        ("  duality gap of that solve (certificate)", r.gap),
        ("  dual value <a, f> + <b, g>, then sqrt", float(dv.dual_value(r.f, r.g)) ** 0.5),
        ("  LP (HiGHS) on the same cost, then sqrt", float(dv.solve(M, method="lp").value) ** 0.5),
        ("W_2 of the two Gaussians (Bures closed form)", float(dv.gaussian_wasserstein(np.zeros(2), np.eye(2), mean, cov))),
        ("sliced W_2 (128 directions)", float(dv.sliced_wasserstein(x, y, seed=0))),
        ("max-sliced W_2 (a lower bound on W_2)", float(dv.max_sliced_wasserstein(x, y, seed=0))),
        ("entropic <M, P_eps>, eps = 0.05 (sinkhorn), sqrt", float(dv.sinkhorn(M, eps=0.05).value) ** 0.5),
        ("  same, online (sinkhorn_points), then sqrt", float(dv.sinkhorn_points(x, y, eps=0.05).value) ** 0.5),
        ("Sinkhorn divergence S_eps, eps = 0.05, sqrt", float(dv.sinkhorn_divergence(x, y, eps=0.05)) ** 0.5),
        ("W_1 exact", float(dv.wasserstein(x, y, p=1))),
        ("W_1 of the first coordinates (1-D closed form)", float(dv.wasserstein_1d(x[:, 0], y[:, 0]))),
        ("critic f(t) = t_1 on the samples: E_x f - E_y f", float(dv.kantorovich_rubinstein(x[:, 0], y[:, 0]))),
        ("  its empirical Lipschitz constant", float(dv.lipschitz_constant(x[:, 0], x))),
    ]


def main() -> None:
    rows = _rows()
    width = max(len(name) for name, _ in rows)
    print("divergences tour: 400 points of N(0, I) against 300 of N((2, 0), C) in R^2\n")
    for name, value in rows:
        print(f"{name:<{width}}  {value: .6g}")


if __name__ == "__main__":
    main()
