"""The Wasserstein divergence: the 1-D closed form against the exactly integrated
objective of the optimal critic (equality) and of arbitrary piecewise-linear critics
(inequality), against a numerical maximisation over the slopes, invariances, limits, the
sampled objective, backends, gradients, bad input."""

import math

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given
from hypothesis import strategies as st

from divergences import wasserstein_1d, wasserstein_divergence_1d, wasserstein_divergence_objective
from divergences.testing import measures

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="gradients are checked with torch")

POWERS = st.sampled_from([1.5, 2.0, 3.0, 6.0])
KS = st.sampled_from([0.5, 2.0, 10.0])


def _cdf_gap(x, a, y, b, knots):
    """h = F_Q - F_P on each interval between consecutive knots (at its midpoint),
    written out independently of the library's cumulative sums."""
    mid = (knots[:-1] + knots[1:]) / 2
    FP = (a[None, :] * (x[None, :] <= mid[:, None])).sum(1)
    FQ = (b[None, :] * (y[None, :] <= mid[:, None])).sum(1)
    return FQ - FP


def _objective(x, a, y, b, knots, slopes, lo, hi, k, p):
    """E_P T - E_Q T - k E_u |T'|^p for the piecewise-linear T with the given slopes on
    [knots[i], knots[i+1]] (constant outside), u uniform on [lo, hi]: exact."""
    T = np.concatenate([[0.0], np.cumsum(slopes * np.diff(knots))])
    inside = np.clip(knots[1:], lo, hi) - np.clip(knots[:-1], lo, hi)
    penalty = k / (hi - lo) * np.sum(inside * np.abs(slopes) ** p)
    return a @ np.interp(x, knots, T) - b @ np.interp(y, knots, T) - penalty


def _optimal(x, a, y, b, lo, hi, k, p):
    """The knots and slopes of the optimal critic: T' = sign(h) (L |h| / (k p))^(1/(p-1))."""
    knots = np.unique(np.concatenate([x, y, [lo, hi]]))
    h = _cdf_gap(x, a, y, b, knots)
    return knots, np.sign(h) * ((hi - lo) * np.abs(h) / (k * p)) ** (1 / (p - 1))


def _problem(mu, nu):
    (x, a), (y, b) = mu, nu
    return x[:, 0], a, y[:, 0], b


def _hull(x, y):
    z = np.concatenate([x, y])
    return z.min(), z.max()


# ------------------------------------------------------------------ the closed form

@given(measures(d=1, max_n=8), measures(d=1, max_n=8), KS, POWERS, st.booleans())
def test_equals_the_objective_of_the_optimal_critic(mu, nu, k, p, wider):
    x, a, y, b = _problem(mu, nu)
    lo, hi = _hull(x, y)
    support = (lo - 1.5, hi + 0.5) if wider else None
    if wider:
        lo, hi = support
    if hi == lo:  # all points coincide: P = Q, W = 0
        assert float(wasserstein_divergence_1d(x, y, a, b, k=k, p=p, support=support)) == 0.0
        return
    w = float(wasserstein_divergence_1d(x, y, a, b, k=k, p=p, support=support))
    knots, slopes = _optimal(x, a, y, b, lo, hi, k, p)
    best = _objective(x, a, y, b, knots, slopes, lo, hi, k, p)
    assert w == pytest.approx(best, rel=1e-9, abs=1e-12)
    assert w >= 0


@given(measures(d=1, max_n=8), measures(d=1, max_n=8), KS, POWERS, st.integers(0, 2**32 - 1))
def test_is_an_upper_bound_on_the_objective_of_any_critic(mu, nu, k, p, seed):
    x, a, y, b = _problem(mu, nu)
    lo, hi = _hull(x, y)
    if hi == lo:
        return
    w = float(wasserstein_divergence_1d(x, y, a, b, k=k, p=p))
    rng = np.random.default_rng(seed)
    for _ in range(5):  # arbitrary piecewise-linear critics on random knots
        knots = np.unique(np.concatenate([[lo, hi], rng.uniform(lo - 1, hi + 1, size=8)]))
        slopes = rng.normal(scale=rng.choice([0.1, 1.0, 5.0]), size=len(knots) - 1)
        assert _objective(x, a, y, b, knots, slopes, lo, hi, k, p) <= w + 1e-12 * (1 + w)
    knots, slopes = _optimal(x, a, y, b, lo, hi, k, p)
    for scale in (0.5, 0.9, 1.1, 2.0):  # perturbations of the optimal critic lose
        assert _objective(x, a, y, b, knots, scale * slopes, lo, hi, k, p) <= w + 1e-12 * (1 + w)
    noisy = slopes + rng.normal(scale=0.1, size=len(slopes))
    assert _objective(x, a, y, b, knots, noisy, lo, hi, k, p) <= w + 1e-12 * (1 + w)


