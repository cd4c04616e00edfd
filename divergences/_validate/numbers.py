"""Checks of scalar options: numbers, sizes, choices, and the failure rule ``on_fail``."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np


__all__ = ["ON_FAIL", "check_p", "check_positive_int", "choice", "fraction", "nonnegative_number", "on_fail",
           "positive_int_or_zero", "positive_number", "real_number", "report_failure", "subset_size"]


def real_number(x: Any, name: str, expected: str) -> float:
    """``x`` as a float if it is a real number (bools excluded); TypeError naming
    ``name`` and what was ``expected`` otherwise."""
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be {expected}, got {x!r}")
    return float(x)


def check_p(p: float) -> float:
    p = real_number(p, "p", "a real number >= 1")
    if not (math.isfinite(p) and p >= 1):
        raise ValueError(f"p must be a finite number >= 1, got {p!r}")
    return float(p)


def check_positive_int(k: Any, name: str) -> int:
    return _integer_from(k, name, 1, "a positive integer")


def _integer_from(k: Any, name: str, lowest: int, what: str) -> int:
    """An integer (not a bool) >= ``lowest``: TypeError, else ValueError, naming ``name``."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"{name} must be {what}, got {k!r}")
    if k < lowest:
        raise ValueError(f"{name} must be {what}, got {k!r}")
    return int(k)


def choice(value: Any, name: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value  # type: ignore[return-value]


def positive_number(x: Any, name: str, *, allow_inf: bool = False) -> float:
    """A real number > 0 (finite unless ``allow_inf``)."""
    x = real_number(x, name, "a positive number")
    if not (x > 0) or (math.isinf(x) and not allow_inf):
        raise ValueError(f"{name} must be a {'positive' if allow_inf else 'finite positive'} number, got {x!r}")
    return x


def fraction(x: Any, name: str) -> float:
    """A real number strictly between 0 and 1."""
    x = positive_number(x, name)
    if x >= 1:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {x!r}")
    return x


def positive_int_or_zero(k: Any, name: str) -> int:
    """A nonnegative integer."""
    return _integer_from(k, name, 0, "a nonnegative integer")


def nonnegative_number(x: Any, name: str) -> float:
    """A finite real number >= 0."""
    x = real_number(x, name, "a nonnegative number")
    if not (math.isfinite(x) and x >= 0):
        raise ValueError(f"{name} must be a finite nonnegative number, got {x!r}")
    return x


def subset_size(k: Any, n: int) -> int:
    """A set size k with 0 <= k <= n (the ground set's size)."""
    k = positive_int_or_zero(k, "k")
    if k > n:
        raise ValueError(f"k = {k} is out of range: the ground set has n = {n} items")
    return k


ON_FAIL = ("warn", "raise")


def on_fail(value: Any) -> str:
    """The ``on_fail`` argument of an iterative method: "warn" or "raise"."""
    return choice(value, "on_fail", ON_FAIL)


def report_failure(on_fail: str, message: str, *, stacklevel: int = 3) -> None:
    """A method that stopped short of its tolerance warns (RuntimeWarning, pointing at
    the caller of the public function) or raises RuntimeError, as ``on_fail`` asks;
    it never returns a quietly wrong number."""
    if on_fail == "raise":
        raise RuntimeError(message)
    warnings.warn(message, RuntimeWarning, stacklevel=stacklevel)
