"""Checks of the arena's options, shared by ``gan.arena.run`` and the command line.

Each function returns the option in canonical form or raises ``ValueError`` with a
one-line message that starts with the option's name (``name``: ``"losses"`` for
:func:`gan.arena.run`, ``"--losses"`` on the command line).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .recipes import KINDS, LOSSES, parse
from .targets import TARGETS

__all__ = ["MAX_SAMPLES", "MAX_STEPS", "MIN_SAMPLES", "count", "device", "losses", "out", "recipe", "seed",
           "targets"]

MAX_STEPS = 1_000_000
MIN_SAMPLES, MAX_SAMPLES = 10, 10_000  # the W_2 cost matrix holds samples^2 float64 numbers


def _names(value: str | Iterable[str], name: str) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    items = [item.strip() if isinstance(item, str) else item for item in items]
    if not items or any(item == "" for item in items):
        raise ValueError(f"{name}: expected comma-separated names, got {value!r}")
    return list(dict.fromkeys(items))  # drop repeats, keep the order


def losses(value: str | Iterable[str] | None, name: str = "losses") -> tuple[str, ...]:
    """Entry names: ``None`` or ``"all"`` for :data:`gan.arena.LOSSES`, else comma-separated
    entry names (``gan.arena.recipes.parse``).

    >>> losses("sgan, wgan-gp+gdpp")
    ('sgan', 'wgan-gp+gdpp')
    """
    if value is None or value == "all":
        return LOSSES
    items = _names(value, name)
    for item in items:
        try:
            parse(item)
        except ValueError as err:
            raise ValueError(f"{name}: {err}") from None
    return tuple(items)


def targets(value: str | Iterable[str] | None, name: str = "targets") -> tuple[str, ...]:
    """Target names: ``None`` or ``"all"`` for every target, else comma-separated names.

    >>> targets("grid25,ring8")
    ('grid25', 'ring8')
    """
    if value is None or value == "all":
        return tuple(TARGETS)
    items = _names(value, name)
    unknown = [item for item in items if item not in TARGETS]
    if unknown:
        raise ValueError(f"{name}: unknown target {unknown[0]!r}; known: {', '.join(TARGETS)} (or all)")
    return tuple(items)


def recipe(value: object, name: str = "recipe") -> str:
    """``"common"`` or ``"paper"`` (``gan.arena.recipes``)."""
    if value not in KINDS:
        raise ValueError(f"{name}: must be one of {', '.join(KINDS)}, got {value!r}")
    return value


def count(value: object, name: str, low: int, high: int) -> int:
    """An integer in [low, high] (an integer-valued string is accepted).

    >>> count("300", "steps", 1, 10)
    Traceback (most recent call last):
    ...
    ValueError: steps: must be an integer from 1 to 10, got '300'
    """
    try:
        number = int(value) if isinstance(value, str) else value
    except ValueError:
        number = None
    if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
        raise ValueError(f"{name}: must be an integer from {low} to {high}, got {value!r}")
    return number


def seed(value: object, name: str = "seed") -> int:
    """A seed: an integer >= 0."""
    return count(value, name, 0, 2**63 - 1)


def device(value: str | None, name: str = "device") -> str:
    """``"cpu"`` or ``"cuda"``; ``None`` or ``"auto"`` picks CUDA when available."""
    import torch

    if value in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if value not in ("cpu", "cuda"):
        raise ValueError(f"{name}: must be auto, cpu or cuda, got {value!r}")
    if value == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{name}: cuda asked for, but torch sees no CUDA device")
    return value


def out(value: str | os.PathLike, name: str = "out") -> Path:
    """A folder the arena can write to: it exists and takes a file, or the nearest
    existing folder above it does (checked by creating and removing a temporary file)."""
    path = Path(value).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name}: {str(path)!r} exists and is not a folder")
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise ValueError(f"{name}: cannot create {str(path)!r}: {str(probe)!r} is not a folder")
    try:
        fd, tmp = tempfile.mkstemp(dir=probe, prefix=".arena-probe-")
        os.close(fd)
        os.remove(tmp)
    except OSError as err:
        raise ValueError(f"{name}: cannot write in {str(probe)!r}: {err.strerror or err}") from None
    return path
