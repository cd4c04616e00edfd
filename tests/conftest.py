"""The ``xp`` fixture: every test that takes it runs on every available backend.

numpy, array_api_strict and torch (CPU) always; cupy and torch on CUDA when a GPU
is present. ``xp.asarray`` creates float64 arrays on the backend's device, and
``xp.to_numpy`` brings any result back for comparison.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import array_api_compat
import array_api_compat.numpy
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from divergences._backend import to_numpy

# The default profile is derandomized: the suite (and CI) sees the same examples each run;
# the thorough profile explores new ones (HYPOTHESIS_PROFILE=thorough).
settings.register_profile(
    "default", max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@dataclass(frozen=True)
class Backend:
    """An array API namespace with a device: what a test needs to make inputs."""

    name: str
    ns: Any
    device: Any = None

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.ns, attr)

    def asarray(self, x: Any, dtype: Any = None) -> Any:
        """``x`` (NumPy array, list or scalar) on this backend, float64 by default."""
        dtype = self.ns.float64 if dtype is None else dtype
        return self.ns.asarray(np.asarray(x), dtype=dtype, device=self.device)

    def to_numpy(self, x: Any) -> np.ndarray:
        return to_numpy(x)

    def owns(self, x: Any) -> bool:
        """``x`` is an array of this backend, on its device."""
        like = self.ns.asarray(0.0, device=self.device)
        return (array_api_compat.array_namespace(x) is array_api_compat.array_namespace(like)
                and array_api_compat.device(x) == array_api_compat.device(like))


def _backends() -> list[Any]:
    params = [pytest.param(Backend("numpy", array_api_compat.numpy), id="numpy")]
    try:
        import array_api_strict

        params.append(pytest.param(Backend("array_api_strict", array_api_strict), id="array_api_strict"))
    except ImportError:
        pass
    try:
        import torch
        from array_api_compat import torch as compat_torch

        params.append(pytest.param(Backend("torch", compat_torch, "cpu"), id="torch"))
        if torch.cuda.is_available():
            params.append(pytest.param(Backend("torch-cuda", compat_torch, torch.device("cuda", 0)), id="torch-cuda",
                                       marks=pytest.mark.gpu))
    except ImportError:
        pass
    try:
        import cupy
        from array_api_compat import cupy as compat_cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            params.append(pytest.param(Backend("cupy", compat_cupy), id="cupy", marks=pytest.mark.gpu))
    except Exception:  # no CuPy, or no GPU for it
        pass
    return params


@pytest.fixture(params=_backends())
def xp(request: pytest.FixtureRequest) -> Backend:
    return request.param


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