@given(measures(d=1, max_n=5), measures(d=1, max_n=5), KS, POWERS)
def test_equals_a_numerical_maximisation(mu, nu, k, p):
    # the objective of a piecewise-linear critic is separable in its slopes: maximise
    # each slope's term g h - (k/L)|g|^p by bounded Brent (|h| <= 1 bounds |g*| by G),
    # then evaluate the whole objective at those slopes
    x, a, y, b = _problem(mu, nu)
    lo, hi = _hull(x, y)
    if hi == lo:
        return
    knots = np.unique(np.concatenate([x, y]))
    h = _cdf_gap(x, a, y, b, knots)
    G = 2 * ((hi - lo) / (k * p)) ** (1 / (p - 1))
    slopes = []
    for hi_ in h:
        term = lambda g: -(g * hi_ - k / (hi - lo) * abs(g) ** p)
        res = scipy.optimize.minimize_scalar(term, bounds=(-G, G), method="bounded", options={"xatol": 1e-12 * G})
        slopes.append(res.x)
    best = _objective(x, a, y, b, knots, np.array(slopes), lo, hi, k, p)
    w = float(wasserstein_divergence_1d(x, y, a, b, k=k, p=p))
    assert best <= w + 1e-12 * (1 + w)
    assert best == pytest.approx(w, rel=1e-8, abs=1e-12)


def test_the_sampled_objective_attains_it(rng):
    # uniform weights: E_P T is the mean of T over the samples; the penalty is passed as
    # one gradient norm whose p-th power is the exact mean of |T'|^p under u
    x, y = rng.normal(size=7), rng.normal(0.5, 1.3, size=5)
    k, p = 2.0, 6.0
    a, b = np.full(7, 1 / 7), np.full(5, 1 / 5)
    lo, hi = _hull(x, y)
    knots, slopes = _optimal(x, a, y, b, lo, hi, k, p)
    T = np.concatenate([[0.0], np.cumsum(slopes * np.diff(knots))])
    mean_pow = np.sum(np.diff(knots) * np.abs(slopes) ** p) / (hi - lo)
    sampled = wasserstein_divergence_objective(np.interp(x, knots, T), np.interp(y, knots, T),
                                               np.array([mean_pow ** (1 / p)]), k=k, p=p)
    assert float(sampled) == pytest.approx(float(wasserstein_divergence_1d(x, y, k=k, p=p)), rel=1e-10)
    # with u sampled uniformly, the objective is an unbiased estimate of the exact one
    u = rng.uniform(lo, hi, size=200_000)
    grads = np.abs(slopes[np.clip(np.searchsorted(knots, u) - 1, 0, len(slopes) - 1)])
    mc = float(wasserstein_divergence_objective(np.interp(x, knots, T), np.interp(y, knots, T), grads, k=k, p=p))
    assert mc == pytest.approx(float(sampled), rel=0.05)


def test_two_diracs_by_hand():
    # |F_Q - F_P| = 1 on [0, 1]: W = (1/q) (L/(k p))^(q-1)
    for k, p in ((1.0, 2.0), (2.0, 6.0), (0.3, 1.5)):
        q = p / (p - 1)
        expected = (1 / q) * (1 / (k * p)) ** (q - 1)
        assert float(wasserstein_divergence_1d([1.0], [0.0], k=k, p=p)) == pytest.approx(expected, rel=1e-14)
        # over [0, 3] the density of u is 1/3: cheaper slopes, on the same stretch
        wide = float(wasserstein_divergence_1d([1.0], [0.0], k=k, p=p, support=(0.0, 3.0)))
        assert wide == pytest.approx(expected * 3 ** (q - 1), rel=1e-14)


# ------------------------------------------------------------------- properties

