"""Renamed arguments keep working for one release, with a DeprecationWarning that
names the new spelling."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["renamed_keywords", "warn_renamed"]

F = TypeVar("F", bound=Callable[..., Any])


def warn_renamed(function: str, old: str, new: str, *, stacklevel: int = 3) -> None:
    warnings.warn(f"{function}: the argument {old!r} is deprecated, use {new!r}", DeprecationWarning,
                  stacklevel=stacklevel)


def renamed_keywords(**renames: str) -> Callable[[F], F]:
    """Accept each old keyword (``old="new"``) as its new name, with a DeprecationWarning;
    passing both is a TypeError. The wrapped function keeps its signature and docstring."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{fn.__name__}() got both {old!r} (deprecated) and {new!r}")
                    warn_renamed(fn.__name__, old, new)
                    kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        return call  # type: ignore[return-value]

    return wrap
