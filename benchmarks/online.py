"""Online Sinkhorn: pairs per second of the blockwise soft-min, and full solves.

Problem: n = m points uniform in the unit cube (d = 3), eps = 0.01 (1/300 of the
squared diameter), p = 2. Each case runs in a fresh Python process so that its peak
resident memory (``VmHWM``: interpreter, libraries and clouds included) is its own.

- "pairs/s" rows: one iteration of the Sinkhorn map (two soft-min passes over n^2
  pairs), ours (float32 blocks of 2^18 entries in PyTorch, both cores) against the
  kernel the library used before: float64 NumPy blocks of 2^22 entries, the same
  expansion of the cost. Repeats interleaved (ours, previous, ours, ...), best of 3.
  n = 1000 (quick), 10^4; at 10^5 ours only (the previous kernel needs ~160 s).
- "solve" row: ``sinkhorn_points`` to marginal error 1e-3 at n = 1000 (quick) or 10^4.

- "KeOps" row (full run, where pykeops is installed): one iteration, ours against KeOps'
  log-sum-exp reduction in float32 on the same clouds, the kernel of GeomLoss's
  ``backend="online"`` (compilation excluded), and the largest difference of the two
  soft-mins in units of eps. A KeOps that is missing or fails to compile skips the row.

Figures on the shared 2-core machine are measured under load (other jobs running):
compare ratios, not absolute times.
"""

from __future__ import annotations

import json
import subprocess
import sys

from ._timing import Row

CHILD = r"""
import json, sys, time
import numpy as np
import divergences
from divergences.entropic import _online, points
from divergences._backend import np_namespace
n, mode = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(0)
x, y = rng.random((n, 3)), rng.random((n, 3))
eps = 0.01
out = {}
if mode == "keops":  # GeomLoss's online backend kernel: KeOps' reduction, float32, as GeomLoss runs it
    import torch
    from divergences._backend import to_numpy
    from pykeops.torch import LazyTensor
    pb, _ = points.cloud_problem(x, y, None, None, 2.0, None, None, np_namespace())
    X, Y = (torch.as_tensor(to_numpy(t), dtype=torch.float32) for t in (pb.x, pb.y))
    w = torch.full((n,), 1.0 / n)
    def keops_softmin(h, A, B):
        log_w = LazyTensor((h / eps + torch.log(w))[None, :, None])
        C = ((LazyTensor(A[:, None, :]) - LazyTensor(B[None, :, :])) ** 2).sum(-1)
        return -eps * (log_w - C / eps).logsumexp(dim=1).view(-1)
    g = torch.zeros(n)
    def keops():
        return keops_softmin(keops_softmin(g, X, Y), Y, X)
    def ours():
        return _online.OnlineMap.at(pb, np.zeros(n), eps, True).start()
    keops()  # compiles the reduction (minutes the first time; cached after)
    ref = _online.softmin(np.zeros(n), pb.b, pb.x, pb.y, eps, 1.0, pb, True)
    out["f_diff_over_eps"] = float(np.abs(to_numpy(ref) - keops_softmin(g, X, Y).numpy()).max()) / eps
    times = {"ours": [], "keops": []}
    for _ in range(3):
        for k, fn in (("ours", ours), ("keops", keops)):
            t = time.perf_counter(); fn(); times[k].append(time.perf_counter() - t)
    out.update({k: min(v) for k, v in times.items()}, threads=torch.get_num_threads())
elif mode == "solve":
    start = time.perf_counter()
    r = divergences.sinkhorn_points(x, y, eps=eps, tol=1e-3, method="online")
    out = dict(seconds=time.perf_counter() - start, n_iter=r.n_iter, error=r.marginal_error)
else:
    pb, _ = points.cloud_problem(x, y, None, None, 2.0, None, None, np_namespace())
    g = np.zeros(n)
    def ours():
        return _online.OnlineMap.at(pb, g, eps, True).start()
    def previous():  # the NumPy float64 kernel with 2^22-entry blocks
        rows = max(1, 2**22 // n)
        def softmin(h, X, Y):
            shift = np.log(1 / n) + h / eps - (Y * Y).sum(1) / eps
            Yt = Y.T * (2 / eps)
            parts = []
            for i in range(0, n, rows):
                S = X[i:i + rows] @ Yt + shift
                mx = S.max(1, keepdims=True)
                parts.append(mx[:, 0] + np.log(np.exp(S - mx).sum(1)))
            return -eps * (np.concatenate(parts) - (X * X).sum(1) / eps)
        f = softmin(g, pb.x, pb.y)
        return softmin(f, pb.y, pb.x)
    if n >= 10**5:  # one timed call: warm up (compiled kernels, allocator) on a small problem first
        small, _ = points.cloud_problem(x[:2000], y[:2000], None, None, 2.0, None, None, np_namespace())
        _online.OnlineMap.at(small, np.zeros(2000), eps, True).start()
    fns = {"ours": ours} if mode == "ours" else {"ours": ours, "previous": previous}
    times = {k: [] for k in fns}
    for _ in range(1 if n >= 10**5 else 3):
        for k, fn in fns.items():
            t = time.perf_counter(); fn(); times[k].append(time.perf_counter() - t)
    out = {k: min(v) for k, v in times.items()}
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
out["peak_mb"] = int(hwm.split()[1]) / 1024
print(json.dumps(out))
"""


def _measure(n: int, mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(n), mode], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[Row]:
    rows = []
    for n in [1000] if quick else [10**4]:
        m = _measure(n, "pairs")
        rate = lambda s: 2 * n * n / s  # noqa: E731
        rows.append(Row("online pairs/s", n, m["ours"], "previous kernel (NumPy f64, 2^22 blocks)", m["previous"],
                        float("nan"), f"one iteration: ours {rate(m['ours']):.2e} pairs/s, previous "
                        f"{rate(m['previous']):.2e} pairs/s; measured under load", target=0.1))
    if not quick:
        m = _measure(10**5, "ours")
        rows.append(Row("online pairs/s", 10**5, m["ours"], "previous kernel (not run: ~160 s)", float("nan"),
                        float("nan"), f"one iteration: {2e10 / m['ours']:.2e} pairs/s, peak RSS "
                        f"{m['peak_mb']:.0f} MB; measured under load"))
    if not quick:
        rows += _keops_rows(10**4)
    n = 1000 if quick else 10**4
    m = _measure(n, "solve")
    rows.append(Row("online solve", n, m["seconds"], "no peer (KeOps)", float("nan"), float("nan"),
                    f"{m['n_iter']} it, marginal error {m['error']:.1e}, peak RSS {m['peak_mb']:.0f} MB; "
                    "measured under load"))
    return rows


def _keops_rows(n: int) -> list[Row]:
    """One iteration (two soft-min passes), ours against KeOps' reduction (GeomLoss's
    ``backend="online"`` kernel), where pykeops is installed and compiles."""
    try:
        m = _measure(n, "keops")
    except subprocess.CalledProcessError as err:
        print(f"online: KeOps row skipped ({err.stderr.strip().splitlines()[-1] if err.stderr else err})")
        return []
    rate = lambda s: 2 * n * n / s  # noqa: E731
    return [Row("online pairs/s", n, m["ours"], "KeOps reduction (GeomLoss online)", m["keops"],
                m["f_diff_over_eps"] * 0.01, f"one iteration: ours {rate(m['ours']):.2e} pairs/s, KeOps "
                f"{rate(m['keops']):.2e} pairs/s (torch threads {m['threads']}); soft-mins agree to "
                f"{m['f_diff_over_eps']:.1e} eps", target=1.0, regime="KeOps")]