@given(measures(d=1, max_n=8), measures(d=1, max_n=8), POWERS, st.floats(-5, 5), st.floats(0.1, 10))
def test_symmetry_translation_and_scaling(mu, nu, p, shift, scale):
    x, a, y, b = _problem(mu, nu)
    w = float(wasserstein_divergence_1d(x, y, a, b, p=p))
    tol = 1e-9 * (1 + w)
    assert float(wasserstein_divergence_1d(y, x, b, a, p=p)) == pytest.approx(w, rel=1e-12, abs=1e-15)
    assert float(wasserstein_divergence_1d(x + shift, y + shift, a, b, p=p)) == pytest.approx(w, rel=1e-9, abs=tol)
    # x -> s x: the integral scales by s and L by s, so W by s^q
    q = p / (p - 1)
    assert float(wasserstein_divergence_1d(scale * x, scale * y, a, b, p=p)) == pytest.approx(
        scale**q * w, rel=1e-9, abs=1e-12)
    assert float(wasserstein_divergence_1d(x, x, a, a, p=p)) == pytest.approx(0.0, abs=1e-15)


def test_large_p_tends_to_w1(rng):
    x, y = rng.normal(size=9), rng.normal(1.0, 2.0, size=6)
    w1 = float(wasserstein_1d(x, y, p=1))
    assert float(wasserstein_divergence_1d(x, y, k=1.0, p=1e6)) == pytest.approx(w1, rel=1e-4)
    # and the k-dependence is k^(-1/(p-1))
    for p in (2.0, 6.0):
        ratio = float(wasserstein_divergence_1d(x, y, k=8.0, p=p)) / float(wasserstein_divergence_1d(x, y, k=1.0, p=p))
        assert ratio == pytest.approx(8.0 ** (-1 / (p - 1)), rel=1e-12)


def test_support_smaller_than_the_samples():
    x, y = np.array([-5.0, 0.0, 1.0]), np.array([-5.0, 0.5, 2.0])
    # left of -1 both CDFs are 1/3: the value is finite, the gaps clipped to [-1, 3]
    w = float(wasserstein_divergence_1d(x, y, support=(-1.0, 3.0)))
    q = 6.0 / 5.0
    integral = (1 / 3) ** q * 0.5 + 0.0 * 0.5 + (1 / 3) ** q * 1.0  # on [0, .5], [.5, 1], [1, 2]
    assert w == pytest.approx((1 / q) * (4.0 / 12.0) ** (q - 1) * integral, rel=1e-12)
    # a CDF gap outside the support: T' is free there, the supremum is infinite
    assert float(wasserstein_divergence_1d(x, y, support=(0.0, 1.5))) == math.inf
    assert float(wasserstein_divergence_1d([0.0], [1.0], support=(0.2, 0.8))) == math.inf


# --------------------------------------------------------------------- backends

def test_backends_dtypes_and_batches(xp, rng):
    x, y = rng.normal(size=(3, 1, 6)), rng.normal(size=(4, 5))
    a = rng.random(6)
    a /= a.sum()
    for dtype, rtol in ((xp.float64, 1e-12), (xp.float32, 1e-4)):
        out = wasserstein_divergence_1d(xp.asarray(x, dtype), xp.asarray(y, dtype), xp.asarray(a, dtype))
        assert xp.owns(out) and out.dtype == dtype and tuple(out.shape) == (3, 4)
        loop = [[float(wasserstein_divergence_1d(x[i, 0], y[j], a)) for j in range(4)] for i in range(3)]
        np.testing.assert_allclose(xp.to_numpy(out), loop, rtol=rtol)
    out = wasserstein_divergence_1d(xp.asarray(x[0, 0]), xp.asarray(y[0]), support=(-10.0, 10.0), k=3.0, p=2.5)
    assert xp.owns(out) and tuple(out.shape) == ()
    obj = wasserstein_divergence_objective(xp.asarray(x), xp.asarray(y), xp.asarray(np.abs(y)))
    assert xp.owns(obj) and tuple(obj.shape) == (3, 4)
    expected = x.mean(-1) - y.mean(-1) - 2.0 * (np.abs(y) ** 6).mean(-1)
    np.testing.assert_allclose(xp.to_numpy(obj), expected, rtol=1e-12)


# ------------------------------------------------------------------------ gradients

def _t(x, grad=False):
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=grad)


