"""Entropic optimal transport: Sinkhorn on dense costs and on point clouds."""

from .divergence import sinkhorn_divergence
from .points import sinkhorn_points
from .sinkhorn import sinkhorn

__all__ = ["sinkhorn", "sinkhorn_divergence", "sinkhorn_points"]
