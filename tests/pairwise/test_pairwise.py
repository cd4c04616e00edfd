"""pairwise: every metric against its own function, symmetry and diagonals, the (N, M)
case, backends, bad input; on a 2-process LocalCluster: the same matrix as the serial
run, inputs rejected before any submission, and a worker killed mid-run."""

import math
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from divergences import f_divergence, qp_divergence, sinkhorn_divergence, sliced_wasserstein, solve, wasserstein
from divergences.pairwise import pairwise

FDIV = ["kl", "reverse_kl", "js", "tv", "pearson", "neyman", "hellinger", "jeffreys", "gan"]
ASYMMETRIC_FDIV = {"kl", "reverse_kl", "pearson", "neyman"}
POINT_METRICS = {
    "wasserstein": (wasserstein, {"p": 2}),
    "sinkhorn_divergence": (sinkhorn_divergence, {"eps": 0.5}),
    "sliced_wasserstein": (sliced_wasserstein, {"seed": 3, "n_projections": 16}),
}


def _histograms(n, bins, seed=0):
    h = np.random.default_rng(seed).random((n, bins)) + 0.05
    return h / h.sum(1, keepdims=True)


def _line_cost(bins):
    t = np.arange(bins, dtype=float)
    return np.abs(t[:, None] - t[None, :])


def _grid_cost(k):
    t = np.linspace(0.0, 1.0, k)
    g = np.stack(np.meshgrid(t, t), -1).reshape(-1, 2)
    return np.sqrt(((g[:, None] - g[None]) ** 2).sum(-1))


def _clouds(n, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(4 + k % 3, 2)) + k for k in range(n)]


def _weighted(clouds, seed=1):
    rng = np.random.default_rng(seed)
    out = []
    for x in clouds:
        w = rng.random(len(x)) + 0.1
        out.append((x, w / w.sum()))
    return out


def _np(x):
    return np.asarray(x.cpu()) if hasattr(x, "cpu") else np.asarray(x)


# -------------------------------------------------------------------- serial: values


def test_histogram_wasserstein_is_solve_value(xp):
    H, M = _histograms(4, 5), _line_cost(5)
    X, Mx = [xp.asarray(h) for h in H], xp.asarray(M)
    D = pairwise(X, M=Mx, progress=False)
    assert xp.owns(D) and D.dtype == xp.float64 and tuple(D.shape) == (4, 4)
    D = xp.to_numpy(D)
    for i in range(4):
        for j in range(i + 1, 4):
            assert D[i, j] == D[j, i] == float(solve(Mx, X[i], X[j]).value)
    assert np.all(np.diag(D) == 0)


@pytest.mark.parametrize("metric", list(POINT_METRICS))
@pytest.mark.parametrize("weighted", [False, True], ids=["uniform", "weighted"])
def test_point_metrics_are_their_functions(xp, metric, weighted):
    fn, kw = POINT_METRICS[metric]
    clouds = _clouds(3)
    measures = _weighted(clouds) if weighted else [(x, None) for x in clouds]
    X = [(xp.asarray(x), xp.asarray(w)) if weighted else xp.asarray(x) for x, w in measures]
    D = pairwise(X, metric=metric, progress=False, **kw)
    assert xp.owns(D) and D.dtype == xp.float64
    D = xp.to_numpy(D)
    for i in range(3):
        for j in range(i + 1, 3):
            (x, a), (y, b) = measures[i], measures[j]
            assert D[i, j] == D[j, i] == pytest.approx(float(fn(x, y, a, b, **kw)), rel=1e-12, abs=1e-12)
    assert np.all(np.diag(D) == 0)


@pytest.mark.parametrize("kind", FDIV)
def test_f_divergences_both_orders_where_asymmetric(xp, kind):
    H = _histograms(3, 6)
    D = xp.to_numpy(pairwise([xp.asarray(h) for h in H], metric=kind, progress=False))
    for i in range(3):
        for j in range(3):
            if i != j:
                assert D[i, j] == pytest.approx(float(f_divergence(H[i], H[j], kind)), rel=1e-12)
    if kind == "gan":  # f(1) = -log 4 times the mass, 1 up to round-off
        np.testing.assert_allclose(np.diag(D), -math.log(4), rtol=4e-16)
    else:
        assert np.all(np.diag(D) == 0)
    if kind not in ASYMMETRIC_FDIV:
        assert np.array_equal(D, D.T)
    else:
        assert not np.allclose(D, D.T)


@pytest.mark.parametrize("alpha, symmetric", [(0.5, True), (2.0, False)])
def test_alpha_divergence_symmetric_only_at_one_half(alpha, symmetric):
    H = _histograms(3, 6)
    D = pairwise(H, metric="alpha", alpha=alpha, progress=False)
    assert D[0, 1] == pytest.approx(float(f_divergence(H[0], H[1], "alpha", alpha=alpha)), rel=1e-12)
    assert np.array_equal(D, D.T) == symmetric