@needs_torch
@pytest.mark.parametrize("p", [1.5, 2.0, 6.0])
def test_gradients_match_finite_differences(p, rng):
    x, y = _t(rng.normal(size=5), True), _t(rng.normal(0.3, 1.0, size=4), True)
    a, b = _t(rng.random(5) + 0.1, True), _t(rng.random(4) + 0.1, True)
    f = lambda x, y, a, b: wasserstein_divergence_1d(x, y, a, b, p=p, normalize=True)
    assert torch.autograd.gradcheck(f, (x, y, a, b))
    g = lambda x, y: wasserstein_divergence_1d(x, y, p=p, support=(-5.0, 5.0))
    assert torch.autograd.gradcheck(g, (x, y))


@needs_torch
def test_objective_gradients():
    tr, tf, g = _t([1.0, 2.0], True), _t([0.5], True), _t([0.3, 1.2, 0.0], True)
    gr, gf, gg = torch.autograd.grad(wasserstein_divergence_objective(tr, tf, g, k=2.0, p=6.0), (tr, tf, g))
    np.testing.assert_allclose(gr.numpy(), [0.5, 0.5])
    np.testing.assert_allclose(gf.numpy(), [-1.0])
    np.testing.assert_allclose(gg.numpy(), -2.0 * 6.0 * np.array([0.3, 1.2, 0.0]) ** 5 / 3, rtol=1e-12)


# ------------------------------------------------------------------------ bad input

BAD = [
    (lambda: wasserstein_divergence_1d([0.0], [1.0], k=0.0), ValueError, "k must be"),
    (lambda: wasserstein_divergence_1d([0.0], [1.0], k=-1.0), ValueError, "k must be"),
    (lambda: wasserstein_divergence_1d([0.0], [1.0], p=1.0), ValueError, "p must be a finite number > 1"),
    (lambda: wasserstein_divergence_1d([0.0], [1.0], p=0.5), ValueError, "p must be"),
    (lambda: wasserstein_divergence_1d([0.0], [1.0], p=np.inf), ValueError, "p must be"),
    (lambda: wasserstein_divergence_1d([0.0], [1.0], p="6"), TypeError, "p must be a real number"),
    (lambda: wasserstein_divergence_1d([0.0, np.nan], [1.0]), ValueError, "x contains NaN"),
    (lambda: wasserstein_divergence_1d([0.0], [np.inf]), ValueError, "y contains NaN"),
    (lambda: wasserstein_divergence_1d([], [1.0]), ValueError, "x is empty"),
    (lambda: wasserstein_divergence_1d(0.0, [1.0]), ValueError, "x must have at least one axis"),
    (lambda: wasserstein_divergence_1d([0.0, 1.0], [1.0], [0.5, 0.6]), ValueError, "a must sum to 1"),
    (lambda: wasserstein_divergence_1d([0.0, 1.0], [1.0], [1.5, -0.5]), ValueError, "a has negative"),
    (lambda: wasserstein_divergence_1d([0.0, 1.0], [1.0], [1.0]), ValueError, "a must have 2 entries"),
    (lambda: wasserstein_divergence_1d([0.0], [1.0], None, [np.nan]), ValueError, "b contains NaN"),
    (lambda: wasserstein_divergence_1d([0.0], [1.0], support=(1.0, 1.0)), ValueError, "support must be a finite interval"),
    (lambda: wasserstein_divergence_1d([0.0], [1.0], support=(0.0, np.inf)), ValueError, "support must be"),
    (lambda: wasserstein_divergence_1d([0.0], [1.0], support=3.0), ValueError, "support must be a pair"),
    (lambda: wasserstein_divergence_1d(np.zeros((2, 3)), np.zeros((3, 3))), ValueError, "do not broadcast"),
    (lambda: wasserstein_divergence_objective([1.0], [0.0], [-0.1]), ValueError, "grad_norms has negative"),
    (lambda: wasserstein_divergence_objective([np.nan], [0.0], [0.1]), ValueError, "t_real contains NaN"),
    (lambda: wasserstein_divergence_objective([1.0], [], [0.1]), ValueError, "t_fake is empty"),
    (lambda: wasserstein_divergence_objective([1.0], [0.0], [0.1], p=1.0), ValueError, "p must be"),
    (lambda: wasserstein_divergence_objective([1.0], [0.0], [0.1], k=0.0), ValueError, "k must be"),
]


@pytest.mark.parametrize("call, error, pattern", BAD)
def test_bad_input_is_rejected(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()
