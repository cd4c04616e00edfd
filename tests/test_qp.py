"""The GAN-QP divergence: the closed form against a numerical maximisation over free
critics T, the sampled objective at the optimal critic, zero iff P = Q, symmetry,
linearity in lambda, backends, gradients, bad input."""

import math

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given
from hypothesis import strategies as st

from divergences import qp_divergence, qp_objective
from divergences.testing import point_clouds, weights

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="gradients are checked with torch")

LAMS = st.sampled_from([0.3, 1.0, 4.0])


def _distances(x):
    return np.linalg.norm(x[:, None, :] - x[None, :, :], axis=-1)


@st.composite
def problems(draw, max_n=5):
    """(a, b, D): two histograms on n distinct points and their Euclidean distances."""
    n = draw(st.integers(1, max_n))
    x = draw(point_clouds(n=n, max_d=2))
    x = x + 1e-3 * np.arange(n)[:, None]  # distinct points: D is a metric
    return draw(weights(n)), draw(weights(n)), _distances(x)


def _expected_objective(a, b, D, T, lam):
    """E_{x_r ~ a, x_f ~ b}[A - A^2 / (2 lam d)] with A = T - T^T, written out; pairs at
    distance 0 contribute 0 (A = 0 there)."""
    A = T - T.T
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = np.where(D > 0, A - A**2 / (2 * lam * D), 0.0)
    return float(np.sum(a[:, None] * b[None, :] * inner))


def _optimal_T(a, b, D, lam):
    """The antisymmetric maximiser, halved so that T - T^T = A*."""
    ab = np.outer(a, b)
    num, den = ab - ab.T, ab + ab.T
    with np.errstate(divide="ignore", invalid="ignore"):
        A = np.where(den > 0, lam * D * num / den, 0.0)
    return A / 2


# ------------------------------------------------------------------ the closed form

@given(problems(), LAMS)
def test_equals_a_numerical_maximisation_over_free_critics(problem, lam):
    a, b, D = problem
    n = len(a)
    neg = lambda t: -_expected_objective(a, b, D, t.reshape(n, n), lam)

    def neg_grad(t):  # d/dT of the objective: G - G^T, G_ij = a_i b_j (1 - A_ij / (lam D_ij))
        A = t.reshape(n, n) - t.reshape(n, n).T
        with np.errstate(divide="ignore", invalid="ignore"):
            G = np.where(D > 0, np.outer(a, b) * (1 - A / (lam * D)), 0.0)
        return -(G - G.T).ravel()

    start = np.random.default_rng(0).normal(size=n * n)
    res = scipy.optimize.minimize(neg, start, jac=neg_grad, method="BFGS", options={"gtol": 1e-13})
    qp = float(qp_divergence(a, b, D, lam=lam))
    assert -res.fun <= qp + 1e-12
    assert -res.fun == pytest.approx(qp, rel=1e-7, abs=1e-10)
    # and the closed-form maximiser attains it
    assert _expected_objective(a, b, D, _optimal_T(a, b, D, lam), lam) == pytest.approx(qp, rel=1e-12, abs=1e-15)


@given(problems(), LAMS, st.integers(0, 2**32 - 1))
def test_is_an_upper_bound_on_the_objective_of_any_critic(problem, lam, seed):
    a, b, D = problem
    rng = np.random.default_rng(seed)
    qp = float(qp_divergence(a, b, D, lam=lam))
    T_star = _optimal_T(a, b, D, lam)
    for T in (rng.normal(size=D.shape), T_star + 0.1 * rng.normal(size=D.shape), 2 * T_star, np.zeros(D.shape)):
        assert _expected_objective(a, b, D, T, lam) <= qp + 1e-12


