"""Timing helper and the result record shared by every benchmark area."""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Row:
    """One measurement: ours against one peer on one problem size."""

    area: str
    n: int
    ours_s: float
    peer: str
    peer_s: float
    value_diff: float  # |our value - peer value|
    note: str = ""  # further accuracy information (e.g. our duality gap)
    target: float | None = None  # the ratio ours/peer we aim to stay under

    @property
    def ratio(self) -> float:
        return self.ours_s / self.peer_s

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def best_time(fn: Callable[[], Any], repeats: int = 3, warmup: int = 1) -> float:
    """Best wall-clock seconds of ``repeats`` calls of ``fn``, after ``warmup`` calls."""
    return best_times({"fn": fn}, repeats, warmup)["fn"]


def best_times(fns: dict[str, Callable[[], Any]], repeats: int = 3, warmup: int = 1) -> dict[str, float]:
    """Best seconds of each callable, the repeats interleaved (ours, peer, ours, peer, ...)
    so that a burst of load on a shared machine hits all of them alike."""
    return {name: min(ts) for name, ts in all_times(fns, repeats, warmup).items()}


def median_times(fns: dict[str, Callable[[], Any]], repeats: int = 7, warmup: int = 1) -> dict[str, float]:
    """Median seconds of interleaved repeats: steadier than the best where one call's
    own run-to-run spread (the network simplex: +-20%) exceeds the margin measured."""
    return {name: statistics.median(ts) for name, ts in all_times(fns, repeats, warmup).items()}


def all_times(fns: dict[str, Callable[[], Any]], repeats: int, warmup: int) -> dict[str, list[float]]:
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times
