"""Timing helper and the result record shared by every benchmark area."""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Row:
    """One measurement: ours against one peer (its fastest mode) on one problem."""

    area: str
    n: int
    ours_s: float
    peer: str
    peer_s: float
    value_diff: float  # |our value - peer value|
    note: str = ""  # further accuracy information (e.g. our duality gap)
    target: float | None = None  # the ratio ours/peer we aim to stay under
    regime: str = ""  # the problem's parameters other than n (eps / cost scale, weights, ...)
    ours_err: float = math.nan  # each side's accuracy, measured from its own output
    peer_err: float = math.nan
    peer_bound: bool = False  # peer_s is a lower bound: no peer mode reached the accuracy in its budget
    floor: bool = False  # the "peer" is a floor (two sorts), not a library: no win or loss
    peer_mode: str = ""  # the peer's fastest mode on this row (the others are in the note)

    @property
    def ratio(self) -> float:
        return self.ours_s / self.peer_s

    @property
    def verdict(self) -> str:
        """"win" / "LOSS" against the peer's fastest mode at equal accuracy (ratio <= 1);
        "win?" / "LOSS?" when the peer's time is only a lower bound (a loss there may
        not be one); "-" against a floor or where no peer ran."""
        if self.floor or not math.isfinite(self.ratio):
            return "-"
        mark = "win" if self.ratio <= 1.0 else "LOSS"
        return mark + ("?" if self.peer_bound and mark == "LOSS" else "")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "verdict": self.verdict}


class Grid:
    """The whole run's wall budget: areas ask ``left()`` before each row and record
    what they skip, so that the summary says which rows the budget cut."""

    deadline = math.inf
    skipped: list[str] = []

    @classmethod
    def start(cls, seconds: float) -> None:
        cls.deadline, cls.skipped = time.perf_counter() + seconds, []

    @classmethod
    def left(cls) -> float:
        return cls.deadline - time.perf_counter()

    @classmethod
    def skip(cls, what: str) -> None:
        cls.skipped.append(what)


def synchronize(x: Any) -> None:
    """Wait for the work queued on ``x``'s device: a CUDA call returns before its
    kernels finish, so a timer stopped without this measures the launch only."""
    device = getattr(x, "device", None)
    if getattr(device, "type", None) == "cuda":
        import torch

        torch.cuda.synchronize(device)
    elif type(x).__module__.startswith("cupy"):
        import cupy

        cupy.cuda.get_current_stream().synchronize()


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
