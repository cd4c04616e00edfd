"""divergences.linalg: volumes (Cauchy-Binet, invariances, extreme column scales),
pseudo-determinants, spectral norms, log det(I + J) estimators; backends, torch
gradients against finite differences, bad input."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from divergences import linalg
from divergences.linalg import (
    log_pdet,
    log_volume,
    logdet,
    logdet_roulette,
    logdet_series,
    pdet,
    spectral_norm,
    volume,
)

try:
    import torch
except ImportError:  # the gradient tests need it
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="gradients are checked with torch")

seeds = st.integers(0, 2**32 - 1)


def _t(x, grad=False):
    return torch.tensor(np.asarray(x, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


@st.composite
def tall_matrices(draw, max_n=6, kinds=("generic", "generic", "duplicate", "zero")):
    """(n, k) Gaussian matrices, n >= k, sometimes with duplicated or zero columns."""
    n = draw(st.integers(1, max_n))
    k = draw(st.integers(1, n))
    B = np.random.default_rng(draw(seeds)).normal(size=(n, k)) * draw(st.sampled_from([1e-3, 1.0, 50.0]))
    kind = draw(st.sampled_from(kinds))
    if kind == "duplicate" and k > 1:
        B[:, -1] = B[:, 0]
    elif kind == "zero":
        B[:, -1] = 0.0
    return B


# ----------------------------------------------------------------------- volumes

@given(tall_matrices())
def test_cauchy_binet(B):
    # vol(B)^2 = sum over the k-row subsets S of det(B_S)^2
    n, k = B.shape
    minors = sum(np.linalg.det(B[list(S)]) ** 2 for S in itertools.combinations(range(n), k))
    vol = float(volume(B))
    scale = float(np.prod(np.linalg.norm(B, axis=0)))  # Hadamard: vol <= prod of column norms
    assert vol**2 == pytest.approx(minors, rel=1e-9, abs=1e-12 * scale**2)
    assert vol <= scale * (1 + 1e-12)
    if vol > 1e-8 * scale:
        assert float(log_volume(B)) == pytest.approx(0.5 * math.log(minors), rel=1e-9, abs=1e-9)


def test_square_matrices_give_abs_det(xp, rng):
    B = rng.normal(size=(4, 5, 5))
    vol, logv = volume(xp.asarray(B)), log_volume(xp.asarray(B))
    assert xp.owns(vol) and xp.owns(logv) and tuple(vol.shape) == (4,)
    np.testing.assert_allclose(xp.to_numpy(vol), np.abs(np.linalg.det(B)), rtol=1e-12)
    np.testing.assert_allclose(xp.to_numpy(logv), np.linalg.slogdet(B)[1], rtol=1e-12)


@given(tall_matrices(max_n=5), seeds, st.integers(0, 3))
def test_left_orthogonal_invariance(B, seed, extra):
    # vol(Q B) = vol(B) for Q with orthonormal columns (m x n, m >= n)
    n = B.shape[0]
    Q = np.linalg.qr(np.random.default_rng(seed).normal(size=(n + extra, n)))[0]
    scale = float(np.prod(np.linalg.norm(B, axis=0)))
    assert float(volume(Q @ B)) == pytest.approx(float(volume(B)), rel=1e-10, abs=1e-12 * scale)


@given(tall_matrices(max_n=5, kinds=("generic", "zero")), st.integers(0, 2**32 - 1))
def test_column_scaling(B, seed):
    # log_volume(B diag(d)) = log_volume(B) + sum log|d| for scales 1e-150 .. 1e150,
    # where det(B^T B) (a product of 2k column scales) over- or underflows. (Not for
    # duplicated columns: their volume is round-off, and so is any relation.)
    k = B.shape[1]
    rng = np.random.default_rng(seed)
    d = 10.0 ** rng.uniform(-150, 150, size=k) * rng.choice([-1.0, 1.0], size=k)
    base = float(log_volume(B))
    if not np.isfinite(base):  # a zero column: -inf either way
        assert float(log_volume(B * d)) == -np.inf
        return
    expected = base + float(np.sum(np.log(np.abs(d))))
    assert float(log_volume(B * d)) == pytest.approx(expected, rel=1e-10, abs=1e-10)


def test_column_scaling_where_the_gram_determinant_fails(xp, rng):
    B = rng.normal(size=(3, 8, 4))
    base = 0.5 * np.linalg.slogdet(np.swapaxes(B, -1, -2) @ B)[1]
    for d in (np.array([1e-150, 1e-150, 1e-120, 1e-100]), np.array([1e150, 1e150, 1e120, -1e100])):
        Bd = B * d
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            naive = 0.5 * np.log(np.linalg.det(np.swapaxes(Bd, -1, -2) @ Bd))
        assert not np.any(np.isfinite(naive))  # det(B^T B) = 0 or inf
        got = xp.to_numpy(log_volume(xp.asarray(Bd)))
        np.testing.assert_allclose(got, base + np.sum(np.log(np.abs(d))), rtol=1e-12)
    # scales that cancel: the volume itself is representable
    d = np.array([1e-150, 1e150, 1e-120, 1e120])
    np.testing.assert_allclose(xp.to_numpy(volume(xp.asarray(B * d))), np.exp(base), rtol=1e-11)


def test_non_finite_entries_and_overflowing_grams_in_a_batch(xp, rng):
    # the fast path reads B's finiteness off the diagonal of B^T B: a NaN or an inf in
    # one matrix of a batch still raises, and a Gram that overflows (a column at 1e200)
    # goes to QR with the right value
    B = rng.normal(size=(4, 9, 3))
    base = 0.5 * np.linalg.slogdet(np.swapaxes(B, -1, -2) @ B)[1]
    for bad in (np.nan, np.inf, -np.inf):
        X = B.copy()
        X[2, 5, 1] = bad
        with pytest.raises(ValueError, match="B contains NaN or infinite values"):
            log_volume(xp.asarray(X))
    X = B.copy()
    X[1, :, 0] *= 1e200
    X[3, :, 2] *= 1e-200
    expected = base + np.array([0.0, 200.0, 0.0, -200.0]) * np.log(10.0)
    np.testing.assert_allclose(xp.to_numpy(log_volume(xp.asarray(X))), expected, rtol=1e-12)


def test_column_scaling_scale_by_scale(xp, rng):
    B = rng.normal(size=(6, 3))
    base = float(xp.to_numpy(log_volume(xp.asarray(B))))
    for e in range(-150, 151, 50):
        d = np.array([10.0**e, 1.0, 10.0**-e])
        got = float(xp.to_numpy(log_volume(xp.asarray(B * d))))
        assert got == pytest.approx(base, rel=1e-10, abs=1e-12)  # the scales cancel


def test_fewer_rows_than_columns_and_dependent_columns(xp, rng):
    wide = xp.asarray(rng.normal(size=(2, 3)))
    assert float(xp.to_numpy(volume(wide))) == 0.0
    assert float(xp.to_numpy(log_volume(wide))) == -np.inf
    B = rng.normal(size=(5, 3))
    B[:, 1] = 0.0
    assert float(xp.to_numpy(volume(xp.asarray(B)))) == 0.0
    assert float(xp.to_numpy(log_volume(xp.asarray(B)))) == -np.inf


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_batch_dtype_and_namespace(xp, rng, precision):
    dtype = getattr(xp, precision)
    B = rng.normal(size=(2, 3, 7, 4))
    vol = volume(xp.asarray(B, dtype))
    assert xp.owns(vol) and vol.dtype == dtype and tuple(vol.shape) == (2, 3)
    ref = np.sqrt(np.linalg.det(np.swapaxes(B, -1, -2) @ B))
    np.testing.assert_allclose(xp.to_numpy(vol), ref, rtol=1e-12 if precision == "float64" else 1e-4)


def test_integer_input_is_float64():
    v = volume(np.array([[2, 0], [0, 3], [1, 1]]))
    assert v.dtype == np.float64
    assert float(v) == pytest.approx(np.sqrt(np.linalg.det(np.array([[5.0, 1.0], [1.0, 10.0]]))), rel=1e-14)


@needs_torch
def test_log_volume_gradient_is_the_pseudo_inverse(rng):
    B = _t(rng.normal(size=(6, 3)), grad=True)
    assert torch.autograd.gradcheck(log_volume, (B,))
    assert torch.autograd.gradcheck(volume, (B,))
    (g,) = torch.autograd.grad(log_volume(B), B)
    np.testing.assert_allclose(g.numpy(), np.linalg.pinv(B.detach().numpy()).T, rtol=1e-10)
    Bs = _t(rng.normal(size=(2, 4, 4)), grad=True)  # square and batched: inverse transpose
    (g,) = torch.autograd.grad(log_volume(Bs).sum(), Bs)
    np.testing.assert_allclose(g.numpy(), np.swapaxes(np.linalg.inv(Bs.detach().numpy()), -1, -2), rtol=1e-10)


@needs_torch
def test_gradient_of_wide_matrices_is_zero(rng):
    # n < k: the volume is 0 on a neighbourhood
    wide = _t(rng.normal(size=(2, 3)), grad=True)
    (g,) = torch.autograd.grad(volume(wide), wide)
    assert torch.all(g == 0)
    (g,) = torch.autograd.grad(log_volume(wide), wide)
    assert torch.all(g == 0)


# ---------------------------------------------------------- pseudo-determinants

@given(seeds, st.integers(1, 6), st.integers(0, 6))
def test_pdet_of_symmetric_matrices(seed, n, rank):
    rank = min(rank, n)
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.normal(size=(n, n)))[0]
    lam = np.zeros(n)
    lam[:rank] = rng.uniform(0.5, 3.0, size=rank) * rng.choice([-1.0, 1.0], size=rank)
    A = (Q * lam) @ Q.T
    expected = float(np.prod(lam[:rank]))  # the empty product is 1
    assert float(pdet(A)) == pytest.approx(expected, rel=1e-10)
    assert float(log_pdet(A)) == pytest.approx(math.log(abs(expected)), abs=1e-10)


def test_pdet_of_general_matrices_uses_singular_values(xp, rng):
    U = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    W = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    s = np.array([3.0, 2.0, 0.5, 0.0])
    A = (U * s) @ W.T  # non-symmetric, rank 3
    assert np.max(np.abs(A - A.T)) > 0.1
    assert float(xp.to_numpy(pdet(xp.asarray(A)))) == pytest.approx(3.0, rel=1e-12)
    assert float(xp.to_numpy(log_pdet(xp.asarray(A)))) == pytest.approx(math.log(3.0), rel=1e-12)
    # nonsingular: |det|
    B = rng.normal(size=(3, 5, 5))
    np.testing.assert_allclose(xp.to_numpy(pdet(xp.asarray(B))), np.abs(np.linalg.det(B)), rtol=1e-11)


def test_pdet_conventions_and_tolerance(xp):
    assert float(xp.to_numpy(pdet(xp.asarray(np.zeros((3, 3)))))) == 1.0
    assert float(xp.to_numpy(log_pdet(xp.asarray(np.zeros((3, 3)))))) == 0.0
    A = xp.asarray(np.diag([2.0, 1e-20, 3.0]))
    assert float(xp.to_numpy(pdet(A))) == pytest.approx(6.0, rel=1e-14)  # 1e-20 < n eps * 3
    assert float(xp.to_numpy(pdet(A, rtol=0.0))) == pytest.approx(6e-20, rel=1e-14)
    assert float(xp.to_numpy(pdet(A, rtol=0.5))) == pytest.approx(6.0, rel=1e-14)  # keeps > 1.5
    assert float(xp.to_numpy(pdet(A, rtol=0.7))) == pytest.approx(3.0, rel=1e-14)  # keeps > 2.1
    assert float(xp.to_numpy(pdet(xp.asarray(np.diag([-2.0, 3.0, 0.0]))))) == pytest.approx(-6.0, rel=1e-14)


@needs_torch
def test_log_pdet_gradient_is_the_pseudo_inverse(rng):
    # repeated eigenvalues (1, 1, 0): eigenvalue-only gradients stay finite
    A = _t(np.diag([1.0, 1.0, 0.0]), grad=True)
    (g,) = torch.autograd.grad(log_pdet(A), A)
    np.testing.assert_allclose(g.numpy(), np.diag([1.0, 1.0, 0.0]), atol=1e-12)
    V = rng.normal(size=(5, 3))
    S = V @ V.T  # rank 3 PSD
    # a tolerance above gradcheck's 1e-6 steps keeps the rank (and the function) fixed
    f = lambda X: log_pdet((X + X.T) / 2, rtol=1e-3)  # noqa: E731
    assert torch.autograd.gradcheck(f, (_t(S, grad=True),))
    St = _t(S, grad=True)
    (g,) = torch.autograd.grad(log_pdet(St), St)
    np.testing.assert_allclose(g.numpy(), np.linalg.pinv(S), rtol=1e-8, atol=1e-10)


def test_logdet(xp, rng):
    J = 0.3 * rng.normal(size=(2, 4, 4)) / 2
    A = np.eye(4) + J
    got = logdet(xp.asarray(A))
    assert xp.owns(got)
    np.testing.assert_allclose(xp.to_numpy(got), np.linalg.slogdet(A)[1], rtol=1e-12)
    with pytest.raises(ValueError, match="negative determinant"):
        logdet(xp.asarray(np.diag([1.0, -1.0])))
    assert float(xp.to_numpy(logdet(xp.asarray(np.zeros((2, 2)))))) == -np.inf


# ------------------------------------------------------------------ spectral norm

@given(seeds, st.integers(1, 6), st.integers(1, 6))
def test_spectral_norm_of_matrices(seed, m, n):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, n))
    s = np.linalg.svd(A, compute_uv=False)
    A = A + (4.0 * s[0]) * np.outer(rng.normal(size=m), rng.normal(size=n)) / (m * n)  # widen the gap
    top = np.linalg.svd(A, compute_uv=False)
    r = spectral_norm(A, tol=1e-10, max_iter=20000, seed=seed)
    assert r.converged
    assert float(r.value) <= top[0] * (1 + 1e-12)  # a Rayleigh quotient: a lower bound
    assert float(r.value) == pytest.approx(top[0], rel=1e-9)
    np.testing.assert_allclose(np.abs(r.u @ A @ r.v), top[0], rtol=1e-9)


def test_spectral_norm_implicit_operator_on_backends(xp, rng):
    A = rng.normal(size=(7, 4))
    Ax = xp.asarray(A)
    r = spectral_norm(lambda v: Ax @ v, lambda u: xp.matrix_transpose(Ax) @ u, (7, 4), seed=0,
                      like=xp.asarray(np.zeros(1)), tol=1e-10)
    assert xp.owns(r.value) and xp.owns(r.v) and tuple(r.u.shape) == (7,)
    assert r.converged and r.residual <= 1e-10
    assert float(xp.to_numpy(r.value)) == pytest.approx(np.linalg.norm(A, 2), rel=1e-12)
    # the matrix form and the implicit one agree for the same seed
    rm = spectral_norm(Ax, seed=0, tol=1e-10)
    assert float(xp.to_numpy(rm.value)) == pytest.approx(float(xp.to_numpy(r.value)), rel=1e-14)


def test_spectral_norm_fixed_iterations_warm_start_and_failure(rng):
    A = rng.normal(size=(20, 10))
    one = spectral_norm(A, max_iter=1, tol=None, seed=0)
    assert one.n_iter == 1 and not one.converged
    more = spectral_norm(A, max_iter=1, tol=None, v0=one.v)  # persistent power iteration
    assert float(more.value) >= float(one.value) - 1e-12  # monotone
    with pytest.warns(RuntimeWarning, match="residual"):
        spectral_norm(A, max_iter=2, tol=1e-14, seed=0)
    with pytest.raises(RuntimeError, match="residual"):
        spectral_norm(A, max_iter=2, tol=1e-14, seed=0, on_fail="raise")
    zero = spectral_norm(np.zeros((3, 2)), seed=0)
    assert float(zero.value) == 0.0 and zero.converged


@needs_torch
def test_spectral_norm_gradient_is_u_v_transposed(rng):
    A = _t(rng.normal(size=(5, 3)), grad=True)
    r = spectral_norm(A, tol=1e-12, seed=0)
    (g,) = torch.autograd.grad(r.value, A)
    np.testing.assert_allclose(g.numpy(), np.outer(r.u.numpy(), r.v.numpy()), rtol=1e-12)
    U, s, Vt = np.linalg.svd(A.detach().numpy())
    np.testing.assert_allclose(np.abs(g.numpy()), np.abs(np.outer(U[:, 0], Vt[0])), atol=1e-6)


# ------------------------------------------------------ log det(I + J) estimators

def _contraction(rng, d, lip, batch=()):
    J = rng.normal(size=batch + (d, d))
    return lip * J / np.linalg.norm(J, ord=2, axis=(-2, -1), keepdims=True)


def _truncated_series(J, n):
    """sum_{k <= n} (-1)^(k+1) tr(J^k) / k, and the matrix S of that series."""
    S, P = np.zeros_like(J), np.eye(J.shape[-1])
    for k in range(1, n + 1):
        P = P @ J
        S = S + (-1) ** (k + 1) * P / k
    return np.trace(S, axis1=-2, axis2=-1), S


@given(seeds, st.integers(1, 6), st.sampled_from([0.1, 0.5, 0.9]), st.integers(1, 12))
def test_truncation_error_within_the_stated_bound(seed, d, lip, n):
    # |log det(I + J) - series_n| <= d L^(n+1) / ((n + 1)(1 - L))  (Behrmann et al., Thm. 4);
    # Rademacher probes on a diagonal J give the truncated series exactly.
    rng = np.random.default_rng(seed)
    J = _contraction(rng, d, lip)
    series, _ = _truncated_series(J, n)
    exact = float(logdet(np.eye(d) + J))
    assert abs(exact - series) <= d * lip ** (n + 1) / ((n + 1) * (1 - lip)) + 1e-12
    D = np.diag(rng.uniform(-lip, lip, size=d))
    assert float(logdet_series(D, n_terms=n, n_probes=2, seed=seed)) == pytest.approx(
        _truncated_series(D, n)[0], abs=1e-13)


@pytest.mark.parametrize("probe", ["rademacher", "gaussian"])
def test_hutchinson_estimate_within_its_standard_error(xp, rng, probe):
    d, n, P = 5, 8, 4000
    J = _contraction(rng, d, 0.6)
    series, S = _truncated_series(J, n)
    Ssym = (S + S.T) / 2
    var = 2 * (np.sum(Ssym**2) - (np.sum(np.diag(Ssym) ** 2) if probe == "rademacher" else 0.0))
    est = logdet_series(xp.asarray(J), n_terms=n, n_probes=P, seed=1, probe=probe)
    assert xp.owns(est) and tuple(est.shape) == ()
    # at a fixed seed: within 4.5 standard errors (a 7e-6 two-sided chance)
    assert abs(float(xp.to_numpy(est)) - series) <= 4.5 * math.sqrt(var / P)


def test_callable_matches_matrix_and_batches(xp, rng):
    J = _contraction(rng, 4, 0.5, batch=(3,))
    Jx = xp.asarray(J)
    kw = dict(n_terms=6, n_probes=5, seed=3)
    by_matrix = logdet_series(Jx, **kw)
    assert tuple(by_matrix.shape) == (3,)
    jvp = lambda V: xp.squeeze(Jx @ V[..., None], axis=-1)  # noqa: E731 - rows of a (3, 4) batch
    by_jvp = logdet_series(jvp, None, (3, 4), like=xp.asarray(np.zeros(1)), **kw)
    np.testing.assert_allclose(xp.to_numpy(by_jvp), xp.to_numpy(by_matrix), rtol=1e-12)
    Jt = xp.matrix_transpose(Jx)
    vjp = lambda V: xp.squeeze(Jt @ V[..., None], axis=-1)  # noqa: E731 - v^T (J^T)^k v is the same trace
    by_vjp = logdet_series(None, vjp, (3, 4), like=xp.asarray(np.zeros(1)), **kw)
    np.testing.assert_allclose(xp.to_numpy(by_vjp), xp.to_numpy(by_matrix), rtol=1e-12)
    # the roulette estimator on the same batch: one value per Jacobian
    r = logdet_roulette(Jx, n_probes=2, seed=0)
    assert xp.owns(r) and tuple(r.shape) == (3,)


def test_roulette_is_unbiased(rng):
    d = 4
    J = _contraction(rng, d, 0.6)  # L^2 = 0.36 < 1 - p: finite variance
    exact = float(logdet(np.eye(d) + J))
    values = np.array([float(logdet_roulette(J, n_probes=20, seed=s)) for s in range(300)])
    stderr = values.std(ddof=1) / math.sqrt(values.size)
    # mean over 300 seeds (6000 probes) within 4.5 standard errors of the exact value
    # (stderr 0.008 here; a 7e-6 two-sided chance of failing for an unbiased estimator)
    assert abs(values.mean() - exact) <= 4.5 * stderr
    assert stderr < 0.02


def test_roulette_with_a_certain_tail_is_the_series(rng):
    J = _contraction(rng, 3, 0.5)
    a = float(logdet_roulette(J, n_exact=7, stop_prob=1 - 1e-15, n_probes=3, seed=5))
    b = float(logdet_series(J, n_terms=7, n_probes=3, seed=5))
    assert a == pytest.approx(b, rel=1e-14)


@needs_torch
def test_series_gradients_through_the_operator(rng):
    J0 = _contraction(rng, 3, 0.5)
    J = _t(J0, grad=True)
    # explicit matrix: a polynomial in J at a fixed seed
    assert torch.autograd.gradcheck(lambda M: logdet_series(M, n_terms=4, n_probes=3, seed=0), (J,))
    # implicit, as i-ResNet builds it: jvp closes over the parameters
    f = lambda M: logdet_series(lambda v: M @ v, None, 3, n_terms=4, n_probes=3, seed=0,  # noqa: E731
                                like=torch.zeros(1, dtype=torch.float64))
    assert torch.autograd.gradcheck(f, (J,))
    # many terms: the gradient approaches that of log det(I + J), (I + J)^-T
    est = logdet_series(J, n_terms=80, n_probes=1, seed=0, probe="rademacher")
    (g,) = torch.autograd.grad(est, J)
    assert torch.all(torch.isfinite(g))


# ------------------------------------------------------------------------ bad input

_BAD = {
    "vector B": (volume, (np.ones(3),), "B", "shape"),
    "nan B": (log_volume, (np.array([[1.0, np.nan], [0.0, 1.0]]),), "B", "NaN"),
    "empty B": (volume, (np.zeros((0, 2)),), "B", "empty"),
    "non-square pdet": (pdet, (np.ones((2, 3)),), "A", "square"),
    "inf pdet": (log_pdet, (np.array([[np.inf, 0.0], [0.0, 1.0]]),), "A", "NaN"),
    "negative rtol": (lambda A: pdet(A, rtol=-1.0), (np.eye(2),), "rtol", "nonnegative"),
    "non-square logdet": (logdet, (np.ones((3, 2)),), "A", "square"),
    "J norm >= 1": (logdet_series, (np.diag([1.5, 0.1]),), "J", ">= 1"),
    "lipschitz >= 1": (lambda f: logdet_series(f, None, 2, lipschitz=1.0), (lambda v: v,), "lipschitz", ">= 1"),
    "no dim": (lambda f: logdet_series(f, None, None), (lambda v: v,), "dim", "positive"),
    "bad stop_prob": (lambda J: logdet_roulette(J, stop_prob=1.0), (0.1 * np.eye(2),), "stop_prob", "between 0 and 1"),
    "bad probe": (lambda J: logdet_series(J, probe="uniform"), (0.1 * np.eye(2),), "probe", "rademacher"),
    "bad n_terms": (lambda J: logdet_series(J, n_terms=0), (0.1 * np.eye(2),), "n_terms", "positive"),
    "matrix and shape": (lambda A: spectral_norm(A, None, (2, 2)), (np.eye(2),), "shape", "None"),
    "no shape": (lambda f: spectral_norm(f, f, None), (lambda v: v,), "shape", "pair"),
    "wrong matvec output": (lambda f: spectral_norm(f, f, (3, 2), seed=0), (lambda v: v,), "matvec", "shape"),
    "zero v0": (lambda A: spectral_norm(A, v0=np.zeros(2)), (np.eye(2),), "v0", "nonzero"),
    "bad v0 shape": (lambda A: spectral_norm(A, v0=np.ones(3)), (np.eye(2),), "v0", "shape"),
}


@pytest.mark.parametrize("case", list(_BAD), ids=list(_BAD))
def test_bad_input_names_the_argument(case):
    fn, args, name, what = _BAD[case]
    with pytest.raises(ValueError, match=name) as err:
        fn(*args)
    assert what in str(err.value)


def test_bad_input_on_backends(xp):
    with pytest.raises(ValueError, match="B"):
        volume(xp.asarray(np.array([[np.nan, 1.0], [1.0, 1.0]])))
    with pytest.raises(ValueError, match="square"):
        pdet(xp.asarray(np.ones((2, 3))))


def test_type_errors():
    with pytest.raises(TypeError, match="B"):
        volume(np.array([[1.0 + 1j]]))
    with pytest.raises(TypeError, match="rmatvec"):
        spectral_norm(lambda v: v, None, (2, 2))
    with pytest.raises(TypeError, match="jvp"):
        logdet_series(None, None, 3)
    with pytest.raises(TypeError, match="like"):
        logdet_series(lambda v: v, None, 3, like=[0.0])


def test_public_names_are_documented():
    for name in linalg.__all__:
        doc = getattr(linalg, name).__doc__
        assert doc and len(doc) > 80, name
