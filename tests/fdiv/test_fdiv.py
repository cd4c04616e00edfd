"""f_divergence, FDIVERGENCES, alpha_divergence and variational_f: direct formulas and
SciPy, exact zeros and infinities, inequalities (js <= log 2, Pinsker, data processing),
conjugates against numerical suprema, the variational bound and its equality case,
backends, torch gradients, bad input."""

import dataclasses
import math

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr

from divergences import FDIVERGENCES, FDivergence, alpha_divergence, f_divergence, variational_f
from divergences.testing import weights

try:
    import torch
except ImportError:  # the gradient tests need it
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="gradients are checked with torch")

FIXED = ["kl", "reverse_kl", "js", "tv", "pearson", "neyman", "hellinger", "jeffreys", "gan"]
ALPHAS = [-1.5, -0.5, 0.5, 2.0, 3.0]
SPECS = [(k, None) for k in FIXED] + [("alpha", a) for a in ALPHAS]
SPEC_IDS = FIXED + [f"alpha={a:g}" for a in ALPHAS]
LOG2 = math.log(2.0)


def _spec(kind, alpha):
    return alpha_divergence(alpha) if kind == "alpha" else FDIVERGENCES[kind]


def _kw(alpha):
    return {} if alpha is None else {"alpha": alpha}


