"""divergences.dpp: kernels, L <-> K, subset laws against brute force over all
subsets, exact samplers (binomial tolerances at fixed seeds), log-space k-DPP on
kernels where e_k overflows, greedy MAP against a naive greedy, GDPP; backends, torch
gradients, bad input."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from divergences import dpp
from divergences.dpp import (
    cosine_kernel,
    expected_size,
    gdpp_loss,
    greedy_map,
    inclusion_probabilities,
    likelihood_kernel,
    log_likelihood,
    marginal_kernel,
    quality_diversity,
    rbf_kernel,
    sample,
    sample_k,
)

try:
    import torch
except ImportError:  # the gradient tests need it
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="gradients are checked with torch")

seeds = st.integers(0, 2**32 - 1)
# Two-sided normal quantile for the frequency tests: a fair sampler fails one
# comparison with probability 7e-6, so a table of at most 32 subsets with 2e-4.
Z = 4.5


def _t(x, grad=False):
    return torch.tensor(np.asarray(x, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


@st.composite
def kernels(draw, max_n=5, full_rank=False):
    """PSD kernels L = s Phi Phi^T (rank d, possibly < n) or RBF kernels of random points."""
    n = draw(st.integers(1, max_n))
    rng = np.random.default_rng(draw(seeds))
    if draw(st.booleans()):
        d = n + 1 if full_rank else draw(st.integers(1, n + 1))
        Phi = rng.normal(size=(n, d))
        return draw(st.sampled_from([0.1, 1.0, 5.0])) * Phi @ Phi.T
    x = rng.normal(size=(n, 2))
    L = np.exp(-cdist(x, x, "sqeuclidean") / 2) * draw(st.sampled_from([0.5, 3.0]))
    return L + (1e-3 * np.eye(n) if full_rank else 0.0)


def _subsets(n):
    return [S for r in range(n + 1) for S in itertools.combinations(range(n), r)]


def _det(L, S):
    return float(np.linalg.det(L[np.ix_(S, S)])) if S else 1.0


def _law(L):
    """Brute force: P(Y = S) = det L_S / det(L + I) for all 2^n subsets."""
    Z = np.linalg.det(L + np.eye(L.shape[0]))
    return {S: max(_det(L, S), 0.0) / Z for S in _subsets(L.shape[0])}  # singular minors: round-off


def _k_law(L, k):
    weights = {S: max(_det(L, S), 0.0) for S in itertools.combinations(range(L.shape[0]), k)}
    total = sum(weights.values())
    return {S: w / total for S, w in weights.items()}


def _check_frequencies(draws, law):
    """Empirical frequencies of each subset within Z binomial standard errors."""
    N = len(draws)
    counts = {}
    for S in draws:
        counts[S] = counts.get(S, 0) + 1
    assert set(counts) <= {S for S, p in law.items() if p > 1e-12}  # never an impossible set
    for S, p in law.items():
        assert abs(counts.get(S, 0) / N - p) <= Z * math.sqrt(p * (1 - p) / N) + 1.0 / N, (S, p)


# ------------------------------------------------------------------------ kernels

def test_rbf_kernel_on_backends(xp, rng):
    x = rng.normal(size=(7, 3))
    x[3] = x[1]  # a duplicate point
    L = rbf_kernel(xp.asarray(x), bandwidth=0.8)
    assert xp.owns(L) and L.dtype == xp.float64
    Ln = xp.to_numpy(L)
    np.testing.assert_allclose(Ln, np.exp(-cdist(x, x, "sqeuclidean") / (2 * 0.64)), rtol=1e-13, atol=1e-15)
    assert np.all(Ln == Ln.T) and np.all(np.diag(Ln) == 1.0)
    assert np.linalg.eigvalsh(Ln).min() > -1e-12
    # a 1-D array is n points on the line
    np.testing.assert_allclose(xp.to_numpy(rbf_kernel(xp.asarray(x[:, 0]), bandwidth=1.0)),
                               np.exp(-cdist(x[:, :1], x[:, :1], "sqeuclidean") / 2), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("s", [1.0, 100.0, 3e-7])
def test_rbf_kernel_resolves_distances_far_below_the_cloud(xp, s):
    # Two points 1e-9 apart in a cloud of width 1: the Gram matrix's distances err
    # by ~1e-16 absolute, as large as the squared distance itself; the median
    # heuristic picks h ~ 1e-9 here, and the kernel must see the true distances.
    x = s * np.array([[1.0, 0.0], [1e-9, 0.0], [0.5, 0.0]] + [[0.0, 0.0]] * 5)
    dist = cdist(x, x)
    h = np.median(dist[np.triu_indices(8, 1)])
    expected = np.exp(-(dist / h) ** 2 / 2)
    np.testing.assert_allclose(xp.to_numpy(rbf_kernel(xp.asarray(x))), expected, rtol=1e-12, atol=1e-300)
    h = s * 3e-9  # a bandwidth given, as small against the cloud
    np.testing.assert_allclose(xp.to_numpy(rbf_kernel(xp.asarray(x), bandwidth=h)),
                               np.exp(-(dist / h) ** 2 / 2), rtol=1e-12, atol=1e-300)


def test_cosine_kernel_on_backends(xp, rng):
    x = rng.normal(size=(6, 4))
    L = xp.to_numpy(cosine_kernel(xp.asarray(x)))
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(L, xn @ xn.T, rtol=1e-13, atol=1e-15)
    assert np.all(L == L.T) and np.all(np.diag(L) == 1.0)
    with pytest.raises(ValueError, match="zero row \\(row 2\\)"):
        x[2] = 0.0
        cosine_kernel(xp.asarray(x))


@given(seeds, st.integers(1, 5))
def test_quality_diversity_factorises_the_determinants(seed, n):
    rng = np.random.default_rng(seed)
    q = rng.uniform(0.0, 3.0, size=n)
    S = cosine_kernel(rng.normal(size=(n, n + 1)))
    L = quality_diversity(q, S)
    for Y in _subsets(n):
        expected = np.prod(q[list(Y)] ** 2) * _det(S, Y)
        assert _det(L, Y) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@needs_torch
def test_kernel_gradients(rng):
    x = _t(rng.normal(size=(5, 2)), grad=True)
    assert torch.autograd.gradcheck(lambda z: rbf_kernel(z, bandwidth=0.7), (x,))
    assert torch.autograd.gradcheck(cosine_kernel, (x,))
    q, S = _t(rng.uniform(0.5, 2, size=5), grad=True), _t(np.eye(5))
    assert torch.autograd.gradcheck(lambda q: quality_diversity(q, S), (q,))


# -------------------------------------------------------- marginals and likelihood

@given(kernels())
def test_brute_force_subset_law(L):
    n = L.shape[0]
    law = _law(L)
    logp = {S: float(log_likelihood(L, list(S))) for S in law}
    p = {S: math.exp(v) for S, v in logp.items()}
    assert sum(p.values()) == pytest.approx(1.0, abs=1e-10)  # probabilities sum to 1
    for S in law:
        assert p[S] == pytest.approx(law[S], abs=1e-10)
    # inclusion probabilities, expected size, and P(S subset of Y) = det K_S
    K = marginal_kernel(L)
    incl = inclusion_probabilities(L)
    for i in range(n):
        assert incl[i] == pytest.approx(sum(q for S, q in p.items() if i in S), abs=1e-10)
    assert float(expected_size(L)) == pytest.approx(sum(len(S) * q for S, q in p.items()), abs=1e-10)
    for S in _subsets(n):
        assert _det(K, S) == pytest.approx(sum(q for T, q in p.items() if set(S) <= set(T)), abs=1e-10)


@given(kernels(full_rank=True))
def test_marginal_and_likelihood_kernels_are_inverse(L):
    K = marginal_kernel(L)
    lam = np.linalg.eigvalsh(L)
    np.testing.assert_allclose(np.linalg.eigvalsh(K), lam / (1 + lam), atol=1e-13)
    back = likelihood_kernel(K)
    assert np.max(np.abs(back - L)) <= 1e-9 * (1 + lam.max()) ** 2


def test_marginal_kernel_batches_and_backends(xp, rng):
    Phi = rng.normal(size=(3, 4, 2))
    L = Phi @ np.swapaxes(Phi, -1, -2)  # rank 2: repeated zero eigenvalues
    K = marginal_kernel(xp.asarray(L))
    assert xp.owns(K) and tuple(K.shape) == (3, 4, 4)
    ref = np.stack([l @ np.linalg.inv(l + np.eye(4)) for l in L])
    np.testing.assert_allclose(xp.to_numpy(K), ref, atol=1e-13)
    np.testing.assert_allclose(xp.to_numpy(likelihood_kernel(K)), L, atol=1e-11)
    p = inclusion_probabilities(xp.asarray(L))
    np.testing.assert_allclose(xp.to_numpy(p), np.diagonal(ref, axis1=-2, axis2=-1), atol=1e-13)
    np.testing.assert_allclose(xp.to_numpy(expected_size(xp.asarray(L))), np.trace(ref, axis1=-2, axis2=-1), atol=1e-12)
    ll = log_likelihood(xp.asarray(L[0]), [0, 3])
    assert xp.owns(ll) and float(xp.to_numpy(ll)) == pytest.approx(math.log(_law(L[0])[(0, 3)]), rel=1e-12)
    # the order of the subset does not matter; the empty set has det 1
    swapped = float(xp.to_numpy(log_likelihood(xp.asarray(L[0]), [3, 0])))
    assert swapped == pytest.approx(float(xp.to_numpy(ll)), rel=1e-14)
    empty = float(xp.to_numpy(log_likelihood(xp.asarray(L[0]), [])))
    assert empty == pytest.approx(math.log(_law(L[0])[()]), rel=1e-12)
    # a singular L_S: probability 0
    assert float(xp.to_numpy(log_likelihood(xp.asarray(L[0]), [0, 1, 2]))) < -20


def test_likelihood_kernel_needs_eigenvalues_below_one(rng):
    Q = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    K = (Q * np.array([1.0, 0.5, 0.2, 0.0])) @ Q.T
    with pytest.raises(ValueError, match="eigenvalues < 1"):
        likelihood_kernel(K)


@needs_torch
def test_likelihood_gradients(rng):
    Phi = rng.normal(size=(4, 2))
    L = _t(Phi @ Phi.T + np.eye(4), grad=True)  # eigenvalue 1 twice: finite gradients
    sym = lambda L: (L + L.T) / 2  # noqa: E731
    assert torch.autograd.gradcheck(lambda L: marginal_kernel(sym(L)), (L,))
    assert torch.autograd.gradcheck(lambda L: log_likelihood(sym(L), [0, 2]), (L,))
    assert torch.autograd.gradcheck(lambda L: expected_size(sym(L)), (L,))
    # d log P(Y = S) / dL = [L_S^-1 padded] - (L + I)^-1
    (g,) = torch.autograd.grad(log_likelihood(L, [0, 2]), L)
    Ln = L.detach().numpy()
    ref = -np.linalg.inv(Ln + np.eye(4))
    ref[np.ix_([0, 2], [0, 2])] += np.linalg.inv(Ln[np.ix_([0, 2], [0, 2])])
    np.testing.assert_allclose(g.numpy(), ref, atol=1e-12)


# -------------------------------------------------------------------------- samplers

L5 = np.random.default_rng(7).normal(size=(5, 3))
L5 = 0.8 * L5 @ L5.T  # rank 3: sizes 0..3


def test_sampler_matches_the_subset_law_and_inclusion_probabilities():
    N = 3000
    rng = np.random.default_rng(2024)
    draws = [tuple(sample(L5, seed=rng).tolist()) for _ in range(N)]
    assert all(list(S) == sorted(set(S)) for S in draws)  # sorted, distinct
    _check_frequencies(draws, _law(L5))
    freq = np.array([sum(i in S for S in draws) / N for i in range(5)])
    p = inclusion_probabilities(L5)
    assert np.all(np.abs(freq - p) <= Z * np.sqrt(p * (1 - p) / N))
    assert max(len(S) for S in draws) <= 3  # rank 3


def test_sampler_on_backends(xp):
    s = sample(xp.asarray(L5), seed=11)
    assert xp.owns(s) and s.dtype == xp.int64
    assert xp.to_numpy(s).tolist() == sample(L5, seed=11).tolist()  # one law, one seed
    k = sample_k(xp.asarray(L5), 2, seed=11)
    assert xp.owns(k) and k.dtype == xp.int64 and tuple(k.shape) == (2,)
    assert xp.to_numpy(k).tolist() == sample_k(L5, 2, seed=11).tolist()
    assert tuple(sample(xp.asarray(np.zeros((3, 3))), seed=0).shape) == (0,)  # L = 0: the empty set


def test_sampler_reproducible_from_a_seed():
    assert sample(L5, seed=3).tolist() == sample(L5, seed=3).tolist()
    assert sample_k(L5, 3, seed=3).tolist() == sample_k(L5, 3, seed=3).tolist()


def test_sampler_in_float32_draws_as_in_float64():
    # the eigenvalues differ by ~1e-7 relative: the same uniforms give the same sets
    L = L5.astype(np.float32)
    for seed in range(5):
        assert sample(L, seed=seed).tolist() == sample(L5, seed=seed).tolist()
        assert sample_k(L, 2, seed=seed).tolist() == sample_k(L5, 2, seed=seed).tolist()


@pytest.mark.parametrize("k", [1, 2, 3])
def test_k_dpp_sizes_and_law(k):
    N = 2000
    rng = np.random.default_rng(100 + k)
    draws = [tuple(sample_k(L5, k, seed=rng).tolist()) for _ in range(N)]
    assert all(len(S) == k and list(S) == sorted(set(S)) for S in draws)
    _check_frequencies(draws, _k_law(L5, k))


def _naive_esp(lam, k):
    """The direct recursion of Kulesza and Taskar's Alg. 7 (as in DPPy)."""
    E = np.zeros((k + 1, lam.size + 1))
    E[0] = 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        for l in range(1, k + 1):
            for m in range(1, lam.size + 1):
                E[l, m] = E[l, m - 1] + lam[m - 1] * E[l - 1, m - 1]
    return E


