"""certify and wasserstein_bounds: guaranteed brackets around the exact cost."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from divergences import certify, sinkhorn, sinkhorn_points, solve, wasserstein, wasserstein_bounds
from divergences.testing import measures, transport_problems


def _slack(M):
    return 1e-9 * max(1.0, float(np.abs(M).max()))


def _assert_in_polytope(P, a, b):
    P = np.asarray(P)
    assert np.all(P >= 0)
    np.testing.assert_allclose(P.sum(1), a, atol=1e-12)
    np.testing.assert_allclose(P.sum(0), b, atol=1e-12)


@given(transport_problems(), st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.01, 1.0]))
def test_bracket_holds_for_perturbed_potentials_and_plans(problem, seed, noise):
    M, a, b = problem
    rng = np.random.default_rng(seed)
    exact = float(solve(M, a, b).value)
    r = solve(M, a, b)
    f = np.asarray(r.f) + noise * rng.normal(size=M.shape[0])
    plan = np.asarray(r.plan) * np.exp(noise * rng.normal(size=M.shape))
    for kwargs in (dict(f=f), dict(g=np.asarray(r.g) + noise), dict(plan=plan), dict(f=f, plan=plan)):
        c = certify(M, a, b, **kwargs)
        assert float(c.lower) <= exact + _slack(M) and exact <= float(c.upper) + _slack(M)
        _assert_in_polytope(c.plan, a, b)
        assert np.all(np.asarray(c.f)[:, None] + np.asarray(c.g)[None, :] <= M + _slack(M))


@pytest.mark.filterwarnings("ignore:Sinkhorn did not converge")  # unconverged POT plans are the point
@given(transport_problems(max_n=7, max_m=7), st.sampled_from([1.0, 0.1, 0.01]))
def test_bracket_holds_for_sinkhorn_and_pot_plans(problem, rel_eps):
    ot = pytest.importorskip("ot")
    M, a, b = problem
    eps = rel_eps * max(float(M.max()), 1.0)
    exact = float(solve(M, a, b).value)
    r = sinkhorn(M, a, b, eps=eps, tol=1e-6)
    assert float(r.lower) <= exact + _slack(M) <= float(r.upper) + 2 * _slack(M)
    mask_a, mask_b = a > 0, b > 0  # POT drops nothing: give it the support only
    P = np.zeros_like(M)
    P[np.ix_(mask_a, mask_b)] = ot.sinkhorn(a[mask_a], b[mask_b], M[np.ix_(mask_a, mask_b)], eps, numItermax=200)
    c = certify(M, a, b, plan=P)
    assert float(c.lower) <= exact + _slack(M) <= float(c.upper) + 2 * _slack(M)
    _assert_in_polytope(c.plan, a, b)


def test_exact_solution_closes_the_bracket(rng):
    M = rng.random((30, 20))
    a = rng.random(30)
    a /= a.sum()
    r = solve(M, a)
    c = certify(M, a, f=r.f, plan=r.plan)
    exact = float(r.value)
    assert float(c.lower) == pytest.approx(exact, abs=1e-9) and float(c.upper) == pytest.approx(exact, abs=1e-9)


def test_bracket_shrinks_linearly_with_eps(rng):
    """Observed: width ~ 0.2 eps to 0.9 eps on random 40 x 30 costs (each tenfold
    decrease of eps shrinks it at least fivefold)."""
    M = rng.random((40, 30))
    widths = []
    for eps in (0.1, 0.01, 0.001):
        r = sinkhorn(M, eps=eps, tol=1e-6)
        widths.append(float(r.upper - r.lower))
        assert widths[-1] <= eps
    assert widths[1] <= widths[0] / 5 and widths[2] <= widths[1] / 5


def test_online_bracket_equals_dense(rng):
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(30, 2)) + 1.0
    M = ((x[:, None] - y[None]) ** 2).sum(-1)
    dense = sinkhorn(M, eps=0.05, tol=1e-11)
    online = sinkhorn_points(x, y, eps=0.05, tol=1e-11, block_size=6)
    exact = float(solve(M).value)
    assert float(online.lower) <= exact <= float(online.upper)
    assert float(online.lower) == pytest.approx(float(dense.lower), rel=1e-8)
    assert float(online.upper) == pytest.approx(float(dense.upper), rel=1e-8)


@given(measures(max_n=10, max_d=2), measures(max_n=10, max_d=2), st.sampled_from([1.0, 2.0]))
def test_wasserstein_bounds_bracket_the_exact_distance(mu, nu, p):
    (x, a), (y, b) = mu, nu
    y = np.resize(y, (len(y), x.shape[1]))
    w = float(wasserstein(x, y, a, b, p=p))
    lo, hi = wasserstein_bounds(x, y, a, b, p=p, seed=0)
    assert float(lo) <= w * (1 + 1e-9) + 1e-9 and w <= float(hi) * (1 + 1e-9) + 1e-9


def test_backends(xp, rng):
    M, a = rng.random((8, 6)), rng.random(8)
    a /= a.sum()
    ref = certify(M, a, f=np.asarray(solve(M, a).f) + 0.1)
    c = certify(xp.asarray(M), xp.asarray(a), f=xp.asarray(np.asarray(solve(M, a).f) + 0.1))
    for t in (c.lower, c.upper, c.plan, c.f, c.g):
        assert xp.owns(t) and t.dtype == xp.float64
    assert float(xp.to_numpy(c.lower)) == pytest.approx(float(ref.lower), rel=1e-12)
    lo, hi = wasserstein_bounds(xp.asarray(rng.normal(size=(9, 2))), xp.asarray(rng.normal(size=(7, 2))), seed=0)
    assert xp.owns(lo) and xp.owns(hi) and float(xp.to_numpy(lo)) <= float(xp.to_numpy(hi))


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(), "nothing to certify"),
        (dict(f=np.zeros(3)), "f must have shape"),
        (dict(g=np.array([np.nan, 0.0])), "g contains NaN"),
        (dict(plan=np.ones((2, 3))), "plan must have the shape"),
        (dict(plan=np.array([[0.5, -0.1], [0.0, 0.5]])), "plan has negative"),
        (dict(plan=np.array([[np.inf, 0.0], [0.0, 0.5]])), "plan contains NaN or infinite"),
        (dict(f=np.zeros(2), eps=0.0), "eps must be"),
        (dict(f=np.zeros(2), a=[0.2, 0.2]), "total masses"),
    ],
)
def test_bad_input(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        certify(np.array([[0.0, 1.0], [1.0, 0.0]]), **kwargs)
