"""sinkhorn_divergence: nonnegative, symmetric, zero on identical inputs, -> W_p^p."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from divergences import sinkhorn_divergence, wasserstein
from divergences.testing import measures

TOL = 1e-9


@given(measures(max_n=8, max_d=2, zeros=False), measures(max_n=8, max_d=2, zeros=False),
       st.sampled_from([1.0, 2.0]), st.sampled_from([10.0, 1.0, 0.1]))
def test_nonnegative_and_symmetric(mu, nu, p, rel_eps):
    (x, a), (y, b) = mu, nu
    y = np.resize(y, (len(y), x.shape[1]))
    scale = max(float(np.abs(np.concatenate([x, y])).max()) ** p, 1.0)
    eps = rel_eps * scale
    s_xy = float(sinkhorn_divergence(x, y, a, b, eps=eps, p=p, tol=TOL))
    s_yx = float(sinkhorn_divergence(y, x, b, a, eps=eps, p=p, tol=TOL))
    slack = 1e3 * TOL * scale
    assert s_xy >= -slack
    assert s_xy == pytest.approx(s_yx, abs=slack)


def test_zero_exactly_on_identical_inputs(xp, rng):
    x, a = rng.normal(size=(12, 3)), rng.random(12)
    a /= a.sum()
    s = sinkhorn_divergence(xp.asarray(x), xp.asarray(x), xp.asarray(a), xp.asarray(a), eps=0.1)
    assert xp.owns(s) and float(xp.to_numpy(s)) == 0.0


def test_tends_to_wasserstein_as_eps_shrinks(rng):
    x, y = rng.normal(size=(30, 2)), rng.normal(size=(25, 2)) + 1.0
    w22 = float(wasserstein(x, y, p=2)) ** 2
    gaps = [w22 - float(sinkhorn_divergence(x, y, eps=eps, tol=1e-9)) for eps in (1.0, 0.1, 0.01)]
    assert all(abs(g2) < abs(g1) for g1, g2 in zip(gaps, gaps[1:]))
    assert abs(gaps[-1]) < 1e-2 * w22


def test_large_eps_tends_to_the_energy_distance(rng):
    """As eps -> inf, S_eps -> MMD with kernel -C/2 (Feydy et al. 2019, Prop. 2); for
    C = |x - y| that is half the energy distance."""
    x, y = rng.normal(size=(20, 2)), rng.normal(size=(15, 2)) + 0.5
    d = lambda s, t: np.linalg.norm(s[:, None] - t[None], axis=-1).mean()
    energy = 2 * d(x, y) - d(x, x) - d(y, y)
    assert float(sinkhorn_divergence(x, y, eps=1e5, p=1)) == pytest.approx(energy / 2, rel=1e-3)


def test_dense_and_online_agree(rng):
    x, y = rng.normal(size=(25, 2)), rng.normal(size=(20, 2))
    dense = float(sinkhorn_divergence(x, y, eps=0.05, tol=1e-10, method="dense"))
    online = float(sinkhorn_divergence(x, y, eps=0.05, tol=1e-10, method="online"))
    assert dense == pytest.approx(online, rel=1e-7)


@pytest.mark.parametrize("method", ["dense", "online"])
def test_torch_gradient_matches_finite_differences(rng, method):
    torch = pytest.importorskip("torch")
    x0, y0 = rng.normal(size=(6, 2)), rng.normal(size=(5, 2)) + 0.5
    x = torch.tensor(x0, requires_grad=True)
    sinkhorn_divergence(x, torch.tensor(y0), eps=0.2, tol=1e-12, method=method).backward()
    s = lambda x_: float(sinkhorn_divergence(x_, y0, eps=0.2, tol=1e-12, method=method))
    h = 1e-6
    for idx in ((0, 0), (3, 1)):
        E = np.zeros_like(x0)
        E[idx] = h
        assert x.grad.numpy()[idx] == pytest.approx((s(x0 + E) - s(x0 - E)) / (2 * h), rel=1e-5)


def test_backends(xp, rng):
    x, y = rng.normal(size=(9, 2)), rng.normal(size=(7, 2))
    ref = float(sinkhorn_divergence(x, y, eps=0.1, tol=1e-10))
    for dtype, tol in ((xp.float64, 1e-7), (xp.float32, 1e-3)):
        s = sinkhorn_divergence(xp.asarray(x, dtype), xp.asarray(y, dtype), eps=0.1, tol=1e-5 if tol > 1e-6 else 1e-10)
        assert xp.owns(s) and s.dtype == dtype
        assert float(xp.to_numpy(s)) == pytest.approx(ref, rel=tol)


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(eps=0.0), ValueError, "eps must be"),
        (dict(eps=0.1, method="fast"), ValueError, "method must be one of"),
        (dict(eps=0.1, p=0.0), ValueError, "p must be"),
        (dict(eps=0.1, a=[1.0, 2.0]), ValueError, "total masses"),
    ],
)
def test_bad_input(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        sinkhorn_divergence(np.zeros((2, 2)), np.ones((3, 2)), **kwargs)
    with pytest.raises(ValueError, match="y contains NaN"):
        sinkhorn_divergence(np.zeros((2, 2)), np.array([[np.nan, 1.0]]), eps=0.1)