def test_k_dpp_where_the_elementary_symmetric_polynomials_overflow():
    # The k-DPP law is invariant under L -> c L, but e_4(c lambda) = c^4 e_4(lambda)
    # overflows float64 for c = 1e100: the direct recursion gives inf and NaN
    # probabilities; the log-space one gives the law of M.
    Phi = np.random.default_rng(5).normal(size=(6, 6))
    M = Phi @ Phi.T / 6 + 0.1 * np.eye(6)
    c, k = 1e100, 4
    E = _naive_esp(np.linalg.eigvalsh(c * M), k)
    assert np.isinf(E[k, -1])
    N = 2000
    rng = np.random.default_rng(9)
    draws = [tuple(sample_k(c * M, k, seed=rng).tolist()) for _ in range(N)]
    _check_frequencies(draws, _k_law(M, k))


def test_k_dpp_on_an_ill_conditioned_kernel():
    # eigenvalues from 1e-5 to 1e5: the law is dominated by the top directions
    Q = np.linalg.qr(np.random.default_rng(4).normal(size=(5, 5)))[0]
    L = (Q * np.logspace(-5, 5, 5)) @ Q.T
    L = (L + L.T) / 2
    N = 2000
    rng = np.random.default_rng(10)
    draws = [tuple(sample_k(L, 2, seed=rng).tolist()) for _ in range(N)]
    _check_frequencies(draws, _k_law(L, 2))


