"""Exact optimal transport: the LP solvers, Wasserstein distances, duality and
certified brackets."""

__all__: list[str] = []
