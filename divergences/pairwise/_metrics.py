"""The metrics of ``pairwise``: which measures each one compares, its options, and the
evaluation of one pair.

Everything a task needs is here and picklable (module-level functions and frozen
dataclasses), so the serial loop and a dask worker call the same ``pair_value``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

import numpy as np

from .. import _validate as check
from .._backend import Array, Namespace, default_rng, namespace
from .._numerics import root
from ..entropic import sinkhorn_divergence
from ..transport.exact import solve
from ..fdiv import KINDS as FDIV_KINDS
from ..fdiv import f_divergence
from ..fdiv._generators import resolve
from ..qp import qp_divergence
from ..transport.sliced import sliced_wasserstein
from ..transport.wasserstein import wasserstein

__all__ = [
    "HISTOGRAMS",
    "Inputs",
    "METRICS",
    "Measure",
    "Metric",
    "POINTS",
    "POINT_FUNCTIONS",
    "SYMMETRIC_FDIV",
    "bind",
    "check_metric",
    "check_options",
    "evaluate_chunk",
    "histogram_wasserstein",
    "measure_kind",
    "metric_function",
    "pair_value",
]

POINTS, HISTOGRAMS = "point clouds", "histograms"
METRICS = ("wasserstein", "sinkhorn_divergence", "sliced_wasserstein", "qp", *FDIV_KINDS)
# f-divergences with D(p||q) = D(q||p); "alpha" is symmetric at alpha = 1/2 only.
SYMMETRIC_FDIV = ("js", "tv", "hellinger", "jeffreys", "gan")
POINT_FUNCTIONS: dict[str, Callable[..., Array]] = {
    "wasserstein": wasserstein,
    "sinkhorn_divergence": sinkhorn_divergence,
    "sliced_wasserstein": sliced_wasserstein,
}


class Measure(NamedTuple):
    """A point cloud (``points`` (n, d) or (n,), ``weights`` (n,) or None for uniform),
    or a histogram (``points`` None, ``weights`` its bins on the shared support)."""

    points: Array  # None for a histogram
    weights: Array  # None for uniform weights


@dataclass(frozen=True)
class Inputs:
    """What every pair reads: the measures and the shared cost (scattered once).

    A dataclass rather than a tuple: ``Client.scatter`` would split a tuple apart."""

    xs: tuple[Measure, ...]
    ys: tuple[Measure, ...]
    cost: Array | None


@dataclass(frozen=True)
class Metric:
    """A metric bound to its options.

    ``symmetric``: value(x, y) = value(y, x), so a square matrix computes each pair
    once. ``diagonal``: the exact value at (x, x) of mass 1 when known (0 for a
    divergence, -log 4 for the ``gan`` f-divergence), ``None`` when it must be
    computed; at mass t it is t times that (every such value is an f-divergence,
    homogeneous of degree 1 in the mass).
    """

    name: str
    kind: str
    options: dict[str, Any] = field(default_factory=dict)
    symmetric: bool = True
    diagonal: float | None = 0.0


def pair_value(metric: Metric, inputs: Inputs, i: int, j: int) -> float:
    """The metric between ``inputs.xs[i]`` and ``inputs.ys[j]``."""
    x, y = inputs.xs[i], inputs.ys[j]
    if metric.kind == POINTS:
        fn = POINT_FUNCTIONS[metric.name]
        return float(fn(x.points, y.points, x.weights, y.weights, **metric.options))
    a, b = x.weights, y.weights
    if metric.name == "wasserstein":
        return float(histogram_wasserstein(inputs.cost, a, b, **metric.options))
    if metric.name == "qp":
        return float(qp_divergence(a, b, inputs.cost, **metric.options))
    return float(f_divergence(a, b, metric.name, **metric.options))


def histogram_wasserstein(M: Array, a: Array, b: Array, *, p: float = 1, **solve_options: Any) -> Array:
    r"""W_p between histograms on supports whose cost is given as M = D^p.

    .. math::

        W_p(a, b) = \Big(\min_{P \in U(a, b)} \langle M, P\rangle\Big)^{1/p}

    the optimal cost of :func:`divergences.solve` to the power 1/p, so that
    ``"wasserstein"`` has the units of :func:`divergences.wasserstein` on both
    kinds of measure. With p = 1 this is the optimal cost of M itself, for any M;
    with p > 1 M must be nonnegative (checked in ``bind``). Masses t a, t b give
    t^(1/p) times the value, as for point clouds.
    """
    value = solve(M, a, b, **solve_options).value
    return root(value, p, namespace(value))


def evaluate_chunk(metric: Metric, pairs: np.ndarray, inputs: Inputs) -> np.ndarray:
    """The values of a block of (i, j) index pairs: one dask task."""
    return np.array([pair_value(metric, inputs, int(i), int(j)) for i, j in pairs], dtype=np.float64)


# ------------------------------------------------------------------ choosing and binding


def check_metric(metric: object) -> str:
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a string, one of {', '.join(map(repr, METRICS))}; got {metric!r}")
    return check.choice(metric, "metric", METRICS)


def measure_kind(metric: str, has_cost: bool) -> str:
    """What ``metric`` compares: histograms on a shared support, or point clouds."""
    if metric in FDIV_KINDS:
        return HISTOGRAMS
    if metric == "qp":
        if not has_cost:
            raise ValueError(
                "metric='qp' compares histograms on one support (divergences.qp_divergence) "
                "and needs M, the distance matrix of that support; point clouds are not supported"
            )
        return HISTOGRAMS
    if metric == "wasserstein":
        return HISTOGRAMS if has_cost else POINTS
    if has_cost:
        raise ValueError(
            f"metric={metric!r} compares point clouds (divergences.{metric} takes points, not a "
            "cost matrix): pass each histogram as a (support points, weights) pair and no M"
        )
    return POINTS


def metric_function(name: str, kind: str) -> Callable[..., Any]:
    if kind == POINTS:
        return POINT_FUNCTIONS[name]
    histogram_functions: dict[str, Callable[..., Any]] = {"wasserstein": solve, "qp": qp_divergence}
    return histogram_functions.get(name, f_divergence)


def check_options(name: str, kind: str, options: dict[str, Any]) -> None:
    """Options are the keyword-only arguments of the metric's function (and ``p`` for
    ``"wasserstein"`` on histograms, the order of W_p); the required ones (``eps`` of
    the Sinkhorn divergence) must be there. Checked by name here, by value in
    ``bind`` and in the function itself."""
    fn = metric_function(name, kind)
    params = inspect.signature(fn).parameters
    allowed = [p for p, spec in params.items() if spec.kind is inspect.Parameter.KEYWORD_ONLY]
    source = f"the options of divergences.{fn.__name__}"
    if fn is solve:
        allowed, source = ["p", *allowed], f"p (the order of W_p) and {source}"
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(f"metric={name!r} on {kind} takes {source} ({', '.join(allowed)}); got {', '.join(unknown)}")
    missing = [p for p in allowed if p in params and params[p].default is inspect.Parameter.empty and p not in options]
    if missing:
        raise TypeError(f"metric={name!r} needs {missing[0]}=... (see divergences.{fn.__name__})")


def bind(name: str, kind: str, options: dict[str, Any], cost: Array | None, xp: Namespace) -> Metric:
    """The metric with its (checked) options, its symmetry and its known diagonal."""
    options = dict(options)
    if name == "sliced_wasserstein":
        options["seed"] = _fixed_seed(options.get("seed"))
    if name in FDIV_KINDS:
        spec = resolve(name, options.get("alpha"))  # checks alpha before any pair is run
        symmetric = name in SYMMETRIC_FDIV or spec.alpha == 0.5
        return Metric(name, kind, options, symmetric, float(spec.f(np.float64(1.0))) + 0.0)
    if kind == HISTOGRAMS and name == "wasserstein":
        options["p"] = _order(options.get("p", 1), cost, xp)
        return Metric(name, kind, options, _is_symmetric(cost, xp), 0.0 if _identity_plan_is_optimal(cost, xp) else None)
    return Metric(name, kind, options)


def _order(p: Any, cost: Array, xp: Namespace) -> float:
    """The order p of W_p on histograms: the p-th root of <M, P> needs M >= 0 (M = D^p)."""
    p = check.check_p(p)
    if p != 1 and bool(xp.any(cost < 0)):
        raise ValueError(
            f"M has negative entries, but with p = {p:g} metric='wasserstein' returns <M, P>^(1/p), "
            "W_p for M = D^p, which needs M >= 0; pass p=1 for the optimal cost of any M"
        )
    return p


def _fixed_seed(seed: object) -> int:
    """One integer seed for every pair: each pair draws the same directions, whatever
    the chunking or the worker (a Generator or None is drawn from once, here)."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed)
    if seed is not None and not isinstance(seed, np.random.Generator):
        raise TypeError(f"seed must be an int, a numpy.random.Generator or None, got {seed!r}")
    return int(default_rng(seed).integers(2**63))


def _is_symmetric(cost: Array, xp: Namespace) -> bool:
    return cost.shape[0] == cost.shape[1] and bool(xp.all(cost == xp.matrix_transpose(cost)))


def _identity_plan_is_optimal(cost: Array, xp: Namespace) -> bool:
    """M >= 0 with a zero diagonal: then OT(a, a) = 0, attained by the identity plan."""
    if cost.shape[0] != cost.shape[1]:
        return False
    return bool(xp.all(cost >= 0)) and bool(xp.all(xp.linalg.diagonal(cost) == 0))