@given(st.lists(st.floats(-150, 150), min_size=1, max_size=7), st.integers(0, 7))
def test_log_space_elementary_symmetric_polynomials(exponents, k):
    # against the brute-force sum over k-subsets, in log space; scales 1e-150 .. 1e150
    k = min(k, len(exponents))
    loglam = np.asarray(exponents) * math.log(10)
    E = dpp.sampling._log_esp(loglam, k)
    for l in range(k + 1):
        terms = [sum(loglam[list(S)]) for S in itertools.combinations(range(len(exponents)), l)]
        top = max(terms)
        ref = top + math.log(math.fsum(math.exp(t - top) for t in terms))
        assert E[l, -1] == pytest.approx(ref, rel=1e-12, abs=1e-11)


def test_k_dpp_rank_and_range():
    Phi = np.random.default_rng(0).normal(size=(5, 2))
    L = Phi @ Phi.T  # rank 2
    assert len(sample_k(L, 2, seed=0)) == 2
    assert sample_k(L, 0, seed=0).shape == (0,)
    with pytest.raises(ValueError, match="rank 2"):
        sample_k(L, 3, seed=0)
    with pytest.raises(ValueError, match="out of range"):
        sample_k(L, 6, seed=0)
    with pytest.raises(ValueError, match="k"):
        sample_k(L, -1, seed=0)
    with pytest.raises(TypeError, match="k"):
        sample_k(L, 1.5, seed=0)


