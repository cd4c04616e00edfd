r"""``pairwise``: the matrix of a divergence over many distributions, serial or on dask.

.. math::

    D_{ij} = d(X_i, Y_j), \qquad 1 \le i \le N,\ 1 \le j \le M

for any metric of the library. The serial path runs in-process; given a
``dask.distributed.Client``, the pairs run as chunked tasks on its cluster
(``_pairwise_dask``), with the same values.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import _validate as check
from .._backend import Array, Namespace, device
from ..entropic._common import normalize_flag
from ..progress import progress_bar
from ._measures import read_inputs
from ._metrics import HISTOGRAMS, Inputs, Metric, bind, check_metric, check_options, measure_kind, pair_value


def pairwise(
    X: Sequence[Any] | Array,
    Y: Sequence[Any] | Array | None = None,
    *,
    metric: str = "wasserstein",
    M: Array | None = None,
    client: Any = None,
    chunk_size: int | None = None,
    normalize: bool = False,
    progress: bool = False,
    **metric_kwargs: Any,
) -> Array:
    r"""The (N, N) or (N, M) matrix of a divergence between many measures.

    .. math::

        D_{ij} = d(X_i, Y_j) \quad (Y = X \text{ when } Y \text{ is None})

    With ``Y=None`` and a symmetric metric each unordered pair is computed once and
    mirrored; the diagonal is the metric's exact value at (x, x) (0 for a
    divergence, :math:`-t \log 4` for ``"gan"`` at mass t), computed only when it
    is not known.
    An asymmetric metric (``"kl"``, ``"reverse_kl"``, ``"pearson"``, ``"neyman"``,
    ``"alpha"`` with alpha != 1/2, ``"wasserstein"`` on a non-symmetric cost) is
    computed for both orders: ``D[i, j] = d(X_i \| X_j)``, the row is the first argument.

    Parameters
    ----------
    X, Y : sequences of measures
        Lists or tuples of measures, or arrays stacking them along the first axis.
        Point clouds: arrays (n, d) or (n,) (points on the line), or
        ``(points, weights)`` pairs (uniform weights when bare). Histograms: 1-D
        arrays of bin weights, all on one support (X's may differ from Y's for
        ``"wasserstein"``, the cost being (n, m)).
    metric : str
        On point clouds: ``"wasserstein"`` (:func:`divergences.wasserstein`),
        ``"sinkhorn_divergence"`` (:func:`divergences.sinkhorn_divergence`),
        ``"sliced_wasserstein"`` (:func:`divergences.sliced_wasserstein`).
        On histograms: ``"wasserstein"`` with M (:func:`divergences.solve`), ``"qp"``
        with M the distances of the support (:func:`divergences.qp_divergence`), or
        an f-divergence kind (``"kl"``, ``"js"``, ..., ``"alpha"``;
        :func:`divergences.f_divergence`; M is checked if given but not used).
        Histograms given without M (bare 1-D nonnegative arrays of one length and
        one total mass, or a single one of mass 1) raise ``ValueError``: pass M, or
        ``(points, None)`` pairs for points on the line.

        Units, one rule for both kinds of measure: ``"wasserstein"`` returns W_p,

        .. math::

            W_p = \Big(\min_{P \in U(a, b)} \langle C, P\rangle\Big)^{1/p},

        with C the ground cost to the power p: :math:`\|x - y\|^p` on point clouds
        (built from the points), the given M on histograms, which is therefore
        :math:`D^p` for a ground distance D (pass ``M = D**p`` with ``p=p``). ``p``
        defaults to 1 on both, as in :func:`divergences.wasserstein`; on histograms
        p = 1 returns the optimal cost :math:`\langle M, P\rangle` of any M (W_p^p
        when M = D^p), and p > 1 needs M >= 0. Every other metric has the units of
        its function (``"sinkhorn_divergence"``: the cost :math:`\|x - y\|^p`, so
        those of W_p^p; ``"sliced_wasserstein"``: SW_p).
    M : array (n, m), optional
        The cost between the bins of the histograms (``D**p`` for W_p of order p
        over a ground distance D; D itself for ``"qp"``); its presence makes
        ``"wasserstein"`` compare histograms rather than point clouds.
    client : dask.distributed.Client, optional
        Run the pairs on this client's cluster instead of in-process. The measures
        and M are scattered once to every worker; tasks of ``chunk_size`` pairs are
        submitted and gathered as they complete. dask is imported only here.
    normalize : bool
        The mass rule, as in every function of the library. ``False`` (default):
        measures of equal total mass t are compared as they are (masses differing
        by more than ``sqrt(eps)`` relative raise), and values scale with t:
        optimal costs, Sinkhorn and f-divergences as t, W_p and SW_p as
        :math:`t^{1/p}`. ``True``: every measure is rescaled to mass 1 first.
        ``"qp"`` is the exception: the GAN-QP divergence is homogeneous of degree 2
        in the mass, and :func:`divergences.qp_divergence` takes probability
        vectors, so masses other than 1 raise unless ``normalize=True``.
    chunk_size : int, optional
        Pairs per task (distributed only). Default: enough tasks for 4 per worker
        thread and at least 100 in all, so the load balances and a lost worker
        costs little work.
    progress : bool
        Report progress on stderr (default False: silent), through
        :func:`divergences.progress.progress_bar`: a bar in a terminal, a plain line
        every few percent elsewhere.
    **metric_kwargs
        Options of the metric's function (``p``, ``eps``, ``alpha``, ``lam``,
        ``seed``, ...; ``p`` for ``"wasserstein"`` on histograms too). ``"sinkhorn_divergence"`` needs ``eps``.
        For ``"sliced_wasserstein"`` every pair uses the same directions, drawn
        from ``seed`` (an int is used as is; a Generator or None is drawn from
        once), so the matrix does not depend on chunking or workers.

    Returns
    -------
    array (N, N) or (N, M)
        In the namespace, floating dtype and device of the inputs (NumPy for
        lists). No gradients: values are gathered as Python floats.

    Raises
    ------
    ValueError, TypeError
        An unknown metric or option, a metric that does not apply to the measures'
        kind, measures of mixed kinds, histograms on different supports, unequal
        masses, a cost of the wrong shape, a closed or asynchronous client: all
        before any pair is computed or any task submitted, naming the argument.

    Notes
    -----
    N(N-1)/2 evaluations for a symmetric metric with ``Y=None``, N(N-1) for an
    asymmetric one, N M with ``Y``. The distributed path computes on the workers in
    the caller's array library (it must be installed there) and gives the same
    values as the serial path. Losing a worker loses no work: the scheduler reruns
    its tasks elsewhere (up to ``distributed.scheduler.allowed-failures`` times per
    task). Worker memory and cluster use: docs/pairwise.md.

    References
    ----------
    M. Rocklin, "Dask: Parallel Computation with Blocked algorithms and Task
    Scheduling", Proc. 14th Python in Science Conf. (SciPy 2015); the metrics as in
    :func:`divergences.solve`, :func:`divergences.wasserstein`,
    :func:`divergences.sinkhorn_divergence`, :func:`divergences.sliced_wasserstein`,
    :func:`divergences.qp_divergence`, :func:`divergences.f_divergence`.

    Examples
    --------
    >>> import numpy as np
    >>> H = np.eye(3)  # three Dirac histograms on the points 0, 1, 2
    >>> D = np.abs(np.subtract.outer(np.arange(3.0), np.arange(3.0)))
    >>> pairwise(H, M=D, progress=False)
    array([[0., 1., 2.],
           [1., 0., 1.],
           [2., 1., 0.]])

    W_2 from the squared distances, the same as on the points themselves:

    >>> float(pairwise(H, M=D**2, p=2)[0, 2])
    2.0
    >>> float(pairwise([(np.array([0.0]), None), (np.array([2.0]), None)], p=2)[0, 1])
    2.0
    >>> clouds = [np.zeros((2, 2)), np.ones((3, 2))]
    >>> pairwise(clouds, metric="sliced_wasserstein", seed=0, progress=False).shape
    (2, 2)
    >>> float(pairwise(H[:1], H[1:], metric="tv", progress=False)[0, 1])
    1.0
    """
    name = check_metric(metric)
    kind = measure_kind(name, M is not None)
    if client is not None:
        from ._dask import check_client

        check_client(client)
    check_options(name, kind, metric_kwargs)
    normalize = normalize_flag(normalize)
    size = None if chunk_size is None else check.check_positive_int(chunk_size, "chunk_size")
    inputs, xp = read_inputs(X, Y, M, kind, name, normalize)
    bound = bind(name, kind, {**metric_kwargs, "normalize": normalize}, inputs.cost, xp)
    pairs, mirror = _pairs(len(inputs.xs), len(inputs.ys), Y is None, bound)
    if client is None:
        values = _serial(bound, pairs, inputs, progress)
    else:
        from ._dask import evaluate

        values = evaluate(client, bound, pairs, inputs, size, progress)
    return _matrix(values, pairs, mirror, inputs, Y is None, bound, xp)


def _pairs(n: int, m: int, square: bool, metric: Metric) -> tuple[np.ndarray, bool]:
    """The (i, j) pairs to evaluate, shape (P, 2), and whether each stands for (j, i) too."""
    if not square:
        i, j = np.indices((n, m)).reshape(2, -1)
        return np.stack([i, j], axis=1), False
    lower = 0 if metric.diagonal is None else 1  # compute the diagonal only when unknown
    i, j = np.triu_indices(n, lower)
    if not metric.symmetric:  # both orders: add the strict lower triangle
        li, lj = np.tril_indices(n, -1)
        i, j = np.concatenate([i, li]), np.concatenate([j, lj])
    return np.stack([i, j], axis=1), metric.symmetric


def _serial(metric: Metric, pairs: np.ndarray, inputs: Inputs, progress: bool) -> np.ndarray:
    values = np.empty(len(pairs))
    with progress_bar(len(pairs), f"pairwise {metric.name}", unit="pairs", enabled=progress) as bar:
        for k, (i, j) in enumerate(pairs):
            values[k] = pair_value(metric, inputs, int(i), int(j))
            bar.update()
    return values


def _matrix(values, pairs, mirror, inputs: Inputs, square: bool, metric: Metric, xp: Namespace) -> Array:
    """The matrix in the caller's namespace, dtype and device."""
    out = np.empty((len(inputs.xs), len(inputs.ys)))
    if square and metric.diagonal is not None:
        np.fill_diagonal(out, _known_diagonal(metric.diagonal, metric, inputs, xp))
    out[pairs[:, 0], pairs[:, 1]] = values
    if mirror:
        out[pairs[:, 1], pairs[:, 0]] = values
    like = _first_array(inputs)
    return xp.asarray(out, dtype=like.dtype, device=device(like))


def _known_diagonal(at_unit_mass: float, metric: Metric, inputs: Inputs, xp: Namespace) -> np.ndarray | float:
    """d(x, x): the value at mass 1 times each measure's mass t (the mass rule; only
    the ``gan`` f-divergence is nonzero there, -t log 4)."""
    if at_unit_mass == 0 or metric.options.get("normalize") or metric.kind != HISTOGRAMS:
        return at_unit_mass
    return np.array([at_unit_mass * float(xp.sum(x.weights)) for x in inputs.xs])


def _first_array(inputs: Inputs) -> Array:
    x = inputs.xs[0]
    return x.weights if x.points is None else x.points


__all__ = ["pairwise"]
