"""gaussian_kl and gaussian_hellinger: 1-D closed forms, an independent inverse/slogdet
reference, sums on fine grids through f_divergence, invariances and inequalities,
singular covariances (same or different supports), backends, gradients, bad input."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from divergences import f_divergence, gaussian_hellinger, gaussian_kl
from divergences.gaussian import _hellinger_general, _kl_general

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="gradients are checked with torch")

means = st.floats(-3.0, 3.0, allow_nan=False, allow_subnormal=False)
spreads = st.floats(0.2, 3.0, allow_nan=False, allow_subnormal=False)


def _kl_1d(m1, s1, m2, s2):
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


def _h_1d(m1, s1, m2, s2):
    bc = math.sqrt(2 * s1 * s2 / (s1**2 + s2**2)) * math.exp(-((m1 - m2) ** 2) / (4 * (s1**2 + s2**2)))
    return 2 * (1 - bc)


def _reference(m1, C1, m2, C2):
    """KL and H^2 by the textbook formulas with inv and slogdet."""
    d = len(m1)
    delta = m2 - m1
    inv2 = np.linalg.inv(C2)
    kl = 0.5 * (np.trace(inv2 @ C1) + delta @ inv2 @ delta - d + np.linalg.slogdet(C2)[1] - np.linalg.slogdet(C1)[1])
    Cbar = (C1 + C2) / 2
    log_bc = (np.linalg.slogdet(C1)[1] + np.linalg.slogdet(C2)[1]) / 4 - np.linalg.slogdet(Cbar)[1] / 2
    log_bc -= delta @ np.linalg.solve(Cbar, delta) / 8
    return kl, 2 * (1 - math.exp(log_bc))


@st.composite
def gaussian_pairs(draw, max_d=4):
    d = draw(st.integers(1, max_d))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    out = []
    for _ in range(2):
        A = rng.normal(size=(d, d))
        out += [rng.normal(size=d), A @ A.T + draw(st.sampled_from([0.05, 0.5, 2.0])) * np.eye(d)]
    return out


def _np(x):
    return np.asarray(x, dtype=np.float64)


# --------------------------------------------------------------------- closed forms

@given(means, spreads, means, spreads)
def test_one_dimensional_closed_forms(m1, s1, m2, s2):
    args = (_np([m1]), _np([[s1**2]]), _np([m2]), _np([[s2**2]]))
    assert float(gaussian_kl(*args)) == pytest.approx(_kl_1d(m1, s1, m2, s2), rel=1e-12, abs=1e-14)
    assert float(gaussian_hellinger(*args)) == pytest.approx(_h_1d(m1, s1, m2, s2), rel=1e-10, abs=1e-14)


@given(gaussian_pairs())
def test_matches_the_textbook_formulas(pair):
    m1, C1, m2, C2 = pair
    kl, h2 = _reference(m1, C1, m2, C2)
    assert float(gaussian_kl(m1, C1, m2, C2)) == pytest.approx(kl, rel=1e-9, abs=1e-10)
    assert float(gaussian_hellinger(m1, C1, m2, C2)) == pytest.approx(h2, rel=1e-9, abs=1e-12)


@given(gaussian_pairs())
def test_eigh_path_agrees_with_the_cholesky_path(pair):
    import array_api_compat.numpy as xnp

    m1, C1, m2, C2 = pair
    assert float(_kl_general(m1, C1, m2, C2, xnp)) == pytest.approx(float(gaussian_kl(m1, C1, m2, C2)), rel=1e-8, abs=1e-10)
    assert float(_hellinger_general(m1, C1, m2, C2, xnp)) == pytest.approx(
        float(gaussian_hellinger(m1, C1, m2, C2)), rel=1e-8, abs=1e-10)


@pytest.mark.parametrize("m1, s1, m2, s2", [(0.0, 1.0, 1.0, 1.5), (0.3, 0.5, -0.4, 0.7), (0.0, 1.0, 0.0, 1.0)])
def test_against_sums_on_a_fine_grid_1d(m1, s1, m2, s2):
    # histograms of the densities on a fine grid, through f_divergence: the Riemann
    # sums of smooth, fast-decaying integrands converge faster than any power of h
    x = np.linspace(-12.0, 12.0, 4001)
    p = np.exp(-((x - m1) ** 2) / (2 * s1**2))
    q = np.exp(-((x - m2) ** 2) / (2 * s2**2))
    args = (_np([m1]), _np([[s1**2]]), _np([m2]), _np([[s2**2]]))
    assert float(f_divergence(p, q, "kl", normalize=True)) == pytest.approx(float(gaussian_kl(*args)), rel=1e-9, abs=1e-12)
    assert float(f_divergence(p, q, "hellinger", normalize=True)) == pytest.approx(
        float(gaussian_hellinger(*args)), rel=1e-9, abs=1e-12)


def test_against_sums_on_a_fine_grid_2d():
    m1, m2 = np.array([0.0, 0.5]), np.array([0.4, -0.3])
    C1 = np.array([[1.0, 0.3], [0.3, 0.6]])
    C2 = np.array([[0.8, -0.2], [-0.2, 1.1]])
    g = np.linspace(-9.0, 9.0, 301)
    X = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)

    def density(m, C):
        z = X - m
        return np.exp(-0.5 * np.einsum("ni,ij,nj->n", z, np.linalg.inv(C), z))

    p, q = density(m1, C1), density(m2, C2)
    for kind, closed in (("kl", gaussian_kl), ("hellinger", gaussian_hellinger)):
        grid = float(f_divergence(p, q, kind, normalize=True))
        assert grid == pytest.approx(float(closed(m1, C1, m2, C2)), rel=1e-7)


# ---------------------------------------------------------------- properties

@given(gaussian_pairs(max_d=3), st.integers(0, 2**32 - 1))
def test_affine_invariance(pair, seed):
    m1, C1, m2, C2 = pair
    d = len(m1)
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d)) + 2 * np.eye(d)  # invertible (almost surely)
    c = rng.normal(size=d)
    moved = (A @ m1 + c, A @ C1 @ A.T, A @ m2 + c, A @ C2 @ A.T)
    for fn in (gaussian_kl, gaussian_hellinger):
        assert float(fn(*moved)) == pytest.approx(float(fn(m1, C1, m2, C2)), rel=1e-6, abs=1e-9)


@given(gaussian_pairs())
def test_inequalities_and_symmetry(pair):
    m1, C1, m2, C2 = pair
    kl = float(gaussian_kl(m1, C1, m2, C2))
    h2 = float(gaussian_hellinger(m1, C1, m2, C2))
    assert kl >= 0 and 0 <= h2 <= 2
    # H^2 = 2 (1 - BC) <= -2 log BC (the Renyi divergence of order 1/2) <= KL
    assert h2 <= kl + 1e-12
    assert h2 == pytest.approx(float(gaussian_hellinger(m2, C2, m1, C1)), rel=1e-12, abs=1e-15)
    assert float(gaussian_kl(m1, C1, m1, C1)) == pytest.approx(0.0, abs=1e-12)
    assert float(gaussian_hellinger(m1, C1, m1, C1)) == pytest.approx(0.0, abs=1e-12)


def test_block_diagonal_kl_adds_up(rng):
    A, B = rng.normal(size=(2, 2)), rng.normal(size=(3, 3))
    C1a, C1b = A @ A.T + np.eye(2), B @ B.T + np.eye(3)
    C2a, C2b = np.diag([0.5, 2.0]), np.diag([1.0, 3.0, 0.7])
    m1, m2 = rng.normal(size=5), rng.normal(size=5)
    C1 = np.block([[C1a, np.zeros((2, 3))], [np.zeros((3, 2)), C1b]])
    C2 = np.block([[C2a, np.zeros((2, 3))], [np.zeros((3, 2)), C2b]])
    parts = float(gaussian_kl(m1[:2], C1a, m2[:2], C2a)) + float(gaussian_kl(m1[2:], C1b, m2[2:], C2b))
    assert float(gaussian_kl(m1, C1, m2, C2)) == pytest.approx(parts, rel=1e-12)
    bc = lambda h: 1 - h / 2  # BC multiplies over independent blocks
    prod = bc(float(gaussian_hellinger(m1[:2], C1a, m2[:2], C2a))) * bc(float(gaussian_hellinger(m1[2:], C1b, m2[2:], C2b)))
    assert bc(float(gaussian_hellinger(m1, C1, m2, C2))) == pytest.approx(prod, rel=1e-12)


# ------------------------------------------------------------ singular covariances

def test_degenerate_gaussians_on_one_line(xp, rng):
    # N(m + t v) on the line through m along v: the 1-D formulas in the coordinate t
    Q = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    v = Q[:, 0]
    m = rng.normal(size=3)
    s1, s2, shift = 0.7, 1.3, 0.4
    C1, C2 = s1**2 * np.outer(v, v), s2**2 * np.outer(v, v)
    args = [xp.asarray(a) for a in (m, C1, m + shift * v, C2)]
    assert float(xp.to_numpy(gaussian_kl(*args))) == pytest.approx(_kl_1d(0.0, s1, shift, s2), rel=1e-9)
    assert float(xp.to_numpy(gaussian_hellinger(*args))) == pytest.approx(_h_1d(0.0, s1, shift, s2), rel=1e-9)
    # a mean off the line, or another line: different supports
    off = [xp.asarray(a) for a in (m, C1, m + shift * v + 0.1 * Q[:, 1], C2)]
    assert float(xp.to_numpy(gaussian_kl(*off))) == math.inf
    assert float(xp.to_numpy(gaussian_hellinger(*off))) == 2.0
    other = [xp.asarray(a) for a in (m, C1, m, s2**2 * np.outer(Q[:, 1], Q[:, 1]))]
    assert float(xp.to_numpy(gaussian_kl(*other))) == math.inf
    assert float(xp.to_numpy(gaussian_hellinger(*other))) == 2.0


def test_singular_against_regular(rng):
    v = rng.normal(size=3)
    Cs = np.outer(v, v)
    B = rng.normal(size=(3, 3))
    C = B @ B.T + np.eye(3)
    m = np.zeros(3)
    assert float(gaussian_kl(m, Cs, m, C)) == math.inf  # N1 lives on a null set of N2
    assert float(gaussian_kl(m, C, m, Cs)) == math.inf
    assert float(gaussian_hellinger(m, Cs, m, C)) == 2.0
    # Dirac masses
    zero = np.zeros((3, 3))
    assert float(gaussian_kl(m, zero, m, zero)) == 0.0
    assert float(gaussian_hellinger(m, zero, m, zero)) == 0.0
    assert float(gaussian_kl(m, zero, m + 1e-3, zero)) == math.inf
    assert float(gaussian_hellinger(m + 1e-3, zero, m, zero)) == 2.0


# ------------------------------------------------------------------------ backends

@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_namespace_dtype_and_batch_shape(xp, rng, precision):
    dtype = getattr(xp, precision)
    d = 3
    B1, B2 = rng.normal(size=(d, d)), rng.normal(size=(2, 1, d, d))
    C1 = B1 @ B1.T + np.eye(d)
    C2 = B2 @ np.swapaxes(B2, -1, -2) + np.eye(d)
    m1, m2 = rng.normal(size=(4, d)), rng.normal(size=d)
    for fn, ref_index in ((gaussian_kl, 0), (gaussian_hellinger, 1)):
        out = fn(*(xp.asarray(a, dtype) for a in (m1, C1, m2, C2)))
        assert xp.owns(out) and out.dtype == dtype and tuple(out.shape) == (2, 4)
        ref = np.array([[_reference(m1[j], C1, m2, C2[i, 0])[ref_index] for j in range(4)] for i in range(2)])
        np.testing.assert_allclose(xp.to_numpy(out), ref, rtol=1e-10 if precision == "float64" else 2e-4, atol=1e-6)


def test_singular_batch_on_backends(xp, rng):
    v = rng.normal(size=(2, 2, 1))
    C = v @ np.swapaxes(v, -1, -2)  # rank 1
    m = np.zeros((2, 2))
    out = gaussian_kl(xp.asarray(m), xp.asarray(C), xp.asarray(m), xp.asarray(C[::-1].copy()))
    assert xp.owns(out)
    np.testing.assert_array_equal(xp.to_numpy(out), [math.inf, math.inf])
    same = gaussian_hellinger(xp.asarray(m), xp.asarray(C), xp.asarray(m), xp.asarray(2 * C))
    assert xp.to_numpy(same) == pytest.approx([_h_1d(0, 1, 0, math.sqrt(2))] * 2, rel=1e-9)


# ------------------------------------------------------------------------ gradients

def _t(x, grad=False):
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=grad)


@needs_torch
@pytest.mark.parametrize("fn", [gaussian_kl, gaussian_hellinger])
def test_gradients_match_finite_differences(fn, rng):
    d = 3
    B = rng.normal(size=(d, d))
    B1 = _t(B @ B.T + 0.5 * np.eye(d), True)
    m1 = _t(rng.normal(size=d), True)
    C2 = _t(np.eye(d), True)  # repeated eigenvalues: the Cholesky path has finite gradients
    m2 = _t(rng.normal(size=d))
    sym = lambda S: (S + S.T) / 2
    assert torch.autograd.gradcheck(lambda m, S, T: fn(m, sym(S), m2, sym(T)), (m1, B1, C2))


@needs_torch
def test_kl_gradient_in_the_mean_is_analytic(rng):
    d = 3
    B = rng.normal(size=(d, d))
    C2 = B @ B.T + np.eye(d)
    m1, m2 = _t(rng.normal(size=d), True), _t(rng.normal(size=d))
    (g,) = torch.autograd.grad(gaussian_kl(m1, _t(np.eye(d)), m2, _t(C2)), m1)
    np.testing.assert_allclose(g.numpy(), np.linalg.solve(C2, (m1 - m2).detach().numpy()), rtol=1e-10)


# ------------------------------------------------------------------------ bad input

_I2 = np.eye(2)
_BAD = {
    "nan mean": (([0.0, np.nan], _I2, [0.0, 0.0], _I2), "m1", "NaN"),
    "non-square": (([0.0, 0.0], np.ones((2, 3)), [0.0, 0.0], _I2), "C1", "square"),
    "non-symmetric": (([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]], [0.0, 0.0], _I2), "C1", "symmetric"),
    "indefinite": (([0.0, 0.0], _I2, [0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]]), "C2", "positive semi-definite"),
    "mean dimension": (([0.0, 0.0], _I2, [0.0, 0.0, 0.0], _I2), "m2", "d = 2"),
    "batch mismatch": ((np.zeros((4, 2)), np.stack([_I2] * 3), [0.0, 0.0], _I2), "C1", "broadcast"),
}


@pytest.mark.parametrize("fn", [gaussian_kl, gaussian_hellinger])
@pytest.mark.parametrize("case", list(_BAD), ids=list(_BAD))
def test_bad_input_names_the_argument(fn, case):
    args, name, what = _BAD[case]
    with pytest.raises(ValueError, match=name) as err:
        fn(*(np.asarray(a, dtype=np.float64) for a in args))
    assert what in str(err.value)