def _reference(p, q, kind, alpha=None):
    """The issue's definitions, written out in NumPy/SciPy with explicit zero conventions."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    with np.errstate(all="ignore"):
        if kind == "kl":
            return rel_entr(p, q).sum(-1)
        if kind == "reverse_kl":
            return rel_entr(q, p).sum(-1)
        if kind == "js":
            return jensenshannon(p, q, axis=-1) ** 2
        if kind == "tv":
            return np.abs(p - q).sum(-1) / 2
        if kind in ("pearson", "neyman"):
            den, other = (q, p) if kind == "pearson" else (p, q)
            t = np.where(den > 0, (p - q) ** 2 / np.where(den > 0, den, 1), np.where(other > 0, np.inf, 0))
            return t.sum(-1)
        if kind == "hellinger":
            return ((np.sqrt(p) - np.sqrt(q)) ** 2).sum(-1)
        if kind == "jeffreys":
            return (rel_entr(p, q) + rel_entr(q, p)).sum(-1)
        if kind == "gan":
            m = (p + q) / 2
            return (rel_entr(p, m) + rel_entr(q, m)).sum(-1) - math.log(4)
        if kind == "alpha":
            both = (p > 0) & (q > 0)
            s = np.where(both, p**alpha * q ** (1 - alpha), 0.0)
            if alpha > 1:
                s = np.where((p > 0) & (q == 0), np.inf, s)
            if alpha < 0:
                s = np.where((q > 0) & (p == 0), np.inf, s)
            return (s.sum(-1) - 1) / (alpha * (alpha - 1))
    raise AssertionError(kind)


def _close(a, b, rtol=1e-10, atol=1e-12):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert np.array_equal(np.isinf(a), np.isinf(b)), (a, b)
    fin = np.isfinite(b)
    np.testing.assert_allclose(a[fin], b[fin], rtol=rtol, atol=atol)


@st.composite
def histogram_pairs(draw, max_n=8, zeros=True):
    n = draw(st.integers(1, max_n))
    return draw(weights(n, zeros=zeros)), draw(weights(n, zeros=zeros))


def _markov(rng, n, m):
    K = rng.random((n, m)) ** 3
    K[rng.random((n, m)) < 0.3] = 0.0
    K[np.arange(n), rng.integers(0, m, n)] += 0.1  # every row keeps some mass
    return K / K.sum(1, keepdims=True)


# ---------------------------------------------------------------- the divergences

@given(histogram_pairs(), st.sampled_from(SPECS))
def test_matches_the_definitions(pair, spec):
    p, q = pair
    kind, alpha = spec
    _close(f_divergence(p, q, kind, **_kw(alpha)), _reference(p, q, kind, alpha))


@given(histogram_pairs())
def test_kl_and_js_against_scipy(pair):
    p, q = pair
    kl = float(f_divergence(p, q, "kl"))
    ref = float(rel_entr(p, q).sum())
    assert kl == ref or kl == pytest.approx(ref, rel=1e-12, abs=1e-15)
    js = float(f_divergence(p, q, "js"))
    assert js == pytest.approx(jensenshannon(p, q) ** 2, rel=1e-10, abs=1e-14)


@given(histogram_pairs())
def test_relations_between_kinds(pair):
    p, q = pair
    D = {k: float(f_divergence(p, q, k)) for k in FIXED}
    A = {a: float(f_divergence(p, q, "alpha", alpha=a)) for a in (2.0, -1.0, 0.5)}
    _close(D["jeffreys"], D["kl"] + float(f_divergence(q, p, "kl")))
    _close(D["reverse_kl"], float(f_divergence(q, p, "kl")))
    _close(D["gan"], 2 * D["js"] - math.log(4), atol=1e-12)
    _close(A[2.0], D["pearson"] / 2)
    _close(A[-1.0], D["neyman"] / 2)
    _close(A[0.5], 2 * D["hellinger"], atol=1e-12)


@given(histogram_pairs(zeros=False))
def test_alpha_tends_to_kl_and_reverse_kl(pair):
    p, q = pair
    for a, kind in ((1 - 1e-6, "kl"), (1 + 1e-6, "kl"), (1e-6, "reverse_kl"), (-1e-6, "reverse_kl")):
        near = float(f_divergence(p, q, "alpha", alpha=a))
        assert near == pytest.approx(float(f_divergence(p, q, kind)), rel=1e-4, abs=1e-8)


@given(histogram_pairs())
def test_inequalities(pair):
    p, q = pair
    D = {k: float(f_divergence(p, q, k)) for k in FIXED}
    tol = 1e-12
    assert 0 <= D["js"] <= LOG2 + tol
    assert D["tv"] <= 1 + tol and D["hellinger"] <= 2 + tol
    assert D["tv"] <= math.sqrt(D["kl"] / 2) + tol  # Pinsker
    assert D["hellinger"] / 2 <= D["tv"] + tol  # Le Cam: H^2/2 <= TV (H^2 in our normalisation)
    assert -math.log(4) - tol <= D["gan"] <= tol
    for k in FIXED:
        if k != "gan":
            assert D[k] >= -tol, k
    for a in ALPHAS:
        assert float(f_divergence(p, q, "alpha", alpha=a)) >= -tol


@given(st.integers(1, 8), st.sampled_from(SPECS), st.integers(0, 2**32 - 1))
def test_zero_on_equal_histograms(n, spec, seed):
    p = np.random.default_rng(seed).random(n)
    p[: n // 3] = 0.0
    p = p / p.sum() if p.sum() > 0 else np.full(n, 1.0 / n)
    kind, alpha = spec
    expected = -math.log(4) if kind == "gan" else 0.0
    assert float(f_divergence(p, p, kind, **_kw(alpha))) == pytest.approx(expected, abs=1e-14)


@given(histogram_pairs(max_n=6), st.integers(1, 6), st.sampled_from(SPECS), st.integers(0, 2**32 - 1))
def test_data_processing_inequality(pair, m, spec, seed):
    p, q = pair
    K = _markov(np.random.default_rng(seed), len(p), m)
    kind, alpha = spec
    before = float(f_divergence(p, q, kind, **_kw(alpha)))
    after = float(f_divergence(p @ K, q @ K, kind, normalize=True, **_kw(alpha)))
    assert after <= before + 1e-10 * (1 + abs(before))


ZEROS = [  # p, q, kind, alpha, exact value
    ([0.5, 0.5, 0.0], [0.25, 0.25, 0.5], "kl", None, LOG2),
    ([0.25, 0.25, 0.5], [0.5, 0.5, 0.0], "kl", None, math.inf),
    ([0.5, 0.5, 0.0], [0.25, 0.25, 0.5], "reverse_kl", None, math.inf),
    ([0.5, 0.5, 0.0], [0.25, 0.25, 0.5], "pearson", None, 1.0),
    ([0.25, 0.25, 0.5], [0.5, 0.5, 0.0], "pearson", None, math.inf),
    ([0.25, 0.25, 0.5], [0.5, 0.5, 0.0], "neyman", None, 1.0),  # sum (p - q)^2 / p
    ([1.0, 0.0], [0.0, 1.0], "js", None, LOG2),
    ([1.0, 0.0], [0.0, 1.0], "gan", None, 0.0),
    ([1.0, 0.0], [0.0, 1.0], "tv", None, 1.0),
    ([1.0, 0.0], [0.0, 1.0], "hellinger", None, 2.0),
    ([1.0, 0.0], [0.5, 0.5], "jeffreys", None, math.inf),
    ([1.0, 0.0], [0.0, 1.0], "alpha", 0.5, 4.0),  # (0 - 1) / (-1/4)
    ([1.0, 0.0], [0.5, 0.5], "alpha", 2.0, 0.5),  # (sum p^2 / q - 1) / 2
    ([0.5, 0.5], [1.0, 0.0], "alpha", 2.0, math.inf),
    ([1.0, 0.0], [0.5, 0.5], "alpha", -1.0, math.inf),
    ([0.5, 0.5], [1.0, 0.0], "alpha", -1.0, 0.5),  # (sum q^2 / p - 1) / 2
    ([0.0, 1.0], [0.0, 1.0], "kl", None, 0.0),
]


@pytest.mark.parametrize("p, q, kind, alpha, value", ZEROS)
def test_exact_at_zeros(xp, p, q, kind, alpha, value):
    out = f_divergence(xp.asarray(p), xp.asarray(q), kind, **_kw(alpha))
    assert xp.owns(out) and out.dtype == xp.float64
    got = float(xp.to_numpy(out))
    assert got == value or got == pytest.approx(value, rel=1e-14)


def test_batches_broadcast(xp, rng):
    p = rng.random((3, 1, 5))
    q = rng.random((4, 5))
    q[0, 1] = 0.0
    p, q = p / p.sum(-1, keepdims=True), q / q.sum(-1, keepdims=True)
    for kind in ("kl", "hellinger"):
        out = f_divergence(xp.asarray(p), xp.asarray(q), kind)
        assert xp.owns(out) and tuple(out.shape) == (3, 4)
        _close(xp.to_numpy(out), _reference(np.broadcast_to(p, (3, 4, 5)), np.broadcast_to(q, (3, 4, 5)), kind))


@pytest.mark.parametrize("shape", [(300, 1000), (7, 40, 1000), (2, 70000)])
def test_blockwise_sums_match_the_row_by_row_values(shape):
    # the host path sums block by block once a batch exceeds 2^16 entries
    rng = np.random.default_rng(len(shape))
    p, q = rng.random(shape), rng.random(shape)
    p[p < 0.2] = 0.0
    p, q = p / p.sum(-1, keepdims=True), q / q.sum(-1, keepdims=True)
    for kind in ("kl", "js", "alpha"):
        kw = {"alpha": 0.3} if kind == "alpha" else {}
        out = f_divergence(p, q, kind, **kw)
        assert out.shape == shape[:-1]
        rows = np.array([float(f_divergence(a, b, kind, **kw)) for a, b in zip(p.reshape(-1, shape[-1]), q.reshape(-1, shape[-1]))])
        np.testing.assert_allclose(out.reshape(-1), rows, rtol=1e-12)


@pytest.mark.parametrize("kind, alpha", SPECS, ids=SPEC_IDS)
def test_backends_dtypes(xp, rng, kind, alpha):
    p, q = rng.random((2, 6)), rng.random((2, 6))
    p[0, 0] = 0.0
    q[1, 2] = 0.0
    p, q = p / p.sum(-1, keepdims=True), q / q.sum(-1, keepdims=True)
    ref = _reference(p, q, kind, alpha)
    for dtype, rtol in ((xp.float64, 1e-12), (xp.float32, 2e-5)):
        out = f_divergence(xp.asarray(p, dtype), xp.asarray(q, dtype), kind, **_kw(alpha))
        assert xp.owns(out) and out.dtype == dtype and tuple(out.shape) == (2,)
        _close(xp.to_numpy(out), ref, rtol=rtol, atol=rtol)


def test_normalize_and_lists():
    counts_p, counts_q = [2, 1, 1], [1, 1, 2]
    out = f_divergence(counts_p, counts_q, "kl", normalize=True)
    assert isinstance(out, (np.ndarray, np.generic)) and out.dtype == np.float64
    assert float(out) == pytest.approx(_reference([0.5, 0.25, 0.25], [0.25, 0.25, 0.5], "kl"), rel=1e-14)


# ------------------------------------------------------------------ the conjugates

def _numerical_conjugate(spec, t):
    """sup_{u >= 0} t u - f(u) by bounded Brent on u = e^s, and the end point u = 0."""
    f = lambda u: float(spec.f(np.float64(u)))
    obj = lambda s: -(t * math.exp(s) - f(math.exp(s)))
    res = scipy.optimize.minimize_scalar(obj, bounds=(-30.0, 30.0), method="bounded", options={"xatol": 1e-12})
    best = -res.fun
    f0 = f(0.0)
    return max(best, -f0) if math.isfinite(f0) else best


def _test_points(spec):
    ts = list(spec.activation(np.linspace(-3.0, 3.0, 9)))
    extra = {"pearson": [-5.0, -2.0], "tv": [-2.0, -0.5, 0.5], "neyman": [1.0]}
    ts += extra.get(spec.name, [])
    if spec.alpha is not None and spec.alpha > 1:
        ts += [-3.0 / (spec.alpha - 1), -1.0 / (spec.alpha - 1)]  # at and below the kink
    return [float(t) for t in ts]


@pytest.mark.parametrize("kind, alpha", SPECS, ids=SPEC_IDS)
def test_conjugate_is_the_numerical_supremum(kind, alpha):
    spec = _spec(kind, alpha)
    for t in _test_points(spec):
        expected = _numerical_conjugate(spec, t)
        got = float(spec.conjugate(t))
        assert got == pytest.approx(expected, rel=1e-7, abs=1e-8), (spec.name, t)


@pytest.mark.parametrize("kind, alpha", SPECS, ids=SPEC_IDS)
def test_conjugate_is_infinite_beyond_its_domain(kind, alpha):
    spec = _spec(kind, alpha)
    lo, hi = spec.conjugate_domain
    assert lo == -math.inf
    if math.isfinite(hi):
        beyond = np.array([hi + 1e-9 * (1 + abs(hi)), hi + 1.0, hi + 100.0])
        assert np.all(np.isinf(spec.conjugate(beyond)))
        # and the objective t u - f(u) really is unbounded there
        u = 1e8
        assert (hi + 1.0) * u - float(spec.f(u)) > 1e6
    # the activation maps R into the open domain
    v = np.linspace(-30.0, 30.0, 61)
    t = spec.activation(v)
    assert np.all(t <= hi) and np.all(np.isfinite(spec.conjugate(t)))  # tanh saturates at 30


@given(st.sampled_from(SPECS), st.floats(0.0, 50.0), st.floats(-6.0, 6.0))
def test_fenchel_young(spec, u, v):
    d = _spec(*spec)
    t = float(d.activation(v))
    lhs = float(d.f(u)) + float(d.conjugate(t))
    assert lhs >= u * t - 1e-9 * (1 + abs(u * t) + abs(lhs))


@given(st.sampled_from(SPECS), st.floats(1e-3, 50.0))
def test_fenchel_young_equality_at_the_optimal_critic(spec, u):
    d = _spec(*spec)
    if d.name == "tv" and u == 1.0:
        return
    t = float(d.optimal_critic(u))
    assert float(d.f(u)) + float(d.conjugate(t)) == pytest.approx(u * t, rel=1e-9, abs=1e-9)


def test_the_table():
    assert sorted(FDIVERGENCES) == sorted(FIXED) and len(FDIVERGENCES) == 9
    for kind in FIXED:
        spec = FDIVERGENCES[kind]
        assert isinstance(spec, FDivergence) and spec.name == kind and "Nowozin" in spec.reference
        assert float(spec.f(1.0)) == pytest.approx(-math.log(4) if kind == "gan" else 0.0, abs=1e-15)
        assert float(spec.f(-1.0)) == math.inf  # outside dom f
    with pytest.raises(dataclasses.FrozenInstanceError):
        FDIVERGENCES["kl"].name = "x"
    with pytest.raises(KeyError, match="alpha_divergence"):
        FDIVERGENCES["alpha"]
    with pytest.raises(KeyError, match="unknown"):
        FDIVERGENCES["chi"]
    assert alpha_divergence(0.5).alpha == 0.5 and alpha_divergence(0.5).conjugate_domain == (-math.inf, 2.0)


def test_kind_as_an_fdivergence():
    p, q = np.array([0.2, 0.8]), np.array([0.5, 0.5])
    assert float(f_divergence(p, q, FDIVERGENCES["hellinger"])) == float(f_divergence(p, q, "hellinger"))
    assert float(f_divergence(p, q, alpha_divergence(0.3))) == float(f_divergence(p, q, "alpha", alpha=0.3))
    kl = FDIVERGENCES["kl"]
    custom = FDivergence("mine", "KL again", kl.f, kl.conjugate, kl.conjugate_domain, kl.activation,
                         kl.optimal_critic, "none")
    t = np.array([0.1, -0.2])
    assert float(variational_f(t, t, p, q, kind=custom)) == float(variational_f(t, t, p, q, kind="kl"))
    with pytest.raises(ValueError, match="kind must be"):
        f_divergence(p, q, custom)


def test_callables_keep_the_namespace(xp):
    u = xp.asarray([0.0, 0.5, 2.0])
    for kind, alpha in SPECS:
        spec = _spec(kind, alpha)
        for fn in (spec.f, spec.optimal_critic, spec.activation):
            out = fn(u)
            assert xp.owns(out) and out.dtype == xp.float64
        t = spec.activation(xp.asarray([-1.0, 0.0, 1.0]))
        assert xp.owns(spec.conjugate(t))
    assert isinstance(FDIVERGENCES["kl"].f(2), (np.ndarray, np.generic))


# ---------------------------------------------------------- the variational bound

@given(histogram_pairs(zeros=False), st.sampled_from(SPECS))
def test_variational_bound_is_tight_at_the_optimal_critic(pair, spec):
    p, q = pair
    kind, alpha = spec
    d = _spec(kind, alpha)
    T = d.optimal_critic(p / q)
    exact = float(f_divergence(p, q, kind, **_kw(alpha)))
    assert float(variational_f(T, T, p, q, kind=kind, **_kw(alpha))) == pytest.approx(exact, rel=1e-9, abs=1e-11)
    assert float(variational_f(T, T, p, q, kind=d)) == pytest.approx(exact, rel=1e-9, abs=1e-11)


@given(histogram_pairs(), st.sampled_from(SPECS), st.integers(0, 2**32 - 1))
def test_variational_bound_is_a_lower_bound(pair, spec, seed):
    p, q = pair
    kind, alpha = spec
    d = _spec(kind, alpha)
    T = d.activation(np.random.default_rng(seed).normal(scale=3.0, size=len(p)))
    bound = float(variational_f(T, T, p, q, kind=kind, **_kw(alpha)))
    exact = float(f_divergence(p, q, kind, **_kw(alpha)))
    assert bound <= exact + 1e-9 * (1 + abs(exact))


def test_variational_with_samples_and_zero_weights(xp, rng):
    # samples: E_p by the mean over draws of x ~ p; zero weights ignore t out of the domain
    t_p = xp.asarray([0.1, 0.1, 0.1, -0.3])  # x1, x1, x1, x0: empirical p
    t_q = xp.asarray([5.0, -0.2])  # 5.0 is outside dom f* of js (< log(2)/2)
    b = xp.asarray([0.0, 1.0])
    out = variational_f(t_p, t_q, b=b, kind="js")
    js_conj = FDIVERGENCES["js"].conjugate
    expected = (3 * 0.1 - 0.3) / 4 - float(js_conj(-0.2))
    assert xp.owns(out) and float(xp.to_numpy(out)) == pytest.approx(expected, rel=1e-14)
    assert float(xp.to_numpy(variational_f(t_p, t_q, kind="js"))) == -math.inf  # uniform b: f*(5) = inf


def test_gan_kind_is_the_gan_value_function(rng):
    # T = log D: E_P log D + E_Q log(1 - D) (Goodfellow et al. 2014), 2 JS - log 4 at D*
    d_real, d_fake = rng.random(6), rng.random(4)
    value = float(variational_f(np.log(d_real), np.log(d_fake), kind="gan"))
    assert value == pytest.approx(np.mean(np.log(d_real)) + np.mean(np.log1p(-d_fake)), rel=1e-12)
    p, q = rng.random(5) + 0.05, rng.random(5) + 0.05
    p, q = p / p.sum(), q / q.sum()
    T = np.log(p / (p + q))
    np.testing.assert_allclose(FDIVERGENCES["gan"].optimal_critic(p / q), T, rtol=1e-12)
    assert float(variational_f(T, T, p, q, kind="gan")) == pytest.approx(2 * float(f_divergence(p, q, "js")) - math.log(4))


def test_variational_batches(xp, rng):
    tp, tq = rng.normal(size=(3, 1, 5)), rng.normal(size=(4, 7))
    out = variational_f(xp.asarray(tp), xp.asarray(tq), kind="kl")
    assert xp.owns(out) and tuple(out.shape) == (3, 4)
    np.testing.assert_allclose(xp.to_numpy(out), tp.mean(-1) - np.exp(tq - 1).mean(-1), rtol=1e-12)


# ------------------------------------------------------------------------ gradients

def _t(x, grad=False):
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=grad)


@needs_torch
@pytest.mark.parametrize("kind, alpha", SPECS, ids=SPEC_IDS)
def test_gradients_match_finite_differences(kind, alpha, rng):
    p0, q0 = rng.random(5) + 0.1, rng.random(5) + 0.1
    p, q = _t(p0, True), _t(q0, True)
    assert torch.autograd.gradcheck(lambda p, q: f_divergence(p, q, kind, normalize=True, **_kw(alpha)), (p, q))


@needs_torch
def test_kl_gradient_is_analytic_and_finite_at_zeros():
    p = _t([0.5, 0.3, 0.2, 0.0], True)
    q = _t([0.25, 0.25, 0.25, 0.25], True)
    gp, gq = torch.autograd.grad(f_divergence(p, q, "kl"), (p, q))
    expected = np.log(np.array([0.5, 0.3, 0.2]) / 0.25) + 1
    np.testing.assert_allclose(gp.numpy()[:3], expected, rtol=1e-12)
    assert gp[3] == 0  # the masked branch: a subgradient convention at p = 0
    np.testing.assert_allclose(gq.numpy(), -p.detach().numpy() / 0.25, rtol=1e-12)


@needs_torch
def test_gradients_through_the_blockwise_path(rng):
    p0, q0 = rng.random((200, 1000)) + 0.01, rng.random((200, 1000)) + 0.01
    p0, q0 = p0 / p0.sum(-1, keepdims=True), q0 / q0.sum(-1, keepdims=True)
    p = _t(p0, True)
    value = f_divergence(p, _t(q0), "kl")
    assert tuple(value.shape) == (200,)
    (g,) = torch.autograd.grad(value.sum(), p)
    np.testing.assert_allclose(g.numpy(), np.log(p0 / q0) + 1, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("kind, alpha", SPECS, ids=SPEC_IDS)
def test_no_nan_gradients_at_zeros(kind, alpha):
    p = _t([0.5, 0.5, 0.0, 0.0], True)
    q = _t([0.5, 0.0, 0.5, 0.0], True)
    value = f_divergence(p, q, kind, **_kw(alpha))
    if torch.isinf(value):
        return  # no gradient of an infinite value
    gp, gq = torch.autograd.grad(value, (p, q))
    assert torch.all(torch.isfinite(gp)) and torch.all(torch.isfinite(gq))


@needs_torch
@pytest.mark.parametrize("kind, alpha", SPECS, ids=SPEC_IDS)
def test_conjugate_gradient_is_the_maximiser(kind, alpha):
    # (f*)'(t) = argmax_u t u - f(u); at t = f'(u) that is u (the Lambert W of
    # jeffreys included: its gradient comes from one Newton step on the graph)
    spec = _spec(kind, alpha)
    u = np.array([0.2, 0.7, 1.6, 4.0]) if kind != "tv" else np.array([0.5, 2.0])
    t = _t(spec.optimal_critic(u), True)
    (g,) = torch.autograd.grad(spec.conjugate(t).sum(), t)
    if kind == "tv":  # f* = t on (-1/2, 1/2]: slope 1 (u = 1 is the only maximiser inside)
        return
    np.testing.assert_allclose(g.numpy(), u, rtol=1e-9)


@needs_torch
@pytest.mark.parametrize("kind, alpha", SPECS, ids=SPEC_IDS)
def test_variational_gradients(kind, alpha, rng):
    spec = _spec(kind, alpha)
    tp = _t(spec.activation(rng.normal(size=4)), True)
    tq = _t(spec.activation(rng.normal(size=3)), True)
    assert torch.autograd.gradcheck(lambda a, b: variational_f(a, b, kind=kind, **_kw(alpha)), (tp, tq))


# ------------------------------------------------------------------------ bad input

_P, _Q = [0.5, 0.5], [0.25, 0.75]
BAD = [
    (lambda: f_divergence([0.5, 0.5], [0.2, 0.3, 0.5]), ValueError, "same number of bins"),
    (lambda: f_divergence(np.ones((2, 2)) / 2, np.ones((3, 2)) / 2), ValueError, "do not broadcast"),
    (lambda: f_divergence([1.5, -0.5], _Q), ValueError, "p has negative"),
    (lambda: f_divergence(_P, [np.nan, 1.0]), ValueError, "q contains NaN"),
    (lambda: f_divergence(_P, [np.inf, 1.0]), ValueError, "q contains NaN or infinite"),
    (lambda: f_divergence([0.5, 0.6], _Q), ValueError, "p and q have different total masses"),
    (lambda: f_divergence(_P, [0.0, 0.0]), ValueError, "q sums to 0"),
    (lambda: f_divergence(_P, [0.0, 0.0], normalize=True), ValueError, "q sums to 0"),
    (lambda: f_divergence([], []), ValueError, "p is empty"),
    (lambda: f_divergence(0.5, 0.5), ValueError, "p must have at least one axis"),
    (lambda: f_divergence(_P, _Q, "chi"), ValueError, "kind must be one of"),
    (lambda: f_divergence(_P, _Q, "alpha"), ValueError, "alpha must be given"),
    (lambda: f_divergence(_P, _Q, "alpha", alpha=0), ValueError, "alpha must be a finite number other than 0 and 1"),
    (lambda: f_divergence(_P, _Q, "alpha", alpha=1.0), ValueError, "alpha must be"),
    (lambda: f_divergence(_P, _Q, "alpha", alpha=np.nan), ValueError, "alpha must be"),
    (lambda: f_divergence(_P, _Q, "alpha", alpha="2"), TypeError, "alpha must be a real number"),
    (lambda: f_divergence(_P, _Q, "kl", alpha=0.5), ValueError, "alpha is only used"),
    (lambda: f_divergence(["a", "b"], _Q), TypeError, "p must be an array of real numbers"),
    (lambda: f_divergence(np.array([0.5 + 0j, 0.5]), _Q), TypeError, "p must have a real dtype"),
    (lambda: alpha_divergence(1), ValueError, "alpha must be"),
    (lambda: variational_f([0.0, np.nan], [0.0], kind="kl"), ValueError, "t_p contains NaN"),
    (lambda: variational_f([0.0], [np.inf], kind="kl"), ValueError, "t_q contains NaN"),
    (lambda: variational_f([0.0, 1.0], [0.0], a=[1.0], kind="kl"), ValueError, "t_p and a must have the same number"),
    (lambda: variational_f([0.0], [0.0, 1.0], b=[0.3, 0.3], kind="kl"), ValueError, "b must sum to 1"),
    (lambda: variational_f([0.0], [0.0], b=[-1.0], kind="kl"), ValueError, "b has negative"),
    (lambda: variational_f([0.0], [0.0], kind="hinge"), ValueError, "kind must be one of"),
    (lambda: variational_f([0.0], [0.0], alpha=2.0, kind=FDIVERGENCES["kl"]), ValueError, "alpha must be None"),
    (lambda: variational_f([], [0.0], kind="kl"), ValueError, "t_p is empty"),
]


@pytest.mark.parametrize("call, error, pattern", BAD)
def test_bad_input_is_rejected(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_mixed_libraries_are_rejected():
    if torch is None:
        pytest.skip("needs torch")
    with pytest.raises(TypeError, match="mix array libraries"):
        f_divergence(torch.tensor(_P, dtype=torch.float64), np.array(_Q))


def test_float32_masses_within_their_tolerance():
    p = np.array([0.1, 0.2, 0.7], dtype=np.float32) * np.float32(1 + 1e-5)  # within sqrt(eps32)
    out = f_divergence(p, np.full(3, 1 / 3, dtype=np.float32))
    assert out.dtype == np.float32 and np.isfinite(out)


@pytest.mark.parametrize("kind, alpha", SPECS, ids=SPEC_IDS)
@pytest.mark.parametrize("t", [1e-150, 3.0, 1e150])
def test_equal_masses_scale_the_divergence(kind, alpha, t, xp, rng):
    # D_f is a sum of perspectives q f(p/q): positively homogeneous of degree 1
    p, q = rng.random(6) + 0.05, rng.random(6) + 0.05
    p, q = p / p.sum(), q / q.sum()
    unit = float(f_divergence(xp.asarray(p), xp.asarray(q), kind, **_kw(alpha)))
    scaled = float(f_divergence(xp.asarray(t * p), xp.asarray(t * q), kind, **_kw(alpha)))
    assert scaled == pytest.approx(t * unit, rel=1e-12, abs=1e-300)
