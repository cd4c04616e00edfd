"""Reading the measures of ``pairwise``: sequences of point clouds or of histograms.

Every check runs here, before the first pair is computed or the first task is
submitted, and names the measure at fault (``X[3]``, ``Y[0] weights``, ``M``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import _validate as check
from .._backend import Array, Namespace, device, is_array, namespace, result_dtype
from ._metrics import HISTOGRAMS, Inputs, Measure
from ..qp import distance_matrix

__all__ = ["Raw", "read_inputs"]

Raw = tuple[str, Any, Any]  # (label, points or histogram, weights)


def read_inputs(X: Any, Y: Any, M: Any, kind: str, metric: str, normalize: bool) -> tuple[Inputs, Namespace]:
    """The checked measures and cost, in one namespace and one float dtype."""
    raw_x = _entries(X, "X", kind)
    raw_y = [] if Y is None else _entries(Y, "Y", kind)
    xp = namespace(*(a for _, p, w in raw_x + raw_y for a in (p, w)), M)
    raw_x, raw_y = _as_arrays(raw_x, xp), _as_arrays(raw_y, xp)
    cost = None if M is None else check.cost_matrix(M, xp)
    arrays = [a for _, p, w in raw_x + raw_y for a in (p, w) if a is not None]
    dtype = result_dtype(xp, *arrays, *([] if cost is None else [cost]))
    if kind == HISTOGRAMS:
        return _histogram_inputs(raw_x, raw_y, cost, metric, normalize, xp, dtype), xp
    if metric == "wasserstein" and not _has_pairs(X, Y) and _look_like_histograms(raw_x + raw_y, xp):
        raise ValueError(
            "X: every measure is a bare 1-D array of nonnegative entries, of one length and one "
            "total mass, which reads as histograms, but no M was given: pass M, the cost between "
            "bins; for points on the line pass (points, None) pairs or (n, 1) arrays"
        )
    xs = _clouds(raw_x, xp, dtype)
    ys = _clouds(raw_y, xp, dtype) if raw_y else xs
    labelled = list(zip(raw_x + raw_y, xs + ys if raw_y else xs))
    _same_dimension(labelled)
    if not normalize:
        _same_mass([(label, _cloud_mass(x, xp)) for (label, _, _), x in labelled], xp, dtype, metric)
    return Inputs(xs, ys, None), xp


def _has_pairs(*seqs: Any) -> bool:
    """Some measure was passed as a (points, weights) pair: the caller said "points"."""
    return any(isinstance(item, tuple) for seq in seqs if isinstance(seq, Sequence) for item in seq)


def _look_like_histograms(raw: list[Raw], xp: Namespace) -> bool:
    """Bare 1-D nonnegative arrays of one length (more than one bin) and one total
    mass (the mass rule: histograms need not sum to 1), mass 1 for a single one:
    histograms passed without their cost, not samples on the line, whose sums would
    agree only by coincidence."""
    if any(w is not None or p.ndim != 1 for _, p, w in raw):
        return False
    n = raw[0][1].shape[0]
    if n < 2 or any(p.shape[0] != n for _, p, _ in raw):
        return False
    masses = []
    for _, p, _ in raw:
        q = xp.astype(p, xp.float64) if not xp.isdtype(p.dtype, "real floating") else p
        if bool(xp.any(q < 0)):
            return False
        masses.append(float(xp.sum(q)))
    common = masses[0] if len(masses) > 1 else 1.0
    return common > 0 and all(abs(m - common) <= 1e-6 * common for m in masses)


def _entries(X: Any, name: str, kind: str) -> list[Raw]:
    """(label, points, weights) for each measure of the sequence ``X``: a list or tuple
    of measures, or an array stacking them along its first axis."""
    if is_array(X):
        if X.ndim < 2:
            raise ValueError(
                f"{name} as one array stacks measures along its first axis and must be at least 2-D, "
                f"got shape {tuple(X.shape)}"
            )
        items: list[Any] = [X[k, ...] for k in range(X.shape[0])]
    elif isinstance(X, Sequence) and not isinstance(X, (str, bytes)):
        items = list(X)
    else:
        raise TypeError(
            f"{name} must be a sequence of measures (arrays, or (points, weights) pairs), "
            f"got {type(X).__name__}"
        )
    if not items:
        raise ValueError(f"{name} is empty: pass at least one measure")
    return [_split(item, f"{name}[{k}]", kind) for k, item in enumerate(items)]


def _as_arrays(raw: list[Raw], xp: Namespace) -> list[Raw]:
    return [
        (label, check.as_array(p, label, xp), None if w is None else check.as_array(w, f"{label} weights", xp))
        for label, p, w in raw
    ]


def _split(item: Any, label: str, kind: str) -> Raw:
    is_pair = (
        isinstance(item, tuple) and len(item) == 2 and _array_like(item[0]) and (item[1] is None or _array_like(item[1]))
    )
    if not is_pair:
        return label, item, None
    if kind == HISTOGRAMS:
        raise ValueError(
            f"{label} is a (points, weights) pair, a point cloud, but the measures are histograms "
            "on one support (M given, or an f-divergence): pass every measure as a 1-D array of "
            "bin weights; measures of mixed kinds cannot be compared"
        )
    return label, item[0], item[1]


def _array_like(x: Any) -> bool:
    return is_array(x) or isinstance(x, (list, tuple))


# ---------------------------------------------------------------------------- histograms


def _histogram_inputs(raw_x, raw_y, cost, metric, normalize, xp, dtype) -> Inputs:
    # The mass rule: equal masses, values scaling with the mass. GAN-QP is the
    # exception (QP(t a, t b) = t^2 QP(a, b)): qp_divergence takes probability vectors.
    unit_mass = metric == "qp" and not normalize
    xs = tuple(_histogram(label, h, xp, dtype, unit_mass) for label, h, _ in raw_x)
    ys = tuple(_histogram(label, h, xp, dtype, unit_mass) for label, h, _ in raw_y) or xs
    n, m = _shared_bins(xs, raw_x), _shared_bins(ys, raw_y or raw_x)
    if metric != "wasserstein" and m != n:
        raise ValueError(f"Y[0] has {m} bins while X has {n}: metric={metric!r} compares histograms on the same bins")
    if cost is not None:
        cost = _cost(cost, n, m, not raw_y, metric, xp, dtype)
    if not (unit_mass or normalize):
        labelled = zip(raw_x + raw_y, xs + ys if raw_y else xs)
        _same_mass([(label, xp.sum(h.weights)) for (label, _, _), h in labelled], xp, dtype, metric)
    # f-divergences compare bins one to one: a cost given for them is checked, not shipped
    return Inputs(xs, ys, cost if metric in ("wasserstein", "qp") else None)


def _histogram(label: str, h: Array, xp: Namespace, dtype: Any, unit_mass: bool) -> Measure:
    if h.ndim != 1:
        raise ValueError(
            f"{label} has shape {tuple(h.shape)}, but the measures are histograms on one support "
            "(M given, or an f-divergence): each must be a 1-D array of bin weights; measures of "
            "mixed kinds cannot be compared"
        )
    h = check.as_float(h, xp, dtype)
    check.probability_vectors(h, label, xp, dtype, normalize=not unit_mass)  # checks only
    return Measure(None, h)


def _shared_bins(hs: tuple[Measure, ...], raw: list[Raw]) -> int:
    n = hs[0].weights.shape[0]
    for (label, _, _), h in zip(raw, hs):
        if h.weights.shape[0] != n:
            raise ValueError(
                f"{label} has {h.weights.shape[0]} bins while {raw[0][0]} has {n}: "
                "histograms must live on one shared support"
            )
    return n


def _cost(cost: Array, n: int, m: int, square: bool, metric: str, xp: Namespace, dtype: Any) -> Array:
    cost = check.as_float(cost, xp, dtype)
    if tuple(cost.shape) != (n, m):
        support = f"the {n}-bin support" if square else f"the supports ({n} bins in X, {m} in Y)"
        raise ValueError(f"M: shape {tuple(cost.shape)} does not match {support}")
    if metric == "qp":
        try:
            distance_matrix(cost, n, xp, dtype)
        except ValueError as err:
            raise ValueError(f"M is the distance matrix D of divergences.qp_divergence: {err}") from None
    return cost


# ---------------------------------------------------------------------------- point clouds


def _clouds(raw: list[Raw], xp: Namespace, dtype: Any) -> tuple[Measure, ...]:
    return tuple(_cloud(label, p, w, xp, dtype) for label, p, w in raw)


def _cloud(label: str, points: Array, weights: Array | None, xp: Namespace, dtype: Any) -> Measure:
    points = check.as_float(check.points(points, label, xp), xp, dtype)
    if weights is None:
        return Measure(points, None)
    weights = check.weights(weights, f"{label} weights", points.shape[0], xp, dtype, device(points))
    check.check_ndim(weights, f"{label} weights", (1,))
    return Measure(points, weights)


def _dimension(x: Measure) -> int:
    return 1 if x.points.ndim == 1 else x.points.shape[1]


def _same_dimension(labelled: list[tuple[Raw, Measure]]) -> None:
    first_label, d = labelled[0][0][0], _dimension(labelled[0][1])
    for (label, _, _), x in labelled:
        if _dimension(x) != d:
            raise ValueError(
                f"{label} has points in dimension {_dimension(x)} while {first_label} has dimension {d} "
                "(a 1-D array is read as points on the line; histograms on one support need their cost M)"
            )


def _cloud_mass(x: Measure, xp: Namespace) -> Any:
    return 1.0 if x.weights is None else xp.sum(x.weights)


def _same_mass(masses: list[tuple[str, Any]], xp: Namespace, dtype: Any, metric: str) -> None:
    """Equal total masses up to sqrt(eps) relative (the tolerance of the solvers)."""
    rtol = math.sqrt(float(xp.finfo(dtype).eps))
    first_label, first = masses[0][0], float(masses[0][1])
    for label, mass in masses:
        mass = float(mass)
        if abs(mass - first) > rtol * max(mass, first):
            raise ValueError(
                f"{label} has total mass {mass:.6g} while {first_label} has {first:.6g}: "
                f"metric={metric!r} compares measures of equal mass; pass normalize=True to "
                "rescale each to mass 1"
            )
