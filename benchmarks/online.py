"""Online Sinkhorn: time and peak memory of ``sinkhorn_points`` on large clouds.

Problem: n = m points in R^2, x ~ N(0, I), y ~ N((1, 1), I), eps = 0.05, p = 2.
Each case runs in a fresh Python process so that its peak resident memory
(``VmHWM``, the whole process: interpreter, NumPy and the clouds included) is its
own (``ru_maxrss`` would carry the parent's peak over fork and exec). n = 10^4 (3000 in quick mode): a full solve to marginal error 1e-3. n = 10^5 (full run only):
one Sinkhorn iteration (two blockwise log-sum-exp passes over 10^10 pairs), whose
time gives the cost of an iteration on this CPU; a full solve is that times the
iteration count. No peer runs here: GeomLoss needs KeOps for this size.

Target (BENCHMARKS.md): peak memory < 1 GB at n = 10^5.
"""

from __future__ import annotations

import json
import subprocess
import sys

from ._timing import Row

CHILD = r"""
import json, resource, sys, time
import numpy as np
import divergences
from divergences.entropic import _online, points
n, mode = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(0)
x, y = rng.normal(size=(n, 2)), rng.normal(1.0, 1.0, size=(n, 2))
start = time.perf_counter()
if mode == "solve":
    r = divergences.sinkhorn_points(x, y, eps=0.05, tol=1e-3)
    out = dict(n_iter=r.n_iter, error=r.marginal_error, value=float(r.value))
else:  # one iteration of the map, at eps = 0.05
    pb, _ = points.cloud_problem(x, y, None, None, 2.0, None, None, divergences._backend.np_namespace())
    s = _online.OnlineMap.at(pb, np.zeros(n), 0.05).start()
    out = dict(n_iter=1, error=float(s.error), value=float("nan"))
out["seconds"] = time.perf_counter() - start
try:  # VmHWM: this process image's own peak; ru_maxrss keeps the parent's peak across fork + exec
    hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
    out["peak_mb"] = int(hwm.split()[1]) / 1024
except OSError:  # not Linux
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def _measure(n: int, mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(n), mode], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[Row]:
    cases = [(3000, "solve")] if quick else [(10**4, "solve"), (10**5, "one iteration")]
    rows = []
    for n, mode in cases:
        m = _measure(n, mode)
        verdict = "met" if m["peak_mb"] < 1000 else "MISSED"
        note = (f"{mode}: {m['n_iter']} it, marginal error {m['error']:.1e}, "
                f"{m['seconds'] / m['n_iter']:.2f} s/it, peak RSS {m['peak_mb']:.0f} MB "
                f"(target < 1000 MB: {verdict})")
        rows.append(Row("online", n, m["seconds"], "no peer (KeOps)", float("nan"), float("nan"), note))
    return rows