def test_qp_is_qp_divergence(xp):
    H, M = _histograms(3, 5), _line_cost(5)
    D = xp.to_numpy(pairwise([xp.asarray(h) for h in H], metric="qp", M=xp.asarray(M), lam=2.0, progress=False))
    assert D[0, 2] == D[2, 0] == pytest.approx(float(qp_divergence(H[0], H[2], M, lam=2.0)), rel=1e-12)
    assert np.all(np.diag(D) == 0)


def test_rectangular_matrix_on_two_supports():
    X, Y = _histograms(3, 4), _histograms(2, 3, seed=1)
    M = np.random.default_rng(2).random((4, 3))
    D = pairwise(X, Y, M=M, progress=False)
    assert D.shape == (3, 2)
    assert all(D[i, j] == float(solve(M, X[i], Y[j]).value) for i in range(3) for j in range(2))


def test_rectangular_point_clouds_bare_or_with_none_weights():
    X, Y = _clouds(3), _clouds(2, seed=5)
    D = pairwise(X, Y, metric="wasserstein", progress=False)
    assert D.shape == (3, 2) and D[2, 1] == float(wasserstein(X[2], Y[1]))
    assert np.array_equal(D, pairwise([(x, None) for x in X], Y, progress=False))


def test_asymmetric_cost_computes_both_orders_and_its_diagonal():
    H = _histograms(3, 4)
    M = np.random.default_rng(3).random((4, 4))  # neither symmetric nor zero on the diagonal
    D = pairwise(H, M=M, progress=False)
    assert all(D[i, j] == float(solve(M, H[i], H[j]).value) for i in range(3) for j in range(3))
    assert not np.allclose(D, D.T) and np.all(np.diag(D) > 0)


def test_stacked_array_list_and_float32():
    H, M = _histograms(3, 5), _line_cost(5)
    assert np.array_equal(pairwise(H, M=M, progress=False), pairwise(list(H), M=M, progress=False))
    D32 = pairwise(H.astype(np.float32), M=M.astype(np.float32), normalize=True, progress=False)
    assert D32.dtype == np.float32
    np.testing.assert_allclose(D32, pairwise(H, M=M, progress=False), rtol=1e-5, atol=1e-6)


def test_sliced_directions_do_not_depend_on_the_pair_or_a_generator_seed():
    X = _clouds(3)
    D = pairwise(X, metric="sliced_wasserstein", seed=7, progress=False)
    assert D[0, 2] == float(sliced_wasserstein(X[0], X[2], seed=7))
    G = pairwise(X, metric="sliced_wasserstein", seed=np.random.default_rng(0), progress=False)
    assert np.array_equal(G, pairwise(X, metric="sliced_wasserstein", seed=np.random.default_rng(0), progress=False))


def test_progress_only_when_asked(capsys):
    pairwise(_histograms(3, 4), metric="tv")
    assert capsys.readouterr().err == ""
    pairwise(_histograms(3, 4), metric="tv", progress=True)
    assert "pairwise tv: 100% 3/3 pairs" in capsys.readouterr().err


