"""pairwise follows the library's two rules on every kind of measure and every backend.

Units: ``"wasserstein"`` is W_p on histograms (M = D^p, ``p=``) as on point clouds: the
same measure given either way gives the same number, checked against HiGHS and the 1-D
closed form. Mass: equal masses t are accepted, optimal costs and f-divergences scale
with t and W_p, SW_p with t^(1/p); ``normalize=True`` rescales unequal masses. The
references are HiGHS (scipy.optimize.linprog) and the divergence formulas written out.
"""

import math

import numpy as np
import pytest
from scipy.optimize import linprog

from divergences import f_divergence, qp_divergence, sinkhorn_divergence, sliced_wasserstein, solve, wasserstein
from divergences.pairwise import pairwise

SUPPORT = np.array([0.0, 0.3, 1.1, 2.0, 3.7])  # irregular bins on the line
DIST = np.abs(SUPPORT[:, None] - SUPPORT[None, :])


def _histograms(n, seed=0):
    h = np.random.default_rng(seed).random((n, len(SUPPORT))) + 0.05
    return h / h.sum(1, keepdims=True)


def _clouds(n, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        x, w = rng.normal(size=(3 + k, 2)) + k, rng.random(3 + k) + 0.1
        out.append((x, w / w.sum()))
    return out


def lp_ot(M, a, b):
    """min <M, P> over the transport polytope, by HiGHS at tight tolerances."""
    n, m = M.shape
    rows = np.kron(np.eye(n), np.ones((1, m)))
    cols = np.kron(np.ones((1, n)), np.eye(m))
    res = linprog(M.ravel(), A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([a, b]), bounds=(0, None),
                  method="highs", options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
    assert res.status == 0
    return res.fun


def _pow_dist(x, y, p):
    return np.linalg.norm(x[:, None] - y[None], axis=-1) ** p


def _on(xp, measures):
    return [(xp.asarray(x), xp.asarray(w)) for x, w in measures]


# ---------------------------------------------------------------------------- units


@pytest.mark.parametrize("p", [1, 2, 3])
def test_histogram_wasserstein_is_w_p_as_on_point_clouds(xp, p):
    H = _histograms(4)
    Hx = [xp.asarray(h) for h in H]
    D = xp.to_numpy(pairwise(Hx, M=xp.asarray(DIST**p), p=p))
    as_clouds = xp.to_numpy(pairwise([(xp.asarray(SUPPORT), h) for h in Hx], p=p))
    for i in range(4):
        for j in range(i + 1, 4):
            exact = lp_ot(DIST**p, H[i], H[j]) ** (1 / p)
            assert D[i, j] == D[j, i] == pytest.approx(exact, rel=1e-8)
            assert D[i, j] == pytest.approx(float(wasserstein(SUPPORT, SUPPORT, H[i], H[j], p=p)), rel=1e-12)
    np.testing.assert_allclose(D, as_clouds, rtol=1e-12, atol=0)
    assert np.all(np.diag(D) == 0)


def test_histogram_default_p_is_the_optimal_cost_of_any_m(xp):
    H = _histograms(3)
    M = np.random.default_rng(5).normal(size=(5, 5))  # negative entries: only p = 1 applies
    D = xp.to_numpy(pairwise([xp.asarray(h) for h in H], M=xp.asarray(M)))
    assert D[0, 1] == pytest.approx(lp_ot(M, H[0], H[1]), rel=1e-8, abs=1e-12)
    assert D[0, 1] == pytest.approx(float(solve(M, H[0], H[1]).value), rel=1e-14)
    assert np.array_equal(D, xp.to_numpy(pairwise([xp.asarray(h) for h in H], M=xp.asarray(M), p=1)))


# ---------------------------------------------------------------------------- mass


@pytest.mark.parametrize("t", [1e-3, 7.0])
@pytest.mark.parametrize("p", [1, 2])
def test_histogram_wasserstein_scales_as_the_pth_root_of_the_mass(xp, t, p):
    H = _histograms(3)
    M = DIST**p
    D1 = xp.to_numpy(pairwise([xp.asarray(h) for h in H], M=xp.asarray(M), p=p))
    Dt = xp.to_numpy(pairwise([xp.asarray(t * h) for h in H], M=xp.asarray(M), p=p))
    np.testing.assert_allclose(Dt, t ** (1 / p) * D1, rtol=1e-12)
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        assert Dt[i, j] == pytest.approx(lp_ot(M, t * H[i], t * H[j]) ** (1 / p), rel=1e-8)
        assert Dt[i, j] == pytest.approx(float(solve(M, t * H[i], t * H[j]).value) ** (1 / p), rel=1e-14)


@pytest.mark.parametrize("t", [1e-3, 7.0])
def test_point_cloud_wasserstein_scales_as_the_pth_root_of_the_mass(xp, t):
    clouds = _clouds(3)
    heavy = [(x, t * w) for x, w in clouds]
    D1 = xp.to_numpy(pairwise(_on(xp, clouds), p=2))
    Dt = xp.to_numpy(pairwise(_on(xp, heavy), p=2))
    np.testing.assert_allclose(Dt, math.sqrt(t) * D1, rtol=1e-12)
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        (x, a), (y, b) = heavy[i], heavy[j]
        assert Dt[i, j] == pytest.approx(math.sqrt(lp_ot(_pow_dist(x, y, 2), a, b)), rel=1e-8)
        assert Dt[i, j] == pytest.approx(float(wasserstein(x, y, a, b, p=2)), rel=1e-14)


def test_sliced_and_sinkhorn_divergence_scale_with_the_mass(xp):
    clouds, t = _clouds(3), 5.0
    heavy = [(x, t * w) for x, w in clouds]
    sliced = dict(metric="sliced_wasserstein", p=2, seed=1, n_projections=8)
    S1, St = (xp.to_numpy(pairwise(_on(xp, c), **sliced)) for c in (clouds, heavy))
    np.testing.assert_allclose(St, math.sqrt(t) * S1, rtol=1e-12)
    (x, a), (y, b) = heavy[0], heavy[2]
    assert St[0, 2] == pytest.approx(float(sliced_wasserstein(x, y, a, b, p=2, seed=1, n_projections=8)), rel=1e-14)
    sinkhorn = dict(metric="sinkhorn_divergence", eps=0.5, tol=1e-9)
    E1, Et = (xp.to_numpy(pairwise(_on(xp, c), **sinkhorn)) for c in (clouds, heavy))
    np.testing.assert_allclose(Et, t * E1, rtol=1e-7)
    assert Et[0, 2] == pytest.approx(float(sinkhorn_divergence(x, y, a, b, eps=0.5, tol=1e-9)), rel=1e-12)


def _kl(p, q):
    return float(np.sum(p * np.log(p / q)))


def _tv(p, q):
    return float(np.sum(np.abs(p - q)) / 2)


def _gan(p, q):  # sum p log(2p/(p+q)) + q log(2q/(p+q)) - log 4 (p, q of mass 1)
    m = p + q
    return float(np.sum(p * np.log(2 * p / m) + q * np.log(2 * q / m)) - math.log(4) * p.sum())


@pytest.mark.parametrize("kind, formula", [("kl", _kl), ("tv", _tv), ("gan", _gan)])
def test_f_divergences_scale_with_the_mass(xp, kind, formula):
    H, t = _histograms(3), 3.0
    D = xp.to_numpy(pairwise([xp.asarray(t * h) for h in H], metric=kind))
    for i in range(3):
        for j in range(3):
            if i != j:  # the divergence of mass t is t D_f(p || q), written out
                assert D[i, j] == pytest.approx(formula(t * H[i], t * H[j]), rel=1e-12)
                assert D[i, j] == pytest.approx(float(f_divergence(t * H[i], t * H[j], kind)), rel=1e-14)
    # d(x, x) = t f(1): -t log 4 for the GAN divergence, 0 for the others
    np.testing.assert_allclose(np.diag(D), t * (-math.log(4) if kind == "gan" else 0.0), rtol=1e-15)


def test_equal_masses_other_than_one_are_qp_divergences_error_unless_normalized(xp):
    H, t = _histograms(3), 2.0
    heavy = [xp.asarray(t * h) for h in H]
    with pytest.raises(ValueError, match=r"X\[0\] must sum to 1"):
        pairwise(heavy, M=xp.asarray(DIST), metric="qp")
    D = xp.to_numpy(pairwise(heavy, M=xp.asarray(DIST), metric="qp", normalize=True))
    assert D[0, 1] == pytest.approx(float(qp_divergence(H[0], H[1], DIST)), rel=1e-12)


UNEQUAL = (0.5, 2.0, 9.0)


UNEQUAL_ERROR = r"X\[1\] has total mass 2 while X\[0\] has 0.5"


@pytest.mark.parametrize("metric, options, error", [
    ("wasserstein", {"M": DIST**2, "p": 2}, UNEQUAL_ERROR),
    ("qp", {"M": DIST}, r"X\[0\] must sum to 1"),
    ("kl", {}, UNEQUAL_ERROR),
    ("gan", {}, UNEQUAL_ERROR),
])
def test_normalize_rescales_unequal_histograms_to_mass_one(xp, metric, options, error):
    H = _histograms(3)
    options = {k: xp.asarray(v) if k == "M" else v for k, v in options.items()}
    unequal = [xp.asarray(c * h) for c, h in zip(UNEQUAL, H)]
    with pytest.raises(ValueError, match=error):
        pairwise(unequal, metric=metric, **options)
    D = xp.to_numpy(pairwise(unequal, metric=metric, normalize=True, **options))
    np.testing.assert_allclose(D, xp.to_numpy(pairwise([xp.asarray(h) for h in H], metric=metric, **options)),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("metric, options", [
    ("wasserstein", {"p": 2}),
    ("sliced_wasserstein", {"seed": 0, "n_projections": 8}),
    ("sinkhorn_divergence", {"eps": 0.5, "tol": 1e-9}),
])
def test_normalize_rescales_unequal_point_clouds_to_mass_one(xp, metric, options):
    clouds = _clouds(3)
    unequal = [(x, c * w) for c, (x, w) in zip(UNEQUAL, clouds)]
    with pytest.raises(ValueError, match=r"X\[1\] has total mass 2 while X\[0\] has 0.5"):
        pairwise(_on(xp, unequal), metric=metric, **options)
    D = xp.to_numpy(pairwise(_on(xp, unequal), metric=metric, normalize=True, **options))
    np.testing.assert_allclose(D, xp.to_numpy(pairwise(_on(xp, clouds), metric=metric, **options)), rtol=1e-9)