# ------------------------------------------------------------------------ greedy MAP

def _naive_greedy(L, k):
    """Re-evaluate log det L_{Y + i} for every candidate at every step."""
    chosen = []
    for _ in range(k):
        best, best_value = None, -np.inf
        for i in range(L.shape[0]):
            if i in chosen:
                continue
            S = chosen + [i]
            sign, logdet = np.linalg.slogdet(L[np.ix_(S, S)])
            value = logdet if sign > 0 else -np.inf
            if value > best_value:
                best, best_value = i, value
        chosen.append(best)
    return chosen


@given(kernels(max_n=7, full_rank=True), st.integers(0, 7))
def test_greedy_map_equals_naive_greedy(L, k):
    k = min(k, L.shape[0])
    assert greedy_map(L, k).tolist() == _naive_greedy(L, k)


def test_greedy_map_on_backends(xp, rng):
    x = rng.normal(size=(40, 3))
    L = rbf_kernel(x, bandwidth=0.5) + 1e-6 * np.eye(40)
    ref = greedy_map(L, 10)
    got = greedy_map(xp.asarray(L), 10)
    assert xp.owns(got) and got.dtype == xp.int64
    assert xp.to_numpy(got).tolist() == ref.tolist() == _naive_greedy(L, 10)


@pytest.mark.parametrize("seed", range(5))
def test_greedy_map_stops_at_the_numerical_rank(seed):
    # rank 2: after two items every gain is round-off (|d_i^2| ~ 1e-16); no third
    # item, no division by a nonpositive gain
    Phi = np.random.default_rng(seed).normal(size=(30, 2)) * 10.0 ** np.random.default_rng(seed).uniform(-3, 3)
    L = Phi @ Phi.T
    got = greedy_map(L, 5)
    assert len(got) == 2
    assert got.tolist() == _naive_greedy(L, 2)
    assert greedy_map(np.zeros((3, 3)), 2).shape == (0,)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("compiled", [True, False])
