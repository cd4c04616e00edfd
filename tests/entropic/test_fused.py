"""The compiled float32 soft-min sums (numba) against float64 NumPy, and sinkhorn_points
through them against the same calls through the array libraries."""

import numpy as np
import pytest

from divergences import _backend, sinkhorn_points
from divergences.entropic import _multiscale as ms

pytest.importorskip("numba")
from divergences.entropic import _fused  # noqa: E402
from divergences.entropic._cells import Kept  # noqa: E402


def _reference(Xa, Ya, floor):
    E = np.maximum(Xa.astype(np.float64) @ Ya.astype(np.float64).T, floor)
    return np.exp(E)


def test_exponential_over_the_float32_range():
    # one column of ones: row i's sum is exp(max(z_i, -87)) for z_i over the whole range
    z = np.linspace(-100.0, 88.0, 200_001).astype(np.float32)
    Xa = np.stack([z, np.ones_like(z)], axis=1)
    Ya = np.array([[1.0, 0.0]], dtype=np.float32)
    got = _fused.exp_row_sums(Xa, Ya, -87.0)
    want = np.exp(np.maximum(z.astype(np.float64), -87.0))
    assert np.max(np.abs(got / want - 1)) < 6e-7  # a few float32 ulps


@pytest.mark.parametrize("threads", [1, 2])
def test_row_sums_over_all_columns(rng, threads):
    Xa = rng.standard_normal((90, 5)).astype(np.float32)
    Ya = rng.standard_normal((70, 5)).astype(np.float32)
    got = _fused.exp_row_sums(Xa, Ya, -87.0, threads)
    np.testing.assert_allclose(got, _reference(Xa, Ya, -87.0).sum(1), rtol=2e-6)


