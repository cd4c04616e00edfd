"""sinkhorn_points: the online path agrees with the dense one, gradients, backends."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from divergences import sinkhorn, sinkhorn_points
from divergences.testing import measures


def _cost(x, y, p):
    return np.linalg.norm(x[:, None] - y[None], axis=-1) ** p


def _plan(r, x, y, a, b, eps, p):
    return a[:, None] * b[None, :] * np.exp((r.f[:, None] + r.g[None, :] - _cost(x, y, p)) / eps)


@given(measures(max_n=9, max_d=2), measures(max_n=9, max_d=2), st.sampled_from([1.0, 2.0, 3.0]),
       st.sampled_from([1.0, 0.1]), st.sampled_from([None, 1.0]))
def test_online_equals_dense(mu, nu, p, rel_eps, rho):
    (x, a), (y, b) = mu, nu
    y = np.resize(y, (len(y), x.shape[1]))
    M = _cost(x, y, p)
    eps = rel_eps * max(float(M.max()), 1.0)
    dense = sinkhorn(M, a, b, eps=eps, tol=1e-10, unbalanced=rho)
    online = sinkhorn_points(x, y, a, b, eps=eps, p=p, tol=1e-10, unbalanced=rho, block_size=2)
    assert dense.converged and online.converged
    for field in ("value", "entropic_value"):
        assert float(getattr(online, field)) == pytest.approx(float(getattr(dense, field)), rel=1e-7, abs=1e-9 * eps)
    np.testing.assert_allclose(_plan(online, x, y, a, b, eps, p), np.asarray(dense.plan), atol=1e-8)


def test_marginals_of_the_implicit_plan(rng):
    x, y = rng.normal(size=(50, 3)), rng.normal(size=(40, 3)) + 0.5
    a = rng.random(50)
    a /= a.sum()
    b = np.full(40, 1 / 40)
    r = sinkhorn_points(x, y, a, eps=0.05, tol=1e-9, block_size=7)
    P = _plan(r, x, y, a, b, 0.05, 2)
    err = max(np.abs(P.sum(1) - a).sum(), np.abs(P.sum(0) - b).sum())
    assert r.plan is None and r.converged and err <= 1e-9
    assert r.marginal_error == pytest.approx(err, abs=1e-12)


def test_torch_gradients_match_finite_differences(rng):
    torch = pytest.importorskip("torch")
    x0, y0, a0 = rng.normal(size=(7, 2)), rng.normal(size=(5, 2)), rng.random(7) + 0.3
    a0 /= a0.sum()
    eps = 0.3
    for p in (2.0, 1.5):
        x, y, a = (torch.tensor(t, requires_grad=True) for t in (x0, y0, a0))
        r = sinkhorn_points(x, y, a, eps=eps, p=p, tol=1e-12)
        gx, gy, ga = torch.autograd.grad(r.entropic_value, (x, y, a), retain_graph=True)
        ent = lambda x_, y_, a_: float(sinkhorn_points(x_, y_, a_, eps=eps, p=p, tol=1e-12).entropic_value)
        h = 1e-6
        for idx in ((0, 0), (4, 1)):
            E = np.zeros_like(x0)
            E[idx] = h
            assert gx.numpy()[idx] == pytest.approx((ent(x0 + E, y0, a0) - ent(x0 - E, y0, a0)) / (2 * h), rel=1e-5)
            F = np.zeros_like(y0)
            F[idx[0] % 5, idx[1]] = h
            assert gy.numpy()[idx[0] % 5, idx[1]] == pytest.approx(
                (ent(x0, y0 + F, a0) - ent(x0, y0 - F, a0)) / (2 * h), rel=1e-5)
        da = np.eye(7)[2] - np.eye(7)[5]
        fd = (ent(x0, y0, a0 + h * da) - ent(x0, y0, a0 - h * da)) / (2 * h)
        assert ga.numpy() @ da == pytest.approx(fd, rel=1e-5)
        # value = <C, P> differentiates with the plan held fixed: same point gradient
        (gv,) = torch.autograd.grad(r.value, (x,))
        np.testing.assert_allclose(gv.numpy(), gx.numpy(), rtol=1e-12)


def test_backends(xp, rng):
    x, y = rng.normal(size=(10, 2)), rng.normal(size=(8, 2))
    ref = sinkhorn_points(x, y, eps=0.2, tol=1e-10)
    for dtype, solve_tol, tol in ((xp.float64, 1e-10, 1e-8), (xp.float32, 1e-5, 1e-4)):
        r = sinkhorn_points(xp.asarray(x, dtype), xp.asarray(y, dtype), eps=0.2, tol=solve_tol, block_size=3)
        for t in (r.value, r.entropic_value, r.f, r.g):
            assert xp.owns(t) and t.dtype == dtype
        assert float(xp.to_numpy(r.entropic_value)) == pytest.approx(float(ref.entropic_value), rel=tol)


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(eps=0.0), ValueError, "eps must be"),
        (dict(eps=0.1, p=0.5), ValueError, "p must be"),
        (dict(eps=0.1, block_size=0), ValueError, "block_size must be a positive integer"),
        (dict(eps=0.1, a=[1.0, -1.0]), ValueError, "a has negative"),
        (dict(eps=0.1, a=[1.0, 2.0]), ValueError, "total masses"),
    ],
)
def test_bad_input(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        sinkhorn_points(np.zeros((2, 2)), np.ones((3, 2)), **kwargs)
    with pytest.raises(ValueError, match="x contains NaN"):
        sinkhorn_points(np.array([[np.nan, 0.0]]), np.ones((3, 2)), eps=0.1)