def test_serial_run_does_not_import_dask():
    code = (
        "import sys, numpy as np\n"
        "from divergences.pairwise import pairwise\n"
        "pairwise(np.eye(2), metric='tv', progress=False)\n"
        "assert 'distributed' not in sys.modules and 'dask' not in sys.modules\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


# -------------------------------------------------------------------- serial: bad input

H4, M4 = _histograms(3, 4), _line_cost(4)
BAD = [
    (dict(X=H4, metric="earth_mover"), ValueError, "metric must be one of"),
    (dict(X=H4, metric=None), TypeError, "metric must be a string"),
    (dict(X=[H4[0], (np.zeros((4, 1)), H4[1])], M=M4), ValueError, r"X\[1\] is a \(points, weights\) pair"),
    (dict(X=[H4[0], np.zeros((4, 2))], M=M4), ValueError, r"X\[1\] has shape \(4, 2\).*mixed kinds"),
    (dict(X=[H4[0], _histograms(1, 5)[0]], M=M4), ValueError, r"X\[1\] has 5 bins while X\[0\] has 4"),
    (dict(X=H4, M=M4[:3]), ValueError, r"M: shape \(3, 4\) does not match the 4-bin support"),
    (dict(X=H4, Y=_histograms(2, 3), M=M4), ValueError, r"M: shape \(4, 4\) does not match the supports \(4 bins in X, 3 in Y\)"),
    (dict(X=H4, Y=_histograms(2, 3), metric="kl"), ValueError, r"Y\[0\] has 3 bins while X has 4"),
    (dict(X=H4, M=M4, metric="sinkhorn_divergence", eps=1.0), ValueError, "compares point clouds"),
    (dict(X=H4, metric="qp"), ValueError, "needs M"),
    (dict(X=H4, M=M4 + np.eye(4), metric="qp"), ValueError, "M is the distance matrix D.*zero diagonal"),
    (dict(X=[H4[0], 2 * H4[1]], M=M4), ValueError, r"X\[1\] has total mass 2 while X\[0\] has 1"),
    (dict(X=[H4[0], 2 * H4[1]], metric="js"), ValueError, r"X\[1\] has total mass 2 while X\[0\] has 1: metric='js'"),
    (dict(X=2 * H4, M=M4, metric="qp"), ValueError, r"X\[0\] must sum to 1"),
    (dict(X=H4, M=M4, p=0.5), ValueError, "p must be a finite number >= 1"),
    (dict(X=H4, M=M4 - 1, p=2), ValueError, "M has negative entries, but with p = 2"),
    (dict(X=H4, M=M4, normalize="yes"), TypeError, "normalize must be True or False"),
    (dict(X=[H4[0], -H4[1]], M=M4), ValueError, r"X\[1\] has negative entries"),
    (dict(X=[np.zeros((3, 2)), np.zeros((3, 3))]), ValueError, r"X\[1\] has points in dimension 3 while X\[0\] has dimension 2"),
    (dict(X=[np.zeros((3, 2)), (np.zeros((2, 2)), np.ones(3))]), ValueError, r"X\[1\] weights must have 2 entries"),
    (dict(X=[np.zeros((3, 2)), (np.zeros((2, 2)), np.ones(2))]), ValueError, r"X\[1\] has total mass 2 while X\[0\] has 1"),
    (dict(X=[np.zeros((3, 2)), np.full((2, 2), np.nan)]), ValueError, r"X\[1\] contains NaN"),
    (dict(X=[]), ValueError, "X is empty"),
    (dict(X=3.0), TypeError, "X must be a sequence of measures"),
    (dict(X=_clouds(2), metric="sinkhorn_divergence"), TypeError, r"needs eps=\.\.\."),
    (dict(X=_clouds(2), metric="wasserstein", blur=1.0), TypeError, "takes the options of divergences.wasserstein"),
    (dict(X=H4, M=M4, a=H4[0]), TypeError, r"takes p \(the order of W_p\) and the options of divergences.solve"),
    (dict(X=H4, metric="alpha"), ValueError, "alpha must be given"),
    (dict(X=_clouds(2), metric="sliced_wasserstein", seed="x"), TypeError, "seed must be"),
    (dict(X=H4, M=M4, chunk_size=0), ValueError, "chunk_size must be a positive integer"),
    (dict(X=H4, M=M4, client="tcp://scheduler:8786"), TypeError, "client must be a dask.distributed.Client"),
]


@pytest.mark.parametrize("kwargs, error, match", BAD, ids=[m for _, _, m in BAD])
def test_bad_input_is_named(kwargs, error, match):
    if "client" in kwargs:
        pytest.importorskip("distributed")
    kwargs = dict(kwargs)
    X = kwargs.pop("X")
    with pytest.raises(error, match=match):
        pairwise(X, progress=False, **kwargs)


# -------------------------------------------------------------------- on a LocalCluster


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        # The first exact solve imports POT (seconds): do it before any test times in.
        client.run(exec, "import ot.lp.emd_wrap")
        yield client


CLUSTER_CASES = [
    ("wasserstein", "histograms", {}),
    ("wasserstein", "points", {"p": 2}),
    ("sinkhorn_divergence", "points", {"eps": 0.5}),
    ("sliced_wasserstein", "points", {"seed": 3}),
    ("qp", "histograms", {"lam": 0.5}),
    ("alpha", "histograms", {"alpha": 2.0}),
] + [(kind, "histograms", {}) for kind in FDIV]


@pytest.mark.parametrize("metric, kind, kw", CLUSTER_CASES, ids=[f"{m}-{k}" for m, k, _ in CLUSTER_CASES])
def test_cluster_equals_serial(client, metric, kind, kw):
    if kind == "points":
        X, extra = _weighted(_clouds(5)), {}
    else:
        X, extra = _histograms(5, 6), {"M": _line_cost(6)}
    serial = pairwise(X, metric=metric, progress=False, **extra, **kw)
    D = pairwise(X, metric=metric, client=client, chunk_size=3, progress=False, **extra, **kw)
    assert np.array_equal(D, serial)
    if metric not in ASYMMETRIC_FDIV | {"alpha"}:
        assert np.array_equal(D, D.T)
    if metric != "gan":
        assert np.all(np.diag(D) == 0)


def test_cluster_rectangular_torch_and_default_chunks(client, capsys):
    torch = pytest.importorskip("torch")
    X, Y = _histograms(4, 5), _histograms(3, 5, seed=1)
    serial = pairwise(X, Y, metric="kl", progress=False)
    assert np.array_equal(pairwise(X, Y, metric="kl", client=client, progress=True), serial)
    assert "pairwise kl: 100% 12/12 pairs" in capsys.readouterr().err
    Xt, Yt = [torch.from_numpy(h) for h in X], [torch.from_numpy(h) for h in Y]
    D = pairwise(Xt, Yt, metric="kl", client=client, progress=False)  # computed in torch on the workers
    assert isinstance(D, torch.Tensor) and D.dtype == torch.float64
    assert torch.equal(D, pairwise(Xt, Yt, metric="kl", progress=False))


@pytest.mark.parametrize("kwargs, error, match", BAD[:-1], ids=[m for _, _, m in BAD[:-1]])
def test_cluster_rejects_bad_input_before_submitting(client, monkeypatch, kwargs, error, match):
    def forbidden(*args, **kw):
        raise AssertionError("a task or data reached the cluster")

    for method in ("scatter", "submit", "map", "compute"):
        monkeypatch.setattr(client, method, forbidden)
    kwargs = dict(kwargs)
    X = kwargs.pop("X")
    with pytest.raises(error, match=match):
        pairwise(X, client=client, progress=False, **kwargs)


def test_closed_client_is_rejected(client):
    from distributed import Client

    closed = Client(client.scheduler.address)
    closed.close()
    with pytest.raises(ValueError, match="client is closed"):
        pairwise(H4, M=M4, client=closed, progress=False)


def test_worker_killed_mid_run_loses_no_work(client):
    """SIGKILL one worker while it runs a task: its running task and any results it
    held are gone and must be recomputed on the other worker."""
    M = _grid_cost(12)
    H = _histograms(16, M.shape[0], seed=4) ** 3
    H /= H.sum(1, keepdims=True)
    serial = pairwise(H, M=M, progress=False)
    pids = client.run(os.getpid)
    with ThreadPoolExecutor(1) as pool:
        run = pool.submit(pairwise, H, M=M, client=client, chunk_size=2, progress=False)
        victim = _busy_worker(client, deadline=time.monotonic() + 60)
        os.kill(pids[victim], signal.SIGKILL)
        assert not run.done(), "the run ended before the worker was killed"
        D = run.result(timeout=120)
    assert np.array_equal(D, serial)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker
    assert pids[victim] not in client.run(os.getpid).values()


def test_a_chunk_cancelled_mid_run_is_computed_again(client, monkeypatch):
    """A chunk whose future comes back cancelled (seen after a worker was killed under
    load) is submitted once more, with its inputs, and the values are complete."""
    H, M = _histograms(8, 5, seed=5), _line_cost(5)
    serial = pairwise(H, M=M, progress=False)
    submit = type(client).submit

    def cancel_the_first_chunk(self, *args, key=None, **kwargs):
        future = submit(self, *args, key=key, **kwargs)
        if key is not None and key.endswith("-0"):
            self.cancel([future])
        return future

    monkeypatch.setattr(type(client), "submit", cancel_the_first_chunk)
    D = pairwise(H, M=M, client=client, chunk_size=3, progress=False)
    assert np.array_equal(D, serial)


def _busy_worker(client, deadline):
    """A worker now running a pairwise task."""
    while time.monotonic() < deadline:
        for worker, keys in client.processing().items():
            if any(str(key).startswith("pairwise-") for key in keys):
                return worker
        time.sleep(0.005)
    raise AssertionError("no worker ever ran a pairwise task")


def test_histograms_without_their_cost_are_rejected():
    H = [np.array([0.5, 0.5, 0.0]), np.array([0.2, 0.3, 0.5])]
    with pytest.raises(ValueError, match="reads as histograms, but no M was given"):
        pairwise(H, progress=False)
    # the same numbers as points on the line, said explicitly
    D = pairwise([(h, None) for h in H], progress=False)
    assert D[0, 1] == pytest.approx(float(wasserstein(H[0], H[1])))


def test_histograms_of_equal_mass_without_their_cost_are_rejected_too():
    counts = np.array([[3, 0, 2, 1], [1, 4, 0, 1], [0, 0, 6, 0]])  # three histograms of 6 counts
    with pytest.raises(ValueError, match="reads as histograms, but no M was given"):
        pairwise(counts)
    with pytest.raises(ValueError, match="reads as histograms, but no M was given"):
        pairwise([h / 6 for h in counts[:1]])  # one histogram: mass 1
    # samples on the line: their sums differ, or a single one does not sum to 1
    samples = [np.array([0.1, 2.0, 0.7]), np.array([1.5, 0.2, 3.0])]
    D = pairwise(samples)
    assert D[0, 1] == pytest.approx(float(wasserstein(samples[0], samples[1])), rel=1e-14)
    assert pairwise(samples[:1]).shape == (1, 1)
