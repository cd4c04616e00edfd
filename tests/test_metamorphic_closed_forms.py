"""Metamorphic relations of the closed forms and the duality tools at every scale:
Gaussian W_2, KL and Hellinger, GAN-QP, the Wasserstein divergence, the dual value,
the c-transform and the Kantorovich-Rubinstein objective, on every backend, with
scales from 1e-150 to 1e150 in float64 and 1e-15 to 1e15 in float32.

Where the result cannot be represented, the outcome must be an error naming the
arguments, never inf, NaN or 0.
"""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from divergences import (
    c_transform,
    dual_value,
    gaussian_hellinger,
    gaussian_kl,
    gaussian_wasserstein,
    kantorovich_rubinstein,
    qp_divergence,
    qp_objective,
    wasserstein_divergence_1d,
    wasserstein_divergence_objective,
)

# Few examples per backend in the default profile; the thorough profile explores.
_EXAMPLES = 6 if settings.default.max_examples <= 25 else settings.default.max_examples
fixture_ok = settings(max_examples=_EXAMPLES,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

seeds = st.integers(0, 2**32 - 1)
# exponents k of s = 10^k: float64 and float32 ranges
exponents64, exponents32 = st.integers(-150, 150), st.integers(-15, 15)


def _dtype(xp, single):
    return xp.float32 if single else xp.float64


def _eps(single):
    return float(np.finfo(np.float32 if single else np.float64).eps)


def _scale(data, single):
    return 10.0 ** data.draw(exponents32 if single else exponents64)


def _f(x):
    return float(np.asarray(x))


# ------------------------------------------------------------------------ Gaussians


def _gaussians(seed, d):
    """Two Gaussians with dyadic entries (means k/4, C = A A^T + I/4 with A = k/4):
    every input entry is 0 or at least 1/64, so s m and s^2 C are normal numbers
    for s in 1e-150..1e150 (no input loses precision to underflow)."""
    rng = np.random.default_rng(seed)
    m1, m2 = rng.integers(-8, 9, size=d) / 4, rng.integers(-8, 9, size=d) / 4
    A1, A2 = rng.integers(-4, 5, size=(d, d)) / 4, rng.integers(-4, 5, size=(d, d)) / 4
    return m1, A1 @ A1.T + np.eye(d) / 4, m2, A2 @ A2.T + np.eye(d) / 4


@fixture_ok
@given(seed=seeds, d=st.integers(1, 3), single=st.booleans(), data=st.data())
def test_gaussian_closed_forms_under_x_to_s_x(xp, seed, d, single, data):
    """x -> s x maps N(m, C) to N(s m, s^2 C): W_2 scales with s, KL and H^2 are
    invariant. W_2^2 is a difference (tr C1 + tr C2 - 2 ||A2^T A1||_*), accurate to
    a few d eps times the sum of its terms; KL and H^2 to a few d eps absolute (their
    log-determinants are O(1) here)."""
    s, dt, eps = _scale(data, single), _dtype(xp, single), _eps(single)
    m1, C1, m2, C2 = _gaussians(seed, d)
    base = [xp.asarray(t, dt) for t in (m1, C1, m2, C2)]
    scaled = [xp.asarray(t, dt) for t in (s * m1, s * s * C1, s * m2, s * s * C2)]
    rtol = 1e-4 if single else 1e-9
    w, ws = _f(gaussian_wasserstein(*base)), _f(gaussian_wasserstein(*scaled)) / s
    terms = np.trace(C1) + np.trace(C2) + np.sum((m1 - m2) ** 2)
    assert abs(ws**2 - w**2) <= rtol * w**2 + 16 * d * eps * terms, (w, ws)
    for fn in (gaussian_kl, gaussian_hellinger):
        assert _f(fn(*scaled)) == pytest.approx(_f(fn(*base)), rel=rtol, abs=64 * d * eps), fn.__name__


@fixture_ok
@given(seed=seeds, d=st.integers(1, 3), shift=st.integers(-400, 400))
def test_gaussian_closed_forms_under_translation(xp, seed, d, shift):
    """m -> m + c leaves all three unchanged (c dyadic: m + c is exact)."""
    m1, C1, m2, C2 = _gaussians(seed, d)
    c = shift / 4
    for fn in (gaussian_wasserstein, gaussian_kl, gaussian_hellinger):
        moved = _f(fn(xp.asarray(m1 + c), xp.asarray(C1), xp.asarray(m2 + c), xp.asarray(C2)))
        assert moved == _f(fn(xp.asarray(m1), xp.asarray(C1), xp.asarray(m2), xp.asarray(C2))), fn.__name__


@pytest.mark.parametrize("s", [1e-150, 1e150])
def test_close_gaussians_keep_their_small_divergences_at_every_scale(xp, s):
    """KL and H^2 of two Gaussians whose covariances differ by 1e-6 relative are
    ~1e-13: computed at scale s, log det C1 - log det C2 must not cancel between two
    logarithms of size |log s^2| (690), which would leave an error ~1e-13."""
    rng = np.random.default_rng(0)
    A = rng.normal(size=(3, 3))
    C1 = A @ A.T + np.eye(3)
    C2, m = C1 * (1 + 2.0**-20), rng.normal(size=3)  # exact scaling by a power of two apart from C1's
    t = 2.0 ** round(math.log2(s))  # an exact power of two: the scaled inputs are exact
    for fn in (gaussian_kl, gaussian_hellinger):
        ref = _f(fn(xp.asarray(m), xp.asarray(C1), xp.asarray(m), xp.asarray(C2)))
        got = _f(fn(xp.asarray(t * m), xp.asarray(t * t * C1), xp.asarray(t * m), xp.asarray(t * t * C2)))
        assert got == ref, fn.__name__


def test_gaussian_overflow_names_the_arguments(xp):
    m, C = xp.asarray([1e308]), xp.asarray([[1.0]])
    with pytest.raises(ValueError, match="m1, m2: m1 - m2 overflows float64"):
        gaussian_wasserstein(m, C, -m, C)
    with pytest.raises(ValueError, match="m1, C1, m2, C2: KL overflows"):
        gaussian_kl(xp.asarray([1e200]), xp.asarray([[1e-200]]), xp.asarray([0.0]), xp.asarray([[1e-200]]))


# ------------------------------------------------------------------------ GAN-QP


def _histograms(seed, n):
    rng = np.random.default_rng(seed)
    a, b = rng.random(n) + 0.05, rng.random(n) + 0.05
    x = rng.normal(size=(n, 2))
    return a / a.sum(), b / b.sum(), np.linalg.norm(x[:, None] - x[None], axis=-1)


@fixture_ok
@given(seed=seeds, n=st.integers(2, 8), single=st.booleans(), data=st.data())
def test_qp_divergence_scales_with_the_distances_and_lam(xp, seed, n, single, data):
    """QP(a, b; s D, lam) = s QP(a, b; D, lam) = QP(a, b; D, s lam), and with
    ``normalize`` masses t give the unit-mass value."""
    s, dt = _scale(data, single), _dtype(xp, single)
    t = _scale(data, single)
    a, b, D = _histograms(seed, n)
    rtol = 1e-5 if single else 1e-12
    base = _f(qp_divergence(xp.asarray(a, dt), xp.asarray(b, dt), xp.asarray(D, dt)))
    scaled = _f(qp_divergence(xp.asarray(a, dt), xp.asarray(b, dt), xp.asarray(s * D, dt)))
    assert scaled / s == pytest.approx(base, rel=rtol, abs=0)
    by_lam = _f(qp_divergence(xp.asarray(a, dt), xp.asarray(b, dt), xp.asarray(D, dt), lam=s))
    assert by_lam / s == pytest.approx(base, rel=rtol, abs=0)
    massive = _f(qp_divergence(xp.asarray(t * a, dt), xp.asarray(t * b, dt), xp.asarray(D, dt), normalize=True))
    assert massive == pytest.approx(base, rel=rtol, abs=0)


def test_qp_divergence_of_tiny_weights_against_exact_arithmetic(xp):
    """Weights of 1e-160 where a and b differ: the products a_i b_j there are ~1e-160
    and their squared differences ~1e-320 (subnormal, 11 bits); QP itself is ~1e-160,
    a normal number (the other pair has a_2 b_3 = a_3 b_2 and adds 0)."""
    a = np.array([1e-160, 0.5, 0.5])
    b = np.array([3e-160, 0.5, 0.5])
    D = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.5], [2.0, 1.5, 0.0]])
    A, B = [Fraction(v) for v in a], [Fraction(v) for v in b]
    exact = sum(Fraction(D[i, j]) * (A[i] * B[j] - A[j] * B[i]) ** 2 / (A[i] * B[j] + A[j] * B[i])
                for i in range(3) for j in range(3) if i != j) / 4
    got = qp_divergence(xp.asarray(a), xp.asarray(b), xp.asarray(D))
    assert _f(got) == pytest.approx(float(exact), rel=1e-14, abs=0)


