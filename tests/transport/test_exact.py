"""solve: strong duality, agreement of the three exact solvers, backends, gradients."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from divergences import solve
from divergences.testing import transport_problems

EXACT = ("network_simplex", "lp")


def _dual(r, a, b):
    return float(a @ np.asarray(r.f) + b @ np.asarray(r.g))


def _check_optimality_certificate(r, M, a, b):
    P, f, g = (np.asarray(t) for t in (r.plan, r.f, r.g))
    scale = max(1.0, np.abs(M).max())
    assert r.converged
    assert r.gap >= 0
    assert abs(float(r.value) - _dual(r, a, b)) <= 1e-9 * scale
    assert np.all(P >= 0)
    np.testing.assert_allclose(P.sum(1), a, atol=1e-12)
    np.testing.assert_allclose(P.sum(0), b, atol=1e-12)
    assert np.all(f[:, None] + g[None, :] <= M + 1e-12 * scale)


@given(transport_problems(), st.sampled_from(EXACT))
def test_strong_duality_and_feasibility(problem, method):
    M, a, b = problem
    _check_optimality_certificate(solve(M, a, b, method=method), M, a, b)


@given(transport_problems())
def test_network_simplex_and_lp_agree(problem):
    M, a, b = problem
    values = [float(solve(M, a, b, method=m).value) for m in EXACT]
    # HiGHS's tolerances are relative to the largest cost
    assert values[0] == pytest.approx(values[1], rel=1e-9, abs=1e-9 * max(1.0, float(M.max())))


@given(transport_problems(square=True, uniform=True))
def test_assignment_agrees_with_lp(problem):
    M, a, b = problem
    r = solve(M, method="assignment")
    _check_optimality_certificate(r, M, a, b)
    assert float(r.value) == pytest.approx(float(solve(M, method="lp").value), rel=1e-9,
                                           abs=1e-9 * max(1.0, float(M.max())))


def test_value_against_brute_force_over_permutations(rng):
    from itertools import permutations

    M = rng.random((6, 6))
    best = min(sum(M[i, s[i]] for i in range(6)) for s in permutations(range(6))) / 6
    for method in ("auto", *EXACT, "assignment"):
        assert float(solve(M, method=method).value) == pytest.approx(best, rel=1e-12)


def test_zero_weights_get_feasible_potentials(rng):
    M = rng.random((5, 4))
    a = np.array([0.5, 0.0, 0.25, 0.25, 0.0])
    b = np.array([0.0, 0.5, 0.5, 0.0])
    for method in EXACT:
        r = solve(M, a, b, method=method)
        _check_optimality_certificate(r, M, a, b)
        assert np.all(np.asarray(r.plan)[[1, 4], :] == 0)


def test_normalize_rescales_masses(rng):
    M = rng.random((3, 4))
    a, b = np.array([1.0, 2.0, 1.0]), np.full(4, 2.0)
    r = solve(M, a, b, normalize=True)
    np.testing.assert_allclose(np.asarray(r.plan).sum(1), a / 4)
    with pytest.raises(ValueError, match="total masses"):
        solve(M, a, b)


def test_single_point_measures():
    M = np.array([[2.0, 3.0, 5.0]])
    r = solve(M, b=np.array([0.2, 0.3, 0.5]))
    assert float(r.value) == pytest.approx(0.4 + 0.9 + 2.5)


def test_iteration_cap_reports_not_converged(rng):
    M = rng.random((30, 30))
    with pytest.warns(RuntimeWarning, match="before optimality"):
        r = solve(M, max_iter=1)
    assert not r.converged
    assert r.gap == np.inf  # POT's stopped simplex leaves a plan outside U(a, b)
    with pytest.raises(RuntimeError, match="before optimality"):
        solve(M, max_iter=1, on_fail="raise")


@pytest.mark.parametrize("method", ["auto", "network_simplex", "assignment", "lp"])
def test_backends_keep_namespace_dtype_device(xp, rng, method):
    M = rng.random((7, 7))
    ref = solve(M, method="lp")
    for dtype, tol in ((xp.float64, 1e-12), (xp.float32, 1e-6)):
        r = solve(xp.asarray(M, dtype=dtype), method=method)
        for arr in (r.value, r.plan, r.f, r.g):
            assert xp.owns(arr) and arr.dtype == dtype
        assert r.value.shape == ()
        assert float(xp.to_numpy(r.value)) == pytest.approx(float(ref.value), rel=tol)


def test_backends_accept_weights_and_integer_costs(xp):
    M = xp.asarray([[0, 2], [2, 0]], dtype=xp.int64)
    a, b = xp.asarray([0.5, 0.5]), xp.asarray([0.25, 0.75])
    r = solve(M, a, b)
    assert r.plan.dtype == xp.float64
    assert float(xp.to_numpy(r.value)) == pytest.approx(0.5)


def test_torch_gradients_are_plan_and_potentials(rng):
    torch = pytest.importorskip("torch")
    M0, a0, b0 = rng.random((5, 6)), rng.random(5) + 0.1, rng.random(6) + 0.1
    b0 *= a0.sum() / b0.sum()
    M = torch.tensor(M0, requires_grad=True)
    a = torch.tensor(a0, requires_grad=True)
    b = torch.tensor(b0, requires_grad=True)
    r = solve(M, a, b)
    r.value.backward()
    np.testing.assert_allclose(M.grad.numpy(), r.plan.numpy())
    # Finite differences along mass-preserving directions (duals unique: generic M).
    h = 1e-7
    for da, db in ((np.eye(5)[0] - np.eye(5)[3], np.zeros(6)), (np.zeros(5), np.eye(6)[1] - np.eye(6)[4])):
        fd = (float(solve(M0, a0 + h * da, b0 + h * db).value)
              - float(solve(M0, a0 - h * da, b0 - h * db).value)) / (2 * h)
        grad = a.grad.numpy() @ da + b.grad.numpy() @ db
        assert grad == pytest.approx(fd, rel=1e-5, abs=1e-8)
