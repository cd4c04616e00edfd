"""Metamorphic relations at every scale: what scaling, translating or re-weighting the
input must do to the output, on every backend, from 1e-150 to 1e150 and p up to 100.

Where the result cannot be represented, the outcome must be an error naming the
argument, never a number; where both sides of a relation raise, they must agree.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from divergences import (
    max_sliced_wasserstein,
    sliced_wasserstein,
    solve,
    wasserstein,
    wasserstein_1d,
)
from divergences.dpp import cosine_kernel, rbf_kernel
from divergences.testing import point_clouds, transport_problems

# The xp fixture is a stateless backend description: safe to share across examples.
# Few examples per backend in the default profile; the thorough profile explores.
_EXAMPLES = 8 if settings.default.max_examples <= 25 else settings.default.max_examples
fixture_ok = settings(max_examples=_EXAMPLES,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

scales64 = st.integers(-150, 150).map(lambda k: 10.0**k)
scales32 = st.integers(-15, 15).map(lambda k: 10.0**k)
orders = st.sampled_from([1.0, 2.0, 3.5, 10.0, 100.0])


def _outcome(fn):
    """A float, or the message of the ValueError raised."""
    try:
        return float(fn())
    except ValueError as err:
        return str(err)


def _assert_scaled(base, scaled, s, rtol, single=False):
    if isinstance(base, str) or isinstance(scaled, str):
        assert isinstance(base, str) and isinstance(scaled, str), (base, scaled)
        return
    # a subnormal result carries fewer digits: allow its own rounding, a few of the
    # smallest steps of the dtype
    tiny = 8 * float(np.finfo(np.float32 if single else np.float64).smallest_subnormal)
    assert scaled == pytest.approx(s * base, rel=rtol, abs=tiny), (base, scaled, s)


def _dtype(xp, single):
    return xp.float32 if single else xp.float64


@fixture_ok
@given(point_clouds(d=2), point_clouds(d=2), scales64, orders, st.booleans())
def test_wasserstein_scales_with_the_points(xp, x, y, s, p, single):
    if single:
        s = min(max(s, 1e-15), 1e15)
    dt = _dtype(xp, single)
    rtol = 1e-4 if single else 1e-9
    base = _outcome(lambda: wasserstein(xp.asarray(x, dt), xp.asarray(y, dt), p=p))
    scaled = _outcome(lambda: wasserstein(xp.asarray(s * x, dt), xp.asarray(s * y, dt), p=p))
    _assert_scaled(base, scaled, s, rtol, single)


@fixture_ok
@given(point_clouds(d=1), point_clouds(d=1), scales64, orders, st.booleans())
def test_one_dimensional_and_sliced_scale_with_the_points(xp, x, y, s, p, single):
    dt = _dtype(xp, single)
    if single:
        s = min(max(s, 1e-15), 1e15)
    rtol = 1e-4 if single else 1e-10
    u, v = x[:, 0], y[:, 0]
    for fn, args in (
        (wasserstein_1d, (u, v)),
        (sliced_wasserstein, (np.c_[u, u], np.c_[v, -v])),
        (max_sliced_wasserstein, (np.c_[u, u], np.c_[v, -v])),
    ):
        kw = dict(p=p) if fn is wasserstein_1d else dict(p=p, seed=0, n_projections=8)
        base = _outcome(lambda: fn(*(xp.asarray(t, dt) for t in args), **kw))
        scaled = _outcome(lambda: fn(*(xp.asarray(s * t, dt) for t in args), **kw))
        _assert_scaled(base, scaled, s, rtol, single)


@fixture_ok
@given(point_clouds(d=1), point_clouds(d=1), st.floats(-100, 100), orders)
def test_translation_invariance(xp, x, y, shift, p):
    spread = float(np.ptp(np.r_[x[:, 0], y[:, 0]])) or 1.0
    c = shift * spread
    base = float(wasserstein(xp.asarray(x), xp.asarray(y), p=p, method="1d"))
    moved = float(wasserstein(xp.asarray(x + c), xp.asarray(y + c), p=p, method="1d"))
    # translating rounds each coordinate by u |c|: distances move by at most 2 u |c|
    assert moved == pytest.approx(base, rel=1e-9, abs=4e-16 * (abs(c) + spread))


@fixture_ok
@given(transport_problems(max_n=5, max_m=5), scales64, scales64)
def test_solve_scales_with_cost_and_mass(xp, problem, s, t):
    M, a, b = problem
    base = solve(xp.asarray(M), xp.asarray(a), xp.asarray(b))
    r = solve(xp.asarray(s * M), xp.asarray(t * a), xp.asarray(t * b))
    assert float(r.value) == pytest.approx(s * t * float(base.value), rel=1e-9, abs=1e-12 * s * t)
    # the optimal plan need not be unique (M = 0: every plan), and the scaled masses
    # round differently: the plan is checked for what it must be, a coupling of
    # (t a, t b) whose cost is the value
    plan = xp.to_numpy(r.plan)
    np.testing.assert_allclose(plan.sum(axis=1), t * a, rtol=1e-9, atol=1e-12 * t)
    np.testing.assert_allclose(plan.sum(axis=0), t * b, rtol=1e-9, atol=1e-12 * t)
    assert float(np.sum(plan * M)) * s == pytest.approx(float(r.value), rel=1e-9, abs=1e-12 * s * t)
    if not np.any(M):  # every plan costs 0: the gap is a few subnormals of round-off
        assert r.gap < 1e-290 * max(t, 1.0)
    else:
        # gap is a round-off bound: t a / sum(t a) rounds differently from a / sum(a),
        # so the marginal defects in it do not scale with s t exactly (at t = 10 a
        # defect of 2e-15 appeared where t = 1 had none). What scales is its size:
        # a few ulps of the cost scale s t max|M|, at both scales.
        n, m = M.shape
        for gap, scale in ((base.gap, 1.0), (r.gap, s * t)):
            assert 0 <= gap <= 8 * (n + m) * 2.0**-52 * scale * np.abs(M).max() + 1e-300
    assert r.converged


@fixture_ok
@given(point_clouds(d=2), scales64, st.floats(0.1, 10))
def test_kernels_are_scale_invariant(xp, x, s, h):
    ref_rbf = xp.to_numpy(rbf_kernel(xp.asarray(x), bandwidth=h))
    np.testing.assert_allclose(xp.to_numpy(rbf_kernel(xp.asarray(s * x), bandwidth=s * h)), ref_rbf,
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(xp.to_numpy(rbf_kernel(xp.asarray(s * x))),
                               xp.to_numpy(rbf_kernel(xp.asarray(x))), rtol=1e-9, atol=1e-12)
    rows = x + (np.abs(x).max(axis=1, keepdims=True) == 0)  # no zero row
    if np.any(np.abs(s * rows).max(axis=1) == 0):  # a row underflowed to 0: now a zero row
        with pytest.raises(ValueError, match="zero row"):
            cosine_kernel(xp.asarray(s * rows))
        return
    np.testing.assert_allclose(xp.to_numpy(cosine_kernel(xp.asarray(s * rows))),
                               xp.to_numpy(cosine_kernel(xp.asarray(rows))), rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------ unrepresentable results


def test_overflowing_differences_name_the_arguments(xp):
    with pytest.raises(ValueError, match="u, v: W_p overflows float64"):
        wasserstein_1d(xp.asarray([1.7e308]), xp.asarray([-1.7e308]), p=2)


def test_overflowing_transport_cost_names_the_arguments(xp):
    M = xp.asarray([[1e300, 2e300], [3e300, 1e300]])
    with pytest.raises(ValueError, match="M, a, b: <M, P> overflows"):
        solve(M, xp.asarray([1e200, 1e200]), xp.asarray([1e200, 1e200]))


def test_large_differences_at_high_order_give_the_distance_not_zero(xp):
    # |u - v|^100 ~ 1e400 overflows; W_100 itself is about 1e4
    u, v = xp.asarray([0.0, 1e4, 2e4]), xp.asarray([1e4, 2e4, 3e4, 4e4])
    value = float(wasserstein_1d(u, v, p=100))
    assert 1e4 <= value <= 4e4
    w = float(wasserstein_1d(u, v, xp.asarray([1, 1, 1.0]) / 3, xp.asarray([1, 1, 1, 1.0]) / 4, p=100))
    assert w == pytest.approx(value, rel=1e-12)
    x = np.array([[0.0, 0.0], [1e160, 0.0]])
    assert float(wasserstein(xp.asarray(x), xp.asarray(x + 1e160), p=2)) == pytest.approx(np.sqrt(2) * 1e160)


def test_order_1000_is_an_error_naming_x_y_or_a_number(xp):
    x, y = xp.asarray([[0.0, 0.0], [1.0, 0.0]]), xp.asarray([[0.0, 3.0], [1.0, 3.0]])
    assert float(wasserstein(x, y, p=1000)) == pytest.approx(3.0)
    far = xp.asarray([[0.0, 0.0], [1e4, 0.0]])
    with pytest.raises(ValueError, match="x, y: .*at p = 1000"):
        wasserstein(far, xp.asarray([[0.5, 0.0], [1e4, 0.0]]) + 0.0, p=1000)


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_half_precision_is_rejected_by_one_rule(name):
    torch = pytest.importorskip("torch")
    from divergences import certify, f_divergence

    h = torch.ones(3, dtype=getattr(torch, name)) / 3
    x = torch.zeros(3, 2, dtype=getattr(torch, name))
    M = torch.zeros(3, 3, dtype=getattr(torch, name))
    calls = [
        lambda: solve(M), lambda: wasserstein(x, x), lambda: wasserstein_1d(h, h),
        lambda: sliced_wasserstein(x, x), lambda: certify(M, f=h), lambda: f_divergence(h, h),
        lambda: rbf_kernel(x, bandwidth=1.0),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="half precision is not supported"):
            call()


# ------------------------------------------------- gradients through the normalisation


@pytest.mark.parametrize("scale", [1e-100, 1.0, 1e100])
def test_solve_gradients_are_the_plan_and_potentials(scale):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    M0 = scale * rng.random((4, 5))
    a0, b0 = rng.random(4) + 0.1, rng.random(5) + 0.1
    a0, b0 = a0 / a0.sum(), b0 / b0.sum()
    M = torch.tensor(M0, requires_grad=True)
    a, b = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    r = solve(M, a, b)
    gM, ga, gb = torch.autograd.grad(r.value, (M, a, b))
    np.testing.assert_allclose(gM.numpy(), r.plan.detach().numpy(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(ga.numpy(), r.f.numpy(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(gb.numpy(), r.g.numpy(), rtol=1e-12, atol=0)
    # finite differences in M (the plan is unique for a generic cost)
    M1 = torch.tensor(M0 / scale, requires_grad=True)
    assert torch.autograd.gradcheck(lambda C: solve(C * scale, a.detach(), b.detach()).value / scale, (M1,))


def test_one_dimensional_gradients_match_finite_differences():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    u = torch.tensor(rng.normal(size=5), requires_grad=True)
    v = torch.tensor(rng.normal(size=4) + 1, requires_grad=True)
    uw = torch.tensor(rng.random(5) + 0.1, requires_grad=True)
    vw = torch.tensor(rng.random(4) + 0.1, requires_grad=True)
    for p in (1.0, 2.0, 3.5):
        assert torch.autograd.gradcheck(lambda *t: wasserstein_1d(*t, p=p, normalize=True), (u, v, uw, vw))
        same = torch.tensor(rng.normal(size=5), requires_grad=True)
        assert torch.autograd.gradcheck(lambda s, t: wasserstein_1d(s, t, p=p), (u, same))


def test_float32_subnormal_coordinates_scale_exactly():
    """A float32 coordinate of 3e-43 (subnormal), found by the thorough profile: its
    exact power-of-two scaling cast 2^141 to float32 and overflowed; W_1 between
    [0] and [3e-43] is that distance."""
    x = np.array([[0.0, 0.0]], np.float32)
    y = np.array([[3.0e-43, 0.0]], np.float32)
    assert float(wasserstein(x, y, p=1)) == pytest.approx(float(y[0, 0]), rel=1e-6)