@fixture_ok
@given(seed=seeds, n=st.integers(1, 8), single=st.booleans(), data=st.data())
def test_qp_objective_scales_and_translates(xp, seed, n, single, data):
    """(s T, s d) -> s times the objective; T -> T + c leaves it unchanged up to the
    rounding of T + c."""
    s, dt = _scale(data, single), _dtype(xp, single)
    rng = np.random.default_rng(seed)
    trf, tfr, d = rng.normal(size=n), rng.normal(size=n), rng.random(n) + 0.1
    rtol = 1e-4 if single else 1e-10
    base = _f(qp_objective(xp.asarray(trf, dt), xp.asarray(tfr, dt), xp.asarray(d, dt)))
    got = _f(qp_objective(xp.asarray(s * trf, dt), xp.asarray(s * tfr, dt), xp.asarray(s * d, dt)))
    scale = np.mean(np.abs(trf - tfr) + (trf - tfr) ** 2 / (2 * d))  # the terms' size
    assert got / s == pytest.approx(base, rel=rtol, abs=rtol * scale)


def test_qp_objective_overflow_names_the_arguments(xp):
    with pytest.raises(ValueError, match="t_rf, t_fr, d: the objective overflows"):
        qp_objective(xp.asarray([1e200]), xp.asarray([0.0]), xp.asarray([1e-200]))


