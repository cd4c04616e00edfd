"""sinkhorn_points(method="multiscale") and the fast online kernel, against the
dense solver, the exact LP and brute force."""

import numpy as np
import pytest
from scipy.special import logsumexp

from divergences import sinkhorn, sinkhorn_points, solve
from divergences._backend import np_namespace
from divergences.entropic import _multiscale as ms
from divergences.entropic import _online as o
from divergences.entropic import points


def _clouds(rng, n, m, d=2):
    return rng.random((n, d)), rng.random((m, d)) * 0.8 + 0.1


def _brute_softmin(h, w, X, Y, eps):
    C = ((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1)
    return -eps * logsumexp(np.log(w)[None, :] + (h[None, :] - C) / eps, axis=1)


@pytest.mark.parametrize("fast, rel", [(False, 1e-12), (True, 2e-5)])
def test_online_softmin_matches_brute_force(rng, fast, rel):
    x, y = _clouds(rng, 70, 50, 3)
    pb, _ = points.cloud_problem(x, y, None, None, 2.0, None, 16, np_namespace())
    h, eps = rng.random(50) * 0.1, 0.01
    got = np.asarray(o.softmin(h, pb.b, pb.x, pb.y, eps, 1.0, pb, fast))
    want = _brute_softmin(h, np.asarray(pb.b), np.asarray(pb.x), np.asarray(pb.y), eps)
    # float32 blocks: the error is the rounding of exponents of size diameter^2/eps
    np.testing.assert_allclose(got, want, rtol=0, atol=rel * 3 * (1 + 3 / eps) * eps)


def test_multiscale_truncates_and_agrees_with_dense(rng, xp, monkeypatch):
    monkeypatch.setattr(ms, "CELL_POINTS", 5)
    x, y = _clouds(rng, 70, 60)
    eps = 4e-3
    M = ((x[:, None] - y[None]) ** 2).sum(-1)
    dense = sinkhorn(M, eps=eps, tol=1e-7)
    r = sinkhorn_points(xp.asarray(x), xp.asarray(y), eps=eps, tol=1e-7, method="multiscale")
    assert r.converged and xp.owns(r.value) and r.method == "sinkhorn_points_multiscale"
    assert float(xp.to_numpy(r.value)) == pytest.approx(float(dense.value), rel=1e-6)
    assert float(xp.to_numpy(r.entropic_value)) == pytest.approx(float(dense.entropic_value), rel=1e-7)
    shift = xp.to_numpy(r.f) - np.asarray(dense.f)  # potentials are defined up to f + c, g - c
    assert np.ptp(shift) <= 1e-4 * eps
    exact = float(solve(M).value)
    lower, upper = float(xp.to_numpy(r.lower)), float(xp.to_numpy(r.upper))
    assert lower <= exact * (1 + 1e-12) and exact <= upper * (1 + 1e-12)
    assert upper - lower <= 0.3 * exact
    # the truncation dropped blocks: the run was not the full kernel in disguise
    pb, _ = points.cloud_problem(x, y, None, None, 2.0, None, None, np_namespace())
    out = ms.solve(pb.kernel, eps, 1e-7, 2000, ms.theta_for(1e-7), 2.0)
    assert 0.05 < out.sup.pairs.fraction() < 0.9


def test_auto_rule():
    pb, _ = points.cloud_problem(np.zeros((9000, 2)), np.ones((8000, 2)), None, None, 2.0, None, None, np_namespace())
    assert points._method("auto", pb, 1e-3) == "multiscale"
    assert points._method("auto", pb, 0.1) == "online"
    small, _ = points.cloud_problem(np.zeros((90, 2)), np.ones((80, 2)), None, None, 2.0, None, None, np_namespace())
    assert points._method("auto", small, 1e-3) == "online"
    with pytest.raises(ValueError, match="balanced"):
        sinkhorn_points(np.zeros((3, 2)), np.ones((3, 2)), eps=0.1, unbalanced=1.0, method="multiscale")
    with pytest.raises(ValueError, match="method"):
        sinkhorn_points(np.zeros((3, 2)), np.ones((3, 2)), eps=0.1, method="sparse")


@pytest.mark.parametrize("method", ["online", "multiscale"])
def test_gradcheck(rng, method, monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(ms, "CELL_POINTS", 2)
    x0, y0 = _clouds(rng, 5, 4)
    x, y = torch.tensor(x0, requires_grad=True), torch.tensor(y0, requires_grad=True)
    fn = lambda x_, y_: sinkhorn_points(x_, y_, eps=0.1, tol=1e-11, method=method).entropic_value  # noqa: E731
    assert torch.autograd.gradcheck(fn, (x, y), eps=1e-6, atol=1e-6)


def test_fast_iterations_reach_the_float64_error(rng):
    x, y = _clouds(rng, 120, 100, 3)
    r = sinkhorn_points(x, y, eps=3e-3, tol=1e-7, method="online")
    M = ((x[:, None] - y[None]) ** 2).sum(-1)
    P = np.exp((np.asarray(r.f)[:, None] + np.asarray(r.g)[None] - M) / 3e-3) / (120 * 100)
    err = max(np.abs(P.sum(1) - 1 / 120).sum(), np.abs(P.sum(0) - 1 / 100).sum())
    assert r.converged and err <= 1e-7


@pytest.mark.parametrize("method", ["online", "multiscale"])
def test_identical_run_to_run(rng, method, monkeypatch):
    monkeypatch.setattr(ms, "CELL_POINTS", 4)
    x, y = _clouds(rng, 40, 30)
    runs = [sinkhorn_points(x, y, eps=5e-3, tol=1e-6, method=method) for _ in range(2)]
    assert np.array_equal(np.asarray(runs[0].f), np.asarray(runs[1].f))
    assert float(runs[0].value) == float(runs[1].value) and runs[0].n_iter == runs[1].n_iter


def test_kept_runs_list_every_kept_column(rng, monkeypatch):
    # the runs of a row cell are exactly the points of its kept column cells, in order
    from divergences.entropic import _cells

    x, y = _clouds(rng, 80, 70)
    cx = _cells.grid_cells(x, np.ones(80), 0.15)
    cy = _cells.grid_cells(y, np.ones(70), 0.15)
    pairs = _cells.slack_pairs(np.zeros(80), np.zeros(70), cx, cy, 2.0, 0.05)
    kept = _cells.kept_runs(pairs, cx, cy)
    for k in range(len(cx.start)):
        J = pairs.J[pairs.I == k]
        want = np.concatenate([np.arange(cy.start[j], cy.end[j]) for j in J]) if len(J) else np.zeros(0)
        assert np.array_equal(kept.columns(k), want) and kept.counts[k] == len(want)
    assert len(kept.lo) < len(pairs.I)  # neighbouring column cells merged into runs


@pytest.mark.parametrize("compiled", [True, False])
def test_indices_per_block_give_the_same_solve(rng, xp, compiled, monkeypatch):
    # above INDEX_ENTRIES kept columns (10^6-point supports) each row cell's indices are
    # formed as its block is read instead of once: the same numbers either way
    from divergences import _backend
    from divergences.entropic import _cells

    monkeypatch.setattr(ms, "CELL_POINTS", 6)
    monkeypatch.setattr(_backend, "COMPILED", compiled)
    x, y = _clouds(rng, 90, 80)
    runs = []
    for limit in (_cells.INDEX_ENTRIES, 0):
        monkeypatch.setattr(_cells, "INDEX_ENTRIES", limit)
        r = sinkhorn_points(xp.asarray(x), xp.asarray(y), eps=4e-3, tol=1e-6, method="multiscale")
        runs.append([float(xp.to_numpy(t)) for t in (r.value, r.lower, r.upper)] + [r.n_iter])
    assert runs[0] == runs[1]
