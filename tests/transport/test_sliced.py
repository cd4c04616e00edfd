"""Sliced and max-sliced W_p: lower bounds on the exact W_p, ordering, backends."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from divergences import max_sliced_wasserstein, sliced_wasserstein, wasserstein, wasserstein_1d
from divergences.testing import measures


def _pair(mu, nu):
    (x, a), (y, b) = mu, nu
    return x, np.resize(y, (len(y), x.shape[1])), a, b


@given(measures(max_n=8), measures(max_n=8), st.sampled_from([1.0, 2.0, 3.0]), st.integers(0, 1000))
def test_sliced_below_max_sliced_below_exact(mu, nu, p, seed):
    x, y, a, b = _pair(mu, nu)
    sw = float(sliced_wasserstein(x, y, a, b, p=p, n_projections=16, seed=seed))
    msw = float(max_sliced_wasserstein(x, y, a, b, p=p, n_projections=16, n_iter=5, seed=seed))
    w = float(wasserstein(x, y, a, b, p=p))
    assert sw <= msw * (1 + 1e-9) + 1e-9
    assert msw <= w * (1 + 1e-9) + 1e-9


def test_one_direction_in_one_dimension_is_exact(rng):
    x, y = rng.normal(size=(20, 1)), rng.normal(size=(13, 1))
    w = float(wasserstein_1d(x[:, 0], y[:, 0], p=2))
    assert float(sliced_wasserstein(x, y, p=2, n_projections=5, seed=0)) == pytest.approx(w, rel=1e-12)
    assert float(max_sliced_wasserstein(x, y, p=2, seed=0)) == pytest.approx(w, rel=1e-12)


def test_sliced_matches_its_definition(rng):
    x, y = rng.normal(size=(40, 3)), rng.normal(size=(30, 3)) + 1.0
    theta = np.random.default_rng(7).standard_normal((3, 50))
    theta /= np.linalg.norm(theta, axis=0)
    per_direction = [float(wasserstein_1d(x @ t, y @ t, p=2)) ** 2 for t in theta.T]
    expected = np.sqrt(np.mean(per_direction))
    assert float(sliced_wasserstein(x, y, p=2, n_projections=50, seed=7)) == pytest.approx(expected, rel=1e-12)


def test_max_sliced_finds_the_separating_direction(rng):
    # Equal clouds but for a shift along one axis: the best projection is that axis,
    # and it carries the whole distance.
    x = rng.normal(size=(200, 5))
    y = x + np.array([0.0, 0.0, 4.0, 0.0, 0.0])
    msw = float(max_sliced_wasserstein(x, y, p=2, n_projections=8, seed=1))
    assert msw == pytest.approx(4.0, rel=1e-6)
    assert float(sliced_wasserstein(x, y, p=2, seed=1)) < 0.8 * msw


def test_ascent_never_returns_less_than_random_search(rng):
    x, y = rng.normal(size=(60, 4)), 1.5 * rng.normal(size=(50, 4))
    random_only = float(max_sliced_wasserstein(x, y, n_iter=0, seed=3))
    refined = float(max_sliced_wasserstein(x, y, n_iter=10, seed=3))
    assert refined >= random_only


@pytest.mark.parametrize("s", [1.0, 1e-3, 7e5])
def test_ascent_crosses_a_kink_to_the_maximum(xp, s):
    # x = {(1, 1), 0, 0}, y = {(1, -1), 0, 0}, p = 10. At theta = (cos t, sin t) the
    # projected cost is |2 sin t|^p / 3 while both projections are positive, and
    # (|cos t + sin t|^p + |cos t - sin t|^p) / 3 once they differ in sign; its
    # maximum (sqrt 2)^p / 3 = 32 / 3 sits on the kink where a projection ties with
    # the zeros. The linearisation's maximiser from the best random direction lies
    # past the kink at a saddle: the ascent must not be stranded there, whatever the
    # round-off of the scaled coordinates (at s = 1e-3 it was, 1.4% low).
    x = s * np.array([[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    y = s * np.array([[1.0, -1.0], [0.0, 0.0], [0.0, 0.0]])
    t = np.linspace(0.0, np.pi, 200_001)
    c, d = np.cos(t), np.sin(t)
    grid = np.where(c + d > 0, 1, -1) != np.where(c - d > 0, 1, -1)
    cost = np.where(grid, np.abs(c + d) ** 10 + np.abs(c - d) ** 10, np.abs(2 * d) ** 10) / 3
    assert cost.max() <= 32 / 3 * (1 + 1e-12)
    value = max_sliced_wasserstein(xp.asarray(x), xp.asarray(y), p=10, n_projections=8, seed=0)
    assert float(value) == pytest.approx(s * (32 / 3) ** 0.1, rel=1e-12)


def test_seed_makes_it_reproducible(rng):
    x, y = rng.normal(size=(30, 3)), rng.normal(size=(30, 3))
    assert float(sliced_wasserstein(x, y, seed=5)) == float(sliced_wasserstein(x, y, seed=5))
    assert float(sliced_wasserstein(x, y, seed=5)) != float(sliced_wasserstein(x, y, seed=6))


def test_backends(xp, rng):
    x, y, a = rng.normal(size=(12, 3)), rng.normal(size=(9, 3)), rng.random(12)
    a /= a.sum()
    for fn in (sliced_wasserstein, max_sliced_wasserstein):
        ref = float(fn(x, y, a, p=2, seed=0, normalize=True))
        for dtype, tol in ((xp.float64, 1e-12), (xp.float32, 1e-5)):
            out = fn(xp.asarray(x, dtype), xp.asarray(y, dtype), xp.asarray(a, dtype), p=2, seed=0, normalize=True)
            assert xp.owns(out) and out.dtype == dtype and out.shape == ()
            assert float(xp.to_numpy(out)) == pytest.approx(ref, rel=tol)


def test_torch_gradient_of_sliced_matches_finite_differences(rng):
    torch = pytest.importorskip("torch")
    x0, y0 = rng.normal(size=(8, 2)), rng.normal(size=(6, 2))
    x = torch.tensor(x0, requires_grad=True)
    sliced_wasserstein(x, torch.tensor(y0), seed=0).backward()
    h = 1e-6
    for idx in np.ndindex(x0.shape):
        e = np.zeros_like(x0)
        e[idx] = h
        fd = (float(sliced_wasserstein(x0 + e, y0, seed=0)) - float(sliced_wasserstein(x0 - e, y0, seed=0))) / (2 * h)
        assert x.grad.numpy()[idx] == pytest.approx(fd, rel=1e-4, abs=1e-7)


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(n_projections=0), ValueError, "n_projections must be a positive integer"),
        (dict(n_projections=2.5), TypeError, "n_projections must be a positive integer"),
        (dict(p=0.0), ValueError, "p must be"),
        (dict(a=[1.0, -1.0]), ValueError, "a has negative"),
    ],
)
def test_bad_input_is_rejected(kwargs, error, pattern):
    for fn in (sliced_wasserstein, max_sliced_wasserstein):
        with pytest.raises(error, match=pattern):
            fn(np.zeros((2, 2)), np.ones((3, 2)), **kwargs)
    with pytest.raises(ValueError, match="n_iter must be"):
        max_sliced_wasserstein(np.zeros((2, 2)), np.ones((3, 2)), n_iter=-1)
