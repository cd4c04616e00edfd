"""What the Sinkhorn driver iterates: a fixed-point map on x = log v (= g / eps)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .._backend import Array

__all__ = ["SinkhornMap", "Step"]


@dataclass(frozen=True)
class Step:
    """One evaluation of the Sinkhorn map at x."""

    x: Array
    u: Array  # the row scaling (dense) or the f-potential (online) that x induces
    Tx: Array
    error: Array  # marginal error of the pair the step starts from, a 0-D array


class SinkhornMap(Protocol):
    """A Sinkhorn problem at one eps, seen as the map x -> T(x)."""

    @property
    def eps(self) -> float: ...

    @property
    def bound(self) -> float:  # iterates are clipped to [-bound, bound]
        ...


    def step(self, x: Array) -> Step: ...

    def start(self) -> Step: ...

    def out_of_range(self, s: Step) -> bool: ...

    def absorb(self, s: Step) -> tuple["SinkhornMap", Step]: ...

    def potentials(self, s: Step) -> tuple[Array, Array]: ...