@given(st.integers(2, 6), st.integers(0, 2**32 - 1))
def test_the_sampled_objective_at_the_optimal_critic(n_points, seed):
    # empirical P and Q from samples on a shared support; averaging the sampled objective
    # over every (real, fake) pair is the exact expectation
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_points, 2))
    D = _distances(x)
    real, fake = rng.integers(0, n_points, size=7), rng.integers(0, n_points, size=5)
    a = np.bincount(real, minlength=n_points) / 7
    b = np.bincount(fake, minlength=n_points) / 5
    T = _optimal_T(a, b, D, 1.0)
    i, j = np.meshgrid(real, fake, indexing="ij")
    i, j = i.ravel(), j.ravel()
    sampled = float(qp_objective(T[i, j], T[j, i], D[i, j]))  # pairs with x_r = x_f: d = 0, T_rf = T_fr
    assert sampled == pytest.approx(float(qp_divergence(a, b, D)), rel=1e-12, abs=1e-15)
    Tr = rng.normal(size=D.shape)  # any other critic does no better
    assert float(qp_objective(Tr[i, j], Tr[j, i], D[i, j])) <= float(qp_divergence(a, b, D)) + 1e-12


@given(problems(max_n=6), LAMS)
def test_symmetric_nonnegative_and_linear_in_lambda(problem, lam):
    a, b, D = problem
    qp = float(qp_divergence(a, b, D, lam=lam))
    assert qp >= 0
    assert float(qp_divergence(b, a, D, lam=lam)) == pytest.approx(qp, rel=1e-12, abs=1e-15)
    assert float(qp_divergence(a, b, D, lam=2 * lam)) == pytest.approx(2 * qp, rel=1e-12, abs=1e-15)


@given(problems(max_n=6))
def test_zero_iff_equal(problem):
    a, b, D = problem
    assert float(qp_divergence(a, a, D)) == 0.0
    if not np.allclose(a, b, atol=1e-12):
        # a metric D: every off-diagonal pair counts, and a != b breaks a_i b_j = a_j b_i
        assert float(qp_divergence(a, b, D)) > 0


def test_two_points_by_hand():
    D = np.array([[0.0, 2.0], [2.0, 0.0]])
    a, b = np.array([0.75, 0.25]), np.array([0.25, 0.75])
    # (lam/4) * 2 * D12 (a1 b2 - a2 b1)^2 / (a1 b2 + a2 b1)
    expected = 0.5 * 2.0 * (0.5625 - 0.0625) ** 2 / (0.5625 + 0.0625)
    assert float(qp_divergence(a, b, D)) == pytest.approx(expected, rel=1e-14)
    # a pseudo-metric: points at distance 0 cannot be told apart
    assert float(qp_divergence(a, b, np.zeros((2, 2)))) == 0.0


def test_objective_by_hand():
    out = qp_objective(np.array([2.0, 1.0, 0.5]), np.array([1.0, 1.0, 0.5]), np.array([1.0, 0.0, 0.0]), lam=2.0)
    assert float(out) == pytest.approx((1 - 1 / 4) / 3, rel=1e-14)  # 1 - 1^2/(2*2*1); the d = 0 pairs agree
    assert float(qp_objective(np.array([1.0]), np.array([0.0]), np.array([0.0]))) == -math.inf


# --------------------------------------------------------------------- backends

def test_backends_dtypes_and_batches(xp, rng):
    n = 4
    D = _distances(rng.normal(size=(n, 2)))
    a, b = rng.random((3, 1, n)), rng.random((2, n))
    a, b = a / a.sum(-1, keepdims=True), b / b.sum(-1, keepdims=True)
    for dtype, rtol in ((xp.float64, 1e-12), (xp.float32, 1e-5)):
        out = qp_divergence(xp.asarray(a, dtype), xp.asarray(b, dtype), xp.asarray(D, dtype), lam=0.5)
        assert xp.owns(out) and out.dtype == dtype and tuple(out.shape) == (3, 2)
        loop = [[float(qp_divergence(a[i, 0], b[j], D, lam=0.5)) for j in range(2)] for i in range(3)]
        np.testing.assert_allclose(xp.to_numpy(out), loop, rtol=rtol)
    t = rng.normal(size=(2, 5))
    d = rng.random(5)
    out = qp_objective(xp.asarray(t[0]), xp.asarray(t[1]), xp.asarray(d), lam=3.0)
    assert xp.owns(out) and tuple(out.shape) == ()
    diff = t[0] - t[1]
    assert float(xp.to_numpy(out)) == pytest.approx(float(np.mean(diff - diff**2 / (6.0 * d))), rel=1e-12)


