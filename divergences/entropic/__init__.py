"""Entropic optimal transport: Sinkhorn on dense costs and on point clouds."""

from .points import sinkhorn_points
from .sinkhorn import sinkhorn

__all__ = ["sinkhorn", "sinkhorn_points"]
