"""Pairwise exact W on a dask LocalCluster against the serial run of the same call.

Problem: N histograms, uniform random weights normalised to 1, on a k x k grid of
[0, 1]^2 with the Euclidean cost (N = 200 on 20 x 20 = 400 bins in the full run:
19,900 exact transports by the network simplex; N = 60 on 12 x 12 in the quick run).
Measured: one wall time each of ``pairwise(H, M=M, client=client)`` on a
``LocalCluster`` of 2 worker processes x 1 thread (ours) and of ``pairwise(H, M=M)``
in-process (peer), both after a warm-up call (POT's import, seconds, is not timed).
The workers run without dask's ``MALLOC_TRIM_THRESHOLD_`` (``NO_MALLOC_TRIM``).
The cluster's start-up is not timed either; the note gives it, the speedup and each
worker's peak resident memory (``ru_maxrss``) against its memory after the imports.
The note also gives the mean busy cores during each timed run, ours (this process
and the workers) and all processes': more than ours means that other work shared the
machine and the timing was disturbed. With more than 2 cores the full run adds rows
for 4, 8, ... workers: the scaling curve.

Target: speedup >= 1.7 on 2 workers at the full size (ratio ours/peer <= 1/1.7); the
quick run's pairs (1-2 ms each) are too cheap for it. The two matrices agree exactly
(value_diff = max |difference|).
"""

from __future__ import annotations

import os
import resource
import time

import numpy as np

from divergences.pairwise import pairwise

from ._timing import Row

FULL, QUICK = (200, 20), (60, 12)  # (histograms, grid side)
TARGET_SPEEDUP = 1.7


def _problem(n_hist: int, side: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0.0, 1.0, side)
    grid = np.stack(np.meshgrid(t, t), -1).reshape(-1, 2)
    M = np.sqrt(((grid[:, None, :] - grid[None, :, :]) ** 2).sum(-1))
    H = np.random.default_rng(seed).random((n_hist, side * side))
    return H / H.sum(1, keepdims=True), M


def _timed(fn, own_cpu) -> tuple[float, np.ndarray, str]:
    """Seconds, result, and the mean busy cores meanwhile: ours (``own_cpu()`` counts
    our CPU seconds) and the machine's. On a shared machine, more busy cores than ours
    means that other work competed for them."""
    ours0, all0, start = own_cpu(), _busy_seconds(), time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    ours, busy = (own_cpu() - ours0) / seconds, _busy_seconds()
    machine = "" if all0 is None else f", {(busy - all0) / seconds:.1f} all"
    return seconds, out, f"busy cores {ours:.1f} ours{machine} (of {os.cpu_count()})"


def _busy_seconds() -> float | None:
    """CPU seconds spent by all processes since boot (Linux), None elsewhere."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:8]]
    except OSError:
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def _mib(kib: float) -> float:
    return kib / 1024  # ru_maxrss is in KiB on Linux


# dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which turns off glibc's
# adaptive mmap threshold: every array above 128 KiB (a 400 x 400 plan is 1.25 MiB) is
# then a fresh mmap, page-faulted in at each solve, 20-25% slower per pair here.
# Unset (None), workers keep glibc's default, like the serial process (docs/pairwise.md).
NO_MALLOC_TRIM = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


def _distributed(H: np.ndarray, M: np.ndarray, workers: int) -> tuple[float, np.ndarray, str]:
    """Seconds of the run on a fresh LocalCluster, the matrix, and a note on start-up and memory."""
    import dask
    import psutil
    from distributed import Client, LocalCluster

    start = time.perf_counter()
    with dask.config.set(NO_MALLOC_TRIM), LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, Client(cluster) as client:
        startup = time.perf_counter() - start
        client.run(exec, "import ot.lp.emd_wrap")  # warm-up: the first solve imports POT
        after_imports = client.run(lambda: psutil.Process().memory_info().rss / 2**20)
        cpu = lambda: time.process_time() + sum(client.run(time.process_time).values())  # noqa: E731
        seconds, D, cores = _timed(lambda: pairwise(H, M=M, client=client, progress=False), cpu)
        peaks = client.run(resource.getrusage, resource.RUSAGE_SELF)
    peak = max(_mib(r.ru_maxrss) for r in peaks.values())
    base = max(after_imports.values())
    note = (f"start-up {startup:.1f} s (not timed); worker peak RSS {peak:.0f} MiB "
            f"({base:.0f} MiB after imports); {cores}")
    return seconds, D, note


def run(quick: bool = False) -> list[Row]:
    n_hist, side = QUICK if quick else FULL
    H, M = _problem(n_hist, side)
    pairwise(H[:2], M=M, progress=False)  # warm-up: imports POT here
    serial_s, serial, serial_cores = _timed(lambda: pairwise(H, M=M, progress=False), time.process_time)
    counts = [2] + ([] if quick else [k for k in (4, 8, 16, 32) if k <= (os.cpu_count() or 1)])
    rows = []
    for workers in counts:
        seconds, D, note = _distributed(H, M, workers)
        rows.append(Row(
            f"pairwise W ({workers} workers)", n_hist, seconds, "serial pairwise", serial_s,
            float(np.max(np.abs(D - serial))),
            f"{n_hist} histograms, {side * side} bins, {n_hist * (n_hist - 1) // 2} pairs; "
            f"speedup {serial_s / seconds:.2f}x; {note}; serial: {serial_cores}",
            1 / TARGET_SPEEDUP if (workers, quick) == (2, False) else None,  # the size only
        ))
    return rows
