"""Namespace, device and dtype helpers.

The only module allowed to know which array library it is talking to: everything
else is written against the array API namespace returned by :func:`namespace`.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from typing import Any

# Idle OpenMP threads (PyTorch's CPU kernels) sleep instead of spinning. On a machine
# with more runnable threads than cores, spinning threads take the core from the
# thread they wait for: a 2-thread soft-min of sinkhorn_points ran 13x slower at a
# load of 14 on 2 cores, and as fast as 1 thread with PASSIVE. Read by libgomp when
# it loads, so it applies when this package is imported before torch; a value the
# user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import array_api_compat
import numpy as np

__all__ = [
    "Array",
    "COMPILED",
    "Namespace",
    "Seed",
    "compiled_cpu",
    "constant",
    "default_rng",
    "device",
    "from_numpy",
    "index_array",
    "is_array",
    "is_numpy",
    "is_torch",
    "namespace",
    "np_namespace",
    "psd_sqrt",
    "result_dtype",
    "to_numpy",
    "torch_module",
]

Array = Any
Namespace = Any
# Randomness comes only through a seed: an int, a NumPy Generator, or None (fresh entropy).
Seed = int | np.random.Generator | None


def is_array(x: object) -> bool:
    """True for an array of any array API library (NumPy, CuPy, torch, ...)."""
    return array_api_compat.is_array_api_obj(x) and not isinstance(x, (bool, int, float, complex))


def namespace(*xs: object) -> Namespace:
    """The array API namespace shared by the arrays among ``xs``.

    ``None``, Python scalars and sequences are ignored; with no array at all the
    NumPy namespace is returned, so plain lists work as input.
    """
    arrays = [x for x in xs if is_array(x)]
    if not arrays:
        return np_namespace()
    try:
        return array_api_compat.array_namespace(*arrays)
    except TypeError:
        kinds = sorted({type(x).__module__.split(".")[0] for x in arrays})
        raise TypeError(
            f"the arguments mix array libraries ({', '.join(kinds)}); pass arrays of one library"
        ) from None


def np_namespace() -> Namespace:
    """The array API namespace of NumPy (for code run at the NumPy boundary)."""
    return array_api_compat.array_namespace(np.empty(0))


def device(x: Array) -> Any:
    return array_api_compat.device(x)


def is_torch(xp: Namespace) -> bool:
    return array_api_compat.is_torch_namespace(xp)


def is_numpy(xp: Namespace) -> bool:
    return array_api_compat.is_numpy_namespace(xp)


def to_numpy(x: Array, dtype: Any = np.float64) -> np.ndarray:
    """``x`` as a host NumPy array, detached from any autograd graph.

    May share memory with ``x``: callers read it and never write to it.
    """
    if array_api_compat.is_torch_array(x):
        return np.asarray(x.detach().cpu().numpy(), dtype=dtype)
    if array_api_compat.is_cupy_array(x):
        return np.asarray(x.get(), dtype=dtype)
    if array_api_compat.is_numpy_array(x):
        return np.asarray(x, dtype=dtype)
    return np.asarray(np.from_dlpack(x), dtype=dtype)


def from_numpy(arr: np.ndarray, like: Array, xp: Namespace) -> Array:
    """``arr`` in the namespace, dtype and device of ``like`` (a constant: no graph)."""
    return xp.asarray(np.ascontiguousarray(arr), dtype=like.dtype, device=device(like))


@functools.cache
def torch_module() -> Any | None:
    """PyTorch where installed (imported on first use), else None: the library NumPy
    input's heavy elementwise kernels run in (see :func:`compute_namespace`)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


# Blocks on an accelerator are this many times the cache-sized CPU blocks: a kernel
# launch costs 5-10 us, while a 2^16-2^18-entry block (0.5-2 MB) streams through a
# GPU's memory (3-5 TB/s) in under 1 us, so CPU-sized blocks would leave the device
# waiting on launches; 2^24-2^26 entries (128-512 MB in float64) amortise them and
# still fit beside the cost. The CPU block sizes were measured; this one is the
# launch arithmetic above until ``python -m benchmarks --device cuda`` measures it.
ACCELERATOR_BLOCK_SCALE = 2**8


def on_accelerator(x: Array) -> bool:
    """Whether ``x`` lives on an accelerator (a CuPy array, a non-CPU torch tensor)."""
    if array_api_compat.is_cupy_array(x):
        return True
    return array_api_compat.is_torch_array(x) and x.device.type != "cpu"