# ------------------------------------------------------ the Wasserstein divergence


@fixture_ok
@given(seed=seeds, n=st.integers(1, 8), m=st.integers(1, 8), p=st.sampled_from([1.5, 2.0, 6.0, 100.0]),
       single=st.booleans(), data=st.data())
def test_wasserstein_divergence_1d_scales_with_the_points(xp, seed, n, m, p, single, data):
    """x -> s x (and the support with it): W_{k,p} scales with s^q, q = p / (p - 1);
    translating changes nothing but rounding; masses t with ``normalize`` give the
    unit-mass value. (Scales s with s^q within the dtype's range; beyond it the
    result is an error, tested below.)"""
    q = p / (p - 1)
    top = int((30 if single else 280) / q)
    s, dt = 10.0 ** data.draw(st.integers(-top, top)), _dtype(xp, single)
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=n), rng.normal(size=m) + 0.5
    rtol = 1e-4 if single else 1e-10
    lo, hi = min(x.min(), y.min()) - 1, max(x.max(), y.max()) + 1
    base = _f(wasserstein_divergence_1d(xp.asarray(x, dt), xp.asarray(y, dt), p=p, support=(lo, hi)))
    got = _f(wasserstein_divergence_1d(xp.asarray(s * x, dt), xp.asarray(s * y, dt), p=p,
                                       support=(s * lo, s * hi)))
    assert got == pytest.approx(s**q * base, rel=rtol, abs=0)
    hull = _f(wasserstein_divergence_1d(xp.asarray(x, dt), xp.asarray(y, dt), p=p))
    moved = _f(wasserstein_divergence_1d(xp.asarray(x + 3.0, dt), xp.asarray(y + 3.0, dt), p=p))
    # translating rounds each point by u (|x| + 3): gaps and the hull move by twice that
    assert moved == pytest.approx(hull, rel=rtol + 64 * _eps(single) * (4 + np.abs(np.r_[x, y]).max()), abs=0)
    t = _scale(data, single)
    a, b = rng.random(n) + 0.1, rng.random(m) + 0.1
    unit = _f(wasserstein_divergence_1d(xp.asarray(x, dt), xp.asarray(y, dt), xp.asarray(a / a.sum(), dt),
                                        xp.asarray(b / b.sum(), dt), p=p))
    massive = _f(wasserstein_divergence_1d(xp.asarray(x, dt), xp.asarray(y, dt), xp.asarray(t * a, dt),
                                           xp.asarray(t * b, dt), p=p, normalize=True))
    assert massive == pytest.approx(unit, rel=rtol, abs=0)


