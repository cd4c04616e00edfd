"""Dual tools: c-transform feasibility, dual value, the W_1 critic objective, Lipschitz."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from divergences import c_transform, dual_value, kantorovich_rubinstein, lipschitz_constant, solve
from divergences.testing import point_clouds, transport_problems


@given(transport_problems(), st.integers(0, 2**32 - 1))
def test_c_transform_gives_feasible_pair_below_the_optimum(problem, seed):
    M, a, b = problem
    f = np.random.default_rng(seed).normal(size=M.shape[0])
    g = c_transform(f, M)
    assert np.all(f[:, None] + g[None, :] <= M + 1e-12)
    assert np.allclose(g, (M - f[:, None]).min(axis=0))  # tight: the largest feasible g
    assert float(dual_value(f, g, a, b)) <= float(solve(M, a, b).value) + 1e-9


@given(transport_problems())
def test_optimal_potentials_are_fixed_points(problem):
    M, a, b = problem
    r = solve(M, a, b)
    g = c_transform(np.asarray(r.f), M)
    assert float(dual_value(r.f, g, a, b)) == pytest.approx(float(r.value), rel=1e-9, abs=1e-9)


def test_dual_tools_on_backends(xp, rng):
    M0 = rng.random((6, 5))
    r0 = solve(M0)
    M = xp.asarray(M0)
    f = xp.asarray(np.asarray(r0.f))
    g = c_transform(f, M)
    assert xp.owns(g)
    val = dual_value(f, g)
    assert xp.owns(val) and float(xp.to_numpy(val)) == pytest.approx(float(r0.value), rel=1e-9)


def test_kantorovich_rubinstein_with_the_optimal_critic_equals_w1(xp, rng):
    # In 1-D the optimal 1-Lipschitz critic is f(t) = int_{-inf}^t sign(F_b - F_a).
    x, y = np.sort(rng.normal(size=40)), rng.normal(size=30) + 0.7
    grid = np.sort(np.concatenate([x, y]))
    Fa = np.searchsorted(x, grid, side="right") / 40
    Fb = np.searchsorted(np.sort(y), grid, side="right") / 30
    slope = np.sign(Fb - Fa)[:-1]
    values = np.concatenate([[0.0], np.cumsum(slope * np.diff(grid))])
    critic = lambda t: np.interp(t, grid, values)
    w1 = float(solve(np.abs(x[:, None] - y[None, :])).value)
    kr = kantorovich_rubinstein(xp.asarray(critic(x)), xp.asarray(critic(y)))
    assert xp.owns(kr)
    assert float(xp.to_numpy(kr)) == pytest.approx(w1, rel=1e-9)
    lip = lipschitz_constant(xp.asarray(critic(grid)), xp.asarray(grid))
    assert float(xp.to_numpy(lip)) <= 1 + 1e-9


@given(point_clouds(max_n=10), st.integers(0, 2**32 - 1))
def test_lipschitz_constant_matches_brute_force(x, seed):
    f = np.random.default_rng(seed).normal(size=x.shape[0])
    best = 0.0
    for i in range(len(x)):
        for j in range(len(x)):
            d = np.linalg.norm(x[i] - x[j])
            if d > 0:
                best = max(best, abs(f[i] - f[j]) / d)
            elif f[i] != f[j]:
                best = np.inf
    assert float(lipschitz_constant(f, x)) == pytest.approx(best, rel=1e-12)


def test_lipschitz_constant_of_a_linear_map_is_its_norm(xp, rng):
    x = rng.normal(size=(50, 3))
    w = np.array([3.0, -4.0, 0.0])
    lip = lipschitz_constant(xp.asarray(x @ w), xp.asarray(x))
    assert float(xp.to_numpy(lip)) <= 5.0 + 1e-9
    assert float(xp.to_numpy(lip)) > 4.0