def block_scale(x: Array) -> int:
    """Factor on the cache-sized block sizes (in entries) of the blockwise kernels for
    work on ``x``'s device: 1 on the CPU, ``ACCELERATOR_BLOCK_SCALE`` on an
    accelerator. The one per-device choice of block sizes."""
    return ACCELERATOR_BLOCK_SCALE if on_accelerator(x) else 1


# The compiled CPU kernels (numba) are used where installed; tests set this to False
# to run the same calls through the array libraries.
COMPILED = True


@functools.cache
def _numba_installed() -> bool:
    return importlib.util.find_spec("numba") is not None


def compiled_cpu(x: Array) -> bool:
    """Whether the compiled CPU kernels (numba) take the work on ``x``: a NumPy array
    or a CPU PyTorch tensor, with numba installed. The one per-backend choice of the
    float32 soft-min sums of ``sinkhorn_points`` (``entropic._fused``) and of the
    weighted 1-D walk (``transport._fused``, NumPy only: its result carries no
    gradient), next to :func:`compute_namespace` (docs/benchmarks.md)."""
    if not (COMPILED and _numba_installed()):
        return False
    if isinstance(x, np.ndarray):
        return True
    return array_api_compat.is_torch_array(x) and x.device.type == "cpu"


def compute_namespace(xp: Namespace) -> Namespace:
    """The namespace in which blockwise point-cloud kernels run for input in ``xp``.

    The one per-backend choice of those kernels: NumPy input runs in PyTorch when it
    is installed (its CPU exp, log-sum-exp and reductions are vectorised and use
    every core: about 6x NumPy's pairs per second per core in float32, 4x in
    float64, measured on the online Sinkhorn soft-min; arrays cross by zero-copy
    views); any other input (PyTorch, CuPy, array_api_strict) runs in its own.
    """
    if array_api_compat.is_numpy_namespace(xp):
        try:
            import array_api_compat.torch as torch_namespace
        except ImportError:
            return xp
        return torch_namespace
    return xp


def to_namespace(x: Array, kx: Namespace) -> Array:
    """``x`` as an array of ``kx`` (a zero-copy view where the libraries allow);
    ``None`` stays ``None``."""
    if x is None or array_api_compat.array_namespace(x) is kx:
        return x
    if array_api_compat.is_torch_namespace(kx):
        import torch

        return torch.from_numpy(np.asarray(x))
    return np.asarray(x.detach().cpu().numpy()) if array_api_compat.is_torch_array(x) else kx.asarray(x)


def constant(x: Array, xp: Namespace) -> Array:
    """``x`` cut out of the autograd graph (the stop-gradient of the envelope trick)."""
    if is_torch(xp):
        return x.detach()
    return x


def result_dtype(xp: Namespace, *xs: Array) -> Any:
    """Floating dtype of a computation on ``xs``: their promoted real floating type,
    float64 when all are integer (float64 is the reference precision)."""
    floats = [x.dtype for x in xs if x is not None and xp.isdtype(x.dtype, "real floating")]
    if not floats:
        return xp.float64
    return xp.result_type(*floats)


def default_rng(seed: Seed) -> np.random.Generator:
    """All randomness goes through one NumPy generator built from ``seed``."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def psd_sqrt(C: Array, xp: Namespace) -> Array:
    """Square root of symmetric positive semi-definite matrices (batched), by ``eigh``.

    Eigenvalues at most ``d * eps`` times the largest are set to 0: ``eigh`` cannot
    tell them from round-off (its absolute error is of that size), and their square
    roots, of order ``sqrt(eps)``, would otherwise cost half the digits on exactly
    singular matrices. The square root is masked, so its gradient is 0, not inf,
    at the eigenvalues set to 0.
    """
    w, V = xp.linalg.eigh(C)
    d = C.shape[-1]
    floor = d * xp.finfo(C.dtype).eps * xp.max(xp.abs(constant(w, xp)), axis=-1, keepdims=True)
    keep = w > floor
    root = xp.where(keep, xp.sqrt(xp.where(keep, w, xp.ones_like(w))), xp.zeros_like(w))
    return (V * root[..., None, :]) @ xp.matrix_transpose(V)


def index_array(idx: Any, like: Array, xp: Namespace) -> Array:
    """Python or NumPy indices as an int64 array of ``xp`` on the device of ``like``."""
    if is_numpy(xp):  # the wrapper's asarray costs 10 us, often more than the gather it feeds
        return np.asarray(idx, dtype=np.int64)
    return xp.asarray(np.asarray(idx, dtype=np.int64), dtype=xp.int64, device=device(like))