# ------------------------------------------------------------------------ gradients

def _t(x, grad=False):
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=grad)


@needs_torch
def test_gradients_match_finite_differences(rng):
    n = 4
    D0 = _distances(rng.normal(size=(n, 2)))
    a, b = _t(rng.random(n) + 0.1, True), _t(rng.random(n) + 0.1, True)
    D = _t(D0, True)
    sym = lambda M: (M + M.T) / 2
    f = lambda a, b, D: qp_divergence(a, b, sym(D) * (1 - torch.eye(n, dtype=torch.float64)), lam=0.7, normalize=True)
    assert torch.autograd.gradcheck(f, (a, b, D))
    # zero weights: finite gradients (pairs with a_i b_j + a_j b_i = 0 contribute 0)
    a0, b0 = _t([0.5, 0.5, 0.0, 0.0], True), _t([0.0, 0.5, 0.5, 0.0], True)
    ga, gb = torch.autograd.grad(qp_divergence(a0, b0, _t(D0)), (a0, b0))
    assert torch.all(torch.isfinite(ga)) and torch.all(torch.isfinite(gb))


@needs_torch
def test_objective_gradients(rng):
    t_rf, t_fr = _t(rng.normal(size=5), True), _t(rng.normal(size=5), True)
    d = _t(rng.random(5) + 0.1, True)
    assert torch.autograd.gradcheck(lambda x, y, z: qp_objective(x, y, z, lam=1.3), (t_rf, t_fr, d))


# ------------------------------------------------------------------------ bad input

_A, _B = [0.5, 0.5], [0.25, 0.75]
_D = [[0.0, 1.0], [1.0, 0.0]]
BAD = [
    (lambda: qp_divergence([0.5, 0.5], [0.2, 0.3, 0.5], _D), ValueError, "same points"),
    (lambda: qp_divergence([1.5, -0.5], _B, _D), ValueError, "a has negative"),
    (lambda: qp_divergence(_A, [np.nan, 1.0], _D), ValueError, "b contains NaN"),
    (lambda: qp_divergence([0.5, 0.6], _B, _D), ValueError, "a must sum to 1"),
    (lambda: qp_divergence(_A, _B, [[0.0, 1.0], [2.0, 0.0]]), ValueError, "D must be symmetric"),
    (lambda: qp_divergence(_A, _B, [[1.0, 1.0], [1.0, 0.0]]), ValueError, "D must have a zero diagonal"),
    (lambda: qp_divergence(_A, _B, [[0.0, -1.0], [-1.0, 0.0]]), ValueError, "D has negative"),
    (lambda: qp_divergence(_A, _B, [[0.0, np.nan], [np.nan, 0.0]]), ValueError, "D contains NaN"),
    (lambda: qp_divergence(_A, _B, np.zeros((3, 3))), ValueError, r"D must have shape \(\.\.\., 2, 2\)"),
    (lambda: qp_divergence(_A, _B, [0.0, 1.0]), ValueError, "D must have shape"),
    (lambda: qp_divergence(_A, _B, _D, lam=0.0), ValueError, "lam must be"),
    (lambda: qp_divergence(np.ones((2, 2)) / 2, np.ones((3, 2)) / 2, _D), ValueError, "do not broadcast"),
    (lambda: qp_objective([1.0], [0.0], [-1.0]), ValueError, "d has negative"),
    (lambda: qp_objective([np.inf], [0.0], [1.0]), ValueError, "t_rf contains NaN"),
    (lambda: qp_objective([1.0, 2.0], [0.0, 1.0, 2.0], [1.0]), ValueError, "do not broadcast"),
    (lambda: qp_objective([1.0], [0.0], [1.0], lam=-1.0), ValueError, "lam must be"),
]


@pytest.mark.parametrize("call, error, pattern", BAD)
def test_bad_input_is_rejected(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()