@fixture_ok
@given(seed=seeds, n=st.integers(1, 8), p=st.sampled_from([2.0, 6.0]), single=st.booleans(), data=st.data())
def test_wasserstein_divergence_objective_scales(xp, seed, n, p, single, data):
    """T -> s T and k -> k s^(1-p) make every term s times larger (grad norms scale
    with s), wherever k s^(1-p) is a normal number."""
    top = int((30 if single else 280) / (p - 1))
    s, dt = 10.0 ** data.draw(st.integers(-top, top)), _dtype(xp, single)
    k = 2.0 * s ** (1 - p)
    rng = np.random.default_rng(seed)
    tr, tf, g = rng.normal(size=n), rng.normal(size=n + 1), rng.random(n + 2)
    rtol = 1e-4 if single else 1e-12
    terms = np.abs(tr).mean() + np.abs(tf).mean() + 2 * np.mean(g**p)
    base = _f(wasserstein_divergence_objective(xp.asarray(tr, dt), xp.asarray(tf, dt), xp.asarray(g, dt), k=2.0, p=p))
    got = _f(wasserstein_divergence_objective(xp.asarray(s * tr, dt), xp.asarray(s * tf, dt),
                                              xp.asarray(s * g, dt), k=k, p=p))
    assert got / s == pytest.approx(base, rel=rtol, abs=rtol * terms)


def test_wasserstein_divergence_overflow_names_the_arguments(xp):
    with pytest.raises(ValueError, match="x, y: W_{k,p} overflows float64"):
        wasserstein_divergence_1d(xp.asarray([1e300]), xp.asarray([-1e300]), p=2.0)
    with pytest.raises(ValueError, match="t_real, t_fake, grad_norms: the objective overflows"):
        wasserstein_divergence_objective(xp.asarray([0.0]), xp.asarray([0.0]), xp.asarray([1e60]), k=1.0, p=6.0)
    # g^6 = 1e360 overflows but k g^6 = 1e60 does not
    value = _f(wasserstein_divergence_objective(xp.asarray([0.0]), xp.asarray([0.0]), xp.asarray([1e60]),
                                                k=1e-300, p=6.0))
    assert value == pytest.approx(-1e60, rel=1e-13, abs=0)


# ---------------------------------------------------------------------- duality


def _potentials(seed, n, m):
    rng = np.random.default_rng(seed)
    a, b = rng.random(n) + 0.1, rng.random(m) + 0.1
    return rng.normal(size=n), rng.normal(size=m), a / a.sum(), b / b.sum()


def _representable(v, single):
    tiny, huge = (1e-30, 1e30) if single else (1e-290, 1e290)
    return v == 0 or tiny < abs(v) < huge


@fixture_ok
@given(seed=seeds, n=st.integers(1, 8), m=st.integers(1, 8), single=st.booleans(), data=st.data())
def test_dual_value_scales_with_potentials_and_masses(xp, seed, n, m, single, data):
    """<t a, s f> + <t b, s g> = s t (<a, f> + <b, g>): to round-off where s t times
    the value is a normal number, a ValueError naming f, g, a, b where it overflows."""
    s, t, dt = _scale(data, single), _scale(data, single), _dtype(xp, single)
    f, g, a, b = _potentials(seed, n, m)
    u = _eps(single)
    base = _f(dual_value(*(xp.asarray(v, dt) for v in (f, g, a, b))))
    args = [xp.asarray(v, dt) for v in (s * f, s * g, t * a, t * b)]
    terms = np.abs(a) @ np.abs(f) + np.abs(b) @ np.abs(g)  # the cancellation's size
    if abs(s * t * terms) > (1e38 if single else 1e308):
        with pytest.raises(ValueError, match="f, g, a, b: <a, f> \\+ <b, g> overflows"):
            dual_value(*args)
    elif _representable(s * t * terms, single):
        got = _f(dual_value(*args)) / s / t
        assert got == pytest.approx(base, rel=8 * u, abs=4 * (n + m + 2) * u * terms)
    rf = f[::-1].copy()  # the critic on the second sample (positive strides for torch)
    krt = 2 * (np.abs(a) @ np.abs(f))
    if _representable(s * t * krt, single) and abs(s * t * krt) < (1e37 if single else 1e307):
        kr = _f(kantorovich_rubinstein(*(xp.asarray(v, dt) for v in (s * f, s * rf, t * a, t * a))))
        ref = _f(kantorovich_rubinstein(*(xp.asarray(v, dt) for v in (f, rf, a, a))))
        assert kr / s / t == pytest.approx(ref, rel=8 * u, abs=4 * (2 * n + 2) * u * krt)