def test_greedy_map_compiled_and_array_paths_agree(rng, dtype, compiled, monkeypatch):
    # the compiled steps (numba, where installed) and the array calls: the same sets,
    # both the naive greedy's, on a kernel of rank 42 whose items come in correlated pairs
    from divergences import _backend

    Phi = rng.normal(size=(60, 12))
    L = (Phi @ Phi.T + np.kron(np.eye(30), np.ones((2, 2)))).astype(dtype)
    monkeypatch.setattr(_backend, "COMPILED", compiled)
    got = greedy_map(L, 20).tolist()
    assert got == _naive_greedy(L.astype(np.float64), len(got))
    assert len(got) == 20
    with pytest.raises(ValueError, match="NaN"):
        L[got[1], 5] = L[5, got[1]] = np.nan  # in the row of a chosen item
        greedy_map(L, 20)


def test_greedy_map_detects_indefinite_kernels():
    with pytest.raises(ValueError, match="positive semi-definite"):
        greedy_map(np.array([[1.0, 2.0], [2.0, 1.0]]), 2)
    with pytest.raises(ValueError, match="positive semi-definite"):
        greedy_map(np.array([[1.0, 0.0], [0.0, -1.0]]), 1)


# ------------------------------------------------------------------------------ GDPP

def _gdpp_reference(real, fake, w_m=1e-4, flip=None):
    """Our documented formula with NumPy's eigh; ``flip`` negates eigenvectors."""
    def eig(x):
        xn = x / np.linalg.norm(x, axis=1, keepdims=True)
        return np.linalg.eigh(xn @ xn.T)
    lr, Vr = eig(real)
    lf, Vf = eig(fake)
    if flip is not None:
        Vf = Vf * flip
    w = (lr - lr.min()) / (lr.max() - lr.min())
    cos = np.sum(Vf * Vr, axis=0)
    return w_m * np.mean((lf - lr) ** 2) + np.sum(w * (1 - cos**2)), w_m * np.mean((lf - lr) ** 2) - np.sum(w * cos)


