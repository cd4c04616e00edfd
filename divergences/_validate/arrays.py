"""Checks of arrays: conversion, precision, shape, finiteness, symmetry, batches."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._backend import Array, Namespace, constant, is_array, namespace, result_dtype
from .._numerics import all_finite, ldexp, max_abs, overflow_message

__all__ = ["as_array", "as_float", "broadcast_batch", "check_finite", "check_ndim", "check_nonempty",
           "check_precision", "check_psd", "cost_matrix", "is_symmetric", "like_array", "matrices", "points",
           "representable", "same_dimension", "samples", "scaled_back", "symmetric", "symmetric_matrix",
           "symmetric_psd"]


# Half precisions carry 3 (float16) or 2 (bfloat16) decimal digits, fewer than any
# documented tolerance of the library: they are rejected at entry, with one message.
_HALF_PRECISIONS = ("float16", "bfloat16")


def as_array(x: Any, name: str, xp: Namespace) -> Array:
    """``x`` as an array of ``xp`` with a real dtype (lists and scalars accepted)."""
    if x is None:
        raise TypeError(f"{name} must be an array, got None")
    if not is_array(x):
        try:
            x = np.asarray(x)
        except Exception as err:  # ragged lists and other non-numeric input
            raise TypeError(f"{name} must be an array of real numbers: {err}") from None
        if x.dtype == object or not (
            np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.bool_)
        ):
            raise TypeError(f"{name} must be an array of real numbers, got dtype {x.dtype}")
        x = xp.asarray(x)
    elif namespace(x) is not xp:
        raise TypeError(
            f"{name} is a {type(x).__module__}.{type(x).__name__} while the other "
            "arguments belong to another array library; pass arrays of one library"
        )
    if xp.isdtype(x.dtype, "complex floating") or xp.isdtype(x.dtype, "bool"):
        raise TypeError(f"{name} must have a real dtype, got {x.dtype}")
    check_precision(x, name)
    return x


def check_precision(x: Array, name: str) -> None:
    """The dtype policy: float32 and float64 (and integers, computed in float64);
    float16 and bfloat16 are rejected, by every public function, with this message."""
    # 2-byte dtypes are few; the string test runs only for them
    if getattr(x.dtype, "itemsize", 0) == 2 and str(x.dtype).rsplit(".", 1)[-1] in _HALF_PRECISIONS:
        raise TypeError(
            f"{name} has dtype {x.dtype}: half precision is not supported; "
            "convert to float32 or float64 (e.g. x.astype('float32') or x.float())"
        )


def scaled_back(value: Array, e: int, name: str, quantity: str, p: float | None, xp: Namespace) -> Array:
    """``value * 2^e`` for a result computed on inputs scaled by 2^-e; an error naming
    the caller's arguments when it would overflow (checked first: no inf is formed)."""
    value = representable(value, name, quantity, p, xp)
    top = float(max_abs(value, xp))
    if top > 0 and math.frexp(top)[1] + e > math.frexp(float(xp.finfo(value.dtype).max))[1]:
        raise ValueError(overflow_message(name, quantity, value.dtype, p))
    return ldexp(value, e)


def representable(value: Array, name: str, quantity: str, p: float | None, xp: Namespace) -> Array:
    """``value`` unchanged when finite; otherwise the result of finite input cannot be
    represented in its dtype, and the error names the caller's arguments."""
    if not all_finite(value, xp):
        raise ValueError(overflow_message(name, quantity, value.dtype, p))
    return value


def as_float(x: Array, xp: Namespace, dtype: Any) -> Array:
    return x if x.dtype == dtype else xp.astype(x, dtype)


def check_finite(x: Array, name: str, xp: Namespace) -> None:
    # max and min propagate NaN and never overflow (a sum of finite entries can):
    # two cheap reductions instead of an entrywise mask.
    if not (bool(xp.isfinite(xp.max(x))) and bool(xp.isfinite(xp.min(x)))):
        raise ValueError(f"{name} contains NaN or infinite values")


def check_ndim(x: Array, name: str, ndims: tuple[int, ...]) -> None:
    if x.ndim not in ndims:
        expected = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name} must be {expected}, got shape {tuple(x.shape)}")


def check_nonempty(x: Array, name: str) -> None:
    if math.prod(x.shape) == 0:
        raise ValueError(f"{name} is empty: a measure needs at least one point")


def cost_matrix(M: Any, xp: Namespace) -> Array:
    """A finite 2-D cost with at least one row and one column, in a float dtype."""
    M = as_array(M, "M", xp)
    check_ndim(M, "M", (2,))
    check_nonempty(M, "M")
    M = as_float(M, xp, result_dtype(xp, M))
    check_finite(M, "M", xp)
    return M


def points(x: Any, name: str, xp: Namespace) -> Array:
    """A finite point cloud of shape (n,) or (n, d), n >= 1."""
    x = as_array(x, name, xp)
    check_ndim(x, name, (1, 2))
    check_nonempty(x, name)
    check_finite(x, name, xp)
    return x


def same_dimension(x: Array, y: Array) -> None:
    dx = 1 if x.ndim == 1 else x.shape[1]
    dy = 1 if y.ndim == 1 else y.shape[1]
    if dx != dy:
        raise ValueError(f"x and y must live in the same dimension, got d = {dx} and d = {dy}")