def _kept(rng, cells, m):
    """Row cells of 7 rows, each seeing its own sorted subset of the m columns, and
    those subsets as runs of consecutive columns (first, lo, hi)."""
    starts = np.arange(0, 7 * cells, 7)
    cols = [np.sort(rng.choice(m, size=int(rng.integers(0, m // 2)), replace=False)) for _ in starts]
    runs = [np.split(c, np.flatnonzero(np.diff(c) != 1) + 1) if len(c) else [] for c in cols]
    lo = np.array([r[0] for cell in runs for r in cell], dtype=np.int64)
    hi = np.array([r[-1] + 1 for cell in runs for r in cell], dtype=np.int64)
    first = np.concatenate([[0], np.cumsum([len(cell) for cell in runs])]).astype(np.int64)
    return cols, starts, first, lo, hi


@pytest.mark.parametrize("threads", [1, 2])
def test_local_row_sums_over_kept_columns(rng, threads):
    # clouds far from the origin, cells of 7 rows 0.02 wide, potentials with a large
    # gauge: exponents formed in the clouds' coordinates would carry float32 errors of
    # 2^-24 |x|^2 / eps ~ 2e-4; formed in the cells', of 2^-24 |y - c|^2 / eps ~ 1e-6
    n, m, d, eps = 84, 70, 3, 2e-2
    X = np.repeat(5 + 0.3 * rng.random((n // 7, d)), 7, axis=0) + 0.02 * rng.random((n, d))
    Y = 5 + 0.3 * rng.random((m, d))
    hw = 40 + 0.1 * rng.random(m)
    cols, starts, first, lo, hi = _kept(rng, n // 7, m)
    centres = np.stack([X[s:s + 7].mean(0) for s in starts])
    C = ((X[:, None] - Y[None]) ** 2).sum(-1)
    B = np.concatenate([np.full(7, np.max(hw[c] - C[s:s + 7][:, c]) if len(c) else 40.0)
                        for s, c in zip(starts, cols)])
    counts = np.array([len(c) for c in cols], dtype=np.int64)
    kept = Kept(starts, starts + 7, first, lo, hi, counts, centres, 0.0)
    assert all(np.array_equal(kept.columns(k), c) for k, c in enumerate(cols))
    got = _fused.local_row_sums(X, Y, hw, B, eps, kept, -87.0, threads)
    E = np.maximum((hw[None] - C - B[:, None]) / eps, -87.0)
    want = np.concatenate([np.exp(E[s:s + 7][:, c]).sum(1) for s, c in zip(starts, cols)])
    significant = want > 1e-30
    np.testing.assert_allclose(got[significant], want[significant], rtol=1e-5)
    assert np.all(got[[i for s, c in zip(starts, cols) if len(c) == 0 for i in range(s, s + 7)]] == 0)


def test_overflow_and_nan_are_not_finite():
    # exponents past 88 (2^n would wrap the float32 exponent bits) come out inf, not a finite number
    Xa = np.array([[np.inf, 1.0], [np.nan, 1.0], [1.0, 1.0], [200.0, 1.0], [88.5, 0.0]], dtype=np.float32)
    got = _fused.exp_row_sums(Xa, np.ones((3, 2), np.float32), -87.0)
    assert not np.isfinite(got[0]) and np.isnan(got[1]) and got[2] == pytest.approx(3 * np.exp(2.0), rel=1e-6)
    assert got[3] == np.inf and got[4] == np.inf


@pytest.mark.parametrize("method", ["online", "multiscale"])
def test_sinkhorn_points_agrees_with_the_library_path(rng, method, monkeypatch):
    monkeypatch.setattr(ms, "CELL_POINTS", 6)
    x, y = rng.random((150, 3)), rng.random((120, 3))
    runs = {}
    for compiled in (True, False):
        monkeypatch.setattr(_backend, "COMPILED", compiled)
        runs[compiled] = sinkhorn_points(x, y, eps=4e-3, tol=1e-6, method=method)
    fused, plain = runs[True], runs[False]
    assert fused.converged and plain.converged
    assert float(fused.value) == pytest.approx(float(plain.value), rel=1e-6)
    assert float(fused.lower) <= float(plain.value) * (1 + 1e-6) <= float(fused.upper) * (1 + 2e-6)


def test_identical_at_any_thread_count(rng, monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(ms, "CELL_POINTS", 6)
    x, y = rng.random((150, 2)), rng.random((130, 2))
    before = torch.get_num_threads()
    try:
        runs = []
        for threads in (1, 2):
            torch.set_num_threads(threads)
            runs.append(sinkhorn_points(x, y, eps=5e-3, tol=1e-6, method="multiscale"))
    finally:
        torch.set_num_threads(before)
    assert np.array_equal(np.asarray(runs[0].f), np.asarray(runs[1].f)) and runs[0].n_iter == runs[1].n_iter


@pytest.mark.parametrize("eps", [1.0, 0.1, 0.01])
def test_dense_finish_compiled_agrees_with_the_array_path(rng, eps, monkeypatch):
    # the two compiled sweeps of the dense finish against the blocked array passes:
    # plan, value and bracket to round-off, and the bracket holds the exact OT (with
    # the compiled kernel rebuild: the same switch)
    from divergences import sinkhorn, solve

    x, y = rng.random((60, 2)), rng.random((45, 2)) + 0.3
    M = ((x[:, None] - y[None]) ** 2).sum(-1) * 7.0 + 2.0  # an offset and a scale to normalise
    a, b = rng.random(60) + 0.1, rng.random(45) + 0.1
    a, b = a / a.sum(), b / b.sum()
    runs = {}
    for compiled in (True, False):
        monkeypatch.setattr(_backend, "COMPILED", compiled)
        runs[compiled] = sinkhorn(M, a, b, eps=eps, tol=1e-9)
    fused, plain = runs[True], runs[False]
    # entries of 1e-177 carry the rounding of their exponent (-400 at eps = 0.01)
    np.testing.assert_allclose(fused.plan, plain.plan, rtol=1e-10, atol=0)
    for name in ("value", "lower", "upper", "entropic_value"):
        assert float(getattr(fused, name)) == pytest.approx(float(getattr(plain, name)), rel=1e-12)
    exact = float(solve(M, a, b).value)
    assert float(fused.lower) <= exact <= float(fused.upper)


@pytest.mark.parametrize("eps", [1.0, 0.1, 1e-3])
@pytest.mark.parametrize("rho", [None, 0.5])
def test_kernel_rebuild_compiled_agrees_with_the_array_path(rng, eps, rho, monkeypatch):
    # the two compiled sweeps of the kernel rebuild against the blocked array passes,
    # with a zero weight (a column of zeros), entries that underflow to 0 at 1e-3 and
    # a potential g far from 0 (the row maxima carry it)
    from divergences.entropic import _kernel
    from divergences.entropic._units import NormalisedCost

    M = rng.random((70, 50)) * 9.0 + 2.0
    a, b = rng.random(70) + 0.1, rng.random(50) + 0.1
    b[7] = 0.0
    pb = _kernel.Problem(NormalisedCost(M, 2.0, 9.0), a / a.sum(), b / b.sum(), rho, np)
    g = rng.standard_normal(50) * 3.0 + 40.0
    kernels = {}
    for compiled in (True, False):
        monkeypatch.setattr(_backend, "COMPILED", compiled)
        kernels[compiled] = _kernel.rebuild(pb, g, eps)
    fused, plain = kernels[True], kernels[False]
    assert np.all(fused.K[:, 7] == 0.0) and (eps > 0.01 or np.any(plain.K == 0.0))
    np.testing.assert_array_equal(fused.K == 0.0, plain.K == 0.0)
    np.testing.assert_allclose(fused.K, plain.K, rtol=1e-13, atol=0)
    np.testing.assert_allclose(fused.f0, plain.f0, rtol=1e-13, atol=1e-13 * eps)
    np.testing.assert_allclose(fused.a_eff, plain.a_eff, rtol=1e-13)
