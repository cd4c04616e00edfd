"""A tour: ``python -m divergences`` computes one number of each family and prints it
as soon as it is computed, with a check beside it where an independent route exists
(another solver, a closed form, a bound)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import divergences as dv

__all__ = ["main"]

Row = tuple[str, Callable[[], float], str]


def _rows() -> Iterator[tuple[str, list[Row]]]:
    rng = np.random.default_rng(0)
    mean, cov = np.array([2.0, 0.0]), np.array([[1.0, 0.5], [0.5, 2.0]])
    x = rng.normal(size=(400, 2))
    y = rng.multivariate_normal(mean, cov, size=300)
    M = np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1)  # |x - y|^2: OT = W_2^2
    exact: dict[str, Any] = {}  # the results the check rows read back

    def w2() -> float:
        exact["r"] = dv.solve(M)
        return float(exact["r"].value) ** 0.5

    yield "exact (network simplex)", [
        ("W_2, sqrt of solve(|x - y|^2).value", w2, "exact"),
        ("  its duality gap", lambda: exact["r"].gap, "0 up to round-off: a certificate"),
        ("  dual value <a, f> + <b, g>, sqrt", lambda: float(dv.dual_value(exact["r"].f, exact["r"].g)) ** 0.5,
         "= W_2 (strong duality)"),
        ("W_1 = wasserstein(x, y, p=1)", lambda: float(dv.wasserstein(x, y, p=1)), "<= W_2"),
    ]
    yield "one dimension", [
        ("W_1 of the first coordinates", lambda: float(dv.wasserstein_1d(x[:, 0], y[:, 0])), "quantile formula"),
    ]
    yield "sliced", [
        ("sliced W_2 (128 directions)", lambda: float(dv.sliced_wasserstein(x, y, seed=0)), "<= W_2"),
        ("max-sliced W_2", lambda: float(dv.max_sliced_wasserstein(x, y, seed=0)), "<= W_2"),
    ]
    yield "Gaussian", [
        ("W_2 of N(0, I), N(m, C) (Bures)",
         lambda: float(dv.gaussian_wasserstein(np.zeros(2), np.eye(2), mean, cov)), "population value"),
        ("KL(N(0, I) || N(m, C))", lambda: float(dv.gaussian_kl(np.zeros(2), np.eye(2), mean, cov)), "closed form"),
    ]
    entropic: dict[str, Any] = {}

    def sinkhorn_value() -> float:
        entropic["r"] = dv.sinkhorn(M, eps=0.05)
        return float(entropic["r"].value) ** 0.5

    yield "entropic (eps = 0.05)", [
        ("sqrt <M, P_eps>", sinkhorn_value, ">= W_2"),
        ("sqrt of the Sinkhorn divergence S_eps", lambda: float(dv.sinkhorn_divergence(x, y, eps=0.05)) ** 0.5,
         "debiased, <= W_2 here"),
    ]
    yield "certified bracket", [
        ("sqrt lower (feasible potentials)", lambda: float(entropic["r"].lower) ** 0.5, "<= W_2"),
        ("sqrt upper (rounded plan)", lambda: float(entropic["r"].upper) ** 0.5, ">= W_2"),
    ]
    support = np.linspace(-3.0, 3.0, 25)
    p = np.exp(-0.5 * (support - 0.5) ** 2)
    q = np.exp(-0.5 * (support / 1.5) ** 2)
    p, q = p / p.sum(), q / q.sum()
    t_star = dv.FDIVERGENCES["js"].optimal_critic(p / q)
    yield "f-divergences (histograms on 25 bins)", [
        ("KL(p || q)", lambda: float(dv.f_divergence(p, q, "kl")), ">= 0"),
        ("JS(p, q)", lambda: float(dv.f_divergence(p, q, "js")), "<= log 2"),
        ("  f-GAN bound at the optimal critic", lambda: float(dv.variational_f("js", t_star, t_star, p, q)), "= JS"),
    ]
    yield "WGAN-div (k = 2, p = 6, 1-D)", [
        ("W_{k,p} of the first coordinates", lambda: float(dv.wasserstein_divergence_1d(
            x[:, 0], y[:, 0], support=(-6.0, 8.0))), "closed form"),
    ]
    D = np.abs(support[:, None] - support[None, :])
    yield "GAN-QP", [
        ("QP(p, q), lam = 1", lambda: float(dv.qp_divergence(p, q, D)), "closed form"),
    ]
    L = dv.dpp.rbf_kernel(x[:60], bandwidth=0.5)
    yield "DPP (RBF kernel on 60 points)", [
        ("expected size E|S|", lambda: float(dv.dpp.expected_size(L)), "trace of K"),
        ("size of one exact 10-DPP draw", lambda: float(len(dv.dpp.sample_k(L, 10, seed=0))), "= 10"),
        ("log-likelihood of the greedy MAP set", lambda: float(dv.dpp.log_likelihood(L, dv.dpp.greedy_map(L, 10))),
         "log det L_S - log det(L + I)"),
    ]
    B = x[:3]  # (3, 2)
    yield "generalized determinants (B = the first 3 points, 3 x 2)", [
        ("volume of B, sqrt det(B^T B)", lambda: float(dv.linalg.volume(B)), "product of singular values"),
        ("pseudo-determinant of B B^T (3 x 3, rank 2)", lambda: float(dv.linalg.pdet(B @ B.T)), "= volume^2"),
        ("log det(I + C)", lambda: float(dv.linalg.logdet(np.eye(2) + cov)), "exact"),
    ]


def main() -> None:
    start = time.perf_counter()
    print("divergences tour: 400 points of N(0, I) against 300 of N((2, 0), C) in R^2", flush=True)
    for family, rows in _rows():
        print(f"\n{family}", flush=True)
        for name, compute, check in rows:
            print(f"  {name:<44} {compute(): .6g}   ({check})", flush=True)
    print(f"\n{time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
