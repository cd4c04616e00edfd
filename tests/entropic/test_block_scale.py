"""Block sizes per device (``_backend.block_scale``): cache-sized blocks on the CPU,
larger ones on an accelerator, and the same results whatever the blocks."""

import numpy as np
import pytest

import divergences
from divergences import _backend
from divergences.entropic import _finish, _kernel, points


def test_scale_is_one_on_the_cpu_and_larger_on_an_accelerator():
    torch = pytest.importorskip("torch")
    assert _backend.block_scale(np.zeros(3)) == 1
    assert _backend.block_scale(torch.zeros(3)) == 1
    # a tensor on a non-CPU device: the "meta" device stands in for a GPU here
    assert _backend.block_scale(torch.empty(3, device="meta")) == _backend.ACCELERATOR_BLOCK_SCALE > 1


@pytest.fixture
def accelerator_blocks(monkeypatch):
    """CPU input blocked as an accelerator's would be."""
    scale = _backend.ACCELERATOR_BLOCK_SCALE
    for module in (_kernel, _finish, points):
        monkeypatch.setattr(module, "block_scale", lambda x: scale)


def _gauss(n, seed=0):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, 2)), rng.normal(1.0, 1.0, size=(n, 2))
    return x, y, ((x[:, None] - y[None]) ** 2).sum(-1)


@pytest.mark.parametrize("eps", [1.0, 0.05])
def test_dense_solve_is_the_same_with_accelerator_blocks(eps, request, monkeypatch):
    _, _, M = _gauss(300)  # 9 10^4 entries: two blocks at the CPU size, one at the accelerator's
    monkeypatch.setattr(_backend, "COMPILED", False)  # the blocked array path, not the compiled sweeps
    cpu = divergences.sinkhorn(M, eps=eps)
    request.getfixturevalue("accelerator_blocks")
    acc = divergences.sinkhorn(M, eps=eps)
    assert acc.n_iter == cpu.n_iter
    np.testing.assert_allclose(np.asarray(acc.plan), np.asarray(cpu.plan), rtol=1e-9, atol=1e-15)
    for field in ("value", "lower", "upper"):
        assert float(getattr(acc, field)) == pytest.approx(float(getattr(cpu, field)), rel=1e-10, abs=1e-14)


def test_online_blocks_grow_with_the_scale(accelerator_blocks):
    x, y, _ = _gauss(50)
    pb, _ = points.cloud_problem(x, y, None, None, 2.0, None, None, _backend.np_namespace())
    assert pb.block == max(1, points.BLOCK_ENTRIES * _backend.ACCELERATOR_BLOCK_SCALE // 50)
