"""Gradients by the envelope theorem, without back-propagating through iterations."""

from __future__ import annotations

from .._backend import Array, Namespace, constant

__all__ = ["first_order", "plus"]


def first_order(pairs, xp: Namespace) -> Array | None:
    """sum over pairs (G, X) of <G, X - stop_gradient(X)>: zero in value, with
    gradient G in X. Pairs whose X carries no gradient are skipped (no pass over
    them); ``None`` when none does."""
    terms = [xp.sum(G * (X - constant(X, xp))) for G, X in pairs if getattr(X, "requires_grad", False)]
    if not terms:
        return None
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def plus(value: Array, term: Array | None) -> Array:
    return value if term is None else value + term
