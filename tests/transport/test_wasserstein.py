"""wasserstein and wasserstein_1d: the closed form against the LP, metric axioms,
equivariances, backends and gradients."""

import math
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divergences import sliced_wasserstein, solve, wasserstein, wasserstein_1d
from divergences.transport.one_d import quantile_coupling
from divergences.testing import measures, weights

P_VALUES = st.sampled_from([1.0, 1.5, 2.0, 3.0])


def _lp_cost(x, y, a, b, p):
    """W_p^p by the LP, and the absolute tolerance it supports. Values are compared as
    W_p^p: near 0 the p-th root turns round-off of 1e-27 into 1e-9. HiGHS's
    tolerances are relative to the largest cost, hence the scale."""
    x, y = x.reshape(len(x), -1), y.reshape(len(y), -1)
    M = np.linalg.norm(x[:, None] - y[None], axis=-1) ** p
    return float(solve(M, a, b, method="lp").value), 1e-9 * max(1.0, float(M.max()))


@given(measures(d=1), measures(d=1), P_VALUES)
def test_closed_form_equals_lp(mu, nu, p):
    (x, a), (y, b) = mu, nu
    expected, tol = _lp_cost(x, y, a, b, p)
    assert float(wasserstein_1d(x[:, 0], y[:, 0], a, b, p=p)) ** p == pytest.approx(expected, rel=1e-9, abs=tol)
    assert float(wasserstein(x, y, a, b, p=p)) ** p == pytest.approx(expected, rel=1e-9, abs=tol)


@given(measures(max_d=3), measures(max_d=3), P_VALUES)
def test_network_simplex_equals_lp(mu, nu, p):
    (x, a), (y, b) = mu, nu
    if x.shape[1] != y.shape[1]:
        y = np.resize(y, (len(y), x.shape[1]))
    expected, tol = _lp_cost(x, y, a, b, p)
    assert float(wasserstein(x, y, a, b, p=p, method="network_simplex")) ** p == pytest.approx(
        expected, rel=1e-9, abs=tol)


@given(st.data(), st.integers(1, 3), P_VALUES)
def test_metric_axioms(data, d, p):
    mu, nu, rho = (data.draw(measures(d=d, max_n=7)) for _ in range(3))
    w = lambda s, t: float(wasserstein(s[0], t[0], s[1], t[1], p=p))
    assert w(mu, nu) == pytest.approx(w(nu, mu), rel=1e-9, abs=1e-12)
    assert w(mu, mu) == pytest.approx(0.0, abs=1e-9)
    assert w(mu, rho) <= w(mu, nu) + w(nu, rho) + 1e-9


@given(measures(max_n=8), measures(max_n=8), st.floats(-5, 5), st.floats(0.1, 10))
def test_translation_and_scaling(mu, nu, shift, scale):
    (x, a), (y, b) = mu, nu
    y = np.resize(y, (len(y), x.shape[1]))
    base = float(wasserstein(x, y, a, b, p=2))
    moved = float(wasserstein(x + shift, y + shift, a, b, p=2))
    scaled = float(wasserstein(scale * x, scale * y, a, b, p=2))
    assert moved == pytest.approx(base, rel=1e-6, abs=1e-6)
    assert scaled == pytest.approx(scale * base, rel=1e-6, abs=1e-9)


@given(measures(max_n=8), measures(max_n=8))
def test_w1_below_w2_below_w3(mu, nu):
    (x, a), (y, b) = mu, nu
    y = np.resize(y, (len(y), x.shape[1]))
    w1, w2, w3 = (float(wasserstein(x, y, a, b, p=p)) for p in (1, 2, 3))
    assert w1 <= w2 + 1e-9 and w2 <= w3 + 1e-9


@pytest.mark.parametrize("p", [1.0, 3.0, 10.0])
def test_a_far_point_of_zero_weight_does_not_set_the_cost_range(xp, p):
    # the point at distance 1 carries no mass; |x - y0|^p (1e-393 at p = 3) is below
    # float64's range relative to it, but not relative to the mass-carrying pairs
    x = np.array([[1.26e-131, 1.26e-131]])
    y = np.array([[0.0, 0.0], [1.0, 0.0]])
    w = wasserstein(xp.asarray(x), xp.asarray(y), xp.asarray([1.0]), xp.asarray([1.0, 0.0]), p=p)
    assert float(w) == pytest.approx(math.hypot(1.26e-131, 1.26e-131), rel=1e-14)


