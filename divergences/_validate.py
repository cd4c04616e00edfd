"""Every input check of the library.

Each function raises ``TypeError``/``ValueError`` naming the offending argument and
what was expected; none returns a silently repaired value except where the caller
asked for it (``normalize=True``).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ._backend import Array, Namespace, constant, device, is_array, namespace, result_dtype
from ._numerics import ldexp, max_abs, overflow_message

__all__ = [
    "ON_FAIL",
    "as_array",
    "as_float",
    "balanced",
    "broadcast_batch",
    "check_finite",
    "check_ndim",
    "check_nonempty",
    "check_p",
    "check_positive_int",
    "check_precision",
    "check_psd",
    "choice",
    "cost_and_weights",
    "cost_matrix",
    "equal_mass_histograms",
    "fraction",
    "is_symmetric",
    "like_array",
    "matrices",
    "nonnegative_number",
    "on_fail",
    "point_measures",
    "points",
    "positive_int_or_zero",
    "positive_number",
    "probability_vectors",
    "real_number",
    "report_failure",
    "representable",
    "same_bins",
    "same_dimension",
    "same_mass",
    "samples",
    "scaled_back",
    "subset_size",
    "symmetric",
    "symmetric_matrix",
    "symmetric_psd",
    "weights",
]

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
    if not bool(xp.all(xp.isfinite(value))):
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
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"{name} must be a positive integer, got {k!r}")
    if k < 1:
        raise ValueError(f"{name} must be a positive integer, got {k!r}")
    return int(k)


def weights(w: Any, name: str, n: int, xp: Namespace, dtype: Any, dev: Any) -> Array:
    """Nonnegative finite weights of length ``n`` (uniform when ``w`` is None).

    Only the last axis is checked against ``n``; leading axes are batch axes.
    """
    if w is None:
        return xp.full((n,), 1.0 / n, dtype=dtype, device=dev)
    w = as_float(as_array(w, name, xp), xp, dtype)
    if w.ndim == 0 or w.shape[-1] != n:
        raise ValueError(f"{name} must have {n} entries along its last axis (one per point), got shape {tuple(w.shape)}")
    check_finite(w, name, xp)
    if bool(xp.any(w < 0)):
        raise ValueError(f"{name} has negative entries: weights must be >= 0")
    if bool(xp.any(xp.sum(w, axis=-1) <= 0)):
        raise ValueError(f"{name} sums to 0: a measure needs positive total mass")
    return w


def balanced(a: Array, b: Array, xp: Namespace, normalize: bool,
             names: tuple[str, str] = ("a", "b")) -> tuple[Array, Array]:
    """The mass rule for weights: ``a`` and ``b`` of equal total mass t (any t > 0;
    values then scale with t), checked, or each rescaled to mass 1 on request."""
    sa, sb = xp.sum(a, axis=-1, keepdims=True), xp.sum(b, axis=-1, keepdims=True)
    if normalize:
        return a / sa, b / sb
    same_mass(sa, sb, names, xp)
    return a, b


def same_mass(sa: Array, sb: Array, names: tuple[str, str], xp: Namespace) -> None:
    """Masses agree when they differ by at most ``sqrt(eps)`` relative, eps the dtype's
    machine epsilon (1.5e-8 in float64, 3.5e-4 in float32)."""
    rtol = math.sqrt(xp.finfo(sa.dtype).eps)
    if bool(xp.any(xp.abs(sa - sb) > rtol * xp.maximum(sa, sb))):
        raise ValueError(
            f"{names[0]} and {names[1]} have different total masses ({_first(sa)} and {_first(sb)}); "
            "pass normalize=True to rescale both to unit mass"
        )


def equal_mass_histograms(p: Array, q: Array, names: tuple[str, str], xp: Namespace, dtype: Any,
                          normalize: bool) -> tuple[Array, Array, Array]:
    """The mass rule for histograms: ``(p / t, q / t, t)`` with t (shape ``(...,)``)
    the common total mass of p and q along the last axis (1 with ``normalize``,
    which rescales each to mass 1). Values homogeneous in the mass are t times
    their value on the unit-mass pair."""
    p, sp = _histogram(p, names[0], xp, dtype)
    q, sq = _histogram(q, names[1], xp, dtype)
    if normalize:
        one = xp.ones_like(sp[..., 0])
        return p / sp, q / sq, one
    same_mass(sp, sq, names, xp)
    # one divisor for both: t D(p/t || q/t) is then the same function as the raw
    # sum q f(p/q), gradients included
    return p / sp, q / sp, sp[..., 0]


def _histogram(x: Array, name: str, xp: Namespace, dtype: Any) -> tuple[Array, Array]:
    """Finite, nonnegative, at least one bin, positive total mass along the last
    axis; returned with that mass (keepdims)."""
    x = as_float(as_array(x, name, xp), xp, dtype)
    if x.ndim == 0:
        raise ValueError(f"{name} must have at least one axis (the bins), got a scalar")
    check_nonempty(x, name)
    mass = xp.sum(x, axis=-1, keepdims=True)
    if not bool(xp.all(xp.isfinite(mass))):
        check_finite(x, name, xp)  # names NaN/inf entries; finite ones can still overflow
        raise ValueError(f"{name} has a total mass that overflows the dtype {x.dtype}")
    if bool(xp.min(x) < 0):
        raise ValueError(f"{name} has negative entries: a histogram must be >= 0")
    if bool(xp.any(mass <= 0)):
        raise ValueError(f"{name} sums to 0: a histogram needs positive total mass")
    return x, mass


def _first(s: Array) -> float:
    return float(namespace(s).reshape(s, (-1,))[0]) if is_array(s) else float(s)


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


def choice(value: Any, name: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value  # type: ignore[return-value]


def point_measures(x: Any, y: Any, a: Any, b: Any, xp: Namespace, normalize: bool):
    """Two empirical measures in R^d: points as (n, d) and (m, d) arrays of one float
    dtype, and their weights (``None`` for both when uniform and not normalised)."""
    x, y = points(x, "x", xp), points(y, "y", xp)
    same_dimension(x, y)
    dtype = result_dtype(xp, x, y)
    x = as_float(x[:, None] if x.ndim == 1 else x, xp, dtype)
    y = as_float(y[:, None] if y.ndim == 1 else y, xp, dtype)
    if a is None and b is None and not normalize:
        return x, y, None, None
    a = weights(a, "a", x.shape[0], xp, dtype, device(x))
    b = weights(b, "b", y.shape[0], xp, dtype, device(x))
    check_ndim(a, "a", (1,))
    check_ndim(b, "b", (1,))
    a, b = balanced(a, b, xp, normalize)
    return x, y, a, b


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
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"{name} must be a nonnegative integer, got {k!r}")
    if k < 0:
        raise ValueError(f"{name} must be a nonnegative integer, got {k!r}")
    return int(k)


def probability_vectors(x: Any, name: str, xp: Namespace, dtype: Any, normalize: bool) -> Array:
    """Histograms along the last axis (leading axes are a batch): finite, nonnegative,
    with at least one bin, each of total mass 1 up to ``sqrt(eps)`` relative (eps the
    dtype's machine epsilon), or rescaled to mass 1 when ``normalize``."""
    x, mass = _histogram(x, name, xp, dtype)
    if normalize:
        return x / mass
    rtol = math.sqrt(xp.finfo(x.dtype).eps)
    if bool(xp.any(xp.abs(mass - 1) > rtol)):
        off = float(xp.max(xp.abs(mass - 1)))
        raise ValueError(
            f"{name} must sum to 1 along its last axis (a total mass is off by {off:.3g}); "
            "pass normalize=True to rescale it to a probability vector"
        )
    return x


def cost_and_weights(M: Any, a: Any, b: Any, xp: Namespace) -> tuple[Array, Array, Array]:
    """A finite (n, m) cost and 1-D weights (uniform when None) in its dtype and
    device; the masses are not compared here (balanced problems call ``balanced``)."""
    M = cost_matrix(M, xp)
    n, m = M.shape
    a = weights(a, "a", n, xp, M.dtype, device(M))
    b = weights(b, "b", m, xp, M.dtype, device(M))
    check_ndim(a, "a", (1,))
    check_ndim(b, "b", (1,))
    return M, a, b


def same_bins(p: Array, q: Array, np_: str, nq: str, xp: Namespace) -> tuple[Array, Array]:
    """p and q with one number of bins (last axis) and their batch axes broadcast."""
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(
            f"{np_} and {nq} must have the same number of bins (last axis), got shapes "
            f"{tuple(p.shape)} and {tuple(q.shape)}"
        )
    try:
        shape = np.broadcast_shapes(tuple(p.shape), tuple(q.shape))
    except ValueError:
        raise ValueError(
            f"the batch shapes of {np_} {tuple(p.shape)} and {nq} {tuple(q.shape)} do not broadcast"
        ) from None
    if tuple(p.shape) == shape and tuple(q.shape) == shape:
        return p, q
    return xp.broadcast_to(p, shape), xp.broadcast_to(q, shape)


def samples(t: Array, name: str, xp: Namespace, dtype: Any, *, axis: str = "the samples") -> Array:
    """Finite values with at least one axis (``axis`` says what it holds) and at least
    one entry, in ``dtype``."""
    t = as_float(t, xp, dtype)
    if t.ndim == 0:
        raise ValueError(f"{name} must have at least one axis ({axis}), got a scalar")
    check_nonempty(t, name)
    check_finite(t, name, xp)
    return t


def matrices(A: Any, name: str, xp: Namespace, *, square: bool = False) -> Array:
    """A finite, nonempty real (..., n, k) array in a floating dtype (float64 for integers)."""
    A = as_array(A, name, xp)
    if A.ndim < 2:
        raise ValueError(f"{name} must be a matrix of shape (..., n, k), got shape {tuple(A.shape)}")
    if square and A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{name} must be a square matrix of shape (..., n, n), got shape {tuple(A.shape)}")
    if math.prod(A.shape) == 0:
        raise ValueError(f"{name} is empty: got shape {tuple(A.shape)}")
    A = as_float(A, xp, result_dtype(xp, A))
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


def nonnegative_number(x: Any, name: str) -> float:
    """A finite real number >= 0."""
    x = real_number(x, name, "a nonnegative number")
    if not (math.isfinite(x) and x >= 0):
        raise ValueError(f"{name} must be a finite nonnegative number, got {x!r}")
    return x


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
