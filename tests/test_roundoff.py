"""Certificates that hold in floating point: checked against exact rational arithmetic
(Python's fractions, brute force over permutations) and HiGHS with tight tolerances,
under adversarial potential offsets, scalings of the cost and tiny masses."""

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from divergences import certify, solve
from divergences._numerics import numpy_exp_inplace
from divergences.testing import cost_matrices


def exact_uniform_ot(M: np.ndarray, t: float) -> Fraction:
    """OT(t/n 1, t/n 1) in exact arithmetic: by Birkhoff, a permutation is optimal."""
    n = M.shape[0]
    cells = [[Fraction(float(M[i, j])) for j in range(n)] for i in range(n)]
    best = min(sum(cells[i][s[i]] for i in range(n)) for s in itertools.permutations(range(n)))
    return best * Fraction(t) / n


problems = st.integers(1, 5).flatmap(lambda n: cost_matrices(n, n))
cost_scales = st.sampled_from([1.0, 1e-13, 1e-300, 1e300, 1.7e308 / 100])
masses = st.sampled_from([1.0, 1e-200, 1e-300, 1e-318, 1e200])
offsets = st.sampled_from([0.0, 1e12, -1e13, 1e15])


@given(problems, cost_scales, masses)
def test_solve_gap_bounds_the_error_exactly(M, s, t):
    assume(s * t < 1e300)  # beyond, <M, P> is unrepresentable (tested elsewhere)
    M = s * M
    n = M.shape[0]
    a = np.full(n, t / n)
    r = solve(M, a, a)
    exact = exact_uniform_ot(M, float(a.sum()))
    assert abs(Fraction(float(r.value)) - exact) <= Fraction(r.gap)
    assert r.converged


@given(problems, cost_scales, masses, offsets, st.integers(0, 2**32 - 1))
def test_certificate_brackets_the_exact_cost(M, s, t, offset, seed):
    assume(s * t < 1e300 and (offset == 0 or s < 1e290))
    M = s * M
    n = M.shape[0]
    a = np.full(n, t / n)
    r = solve(M, a, a)
    exact = exact_uniform_ot(M, float(a.sum()))
    rng = np.random.default_rng(seed)
    f = np.asarray(r.f) + offset * s + 1e-3 * s * rng.normal(size=n)
    plan = np.asarray(r.plan) * np.exp(0.01 * rng.normal(size=(n, n)))
    for kwargs in (dict(f=f), dict(g=np.asarray(r.g) - offset * s), dict(f=f, plan=plan), dict(plan=plan)):
        c = certify(M, a, a, **kwargs)
        assert Fraction(float(c.lower)) <= exact <= Fraction(float(c.upper)), kwargs
        if exact > 0:
            assert float(c.upper) > 0  # no underflow to 0 for tiny masses


def test_offset_potentials_keep_the_lower_bound_below_the_optimum(rng):
    # With equal masses, f + c, g - c has the same dual value; a large c used to
    # push the computed lower bound above the optimum.
    for _ in range(20):
        M = rng.random((4, 4))
        a = np.full(4, 0.25)
        r = solve(M, a, a)
        exact = exact_uniform_ot(M, 1.0)
        for c in (1e8, 1e12, 1e15, -1e14):
            lower = certify(M, a, a, f=np.asarray(r.f) + c).lower
            assert Fraction(float(lower)) <= exact


@pytest.mark.parametrize("scale", [1e-13, 1.0, 1e300])
def test_solve_matches_highs_with_tight_tolerances(rng, scale):
    from scipy.optimize import linprog
    import scipy.sparse as sp

    n, m = 12, 9
    M = scale * rng.random((n, m))
    a, b = rng.random(n), rng.random(m)
    a, b = a / a.sum(), b / b.sum()
    A = sp.vstack([sp.kron(sp.eye(n), np.ones((1, m))), sp.kron(np.ones((1, n)), sp.eye(m))]).tocsr()
    # HiGHS's tolerances are absolute: it is given the unit-scale problem
    ref = linprog(M.ravel() / scale, A_eq=A, b_eq=np.r_[a, b], bounds=(0, None), method="highs",
                  options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
    r = solve(M, a, b)
    assert r.converged
    assert float(r.value) == pytest.approx(scale * ref.fun, rel=1e-9)
    c = certify(M, a, b, f=r.f, plan=r.plan)
    assert float(c.lower) <= scale * ref.fun * (1 + 1e-9) and scale * ref.fun <= float(c.upper) * (1 + 1e-9)
    assert r.gap <= 1e-12 * scale


def test_float32_certificate_is_widened_in_float32(rng):
    M = rng.random((5, 5))
    a = np.full(5, 0.2)
    exact = exact_uniform_ot(M.astype(np.float32).astype(np.float64), 1.0)
    f = solve(M.astype(np.float32), a.astype(np.float32)).f
    c = certify(M.astype(np.float32), a.astype(np.float32), a.astype(np.float32), f=f + np.float32(1e4))
    assert c.lower.dtype == np.float32
    # masses 0.2 in float32 sum to 1 only up to round-off: compare with a small slack
    assert Fraction(float(c.lower)) <= exact * (1 + Fraction(1, 10**6))
    assert exact * (1 - Fraction(1, 10**6)) <= Fraction(float(c.upper))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_exponential_is_numpys_to_an_ulp_and_zero_below_the_normal_range(dtype):
    # NumPy input's kernel exponential may run in PyTorch (_numerics.numpy_exp_inplace):
    # every result above exp(L), L = log of the smallest normal number, is exp to about
    # an ulp; below it, and at -inf (zero weights), exactly 0
    low = float(np.ceil(np.log(np.finfo(dtype).smallest_normal)))
    x = np.concatenate([np.linspace(1.2 * low, 5.0, 70_000), [-np.inf, low, low - 1.0]]).astype(dtype)
    got = numpy_exp_inplace(x.copy())
    want = np.exp(x.astype(np.float64))
    above = want > float(np.exp(np.asarray(low, dtype=dtype)))
    assert np.all(got[~above] == 0) and got[-3] == 0
    ulp = float(np.finfo(dtype).eps)
    assert np.max(np.abs(got[above] - want[above]) / want[above]) <= 2 * ulp
