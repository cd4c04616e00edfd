"""Timing helper and the result record shared by every benchmark area."""

from __future__ import annotations

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
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best