def test_translation_of_a_measure_costs_the_shift():
    x = np.random.default_rng(0).normal(size=(30, 2))
    for p in (1, 2, 3):
        assert float(wasserstein(x, x + [3.0, 4.0], p=p)) == pytest.approx(5.0)


@given(st.integers(1, 4), st.integers(1, 30), st.integers(1, 30), st.data())
def test_batched_1d_matches_each_entry(batch, n, m, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    u, v = rng.normal(size=(batch, n)), rng.normal(size=m)
    uw = data.draw(weights(n))
    out = wasserstein_1d(u, v, uw, p=2, normalize=True)
    assert out.shape == (batch,)
    for k in range(batch):
        assert out[k] == pytest.approx(float(wasserstein_1d(u[k], v, uw, p=2, normalize=True)), rel=1e-12)


def test_1d_fast_path_agrees_with_weighted_path(rng):
    u, v = rng.normal(size=50), rng.normal(size=50)
    w = np.full(50, 0.02)
    for p in (1, 2, 2.5):
        assert float(wasserstein_1d(u, v, p=p)) == pytest.approx(float(wasserstein_1d(u, v, w, w, p=p)), rel=1e-12)


def _searchsorted_reference(u, v, a, b, p):
    """W_p^p by two binary searches per batch row (np.searchsorted, side='left')."""
    out = []
    for uu, vv, aa, bb in zip(u, v, a, b):
        ou, ov = np.argsort(uu), np.argsort(vv)
        cu, cv = np.cumsum(aa[ou]), np.cumsum(bb[ov])
        cu, cv = cu / cu[-1], cv / cv[-1]
        levels = np.sort(np.concatenate([cu, cv]))
        mass = np.diff(levels, prepend=0.0)
        iu = ou[np.minimum(np.searchsorted(cu, levels), len(cu) - 1)]
        iv = ov[np.minimum(np.searchsorted(cv, levels), len(cv) - 1)]
        out.append(np.sum(mass * np.abs(uu[iu] - vv[iv]) ** p))
    return np.array(out)


@pytest.mark.parametrize("p", [1, 2])
def test_merged_ranks_agree_with_binary_search(xp, rng, p):
    """The one-merge ranks give the binary-search coupling's value to round-off,
    batched (the sliced layout) and with tied levels (zero and equal weights)."""
    u, v = rng.normal(size=(4, 30)), rng.normal(size=(4, 20))
    a, b = rng.random((4, 30)), rng.random((4, 20))
    a[:, :5], b[:, 3], a[1], b[1] = 0.0, 0.0, 1.0, 1.5  # zero weights; row 1 all levels tied
    ref = _searchsorted_reference(u, v, a, b, p)
    got = wasserstein_1d(xp.asarray(u), xp.asarray(v), xp.asarray(a), xp.asarray(b), p=p, normalize=True) ** p
    np.testing.assert_allclose(xp.to_numpy(got), ref, rtol=1e-13, atol=1e-15)
    mass, iu, iv = quantile_coupling(xp.asarray(u), xp.asarray(v), xp.asarray(a / a.sum(1, keepdims=True)),
                                     xp.asarray(b / b.sum(1, keepdims=True)), xp)
    mass, iu, iv = (xp.to_numpy(t) for t in (mass, iu, iv))
    cost = np.abs(np.take_along_axis(u, iu.astype(int), 1) - np.take_along_axis(v, iv.astype(int), 1)) ** p
    np.testing.assert_allclose(np.sum(mass * cost, axis=1), ref, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("p", [1, 2, 3])
def test_backends_keep_namespace_dtype_device(xp, rng, p):
    x, y = rng.normal(size=(9, 2)), rng.normal(size=(7, 2))
    a = rng.random(9)
    a /= a.sum()
    u, v = x[:, 0], y[:, 0]
    for dtype, tol in ((xp.float64, 1e-12), (xp.float32, 1e-5)):
        w = wasserstein(xp.asarray(x, dtype), xp.asarray(y, dtype), xp.asarray(a, dtype), p=p, normalize=True)
        w1d = wasserstein_1d(xp.asarray(u, dtype), xp.asarray(v, dtype), xp.asarray(a, dtype), p=p, normalize=True)
        for out, ref in ((w, wasserstein(x, y, a, p=p, normalize=True)),
                         (w1d, wasserstein_1d(u, v, a, p=p, normalize=True))):
            assert xp.owns(out) and out.dtype == dtype and out.shape == ()
            assert float(xp.to_numpy(out)) == pytest.approx(float(ref), rel=tol)
    batched = wasserstein_1d(xp.asarray(rng.normal(size=(3, 9))), xp.asarray(v))
    assert xp.owns(batched) and batched.shape == (3,)


@pytest.mark.parametrize("p", [1, 2, 3])
def test_torch_gradients_match_finite_differences(rng, p):
    torch = pytest.importorskip("torch")
    x0, y0, a0 = rng.normal(size=(6, 2)), rng.normal(size=(5, 2)), rng.random(6) + 0.2
    a0 /= a0.sum()
    for d in (2, 1):  # network simplex in 2-D, closed form in 1-D
        xs, ys = x0[:, :d].squeeze(), y0[:, :d].squeeze()
        x = torch.tensor(xs, requires_grad=True)
        a = torch.tensor(a0, requires_grad=True)
        wasserstein(x, torch.tensor(ys), a, p=p).backward()
        h = 1e-6
        for idx in np.ndindex(xs.shape):
            e = np.zeros_like(xs)
            e[idx] = h
            fd = (float(wasserstein(xs + e, ys, a0, p=p)) - float(wasserstein(xs - e, ys, a0, p=p))) / (2 * h)
            assert x.grad.numpy()[idx] == pytest.approx(fd, rel=1e-4, abs=1e-6)
        da = np.eye(6)[0] - np.eye(6)[2]
        fd = (float(wasserstein(xs, ys, a0 + h * da, p=p)) - float(wasserstein(xs, ys, a0 - h * da, p=p))) / (2 * h)
        assert a.grad.numpy() @ da == pytest.approx(fd, rel=1e-4, abs=1e-6)


def test_gradient_is_finite_at_zero_distance():
    torch = pytest.importorskip("torch")
    x = torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=torch.float64, requires_grad=True)
    for p in (1, 2, 3):
        (g,) = torch.autograd.grad(wasserstein(x, x.detach(), p=p), x)
        assert torch.all(torch.isfinite(g))


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda: wasserstein([[0.0, 1.0]], [[0.0, 1.0, 2.0]]), ValueError, "same dimension"),
        (lambda: wasserstein([0.0, 1.0], [0.0], p=0.5), ValueError, "p must be a finite number >= 1"),
        (lambda: wasserstein([0.0, np.nan], [0.0]), ValueError, "x contains NaN"),
        (lambda: wasserstein([0.0], [np.inf]), ValueError, "y contains NaN or infinite"),
        (lambda: wasserstein([], [0.0]), ValueError, "x is empty"),
        (lambda: wasserstein([0.0, 1.0], [0.0], a=[-1.0, 2.0]), ValueError, "a has negative"),
        (lambda: wasserstein([0.0, 1.0], [0.0], a=[1.0, 2.0]), ValueError, "total masses"),
        (lambda: wasserstein([[0.0, 1.0]], [[0.0, 1.0]], method="1d"), ValueError, "one-dimensional"),
        (lambda: wasserstein(np.zeros((1, 1, 1)), [0.0]), ValueError, "x must be 1-D or 2-D"),
        (lambda: wasserstein_1d([0.0, 1.0], [0.0], [0.5], [1.0]), ValueError, "a must have 2 entries"),
        (lambda: wasserstein_1d([0.0, 1.0], [0.0], [0.5, -0.5]), ValueError, "a has negative"),
        (lambda: wasserstein_1d([0.0, 1.0], [0.0], [0.5, 0.6], [1.0]), ValueError, "total masses"),
        (lambda: wasserstein_1d([0.0, np.nan], [0.0]), ValueError, "u contains NaN"),
        (lambda: wasserstein_1d(0.0, [0.0]), ValueError, "u must have at least one axis"),
        (lambda: wasserstein_1d(np.zeros((2, 3)), np.zeros((3, 3))), ValueError, "do not broadcast"),
        (lambda: wasserstein_1d([0.0], [1.0], p=np.inf), ValueError, "p must be a finite"),
        (lambda: wasserstein_1d([0.0], [1.0], p="2"), TypeError, "p must be a real number"),
    ],
)
def test_bad_input_is_rejected(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize("p", [1.0, 2.0, 3.5])
def test_1d_compiled_rows_agree_with_the_merge(rng, p, monkeypatch):
    # a batch of rows with shared (broadcast) weights on one side and per-row weights
    # on the other, unequal lengths, ties; and a weighted sliced distance (one row per
    # projection)
    pytest.importorskip("numba")
    from divergences import _backend
    from divergences.transport import one_d

    monkeypatch.setattr(one_d, "ROWS_COMPILED_FROM", 0)  # short rows, the compiled walk all the same
    u, v = rng.integers(0, 5, size=(2, 3, 30)).astype(float), rng.normal(size=(3, 21))
    a, b = rng.integers(0, 3, size=30).astype(float) + 0.5, rng.random((3, 21))
    x, y = rng.normal(size=(40, 3)), rng.normal(size=(25, 3))
    xa, yb = rng.random(40), rng.random(25)
    got = {}
    for compiled in (True, False):
        monkeypatch.setattr(_backend, "COMPILED", compiled)
        got[compiled] = (np.asarray(wasserstein_1d(u, v, a, b, p=p, normalize=True)),
                         np.asarray(wasserstein_1d(u, v, p=p)),
                         float(sliced_wasserstein(x, y, xa, yb, p=p, normalize=True, n_projections=16, seed=1)))
    for mine, merged in zip(got[True], got[False]):
        np.testing.assert_allclose(mine, merged, rtol=1e-12)
    assert got[True][0].shape == (2, 3)


def _clustered_values(kind, rng):
    n = 3000
    return {
        # float64 keys equal in their kept bits: inversions the insertion pass removes
        "timestamps": 1.7e9 + rng.random(n),
        # one run of distinct values far beyond the insertion budget: the argsort again
        "one cluster": 1.0 + 1e-12 * rng.random(n),
        "signed zeros and subnormals": rng.choice([0.0, -0.0, 5e-324, -5e-324, 1e-310, -1e-310, 1.0], n),
        "float32": rng.standard_normal(n).astype(np.float32),
    }[kind]


@settings(max_examples=60, deadline=None)
@given(
    base=st.sampled_from([0.0, 1.0, -3.5e7, 1.7e9, 1e-300]),
    spread=st.sampled_from([1.0, 1e-6, 1e-12, 0.0]),
    n=st.integers(1, 300),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**16),
)
def test_1d_compiled_sort_matches_a_stable_argsort(base, spread, n, dtype, seed):
    # values clustered at every scale the packed keys can confuse (spread down to 1e-12
    # of the base: runs equal in the kept bits, ties, the argsort fallback), both dtypes
    pytest.importorskip("numba")
    from divergences.transport import _fused

    rng = np.random.default_rng(seed)
    x = (base + spread * rng.integers(-20, 20, size=n) * (1 + rng.random(n))).astype(dtype)
    w = rng.random(n).astype(dtype)
    sx, levels = _fused.sorted_levels(x, w)
    order = np.argsort(x, kind="stable")
    assert np.array_equal(sx, x[order])
    last = np.r_[sx[1:] != sx[:-1], True]
    cum = np.cumsum(w[order].astype(float))
    np.testing.assert_allclose(levels[last], (cum / cum[-1])[last], rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("kind", ["timestamps", "one cluster", "signed zeros and subnormals", "float32"])
def test_1d_compiled_sort_orders_clustered_values_exactly(rng, kind, monkeypatch):
    pytest.importorskip("numba")
    from divergences import _backend
    from divergences.transport import _fused

    x = _clustered_values(kind, rng)
    w = rng.random(x.shape[0]).astype(x.dtype)
    sx, levels = _fused.sorted_levels(x, w)
    order = np.argsort(x, kind="stable")
    assert np.array_equal(sx, x[order])
    # at the last entry of each run of equal values the level is the same, whatever the
    # order of the tied weights
    last = np.r_[sx[1:] != sx[:-1], True]
    cum = np.cumsum(w[order].astype(float))
    np.testing.assert_allclose(levels[last], (cum / cum[-1])[last], rtol=1e-5 if x.dtype == np.float32 else 1e-12)
    v, vw = x[::-1] * 0.5 + 1.0, rng.random(x.shape[0]).astype(x.dtype)
    got = {}
    for compiled in (True, False):
        monkeypatch.setattr(_backend, "COMPILED", compiled)
        got[compiled] = float(wasserstein_1d(x, v, w, vw, p=2, normalize=True))
    assert got[True] == pytest.approx(got[False], rel=1e-5 if x.dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.5])
