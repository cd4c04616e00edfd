"""Divergence matrices over many distributions, serial or on dask.distributed."""

from ._matrix import pairwise

__all__ = ["pairwise"]
