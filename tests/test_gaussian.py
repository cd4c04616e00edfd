"""gaussian_wasserstein: closed forms, an independent sqrtm reference, metric
properties, exact OT on samples (Gelbrich's bound), backends, gradients, bad input."""

import warnings

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

from divergences import solve
from divergences import gaussian_wasserstein

try:
    import torch
except ImportError:  # the gradient tests need it
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="gradients are checked with torch")

finite = st.floats(-10.0, 10.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)
variance_scale = st.floats(0.0, 10.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def _w(xp, m1, C1, m2, C2, dtype=None) -> float | np.ndarray:
    """W_2 on the backend, checked to come back there, as NumPy."""
    args = [xp.asarray(np.asarray(x, dtype=np.float64), dtype) for x in (m1, C1, m2, C2)]
    w = gaussian_wasserstein(*args)
    assert xp.owns(w)
    return xp.to_numpy(w)


def _reference_sq(m1, C1, m2, C2) -> float:
    """W_2^2 by the textbook formula with SciPy's sqrtm (Schur method): independent of
    the eigh/Cholesky/SVD route of the library. Accurate to ~sqrt(eps) on singular C."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Matrix is singular" on rank-deficient C
        S1 = np.real(scipy.linalg.sqrtm(C1))
        cross = np.real(np.trace(scipy.linalg.sqrtm(S1 @ C2 @ S1)))
    return float(np.sum((m1 - m2) ** 2) + np.trace(C1) + np.trace(C2) - 2 * cross)


def _scale(m1, C1, m2, C2) -> float:
    return 1.0 + float(np.sum((m1 - m2) ** 2) + np.trace(C1) + np.trace(C2))


@st.composite
def gaussians(draw, d: int, *, full_rank: bool = False):
    """(m, C) in R^d with C = A A^T, A of shape (d, k): rank k from 0 (a Dirac) to d."""
    seed = draw(st.integers(0, 2**32 - 1))
    k = d if full_rank else draw(st.integers(0, d))
    scale = draw(st.sampled_from([0.1, 1.0, 3.0]))
    rng = np.random.default_rng(seed)
    A = scale * rng.normal(size=(d, k))
    return rng.normal(size=d) * draw(st.sampled_from([0.0, 1.0, 5.0])), A @ A.T


@st.composite
def gaussian_tuples(draw, count: int, max_d: int = 5):
    d = draw(st.integers(1, max_d))
    return [draw(gaussians(d)) for _ in range(count)]


# --------------------------------------------------------------------- closed forms

@given(finite, finite, variance_scale, variance_scale)
def test_one_dimensional_closed_form(m1, m2, s1, s2):
    w = float(gaussian_wasserstein(np.array([m1]), np.array([[s1**2]]), np.array([m2]), np.array([[s2**2]])))
    exact_sq = (m1 - m2) ** 2 + (s1 - s2) ** 2
    assert abs(w**2 - exact_sq) <= 1e-13 * (1 + m1**2 + m2**2 + s1**2 + s2**2)


def test_one_dimensional_batch_on_backends(xp, rng):
    m1, m2 = rng.normal(size=(7, 1)), rng.normal(size=(7, 1))
    s1, s2 = rng.random(7) * 3, rng.random(7) * 3
    s1[0] = 0.0  # a Dirac mass
    s2[1] = s1[1]  # equal spreads
    w = _w(xp, m1, (s1**2)[:, None, None], m2, (s2**2)[:, None, None])
    assert w.shape == (7,)
    np.testing.assert_allclose(w, np.sqrt((m1[:, 0] - m2[:, 0]) ** 2 + (s1 - s2) ** 2), rtol=1e-12)


@given(st.integers(1, 5), st.integers(0, 2**32 - 1), st.booleans())
def test_commuting_covariances_closed_form(d, seed, rotate):
    # C1 = Q diag(a) Q^T, C2 = Q diag(b) Q^T commute: W_2^2 = |m1 - m2|^2 + |sqrt a - sqrt b|^2.
    rng = np.random.default_rng(seed)
    a, b = rng.random(d) * 4, rng.random(d) * 4
    a[rng.random(d) < 0.3] = 0.0  # singular covariances
    b[rng.random(d) < 0.3] = 0.0
    m1, m2 = rng.normal(size=d), rng.normal(size=d)
    Q = np.linalg.qr(rng.normal(size=(d, d)))[0] if rotate else np.eye(d)
    C1, C2 = (Q * a) @ Q.T, (Q * b) @ Q.T
    exact_sq = np.sum((m1 - m2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    w = float(gaussian_wasserstein(Q @ m1, C1, Q @ m2, C2))
    # singular + rotated: round-off eigenvalues of size eps enter W_2^2 at sqrt(eps)
    assert w**2 == pytest.approx(exact_sq, abs=1e-7 * _scale(m1, C1, m2, C2))


def test_diagonal_covariances_on_backends(xp):
    m1, m2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.0])
    a, b = np.array([4.0, 0.0, 1.0]), np.array([1.0, 9.0, 1.0])
    w = float(_w(xp, m1, np.diag(a), m2, np.diag(b)))
    assert w == pytest.approx(np.sqrt(5.0 + 1.0 + 9.0), rel=1e-12)


@given(gaussian_tuples(2))
def test_matches_the_sqrtm_formula(pair):
    (m1, C1), (m2, C2) = pair
    w = float(gaussian_wasserstein(m1, C1, m2, C2))
    assert w >= 0
    assert w**2 == pytest.approx(_reference_sq(m1, C1, m2, C2), abs=1e-6 * _scale(m1, C1, m2, C2))


@given(gaussian_tuples(3))
def test_metric_properties(triple):
    (m1, C1), (m2, C2), (m3, C3) = triple
    w12 = float(gaussian_wasserstein(m1, C1, m2, C2))
    w21 = float(gaussian_wasserstein(m2, C2, m1, C1))
    w13 = float(gaussian_wasserstein(m1, C1, m3, C3))
    w23 = float(gaussian_wasserstein(m2, C2, m3, C3))
    tol = 1e-7 * np.sqrt(_scale(m1, C1, m2, C2) + _scale(m1, C1, m3, C3))
    assert w12 == pytest.approx(w21, abs=tol)
    assert w13 <= w12 + w23 + tol
    assert w12 >= np.linalg.norm(m1 - m2) - tol  # the covariance part is >= 0
    # |sqrt tr C1 - sqrt tr C2| <= Bures(C1, C2): min_Q |A1 - A2 Q|_F >= | |A1|_F - |A2|_F |
    bures = float(gaussian_wasserstein(m1, C1, m1, C2))
    assert bures >= abs(np.sqrt(np.trace(C1)) - np.sqrt(np.trace(C2))) - tol
    assert float(gaussian_wasserstein(m1, C1, m1, C1)) <= tol


def test_identical_inputs_give_zero(xp, rng):
    # about half of these give W_2^2 ~ -1e-14 by round-off: clipped, never NaN
    B = rng.normal(size=(20, 3, 3))
    B[5:10, :, 1:] = 0.0  # rank 1
    B[10:12] = 0.0  # Dirac masses
    C = B @ np.swapaxes(B, -1, -2)
    m = rng.normal(size=(20, 3))
    w = _w(xp, m, C, m, C)
    assert np.all(w >= 0)  # also False for NaN
    assert np.all(w <= 1e-6 * np.sqrt(1 + np.trace(C, axis1=-2, axis2=-1)))


def test_rank_one_covariance_against_sqrtm(xp):
    # C1 = v v^T: C1^{1/2} = v v^T / |v|, so tr (C1^{1/2} C2 C1^{1/2})^{1/2} = sqrt(v^T C2 v).
    v = np.array([1.0, 2.0, -1.0])
    C1 = np.outer(v, v)
    assert np.linalg.eigvalsh(C1).min() < 0  # round-off made it (slightly) indefinite
    C2 = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 3.0]])
    m1, m2 = np.array([0.0, 1.0, 0.0]), np.array([0.5, 0.0, 0.0])
    exact_sq = 1.25 + v @ v + np.trace(C2) - 2 * np.sqrt(v @ C2 @ v)
    assert _reference_sq(m1, C1, m2, C2) == pytest.approx(exact_sq, rel=1e-7)  # the reference agrees
    w = float(_w(xp, m1, C1, m2, C2))
    # exact, not sqrt(eps): eigenvalues at round-off level are set to 0, not sqrt'ed
    assert w**2 == pytest.approx(exact_sq, rel=1e-12)
    assert float(_w(xp, m2, C2, m1, C1)) == pytest.approx(w, rel=1e-12)


def test_dirac_masses(xp, rng):
    m1, m2 = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    zero = np.zeros((4, 4))
    np.testing.assert_allclose(_w(xp, m1, zero, m2, zero), np.linalg.norm(m1 - m2, axis=-1), rtol=1e-14)
    # a Dirac against a Gaussian: W_2^2 = |m1 - m2|^2 + tr C2
    B = rng.normal(size=(4, 4))
    C2 = B @ B.T
    w = _w(xp, m1, zero, m2, C2)
    np.testing.assert_allclose(w**2, np.sum((m1 - m2) ** 2, axis=-1) + np.trace(C2), rtol=1e-12)


# ------------------------------------------------------------ exact OT on samples

M1, S1 = np.array([0.0, 0.0]), np.array([[1.0, 0.3], [0.3, 0.5]])
M2, S2 = np.array([1.0, -0.5]), np.array([[0.6, -0.2], [-0.2, 1.2]])


@pytest.mark.parametrize("seed", [0, 1])
def test_exact_w2_of_samples(seed):
    rng = np.random.default_rng(seed)
    x = rng.multivariate_normal(M1, S1, size=600)
    y = rng.multivariate_normal(M2, S2, size=600)
    empirical = np.sqrt(float(solve(np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1)).value))
    # Gelbrich (1990): W_2 between any two measures is >= the Gaussian formula on their
    # means and covariances. A deterministic inequality for the empirical measures;
    # the excess is the non-Gaussianity of finite samples: 0.0136 +- 0.002
    # (range 0.010-0.020) over 40 seeds, so 0.03 is ~8 standard deviations.
    gelbrich = float(gaussian_wasserstein(x.mean(0), np.cov(x.T, bias=True), y.mean(0), np.cov(y.T, bias=True)))
    assert gelbrich <= empirical + 1e-9
    assert empirical - gelbrich <= 0.03
    # Against the population value 1.2755: empirical - closed form was 0.014 +- 0.051
    # (biased upward; range -0.09 to 0.13) over 60 seeds; 0.2 is ~4 standard deviations.
    closed = float(gaussian_wasserstein(M1, S1, M2, S2))
    assert abs(empirical - closed) <= 0.2


# ------------------------------------------------------------------------ backends

@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_namespace_dtype_and_batch_shape(xp, rng, precision):
    dtype = getattr(xp, precision)
    d = 3
    B1, B2 = rng.normal(size=(d, d)), rng.normal(size=(2, 1, d, d))
    C1, C2 = B1 @ B1.T, B2 @ np.swapaxes(B2, -1, -2)
    m1, m2 = rng.normal(size=(4, d)), rng.normal(size=d)
    args = [xp.asarray(x, dtype) for x in (m1, C1, m2, C2)]
    w = gaussian_wasserstein(*args)
    assert xp.owns(w) and w.dtype == dtype and tuple(w.shape) == (2, 4)
    loop = np.array([[float(gaussian_wasserstein(m1[j], C1, m2, C2[i, 0])) for j in range(4)] for i in range(2)])
    np.testing.assert_allclose(xp.to_numpy(w), loop, rtol=1e-12 if precision == "float64" else 1e-4)


def test_d_equals_one_shapes(xp):
    w = gaussian_wasserstein(xp.asarray([1.0]), xp.asarray([[4.0]]), xp.asarray([-1.0]), xp.asarray([[1.0]]))
    assert xp.owns(w) and tuple(w.shape) == ()
    assert float(xp.to_numpy(w)) == pytest.approx(np.sqrt(5.0), rel=1e-14)


def test_integer_and_list_input():
    w = gaussian_wasserstein([0, 0], [[1, 0], [0, 4]], np.array([3, 4]), np.eye(2, dtype=np.int64))
    assert isinstance(w, np.ndarray) and w.dtype == np.float64
    assert float(w) == pytest.approx(np.sqrt(25.0 + 1.0), rel=1e-14)


def test_round_off_asymmetry_and_negative_eigenvalues_are_accepted(xp):
    # within the sqrt(eps) = 1.5e-8 relative tolerances
    C = np.array([[2.0, 1.0], [1.0, 0.5]])  # singular
    C_noisy = C + np.array([[0.0, 1e-12], [0.0, -1e-12]])  # asymmetric and indefinite by 1e-12
    assert np.linalg.eigvalsh((C_noisy + C_noisy.T) / 2).min() < 0
    w = float(_w(xp, [0.0, 0.0], C_noisy, [0.0, 0.0], C))
    assert 0 <= w <= 1e-5
    # an asymmetric C is read as (C + C^T) / 2, not as one of its triangles
    P = np.array([[2.0, 0.5], [0.5 + 1e-8, 1.0]])
    w = float(_w(xp, [1.0, 0.0], P, [0.0, 0.0], np.eye(2)))
    assert w == pytest.approx(float(_w(xp, [1.0, 0.0], (P + P.T) / 2, [0.0, 0.0], np.eye(2))), rel=1e-14)
    assert w != pytest.approx(float(_w(xp, [1.0, 0.0], np.tril(P) + np.tril(P, -1).T, [0.0, 0.0], np.eye(2))), rel=1e-12)


# ------------------------------------------------------------------------ gradients

def _t(x, grad=False):
    return torch.tensor(np.asarray(x, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


@needs_torch
def test_gradients_match_finite_differences(rng):
    d = 3
    B = rng.normal(size=(d, d))
    B1 = _t(B @ B.T + 0.5 * np.eye(d), grad=True)  # generic: distinct eigenvalues
    m1 = _t(rng.normal(size=d), grad=True)
    m2, C2 = _t(rng.normal(size=d)), _t(np.diag([1.0, 2.0, 0.5]))
    sym = lambda B: (B + B.T) / 2  # perturb C1 symmetrically
    assert torch.autograd.gradcheck(lambda m, B: gaussian_wasserstein(m, sym(B), m2, C2), (m1, B1))
    # the mean gradient is (m1 - m2) / W_2
    w = gaussian_wasserstein(m1, sym(B1), m2, C2)
    (g,) = torch.autograd.grad(w, m1)
    np.testing.assert_allclose(g.numpy(), ((m1 - m2) / w).detach().numpy(), rtol=1e-12)


@needs_torch
def test_gradient_in_the_covariance_at_repeated_eigenvalues(rng):
    # C1 = I has one eigenvalue d times: well-conditioned covariances go through
    # Cholesky, whose gradient is finite there (eigh's is not).
    d = 3
    B = rng.normal(size=(d, d))
    C2 = _t(B @ B.T + 0.1 * np.eye(d))
    eye = _t(np.eye(d), grad=True)
    m1, m2 = _t(np.zeros(d)), _t(rng.normal(size=d))
    assert torch.autograd.gradcheck(lambda C: gaussian_wasserstein(m1, (C + C.T) / 2, m2, C2), (eye,))
    # analytic: dW_2/dC1 = (I - T) / (2 W_2), T = C1^{-1/2} (C1^{1/2} C2 C1^{1/2})^{1/2} C1^{-1/2};
    # symmetric although Cholesky reads one triangle (C is symmetrised first)
    w = gaussian_wasserstein(m1, eye, m2, C2)
    (g,) = torch.autograd.grad(w, eye)
    T = np.real(scipy.linalg.sqrtm(C2.numpy()))  # C1 = I
    np.testing.assert_allclose(g.numpy(), (np.eye(d) - T) / (2 * float(w.detach())), atol=1e-10)


@needs_torch
def test_gradients_with_singular_covariances(rng):
    d = 3
    v = rng.normal(size=d)
    C2 = _t(np.outer(v, v))  # rank 1: the eigh path
    B = rng.normal(size=(d, d))
    B1 = _t(B @ B.T + 0.5 * np.eye(d), grad=True)
    m1, m2 = _t(rng.normal(size=d), grad=True), _t(rng.normal(size=d))
    assert torch.autograd.gradcheck(lambda m, B: gaussian_wasserstein(m, (B + B.T) / 2, m2, C2), (m1, B1))
    # Dirac masses and identical inputs: the mean gradient stays finite
    zero = _t(np.zeros((d, d)), grad=True)
    (g,) = torch.autograd.grad(gaussian_wasserstein(m1, zero, m2, zero), m1)
    np.testing.assert_allclose(g.numpy(), ((m1 - m2) / torch.linalg.norm(m1 - m2)).detach().numpy(), rtol=1e-12)
    (g,) = torch.autograd.grad(gaussian_wasserstein(m1, C2, m1.detach(), C2), m1)
    assert torch.all(g == 0)


# ------------------------------------------------------------------------ bad input

_I2 = np.eye(2)
_BAD = {
    "nan mean": (([0.0, np.nan], _I2, [0.0, 0.0], _I2), "m1", "NaN"),
    "inf covariance": (([0.0, 0.0], _I2, [0.0, 0.0], [[1.0, 0.0], [0.0, np.inf]]), "C2", "NaN"),
    "non-square": (([0.0, 0.0], np.ones((2, 3)), [0.0, 0.0], _I2), "C1", "square"),
    "vector covariance": (([0.0, 0.0], [1.0, 1.0], [0.0, 0.0], _I2), "C1", "square"),
    "non-symmetric": (([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]], [0.0, 0.0], _I2), "C1", "symmetric"),
    "indefinite": (([0.0, 0.0], _I2, [0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]]), "C2", "positive semi-definite"),
    "slightly non-symmetric": (([0.0, 0.0], [[1.0, 1e-6], [0.0, 1.0]], [0.0, 0.0], _I2), "C1", "symmetric"),
    "negative variance": (([0.0], [[1.0]], [0.0], [[-1e-6]]), "C2", "positive semi-definite"),
    "slightly indefinite": (([0.0, 0.0], _I2, [0.0, 0.0], [[1.0, 0.0], [0.0, -1e-6]]), "C2", "positive semi-definite"),
    "mean dimension": (([0.0, 0.0], _I2, [0.0, 0.0, 0.0], _I2), "m2", "d = 2"),
    "covariance dimension": (([0.0, 0.0], _I2, [0.0, 0.0], np.eye(3)), "C2", "2 x 2"),
    "scalar mean": ((0.0, [[1.0]], [0.0], [[1.0]]), "m1", "shape"),
    "batch mismatch": ((np.zeros((4, 2)), np.stack([_I2] * 3), [0.0, 0.0], _I2), "C1", "broadcast"),
    "empty": ((np.zeros(0), np.zeros((0, 0)), np.zeros(0), np.zeros((0, 0))), "C1", "empty"),
}


@pytest.mark.parametrize("case", list(_BAD), ids=list(_BAD))
def test_bad_input_names_the_argument(xp, case):
    args, name, what = _BAD[case]
    args = [xp.asarray(np.asarray(x, dtype=np.float64)) for x in args]
    with pytest.raises(ValueError, match=name) as err:
        gaussian_wasserstein(*args)
    assert what in str(err.value)


def test_complex_input_is_a_type_error():
    with pytest.raises(TypeError, match="C1"):
        gaussian_wasserstein([0.0], np.array([[1.0 + 1j]]), [0.0], [[1.0]])