def test_gdpp_zero_for_identical_kernels(xp, rng):
    real = rng.normal(size=(8, 5))
    assert abs(float(xp.to_numpy(gdpp_loss(xp.asarray(real), xp.asarray(real))))) <= 1e-12
    Q = np.linalg.qr(rng.normal(size=(5, 5)))[0]  # rotated, rescaled rows: the same kernel
    fake = (real @ Q) * rng.uniform(0.5, 2.0, size=(8, 1))
    assert 0 <= float(xp.to_numpy(gdpp_loss(xp.asarray(real), xp.asarray(fake)))) <= 1e-9
    collapsed = np.repeat(real[:1], 8, axis=0) + 1e-3 * rng.normal(size=(8, 5))
    assert float(xp.to_numpy(gdpp_loss(xp.asarray(real), xp.asarray(collapsed)))) > 0.5


@given(seeds, st.integers(2, 6), st.integers(0, 3))
def test_gdpp_matches_the_reference_and_ignores_eigenvector_signs(seed, B, extra):
    rng = np.random.default_rng(seed)
    real, fake = rng.normal(size=(B, B + extra)), rng.normal(size=(B, B + extra))
    ours = float(gdpp_loss(real, fake))
    ref, official = _gdpp_reference(real, fake)
    assert ours == pytest.approx(ref, rel=1e-9, abs=1e-12)
    flip = rng.choice([-1.0, 1.0], size=B)
    ref_flipped, official_flipped = _gdpp_reference(real, fake, flip=flip)
    assert ref_flipped == pytest.approx(ours, rel=1e-9, abs=1e-12)  # sign-invariant
    if np.any(flip < 0):  # the official term is not
        _, official_ones = _gdpp_reference(real, fake, flip=np.where(flip < 0, flip, 1.0))
        assert official_ones == official_flipped


def test_gdpp_dtype_and_batch_mismatch(xp, rng):
    # full-rank kernels (d >= B): distinct eigenvalues, well-defined eigenvectors
    real, fake = rng.normal(size=(6, 8)), rng.normal(size=(6, 7))
    v32 = gdpp_loss(xp.asarray(real, xp.float32), xp.asarray(fake, xp.float32))
    assert xp.owns(v32) and v32.dtype == xp.float32 and tuple(v32.shape) == ()
    assert float(xp.to_numpy(v32)) == pytest.approx(float(gdpp_loss(real, fake)), rel=1e-4)
    with pytest.raises(ValueError, match="same batch size"):
        gdpp_loss(xp.asarray(real), xp.asarray(fake[:5]))