def test_1d_compiled_walk_agrees_with_the_merge(rng, p, monkeypatch):
    pytest.importorskip("numba")
    from divergences import _backend

    # ties within and across the inputs, zero weights, tied cumulative levels
    u, v = rng.integers(0, 6, size=40).astype(float), rng.integers(0, 6, size=27).astype(float)
    a, b = rng.integers(0, 3, size=40).astype(float), np.repeat([1.0, 2.0, 0.0], 9)
    got = {}
    for compiled in (True, False):
        monkeypatch.setattr(_backend, "COMPILED", compiled)
        got[compiled] = [float(wasserstein_1d(u, v, a, b, p=p, normalize=True)), float(wasserstein_1d(u, v, p=p))]
    assert got[True] == pytest.approx(got[False], rel=1e-13)
    expected, tol = _lp_cost(u, v, a / a.sum(), b / b.sum(), p)
    assert got[True][0] ** p == pytest.approx(expected, rel=1e-9, abs=tol)


@pytest.mark.parametrize("compiled", [True, False])
def test_weights_whose_total_overflows(compiled, monkeypatch):
    # finite weights near the float64 maximum: their sum overflows. normalize=True still
    # gives the unit-mass distance (a shift by 1: W_p = 1), batched too; without it the
    # mass rule refuses, never an inf, a NaN or a hang
    from divergences import _backend

    monkeypatch.setattr(_backend, "COMPILED", compiled)
    u = np.linspace(-1.0, 1.0, 300)
    big = np.full(300, 1e308)
    assert float(wasserstein_1d(u, u + 1.0, big, big, normalize=True)) == pytest.approx(1.0, rel=1e-12)
    rows = wasserstein_1d(np.stack([u, -u]), np.stack([u + 1.0, 1.0 - u]), big, big, p=2, normalize=True)
    np.testing.assert_allclose(rows, [1.0, 1.0], rtol=1e-12)
    x = np.c_[u, u]
    assert float(sliced_wasserstein(x, x + 1.0, big, big, normalize=True, seed=0)) == pytest.approx(
        float(sliced_wasserstein(x, x + 1.0, seed=0)), rel=1e-12)
    with pytest.raises(ValueError, match="total mass overflows float64"):
        wasserstein_1d(u, u + 1.0, big, big)


def test_the_compiled_walk_ends_on_nan_levels():
    # a NaN level compares false both ways; the walk still steps (run apart: a walk that
    # did not end would hang the suite)
    pytest.importorskip("numba")
    import subprocess
    import sys

    code = ("import numpy as np\nfrom divergences.transport import _fused\n"
            "s = np.arange(4.0); c = np.array([0.25, np.nan, 0.75, 1.0]); e = np.empty(0)\n"
            "total, k = _fused._walk(s, c, s, c, 1, e, e)\nprint(k)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert 4 <= int(out.stdout) <= 8