@fixture_ok
@given(seed=seeds, n=st.integers(1, 8), shift=st.integers(-15, 15))
def test_dual_value_is_invariant_under_opposite_offsets(xp, seed, n, shift):
    """Equal masses: (f + c, g - c) has the dual value of (f, g). Forming f + c rounds
    each entry by u |f + c|, and the sums err by gamma_(n+1) times the sum of |terms|:
    the bound is computed from the arrays actually passed."""
    f, g, a, _ = _potentials(seed, n, n)
    b = a[::-1].copy()  # the same mass, exactly
    c = 10.0**shift
    fc, gc = f + c, g - c
    u = np.finfo(np.float64).eps / 2
    terms = a @ np.abs(fc) + b @ np.abs(gc)
    bound = u * terms + ((2 * n + 2) * u / (1 - (2 * n + 2) * u)) * terms
    moved = _f(dual_value(*(xp.asarray(v) for v in (fc, gc, a, b))))
    assert abs(moved - _f(dual_value(*(xp.asarray(v) for v in (f, g, a, b))))) <= 2 * bound
    kr = _f(kantorovich_rubinstein(*(xp.asarray(v) for v in (fc, g + c, a, b))))
    assert abs(kr - _f(kantorovich_rubinstein(*(xp.asarray(v) for v in (f, g, a, b))))) <= 2 * bound


def test_dual_value_survives_products_that_overflow(xp):
    """Masses 1e300 and potentials offset by +-2^40: every product a_i f_i
    overflows, the value (1e300 times an O(1) number) does not. Checked against
    exact rational arithmetic on the arrays passed, to the a-priori round-off bound
    gamma_(2n+2) sum |a_i f_i| + |b_j g_j|."""
    f, g, a, _ = _potentials(1, 4, 4)
    args = [f + 2.0**40, g - 2.0**40, 1e300 * a, 1e300 * a[::-1]]
    fc, gc, ac, bc = (list(map(Fraction, v)) for v in args)
    exact = sum(x * y for x, y in zip(ac, fc)) + sum(x * y for x, y in zip(bc, gc))
    terms = sum(abs(x * y) for x, y in zip(ac, fc)) + sum(abs(x * y) for x, y in zip(bc, gc))
    u = Fraction(1, 2**53)
    got = dual_value(*(xp.asarray(v.copy()) for v in args))
    assert abs(Fraction(_f(got)) - exact) <= 10 * u * terms
    assert 1e290 < abs(exact) < 1e308 < terms  # representable, while the products are not


@fixture_ok
@given(seed=seeds, n=st.integers(1, 8), m=st.integers(1, 8), single=st.booleans(), data=st.data())
def test_c_transform_scales_and_shifts(xp, seed, n, m, single, data):
    """(s f, s M) -> s f^c; f + c -> f^c - c; M + c -> f^c + c (each up to the one
    rounding of every entry)."""
    s, dt = _scale(data, single), _dtype(xp, single)
    rng = np.random.default_rng(seed)
    f, M = rng.normal(size=n), rng.random((n, m))
    u = _eps(single)
    ref = xp.to_numpy(c_transform(xp.asarray(f, dt), xp.asarray(M, dt))).astype(np.float64)
    got = xp.to_numpy(c_transform(xp.asarray(s * f, dt), xp.asarray(s * M, dt))).astype(np.float64) / s
    size = np.abs(f).max() + np.abs(M).max()
    np.testing.assert_allclose(got, ref, rtol=0, atol=8 * u * size)
    c = 3.0
    shifted = xp.to_numpy(c_transform(xp.asarray(f + c, dt), xp.asarray(M, dt))).astype(np.float64)
    np.testing.assert_allclose(shifted, ref - c, rtol=0, atol=8 * u * (size + c))


def test_c_transform_overflow_names_the_arguments(xp):
    with pytest.raises(ValueError, match="f, M: min_i M_ij - f_i overflows float64"):
        c_transform(xp.asarray([-1e308, -1e308]), xp.asarray([[1e308], [1e308]]))
    # a single overflowing entry is not the minimum: the result is exact
    g = c_transform(xp.asarray([-1e308, 0.0]), xp.asarray([[1e308], [1.0]]))
    assert _f(g[0]) == 1.0