@needs_torch
def test_gdpp_gradients_exact_at_distinct_eigenvalues(rng):
    real, fake = _t(rng.normal(size=(4, 6)), grad=True), _t(rng.normal(size=(4, 6)), grad=True)
    assert torch.autograd.gradcheck(lambda r, f: gdpp_loss(r, f, broadening=0.0), (real, fake))

    def through_eigh(r, f):  # the same formula, differentiated by torch's eigh backward
        def eig(x):
            xn = x / torch.linalg.norm(x, dim=1, keepdim=True)
            return torch.linalg.eigh(xn @ xn.T)
        lr, Vr = eig(r)
        lf, Vf = eig(f)
        w = (lr - lr.min()) / (lr.max() - lr.min())
        return 1e-4 * torch.mean((lf - lr) ** 2) + torch.sum(w * (1 - torch.sum(Vf * Vr, 0) ** 2))

    g_ref = torch.autograd.grad(through_eigh(real, fake), (real, fake))
    g0 = torch.autograd.grad(gdpp_loss(real, fake, broadening=0.0), (real, fake))
    g = torch.autograd.grad(gdpp_loss(real, fake), (real, fake))  # default broadening 1e-3
    # broadening changes each 1/gap by a relative delta^2 / (gap^2 + delta^2)
    gaps = [np.diff(np.linalg.eigvalsh(cosine_kernel(x.detach().numpy()))).min() for x in (real, fake)]
    rel = (1e-3 / min(gaps)) ** 2
    assert rel < 0.1  # distinct eigenvalues: the comparison means something
    for a, b, c in zip(g0, g, g_ref):
        np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=1e-10, atol=1e-12)
        assert float((b - c).abs().max()) <= 4 * rel * float(c.abs().max())


@needs_torch
def test_gdpp_gradients_finite_at_repeated_and_equal_eigenvalues(rng):
    # B = 8 > d = 3: five zero eigenvalues in both kernels (torch's eigh backward gives NaN)
    real, fake = _t(rng.normal(size=(8, 3)), grad=True), _t(rng.normal(size=(8, 3)), grad=True)
    value = gdpp_loss(real, fake)
    grads = torch.autograd.grad(value, (real, fake))
    assert torch.isfinite(value) and all(torch.all(torch.isfinite(g)) for g in grads)
    assert float(grads[1].abs().max()) > 0
    # orthonormal real features: K_r = I, all eigenvalues equal, no structure term
    ortho = _t(np.linalg.qr(rng.normal(size=(5, 5)))[0][:, :4].T, grad=True)
    f = _t(rng.normal(size=(4, 5)), grad=True)
    value = gdpp_loss(ortho, f)
    lam_f = np.linalg.eigvalsh(cosine_kernel(f.detach().numpy()))
    assert float(value.detach()) == pytest.approx(1e-4 * np.mean((lam_f - 1.0) ** 2), rel=1e-10)
    grads = torch.autograd.grad(value, (ortho, f))
    assert all(torch.all(torch.isfinite(g)) for g in grads)
    # identical batches with a zero row: value 0, finite gradients
    z = rng.normal(size=(5, 3))
    z[2] = 0.0
    a, b = _t(z, grad=True), _t(z, grad=True)
    value = gdpp_loss(a, b)
    grads = torch.autograd.grad(value, (a, b))
    assert abs(float(value.detach())) <= 1e-12 and all(torch.all(torch.isfinite(g)) for g in grads)


# ------------------------------------------------------------------------ bad input

