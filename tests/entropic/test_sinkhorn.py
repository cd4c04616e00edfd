"""sinkhorn: the limit eps -> 0, marginals, agreement with POT, unbalanced, gradients."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from divergences import sinkhorn, solve
from divergences.testing import transport_problems


def _entropy(w):
    w = w[w > 0]
    return float(-(w * np.log(w)).sum())


def _kl(P, a, b):
    Q = a[:, None] * b[None, :]
    mask = P > 0
    return float((P[mask] * np.log(P[mask] / Q[mask])).sum() - P.sum() + Q.sum())


@given(transport_problems(max_n=7, max_m=7), st.sampled_from([1.0, 0.1, 0.01]))
def test_value_brackets_the_exact_cost(problem, rel_eps):
    """OT <= <M, P_eps> + slack and OT_eps <= OT + eps min(H(a), H(b)): the entropy of
    the optimal plan relative to a b^T is at most min(H(a), H(b)); the slack covers
    the marginal error of the returned plan."""
    M, a, b = problem
    scale = max(float(M.max()), 1.0)
    eps = rel_eps * scale
    with warnings.catch_warnings():
        # Degenerate integer costs at eps = 1e-2 can need > 10^4 iterations (a long
        # plateau of plain Sinkhorn); the certified bracket must hold regardless.
        warnings.simplefilter("ignore", RuntimeWarning)
        r = sinkhorn(M, a, b, eps=eps, tol=1e-9)
    exact = float(solve(M, a, b).value)
    assert float(r.lower) <= exact + 1e-9 * scale and exact <= float(r.upper) + 1e-9 * scale
    if not r.converged:
        return
    slack = 2 * r.marginal_error * scale + 1e-9 * scale
    assert exact - slack <= float(r.value) <= float(r.entropic_value) + slack
    assert float(r.entropic_value) <= exact + eps * min(_entropy(a), _entropy(b)) + slack


def test_convergence_rate_to_the_exact_value(rng):
    """The bias <M, P_eps> - OT shrinks at least linearly in eps (here it falls
    faster: for discrete OT it vanishes exponentially fast once eps is below the
    gap between the best and second-best vertex, Cominetti and San Martin 1994)."""
    M = rng.random((20, 15))
    exact = float(solve(M).value)
    errors = [float(sinkhorn(M, eps=eps, tol=1e-10).value) - exact for eps in (0.1, 0.03, 0.01, 0.003)]
    assert all(e >= -1e-9 for e in errors)
    assert all(e2 <= e1 * 0.3 + 1e-9 for e1, e2 in zip(errors, errors[1:]))
    assert errors[-1] < 1e-4


@given(transport_problems(max_n=8, max_m=8), st.sampled_from([0.5, 0.05]))
def test_marginals_within_tol_and_strong_duality(problem, rel_eps):
    M, a, b = problem
    eps = rel_eps * max(float(M.max()), 1.0)
    r = sinkhorn(M, a, b, eps=eps, tol=1e-8)
    P = np.asarray(r.plan)
    err = max(np.abs(P.sum(1) - a).sum(), np.abs(P.sum(0) - b).sum())
    assert r.converged and err <= 1e-8 and r.marginal_error == pytest.approx(err, abs=1e-12)
    primal = float((P * M).sum()) + eps * _kl(P, a, b)
    assert float(r.entropic_value) == pytest.approx(primal, rel=1e-6, abs=1e-6 * eps)
    # the plan is the Gibbs kernel of the potentials
    np.testing.assert_allclose(P, a[:, None] * b[None, :] * np.exp((r.f[:, None] + r.g[None, :] - M) / eps),
                               rtol=1e-9, atol=1e-300)


def test_agrees_with_pot_where_pot_converges(rng):
    ot = pytest.importorskip("ot")
    x, y = rng.normal(size=(60, 2)), rng.normal(size=(50, 2)) + 1.0
    M = ot.dist(x, y)
    a, b = rng.random(60) + 0.1, rng.random(50) + 0.1
    a, b = a / a.sum(), b / b.sum()
    eps = 0.5
    P_pot = ot.sinkhorn(a, b, M, eps, method="sinkhorn_log", stopThr=1e-12, numItermax=100000)
    r = sinkhorn(M, a, b, eps=eps, tol=1e-10)
    # POT's -H(P) regulariser differs from KL(P | a b^T) by a constant on U(a, b):
    # the same optimal plan.
    np.testing.assert_allclose(np.asarray(r.plan), P_pot, atol=1e-9)
    assert float(r.value) == pytest.approx(float(ot.sinkhorn2(a, b, M, eps, method="sinkhorn_log",
                                                              stopThr=1e-12, numItermax=100000)), rel=1e-7)


def test_small_eps_where_plain_sinkhorn_crawls(rng):
    x, y = rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) + 1.0
    M = ((x[:, None] - y[None]) ** 2).sum(-1)
    r = sinkhorn(M, eps=0.01, tol=1e-6, max_iter=3000)
    assert r.converged and r.marginal_error <= 1e-6
    assert float(r.value) >= float(solve(M).value) - 1e-6 * M.max()


def test_float32_stays_finite_at_eps_1e_4_of_the_largest_cost(rng):
    x, y = rng.normal(size=(200, 2)), rng.normal(size=(150, 2)) + 1.0
    M = (((x[:, None] - y[None]) ** 2).sum(-1)).astype(np.float32)
    r = sinkhorn(M, eps=1e-4 * float(M.max()), tol=1e-3, max_iter=5000)
    assert r.plan.dtype == np.float32
    for t in (r.value, r.entropic_value, r.plan, r.f, r.g):
        assert np.all(np.isfinite(np.asarray(t)))
    assert r.converged
    exact = float(solve(M.astype(np.float64)).value)
    assert float(r.value) == pytest.approx(exact, rel=1e-2)


def test_unbalanced_tends_to_balanced_as_rho_grows(rng):
    M = rng.random((12, 9))
    bal = sinkhorn(M, eps=0.05, tol=1e-10)
    gaps = [float(np.abs(np.asarray(sinkhorn(M, eps=0.05, unbalanced=rho, tol=1e-10).plan)
                         - np.asarray(bal.plan)).sum()) for rho in (1.0, 10.0, 100.0, 1000.0)]
    assert all(g2 < g1 for g1, g2 in zip(gaps, gaps[1:]))
    assert gaps[-1] < 1e-2
    inf = sinkhorn(M, eps=0.05, unbalanced=float("inf"), tol=1e-10)
    np.testing.assert_allclose(np.asarray(inf.plan), np.asarray(bal.plan))


def test_unbalanced_agrees_with_pot_kl(rng):
    ot = pytest.importorskip("ot")
    M = rng.random((15, 10))
    a, b = rng.random(15) + 0.5, 2.0 * (rng.random(10) + 0.5)  # unequal masses
    eps, rho = 0.1, 0.7
    P_pot = ot.unbalanced.sinkhorn_unbalanced(a, b, M, eps, rho, reg_type="kl", method="sinkhorn",
                                              stopThr=1e-13, numItermax=100000)
    r = sinkhorn(M, a, b, eps=eps, unbalanced=rho, tol=1e-11)
    np.testing.assert_allclose(np.asarray(r.plan), P_pot, rtol=1e-6, atol=1e-12)
    # the entropic value is the primal objective at the plan
    P = np.asarray(r.plan)
    primal = (P * M).sum() + eps * _kl(P, a, b) + rho * (_kl1(P.sum(1), a) + _kl1(P.sum(0), b))
    assert float(r.entropic_value) == pytest.approx(primal, rel=1e-7)


def _kl1(p, q):
    return float((p * np.log(p / q)).sum() - p.sum() + q.sum())


def test_warm_start_converges_at_once(rng):
    M = rng.random((30, 20))
    r = sinkhorn(M, eps=0.01)
    again = sinkhorn(M, eps=0.01, init=(r.f, r.g))
    assert again.n_iter <= 10 and again.converged


def test_not_converged_is_reported(rng):
    M = rng.random((40, 40))
    with pytest.warns(RuntimeWarning, match="marginal error"):
        r = sinkhorn(M, eps=1e-3, max_iter=2)
    assert not r.converged and r.marginal_error > 1e-6
    with pytest.raises(RuntimeError, match="marginal error"):
        sinkhorn(M, eps=1e-3, max_iter=2, on_fail="raise")


def test_backends(xp, rng):
    M, a = rng.random((9, 7)), rng.random(9) + 0.1
    a /= a.sum()
    ref = sinkhorn(M, a, eps=0.1, tol=1e-10)
    for dtype, solve_tol, tol in ((xp.float64, 1e-10, 1e-8), (xp.float32, 1e-5, 1e-4)):
        r = sinkhorn(xp.asarray(M, dtype), xp.asarray(a, dtype), eps=0.1, tol=solve_tol)
        for t in (r.value, r.entropic_value, r.plan, r.f, r.g):
            assert xp.owns(t) and t.dtype == dtype
        assert float(xp.to_numpy(r.value)) == pytest.approx(float(ref.value), rel=tol)
        np.testing.assert_allclose(xp.to_numpy(r.plan), np.asarray(ref.plan), atol=tol)


def test_torch_gradients_of_the_entropic_value(rng):
    torch = pytest.importorskip("torch")
    M0, a0, b0 = rng.random((6, 5)), rng.random(6) + 0.2, rng.random(5) + 0.2
    a0, b0 = a0 / a0.sum(), b0 / b0.sum()
    eps = 0.1
    M, a, b = (torch.tensor(t, requires_grad=True) for t in (M0, a0, b0))
    r = sinkhorn(M, a, b, eps=eps, tol=1e-12)
    r.entropic_value.backward()
    np.testing.assert_allclose(M.grad.numpy(), r.plan.detach().numpy(), atol=1e-10)
    ent = lambda M_, a_, b_: float(sinkhorn(M_, a_, b_, eps=eps, tol=1e-12).entropic_value)
    h = 1e-6
    for i, j in ((0, 0), (3, 2)):
        E = np.zeros_like(M0)
        E[i, j] = h
        assert M.grad.numpy()[i, j] == pytest.approx((ent(M0 + E, a0, b0) - ent(M0 - E, a0, b0)) / (2 * h), rel=1e-5)
    da, db = np.eye(6)[1] - np.eye(6)[4], np.eye(5)[0] - np.eye(5)[3]
    fd = (ent(M0, a0 + h * da, b0 + h * db) - ent(M0, a0 - h * da, b0 - h * db)) / (2 * h)
    assert a.grad.numpy() @ da + b.grad.numpy() @ db == pytest.approx(fd, rel=1e-5)


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(eps=0.0), ValueError, "eps must be a finite positive number"),
        (dict(eps=-1.0), ValueError, "eps must be"),
        (dict(eps=float("nan")), ValueError, "eps must be"),
        (dict(eps=float("inf")), ValueError, "eps must be"),
        (dict(eps="0.1"), TypeError, "eps must be a positive number"),
        (dict(eps=0.1, tol=0.0), ValueError, "tol must be"),
        (dict(eps=0.1, a=[0.5, -0.5]), ValueError, "a has negative"),
        (dict(eps=0.1, b=[np.nan, 1.0]), ValueError, "b contains NaN"),
        (dict(eps=0.1, a=[0.2, 0.2]), ValueError, "total masses"),
        (dict(eps=0.1, unbalanced=0.0), ValueError, "unbalanced must be a positive number"),
        (dict(eps=0.1, max_iter=-1), ValueError, "max_iter must be a nonnegative integer"),
        (dict(eps=0.1, on_fail="quiet"), ValueError, "on_fail must be one of"),
        (dict(eps=0.1, init=(np.zeros(2), np.zeros(3))), ValueError, r"init\[1\] must have shape"),
        (dict(eps=0.1, init=np.zeros(2)), TypeError, "init must be a pair"),
    ],
)
def test_bad_input(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        sinkhorn(np.array([[0.0, 1.0], [1.0, 0.0]]), **kwargs)
    with pytest.raises(ValueError, match="M contains NaN"):
        sinkhorn(np.array([[0.0, np.nan], [1.0, 0.0]]), eps=0.1)


@pytest.mark.parametrize("unbalanced", [None, 2.0])
def test_blocked_passes_give_the_one_block_results(xp, rng, monkeypatch, unbalanced):
    """The kernel, the Sinkhorn steps and the plan, its cost and the bracket are
    formed over blocks of rows: with blocks of one to nine rows (the last one short)
    every output is the one-block output to round-off, zero weights included, and
    the bracket holds."""
    from divergences.entropic import _blocks, _kernel

    M = rng.random((13, 11))
    a, b = rng.random(13), rng.random(11)
    a[[2, 7]], b[4] = 0.0, 0.0
    a, b = a / a.sum(), b / b.sum()
    args = [xp.asarray(t) for t in (M, a, b)]
    one = sinkhorn(*args, eps=0.05, tol=1e-9, unbalanced=unbalanced)
    monkeypatch.setattr(_blocks, "BLOCK_ENTRIES", 20)
    assert [s.stop - s.start for s in _blocks.row_blocks(13, 11)] == [1] * 13
    monkeypatch.setattr(_blocks, "BLOCK_ENTRIES", 25)
    assert [s.stop - s.start for s in _blocks.row_blocks(13, 11)] == [2] * 6 + [1]
    assert [s.stop - s.start for s in _blocks.row_blocks(13, 11, _kernel.STEP_BLOCKS)] == [9, 4]
    monkeypatch.setattr(_kernel, "STEP_BLOCKED_FROM", 0)
    blocked = sinkhorn(*args, eps=0.05, tol=1e-9, unbalanced=unbalanced)
    fields = ("value", "entropic_value", "plan", "f", "g") + (("lower", "upper") if unbalanced is None else ())
    for name in fields:
        np.testing.assert_allclose(xp.to_numpy(getattr(blocked, name)), xp.to_numpy(getattr(one, name)),
                                   rtol=1e-12, atol=1e-14, err_msg=name)
    if unbalanced is None:
        exact = float(solve(M, a, b).value)
        assert float(xp.to_numpy(blocked.lower)) <= exact <= float(xp.to_numpy(blocked.upper))
