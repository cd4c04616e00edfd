"""Entropic optimal transport: Sinkhorn on dense costs and on point clouds."""

from .sinkhorn import sinkhorn

__all__ = ["sinkhorn"]