_NS = np.array([[1.0, 0.5], [0.0, 1.0]])  # not symmetric
_IND = np.array([[1.0, 2.0], [2.0, 1.0]])  # indefinite
_NAN = np.array([[1.0, np.nan], [np.nan, 1.0]])
# item 0 is chosen first; its row puts inf at item 2, which is never chosen
_INF_ROW = np.array([[3.0, 0.1, np.inf], [0.1, 2.0, 0.0], [np.inf, 0.0, 1.0]])
_BAD = {
    "non-square L": (marginal_kernel, (np.ones((2, 3)),), "L", "square"),
    "vector L": (sample, (np.ones(3),), "L", "shape"),
    "batched L to sample": (sample, (np.stack([np.eye(2)] * 2),), "L", "single"),
    "non-symmetric L": (sample, (_NS,), "L", "symmetric"),
    "indefinite L": (sample, (_IND,), "L", "positive semi-definite"),
    "indefinite L marginal": (marginal_kernel, (_IND,), "L", "positive semi-definite"),
    "slightly indefinite L": (inclusion_probabilities, (np.diag([1.0, -1e-6]),), "L", "positive semi-definite"),
    "nan L": (expected_size, (_NAN,), "L", "NaN"),
    "empty L": (sample, (np.zeros((0, 0)),), "L", "empty"),
    "non-symmetric K": (likelihood_kernel, (_NS,), "K", "symmetric"),
    "indefinite S": (quality_diversity, (np.ones(2), _IND), "S", "positive semi-definite"),
    "negative q": (quality_diversity, (np.array([1.0, -1.0]), np.eye(2)), "q", "negative"),
    "q length": (quality_diversity, (np.ones(3), np.eye(2)), "q", "shape"),
    "k > n": (sample_k, (np.eye(2), 3), "k", "out of range"),
    "k > n greedy": (greedy_map, (np.eye(2), 3), "k", "out of range"),
    "non-symmetric greedy": (greedy_map, (_NS, 2), "L", "symmetric"),
    "nan greedy": (greedy_map, (np.array([[2.0, np.nan], [np.nan, 1.0]]), 2), "L", "NaN"),
    "nan diagonal greedy": (greedy_map, (np.diag([1.0, np.nan]), 1), "L", "NaN"),
    "inf in a read row greedy": (greedy_map, (_INF_ROW, 2), "L", "infinite"),
    "non-square greedy": (greedy_map, (np.ones((2, 3)), 1), "L", "square"),
    "subset out of range": (log_likelihood, (np.eye(3), [0, 3]), "subset", "out of range"),
    "negative subset": (log_likelihood, (np.eye(3), [-1]), "subset", "out of range"),
    "repeated subset": (log_likelihood, (np.eye(3), [1, 1]), "subset", "repeated"),
    "2-D subset": (log_likelihood, (np.eye(3), [[0, 1]]), "subset", "1-D"),
    "bandwidth": (lambda x: rbf_kernel(x, bandwidth=0.0), (np.ones((2, 2)),), "bandwidth", "positive"),
    "nan points": (lambda x: rbf_kernel(x, bandwidth=1.0), (np.array([[np.nan]]),), "x", "NaN"),
    "1-D features": (gdpp_loss, (np.ones(3), np.ones(3)), "phi_real", "batch"),
    "nan features": (gdpp_loss, (np.ones((2, 2)), np.full((2, 2), np.inf)), "phi_fake", "NaN"),
    "negative weight": (lambda a, b: gdpp_loss(a, b, magnitude_weight=-1.0), (np.eye(2), np.eye(2)),
                        "magnitude_weight", "nonnegative"),
}


@pytest.mark.parametrize("case", list(_BAD), ids=list(_BAD))
def test_bad_input_names_the_argument(case):
    fn, args, name, what = _BAD[case]
    with pytest.raises(ValueError, match=name) as err:
        fn(*args)
    assert what in str(err.value)


def test_bad_input_on_backends(xp):
    with pytest.raises(ValueError, match="symmetric"):
        sample(xp.asarray(_NS), seed=0)
    with pytest.raises(ValueError, match="positive semi-definite"):
        sample_k(xp.asarray(_IND), 1, seed=0)
    with pytest.raises(ValueError, match="infinite"):
        greedy_map(xp.asarray(_INF_ROW), 2)
    with pytest.raises(ValueError, match="subset"):
        log_likelihood(xp.asarray(np.eye(3)), xp.asarray(np.array([0, 0]), xp.int64))


def test_type_errors():
    with pytest.raises(TypeError, match="subset"):
        log_likelihood(np.eye(3), [0.5])
    with pytest.raises(TypeError, match="subset"):
        log_likelihood(np.eye(3), np.array([True, False, True]))
    with pytest.raises(TypeError, match="bandwidth"):
        rbf_kernel(np.ones((2, 1)), bandwidth="median")


def test_public_names_are_documented():
    for name in dpp.__all__:
        doc = getattr(dpp, name).__doc__
        assert doc and len(doc) > 80, name


def test_projection_sampling_refuses_vanished_residuals():
    # a rank-2 projection whose second direction is lost to round-off (a repeated
    # column): after one item every residual is 0, and the search for a next item had
    # nothing to stop at
    from divergences.dpp import sampling

    v = np.zeros((5, 2))
    v[0] = [1.0, 1.0]
    with pytest.raises(ValueError, match="residuals vanished or are not finite after 1 of 2"):
        sampling._projection_sample(v / math.sqrt(2.0), np.random.default_rng(0))