def samples(t: Array, name: str, xp: Namespace, dtype: Any, *, axis: str = "the samples",
            finite: bool = True) -> Array:
    """Finite values with at least one axis (``axis`` says what it holds) and at least
    one entry, in ``dtype``. ``finite=False`` leaves the finiteness check to a caller
    whose result is finite only if every input is (it checks when it is not)."""
    t = as_float(t, xp, dtype)
    if t.ndim == 0:
        raise ValueError(f"{name} must have at least one axis ({axis}), got a scalar")
    check_nonempty(t, name)
    if finite:
        check_finite(t, name, xp)
    return t


def matrices(A: Any, name: str, xp: Namespace, *, square: bool = False, finite: bool = True) -> Array:
    """A finite, nonempty real (..., n, k) array in a floating dtype (float64 for integers);
    ``finite=False`` leaves the finiteness to the caller (one pass over A fewer where a
    product the caller forms anyway shows it)."""
    A = as_array(A, name, xp)
    if A.ndim < 2:
        raise ValueError(f"{name} must be a matrix of shape (..., n, k), got shape {tuple(A.shape)}")
    if square and A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{name} must be a square matrix of shape (..., n, n), got shape {tuple(A.shape)}")
    if math.prod(A.shape) == 0:
        raise ValueError(f"{name} is empty: got shape {tuple(A.shape)}")
    A = as_float(A, xp, result_dtype(xp, A))
    if finite:
        check_finite(A, name, xp)
    return A


def _asymmetry(A: Array, xp: Namespace) -> Array:
    """Per matrix: max |A - A^T| relative to max |A| (0 for a zero matrix); out of the graph."""
    A0 = constant(A, xp)
    scale = xp.max(xp.abs(A0), axis=(-2, -1))
    gap = xp.max(xp.abs(A0 - xp.matrix_transpose(A0)), axis=(-2, -1))
    return gap / xp.where(scale > 0, scale, xp.ones_like(scale))


def is_symmetric(A: Array, xp: Namespace) -> bool:
    """Every matrix of the batch symmetric up to ``sqrt(eps)`` relative."""
    return bool(xp.all(_asymmetry(A, xp) <= math.sqrt(xp.finfo(A.dtype).eps)))


def symmetric(A: Array, name: str, xp: Namespace) -> Array:
    """``(A + A^T) / 2`` after checking ``|A - A^T| <= sqrt(eps) max|A|`` (square ``A``)."""
    if A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{name} must be a square matrix of shape (..., n, n), got shape {tuple(A.shape)}")
    if not is_symmetric(A, xp):
        tol = math.sqrt(xp.finfo(A.dtype).eps)
        raise ValueError(f"{name} must be symmetric (|{name} - {name}^T| <= sqrt(eps) = {tol:.2g} times max|{name}|)")
    return (A + xp.matrix_transpose(A)) / 2


def check_psd(lam: Array, name: str, xp: Namespace) -> None:
    """Eigenvalues (..., n) of a symmetric matrix: smallest >= -sqrt(eps) times the
    largest in magnitude, eps the dtype's machine epsilon."""
    lam = constant(lam, xp)
    tol = math.sqrt(xp.finfo(lam.dtype).eps)
    top = xp.max(xp.abs(lam), axis=-1)
    if bool(xp.any(xp.min(lam, axis=-1) < -tol * top)):
        raise ValueError(
            f"{name} must be positive semi-definite (smallest eigenvalue >= -sqrt(eps) = "
            f"{-tol:.2g} times the largest in magnitude)"
        )


def like_array(like: Any) -> tuple[Array, Namespace]:
    """The array whose namespace, dtype and device random probes take (NumPy float64
    when None)."""
    if like is None:
        return np.zeros(0), namespace(np.zeros(0))
    if not is_array(like):
        raise TypeError(f"like must be an array (whose namespace, dtype and device the probes take), got {like!r}")
    xp = namespace(like)
    if not xp.isdtype(like.dtype, "real floating"):
        raise TypeError(f"like must have a real floating dtype, got {like.dtype}")
    return like, xp


def symmetric_matrix(L: Any, name: str, xp: Namespace, *, batch: bool = False) -> Array:
    """A finite, nonempty, symmetric (then symmetrised) square kernel; 2-D unless ``batch``."""
    L = matrices(L, name, xp, square=True)
    if not batch and L.ndim != 2:
        raise ValueError(f"{name} must be a single (n, n) kernel, got shape {tuple(L.shape)}")
    return symmetric(L, name, xp)


def symmetric_psd(L: Any, name: str, xp: Namespace, *, batch: bool = False) -> Array:
    """As :func:`symmetric_matrix`, and positive semi-definite (checked on the eigenvalues)."""
    L = symmetric_matrix(L, name, xp, batch=batch)
    check_psd(xp.linalg.eigvalsh(constant(L, xp)), name, xp)
    return L


def broadcast_batch(xp: Namespace, **named: Array | None) -> list[Array]:
    """The named arrays with their leading (batch) axes broadcast to one shape; each
    keeps its last axis, and None passes through."""
    given = {k: t for k, t in named.items() if t is not None}
    try:
        batch = np.broadcast_shapes(*(tuple(t.shape[:-1]) for t in given.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {tuple(t.shape)}" for k, t in given.items())
        raise ValueError(f"the leading (batch) axes do not broadcast: {shapes}") from None
    return [t if t is None or tuple(t.shape[:-1]) == batch else xp.broadcast_to(t, (*batch, t.shape[-1]))
            for t in named.values()]
