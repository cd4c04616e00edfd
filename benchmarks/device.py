"""``python -m benchmarks --device cuda``: the GPU rows of BENCHMARKS.md in one run.

All arrays are PyTorch tensors on the device; every timed call ends with a device
synchronisation. Rows (full run; ``--quick`` the sizes in brackets, as the test suite
runs them on the CPU):

- ``device 1d``: W_1 between n = 10^8 (10^5) float32 samples, u ~ N(0, 1),
  v ~ N(0.3, 1): ``wasserstein_1d`` against POT's ``wasserstein_1d`` on the same
  tensors, and against the floor of two ``torch.sort`` calls (target <= 1.5x the floor).
- ``device sinkhorn``: the dense problem of the CPU grid's "gauss eps=0.05" rows at
  n = 10^4 (300), float64, to an L1 marginal error of 1e-6 measured from each side's
  plan, against POT's ``sinkhorn``, ``sinkhorn_log`` and ``sinkhorn_stabilized`` on
  the device (:mod:`._pot_modes`; 30 s a mode, quick 0.5 s). Greenkhorn is left out:
  it updates one row an iteration, 10^4 launches a sweep. Target: <= 0.2 s.
- ``device online``: ``sinkhorn_points(method="online")`` between n = 10^5 (2000)
  float32 points uniform in the unit cube, eps = 0.01, p = 2, to a marginal error of
  1e-3; its pairs per second. No peer ran on the stock GPU image (BENCHMARKS.md:
  KeOps crashed generating code under CUDA 13), so the row has none. Target: <= 3 s.
- ``device dpp``: one exact sample of the DPP of an RBF likelihood kernel (bandwidth
  0.05) on n = 10^4 (300) points of the unit square, float64, against the floor of one
  ``torch.linalg.eigh`` (target <= 1.3x the floor).

Each row notes the block sizes the library used on the device
(``divergences._backend.block_scale``).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import replace
from typing import Any, Callable

import numpy as np

import divergences
from divergences import dpp
from divergences._backend import block_scale

from . import entropic
from ._timing import Grid, Row, best_times, synchronize

SIZES = {
    False: {"1d": 10**8, "sinkhorn": 10**4, "online": 10**5, "dpp": 10**4},
    True: {"1d": 10**5, "sinkhorn": 300, "online": 2000, "dpp": 300},
}
DENSE_MODES = ("sinkhorn", "sinkhorn_log", "sinkhorn_stabilized")
MODE_BUDGET = {False: 30.0, True: 0.5}
ONLINE_EPS, ONLINE_TOL = 0.01, 1e-3
TARGET_SECONDS = {"sinkhorn": 0.2, "online": 3.0}


def _synced(fn: Callable[[], Any], like: Any) -> Callable[[], Any]:
    def call():
        out = fn()
        synchronize(like)
        return out

    return call


def _blocks_note(x: Any) -> str:
    return f"block scale {block_scale(x)}"


def _one_d(n: int, dev: str, quick: bool) -> list[Row]:
    import torch

    g = torch.Generator(device=dev).manual_seed(0)
    u = torch.randn(n, device=dev, generator=g)
    v = torch.randn(n, device=dev, generator=g) + 0.3
    fns = {"ours": lambda: divergences.wasserstein_1d(u, v, p=1),
           "floor": lambda: (torch.sort(u), torch.sort(v))}
    try:
        import ot

        fns["POT"] = lambda: ot.wasserstein_1d(u, v, p=1)
    except ImportError:
        pass
    values = {k: float(fn()) for k, fn in fns.items() if k != "floor"}
    seconds = best_times({k: _synced(fn, u) for k, fn in fns.items()}, repeats=3 if quick else 5)
    rows = [Row("device 1d", n, seconds["ours"], "two torch.sort (floor)", seconds["floor"], math.nan,
                f"float32 on {dev}", 1.5, regime="uniform", floor=True)]
    if "POT" in fns:
        rows.append(Row("device 1d", n, seconds["ours"], "POT", seconds["POT"], abs(values["ours"] - values["POT"]),
                        f"float32 on {dev}", 1.0, regime="uniform", peer_mode="wasserstein_1d"))
    return rows


def _sinkhorn(n: int, dev: str, quick: bool) -> Row:
    import torch

    _, _, M = entropic.gaussians(n)
    Mt = torch.as_tensor(M, device=dev)
    row = entropic.sinkhorn_row(
        n, "gauss eps=0.05", Mt, 0.05, quick,
        modes=DENSE_MODES, area="device sinkhorn", mode_budget=MODE_BUDGET[quick],
    )
    target = f"target <= {TARGET_SECONDS['sinkhorn']} s"
    return replace(row, note=f"float64 on {dev}, {_blocks_note(Mt)}, {target}; {row.note}")


def _online(n: int, dev: str) -> Row:
    import torch

    rng = np.random.default_rng(0)
    x, y = (torch.as_tensor(rng.random((n, 3)), dtype=torch.float32, device=dev) for _ in range(2))

    def solve():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an unconverged solve shows in the row's error
            return divergences.sinkhorn_points(x, y, eps=ONLINE_EPS, tol=ONLINE_TOL, method="online")

    solve()  # warm-up: the device's kernels and the library's first calls
    synchronize(x)
    start = time.perf_counter()
    r = solve()
    synchronize(x)
    seconds = time.perf_counter() - start
    pairs = 2.0 * n * n * r.n_iter / seconds
    note = (f"float32 on {dev}, {_blocks_note(x)}, eps {ONLINE_EPS}, {r.n_iter} it, {pairs:.2e} pairs/s, "
            f"target <= {TARGET_SECONDS['online']} s; no peer: KeOps crashed on the stock image (BENCHMARKS.md)")
    return Row("device online", n, seconds, "none", math.nan, math.nan, note, regime="unit cube d=3",
               ours_err=float(r.marginal_error))


def _dpp(n: int, dev: str, quick: bool) -> Row:
    import torch

    pts = torch.as_tensor(np.random.default_rng(0).random((n, 2)), device=dev)
    L = dpp.rbf_kernel(pts, bandwidth=0.05)
    gen = np.random.default_rng(1)
    sizes: list[int] = []
    fns = {"ours": lambda: sizes.append(len(dpp.sample(L, seed=gen))), "floor": lambda: torch.linalg.eigh(L)}
    seconds = best_times({k: _synced(fn, L) for k, fn in fns.items()}, repeats=3)
    note = f"float64 on {dev}; E|Y| = {float(dpp.expected_size(L)):.1f}, mean |Y| {np.mean(sizes):.1f}"
    return Row("device dpp", n, seconds["ours"], "torch.linalg.eigh (floor)", seconds["floor"], math.nan, note,
               1.3, regime="likelihood L, RBF", floor=True)


def run(quick: bool = False, device: str = "cuda") -> list[Row]:
    """The device rows, each skipped (and listed) once the grid's budget is spent."""
    sizes = SIZES[quick]
    steps: list[tuple[str, Callable[[], list[Row]]]] = [
        ("1d", lambda: _one_d(sizes["1d"], device, quick)),
        ("sinkhorn", lambda: [_sinkhorn(sizes["sinkhorn"], device, quick)]),
        ("online", lambda: [_online(sizes["online"], device)]),
        ("dpp", lambda: [_dpp(sizes["dpp"], device, quick)]),
    ]
    rows: list[Row] = []
    for name, step in steps:
        if Grid.left() <= 0:
            Grid.skip(f"device {name} n={sizes[name]}")
            continue
        start = time.perf_counter()
        rows += step()
        print(f"device {name} n={sizes[name]} on {device}: {time.perf_counter() - start:.1f} s", flush=True)
    return rows
