r"""Determinantal point processes: kernels, marginals, exact samplers, greedy MAP, GDPP.

An L-ensemble on the ground set :math:`\{0, \dots, n-1\}` draws a subset Y with
:math:`\mathbb P(Y) = \det L_Y / \det(L + I)` for a symmetric positive
semi-definite kernel L; its marginal kernel :math:`K = L (L + I)^{-1}` gives the
inclusion probabilities :math:`\mathbb P(S \subseteq Y) = \det K_S` (Kulesza and
Taskar, *Determinantal Point Processes for Machine Learning*, 2012, arXiv
1207.6083). This module builds kernels (:func:`rbf_kernel`, :func:`cosine_kernel`,
:func:`quality_diversity`), maps between L and K, evaluates likelihoods, samples
exactly (:func:`sample`, :func:`sample_k`), finds greedy MAP sets
(:func:`greedy_map`, Chen et al. 2018) and computes the GDPP diversity loss of
Elfeki et al. (ICML 2019) for generative models (:func:`gdpp_loss`).

Conventions. A kernel is checked to be finite, square, symmetric up to
``|L - L^T| <= sqrt(eps) max|L|`` and positive semi-definite up to a smallest
eigenvalue ``>= -sqrt(eps)`` times the largest in magnitude (eps the dtype's
machine epsilon); it is then symmetrised. Everything runs on the caller's array
library (NumPy, CuPy, PyTorch), with PyTorch gradients, except the sequential loops
of the samplers, which run on NumPy after the eigendecomposition (a host boundary;
the sampled indices come back as an int64 array in the caller's namespace and on
its device). Theory page: ``docs/dpp.md``.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .. import _validate as v
from .._backend import Array, Namespace, constant, default_rng, device, is_array, namespace, result_dtype, to_numpy
from ..linalg.determinants import _check_psd, _matrices, _nonnegative_number, _symmetric

Seed = int | np.random.Generator | None

__all__ = [
    "cosine_kernel",
    "expected_size",
    "gdpp_loss",
    "greedy_map",
    "inclusion_probabilities",
    "likelihood_kernel",
    "log_likelihood",
    "marginal_kernel",
    "quality_diversity",
    "rbf_kernel",
    "sample",
    "sample_k",
]


# ------------------------------------------------------------------ input helpers

def _kernel(L: object, name: str, xp: Namespace, *, batch: bool = False) -> Array:
    """A finite, nonempty, symmetric (then symmetrised) square kernel; 2-D unless ``batch``."""
    L = _matrices(L, name, xp, square=True)
    if not batch and L.ndim != 2:
        raise ValueError(f"{name} must be a single (n, n) kernel, got shape {tuple(L.shape)}")
    return _symmetric(L, name, xp)


def _psd_kernel(L: object, name: str, xp: Namespace, *, batch: bool = False) -> Array:
    """As :func:`_kernel`, and positive semi-definite (checked on the eigenvalues)."""
    L = _kernel(L, name, xp, batch=batch)
    _check_psd(xp.linalg.eigvalsh(constant(L, xp)), name, xp)
    return L


def _eye_like(L: Array, xp: Namespace) -> Array:
    return xp.eye(L.shape[-1], dtype=L.dtype, device=device(L))


def _diagonal_mask(n: int, xp: Namespace, like: Array) -> Array:
    i = xp.arange(n, device=device(like))
    return i[:, None] == i[None, :]


def _subset(subset: object, n: int) -> list[int]:
    """Distinct indices in [0, n) as a Python list (sequences and integer arrays)."""
    if is_array(subset):
        arr = to_numpy(subset, dtype=None) if not isinstance(subset, np.ndarray) else subset
    else:
        try:
            arr = np.asarray(subset)
        except Exception as err:
            raise TypeError(f"subset must be a sequence of integer indices: {err}") from None
    if arr.size == 0:
        return []
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"subset must hold integer indices (not booleans or floats), got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"subset must be 1-D (a list of indices), got shape {arr.shape}")
    if arr.min() < 0 or arr.max() >= n:
        raise ValueError(f"subset has indices out of range [0, {n}): min {arr.min()}, max {arr.max()}")
    if np.unique(arr).size != arr.size:
        raise ValueError("subset has repeated indices: a DPP draws sets, each item at most once")
    return [int(i) for i in arr]


def _size(k: object, n: int) -> int:
    k = v.positive_int_or_zero(k, "k")
    if k > n:
        raise ValueError(f"k = {k} is out of range: the ground set has n = {n} items")
    return k


def _indices(idx: Sequence[int] | np.ndarray, like: Array, xp: Namespace) -> Array:
    return xp.asarray(np.asarray(idx, dtype=np.int64), dtype=xp.int64, device=device(like))


# -------------------------------------------------------------------------- kernels

def rbf_kernel(x: Array, *, bandwidth: float) -> Array:
    r"""Gaussian (RBF) similarity kernel of a point cloud.

    .. math::

        L_{ij} = \exp\Big(-\frac{\|x_i - x_j\|^2}{2 h^2}\Big), \qquad h = \text{bandwidth},

    positive semi-definite for every h > 0 (Schoenberg), with unit diagonal.

    Parameters
    ----------
    x : array (n, d) or (n,)
        Finite points (a 1-D array is n points on the line).
    bandwidth : float
        The length scale h > 0.

    Returns
    -------
    array (n, n)
        Exactly symmetric, diagonal exactly 1; in the namespace, floating dtype and
        device of ``x``.

    Notes
    -----
    O(n^2 d) time, O(n^2) memory. Squared distances come from the Gram matrix of
    the centred points, clipped at 0; their absolute error is about
    ``eps * max|x - mean|^2``, negligible against ``h^2`` unless the cloud is
    much wider than h. Differentiable in ``x`` (PyTorch).

    Examples
    --------
    >>> import numpy as np
    >>> L = rbf_kernel(np.array([[0.0], [1.0]]), bandwidth=1.0)
    >>> round(float(L[0, 1]), 12) == round(float(np.exp(-0.5)), 12)
    True
    """
    xp = namespace(x)
    x = v.points(x, "x", xp)
    h = v.positive_number(bandwidth, "bandwidth")
    x = v.as_float(x[:, None] if x.ndim == 1 else x, xp, result_dtype(xp, x))
    xc = x - xp.mean(x, axis=0, keepdims=True)
    G = xc @ xp.matrix_transpose(xc)
    G = (G + xp.matrix_transpose(G)) / 2
    sq = xp.linalg.diagonal(G)
    d2 = xp.clip(sq[:, None] + sq[None, :] - 2 * G, 0.0, None)
    d2 = xp.where(_diagonal_mask(x.shape[0], xp, x), xp.zeros_like(d2), d2)
    return xp.exp(-d2 / (2 * h * h))


def cosine_kernel(x: Array) -> Array:
    r"""Cosine similarity kernel: the Gram matrix of the row-normalised features.

    .. math::

        L_{ij} = \frac{\langle x_i, x_j \rangle}{\|x_i\| \, \|x_j\|},

    positive semi-definite with unit diagonal and rank at most d (the kernel of
    GDPP, Elfeki et al. 2019).

    Parameters
    ----------
    x : array (n, d)
        Finite features with no zero row (its direction is undefined).

    Returns
    -------
    array (n, n)
        Exactly symmetric, diagonal exactly 1.

    Raises
    ------
    ValueError
        A zero row (named by its index), or bad input.

    Notes
    -----
    O(n^2 d). Differentiable in ``x`` (PyTorch).

    Examples
    --------
    >>> import numpy as np
    >>> cosine_kernel(np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])).round(4)
    array([[1.    , 0.7071, 0.    ],
           [0.7071, 1.    , 0.7071],
           [0.    , 0.7071, 1.    ]])
    """
    xp = namespace(x)
    x = v.points(x, "x", xp)
    x = v.as_float(x[:, None] if x.ndim == 1 else x, xp, result_dtype(xp, x))
    norms = xp.linalg.vector_norm(x, axis=1, keepdims=True)
    zero = np.flatnonzero(to_numpy(norms[:, 0]) == 0)
    if zero.size:
        raise ValueError(f"x has a zero row (row {int(zero[0])}): the cosine similarity is undefined there")
    xn = x / norms
    L = xn @ xp.matrix_transpose(xn)
    L = (L + xp.matrix_transpose(L)) / 2
    return xp.where(_diagonal_mask(x.shape[0], xp, x), xp.ones_like(L), L)


def quality_diversity(q: Array, S: Array) -> Array:
    r"""Quality-diversity decomposition of an L-ensemble kernel.

    .. math::

        L = \operatorname{diag}(q)\, S \operatorname{diag}(q), \qquad
        L_{ij} = q_i S_{ij} q_j ,

    with qualities :math:`q_i \ge 0` and a similarity S (symmetric positive
    semi-definite, typically with unit diagonal); then
    :math:`\det L_Y = \prod_{i \in Y} q_i^2 \det S_Y` (Kulesza and Taskar 2012,
    Sec. 3.1).

    Parameters
    ----------
    q : array (n,)
        Finite nonnegative qualities.
    S : array (n, n)
        Similarity kernel, checked symmetric and positive semi-definite.

    Returns
    -------
    array (n, n)

    Notes
    -----
    O(n^2) plus the O(n^3) positive semi-definiteness check of S.

    Examples
    --------
    >>> import numpy as np
    >>> quality_diversity(np.array([1.0, 2.0]), np.array([[1.0, 0.5], [0.5, 1.0]]))
    array([[1., 1.],
           [1., 4.]])
    """
    xp = namespace(q, S)
    S = _psd_kernel(S, "S", xp)
    q = v.as_array(q, "q", xp)
    if q.ndim != 1 or q.shape[0] != S.shape[0]:
        raise ValueError(f"q must have shape ({S.shape[0]},) (one quality per item of S), got {tuple(q.shape)}")
    dtype = result_dtype(xp, q, S)
    q, S = v.as_float(q, xp, dtype), v.as_float(S, xp, dtype)
    v.check_finite(q, "q", xp)
    if bool(xp.any(q < 0)):
        raise ValueError("q has negative entries: qualities must be >= 0")
    return q[:, None] * S * q[None, :]


# ------------------------------------------------------------- marginals, likelihood

def marginal_kernel(L: Array) -> Array:
    r"""Marginal kernel of an L-ensemble: :math:`K = L (L + I)^{-1} = I - (L + I)^{-1}`.

    :math:`\mathbb P(S \subseteq Y) = \det K_S` for every S; the eigenvalues of K are
    :math:`\lambda / (1 + \lambda) \in [0, 1)` for the eigenvalues
    :math:`\lambda \ge 0` of L (Kulesza and Taskar 2012, Thm. 2.2).

    Parameters
    ----------
    L : array (..., n, n)
        Symmetric positive semi-definite kernels (leading axes are a batch).

    Returns
    -------
    array (..., n, n)
        Symmetric.

    Notes
    -----
    O(n^3): one solve with the well-conditioned :math:`L + I` (eigenvalues
    :math:`\ge 1`), as :math:`(L + I)^{-1} L`, which keeps the relative accuracy of
    small eigenvalues; plus the eigenvalue check of L. Differentiable (PyTorch),
    finite gradients at repeated eigenvalues (no eigenvectors are differentiated).

    Examples
    --------
    >>> import numpy as np
    >>> marginal_kernel(np.diag([1.0, 3.0, 0.0]))
    array([[0.5 , 0.  , 0.  ],
           [0.  , 0.75, 0.  ],
           [0.  , 0.  , 0.  ]])
    """
    xp = namespace(L)
    L = _psd_kernel(L, "L", xp, batch=True)
    K = xp.linalg.solve(L + _eye_like(L, xp), L)
    return (K + xp.matrix_transpose(K)) / 2


def likelihood_kernel(K: Array) -> Array:
    r"""L-ensemble kernel of a marginal kernel: :math:`L = K (I - K)^{-1}`.

    The inverse of :func:`marginal_kernel`; it exists when every eigenvalue of K is
    in [0, 1) (a DPP with an eigenvalue 1 always contains some item and is not an
    L-ensemble; Kulesza and Taskar 2012, Sec. 2.2.1).

    Parameters
    ----------
    K : array (..., n, n)
        Symmetric positive semi-definite, largest eigenvalue below ``1 - n * eps``
        (so that :math:`I - K` is numerically invertible).

    Returns
    -------
    array (..., n, n)
        Symmetric.

    Raises
    ------
    ValueError
        An eigenvalue of K at or above ``1 - n * eps``, or bad input.

    Notes
    -----
    O(n^3). Relative accuracy about ``eps / (1 - lambda_max(K))``.

    Examples
    --------
    >>> import numpy as np
    >>> likelihood_kernel(np.diag([0.5, 0.75, 0.0]))
    array([[1., 0., 0.],
           [0., 3., 0.],
           [0., 0., 0.]])
    """
    xp = namespace(K)
    K = _kernel(K, "K", xp, batch=True)
    lam = xp.linalg.eigvalsh(constant(K, xp))
    _check_psd(lam, "K", xp)
    limit = 1 - K.shape[-1] * xp.finfo(K.dtype).eps
    top = float(xp.max(lam))
    if top >= limit:
        raise ValueError(
            f"K must have all eigenvalues < 1 (up to n * eps) to have a likelihood kernel "
            f"L = K (I - K)^-1; its largest is {top:.17g}"
        )
    L = xp.linalg.solve(_eye_like(K, xp) - K, K)
    return (L + xp.matrix_transpose(L)) / 2


def inclusion_probabilities(L: Array) -> Array:
    r"""Probability that each item is in the DPP sample: :math:`\mathbb P(i \in Y) = K_{ii}`.

    .. math::

        K_{ii} = \big(L (L + I)^{-1}\big)_{ii}, \qquad \sum_i K_{ii} = \mathbb E|Y| .

    Parameters
    ----------
    L : array (..., n, n)
        Symmetric positive semi-definite kernels.

    Returns
    -------
    array (..., n)
        In [0, 1] (clipped there against round-off).

    Notes
    -----
    O(n^3) (:func:`marginal_kernel`). Differentiable (PyTorch).

    Examples
    --------
    >>> import numpy as np
    >>> inclusion_probabilities(np.diag([1.0, 3.0]))
    array([0.5 , 0.75])
    """
    xp = namespace(L)
    return xp.clip(xp.linalg.diagonal(marginal_kernel(L)), 0.0, 1.0)


def expected_size(L: Array) -> Array:
    r"""Expected size of the DPP sample.

    .. math::

        \mathbb E|Y| = \operatorname{tr} K = \sum_i \frac{\lambda_i}{1 + \lambda_i},

    with :math:`\lambda_i` the eigenvalues of L (Kulesza and Taskar 2012, eq. 34).

    Parameters
    ----------
    L : array (..., n, n)
        Symmetric positive semi-definite kernels.

    Returns
    -------
    array (...)

    Notes
    -----
    O(n^3). Differentiable (PyTorch).

    Examples
    --------
    >>> import numpy as np
    >>> float(expected_size(np.diag([1.0, 3.0, 0.0])))
    1.25
    """
    xp = namespace(L)
    return xp.sum(inclusion_probabilities(L), axis=-1)


def log_likelihood(L: Array, subset: Sequence[int] | Array) -> Array:
    r"""Log-probability that the L-ensemble draws exactly ``subset``.

    .. math::

        \log \mathbb P(Y = S) = \log\det L_S - \log\det(L + I),

    with :math:`\det L_\emptyset = 1` (Kulesza and Taskar 2012, eq. 13).

    Parameters
    ----------
    L : array (n, n)
        Symmetric positive semi-definite kernel.
    subset : sequence of int or integer array
        Distinct indices in [0, n), in any order (order does not change the value).

    Returns
    -------
    array (0-D)
        ``-inf`` when :math:`L_S` is singular (an exact zero pivot, or a
        nonpositive determinant from round-off).

    Raises
    ------
    ValueError
        Indices out of range or repeated, or a bad kernel.

    Notes
    -----
    :math:`O(n^3 + |S|^3)`: Cholesky of :math:`L + I`, LU of :math:`L_S`. Differentiable
    (PyTorch) where :math:`L_S` is nonsingular.

    Examples
    --------
    >>> import numpy as np
    >>> L = np.diag([1.0, 3.0])
    >>> round(float(np.exp(log_likelihood(L, [1]))), 12)  # 3 / (2 * 4)
    0.375
    """
    xp = namespace(L)
    L = _psd_kernel(L, "L", xp)
    idx = _subset(subset, L.shape[0])
    chol = xp.linalg.cholesky(L + _eye_like(L, xp))
    log_norm = 2 * xp.sum(xp.log(xp.linalg.diagonal(chol)))
    if not idx:
        return -log_norm
    ii = _indices(idx, L, xp)
    LS = xp.take(xp.take(L, ii, axis=0), ii, axis=1)
    sign, logabs = xp.linalg.slogdet(LS)
    return xp.where(sign > 0, logabs, xp.full_like(logabs, -xp.inf)) - log_norm


# --------------------------------------------------------------------------- samplers

def _eigen(L: object, xp: Namespace) -> tuple[Array, Array, np.ndarray]:
    """(L checked and symmetrised, eigenvectors V (in xp), eigenvalues >= 0 on NumPy)."""
    L = _kernel(L, "L", xp)
    lam, V = xp.linalg.eigh(constant(L, xp))
    _check_psd(lam, "L", xp)
    return L, V, np.clip(to_numpy(lam), 0.0, None)


def _projection_sample(V: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw of the projection DPP with kernel V V^T (V has orthonormal columns):
    the chain rule, each conditional a residual squared row norm (Gram-Schmidt on the
    rows of V). O(n r^2) for V of shape (n, r)."""
    n, r = V.shape
    chosen = np.empty(r, dtype=np.int64)
    residual = np.einsum("ij,ij->i", V, V)  # P(i first) = K_ii / r
    C = np.empty((r, n))  # rows: Gram-Schmidt coefficients of each chosen item
    for t in range(r):
        w = np.clip(residual, 0.0, None)
        cdf = np.cumsum(w)
        j = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), n - 1)
        while w[j] == 0:  # only at the float boundary of the last bin
            j -= 1
        chosen[t] = j
        if t == r - 1:
            break
        c = (V @ V[j] - C[:t, j] @ C[:t]) / math.sqrt(residual[j])
        C[t] = c
        residual -= c * c
        residual[j] = 0.0
    return chosen


def _sampled(idx: np.ndarray, L: Array, xp: Namespace) -> Array:
    return _indices(np.sort(idx), L, xp)


def sample(L: Array, *, seed: Seed = None) -> Array:
    r"""One exact draw of the DPP with L-ensemble kernel ``L`` (spectral algorithm).

    .. math::

        \mathbb P(Y = S) = \frac{\det L_S}{\det(L + I)} .

    With :math:`L = \sum_i \lambda_i v_i v_i^\top`: keep each eigenvector
    independently with probability :math:`\lambda_i / (1 + \lambda_i)`, then draw
    the projection DPP of the kept vectors V item by item, item j next with
    probability proportional to its squared residual row norm (Hough, Krishnapur,
    Peres, Virag, Probab. Surveys 3, 2006; Kulesza and Taskar 2012, Alg. 1, phase 2
    as Gram-Schmidt on the rows of V as in DPPy).

    Parameters
    ----------
    L : array (n, n)
        Symmetric positive semi-definite kernel; eigenvalues down to ``-sqrt(eps)``
        times the largest are round-off and read as 0.
    seed : int or numpy.random.Generator, optional
        All randomness comes from ``numpy.random.default_rng(seed)``; a fixed seed
        gives a fixed sample.

    Returns
    -------
    array (|Y|,)
        Sorted int64 indices in the namespace and on the device of ``L``.

    Notes
    -----
    O(n^3) for the eigendecomposition (in the caller's namespace, so on the GPU for
    CUDA arrays), then :math:`O(n |Y|^2)` for the sequential phase, which runs on NumPy
    (only the kept eigenvectors cross the host boundary). :math:`\mathbb E|Y|` is
    :func:`expected_size`.

    Examples
    --------
    >>> import numpy as np
    >>> sample(np.diag([1e9, 1e9, 0.0]), seed=0)  # items 0, 1 almost surely, never 2
    array([0, 1])
    """
    xp = namespace(L)
    L, V, lam = _eigen(L, xp)
    rng = default_rng(seed)
    keep = np.flatnonzero(rng.random(lam.shape[0]) < lam / (1.0 + lam))
    if keep.size == 0:
        return _indices(np.empty(0, dtype=np.int64), L, xp)
    Vk = to_numpy(xp.take(V, _indices(keep, L, xp), axis=1))
    return _sampled(_projection_sample(Vk, rng), L, xp)


def _log_esp(loglam: np.ndarray, k: int) -> np.ndarray:
    """log E[l, m] = log e_l(lam_1, ..., lam_m) for l <= k, m <= n, by the recursion
    e_l(m) = e_l(m-1) + lam_m e_{l-1}(m-1) (Kulesza and Taskar 2012, Alg. 7) in log
    space: every step adds positive terms, so it is accurate to a few ulps relative
    whatever the scale of the eigenvalues (no overflow for e_k > 1e308)."""
    n = loglam.shape[0]
    E = np.full((k + 1, n + 1), -np.inf)
    E[0, :] = 0.0
    for m in range(1, n + 1):
        E[1:, m] = np.logaddexp(E[1:, m - 1], loglam[m - 1] + E[:-1, m - 1])
    return E


def _select_k(lam: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Exactly k eigenvector indices, P(set J) proportional to prod_{i in J} lam_i
    (Kulesza and Taskar 2012, Alg. 8), with log-space polynomials."""
    positive = lam > 0
    loglam = np.full(lam.shape, -np.inf)
    loglam[positive] = np.log(lam[positive])
    E = _log_esp(loglam, k)
    chosen, left = [], k
    for m in range(lam.shape[0], 0, -1):
        if left == 0:
            break
        # P(item m | l left) = lam_m e_{l-1}(m-1) / e_l(m); exactly 1 when m == l
        log_p = loglam[m - 1] + E[left - 1, m - 1] - E[left, m]
        if rng.random() < math.exp(min(log_p, 0.0)):
            chosen.append(m - 1)
            left -= 1
    return np.asarray(chosen[::-1], dtype=np.int64)


def sample_k(L: Array, k: int, *, seed: Seed = None) -> Array:
    r"""One exact draw of the k-DPP: a set of exactly k items with :math:`\mathbb P(S) \propto \det L_S`.

    .. math::

        \mathbb P(Y = S) = \frac{\det L_S}{e_k(\lambda_1, \dots, \lambda_n)}, \qquad |S| = k,

    with :math:`e_k` the k-th elementary symmetric polynomial of the eigenvalues of
    L. Phase 1 picks exactly k eigenvectors, eigenvector m kept with probability
    :math:`\lambda_m e_{l-1}(\lambda_{1..m-1}) / e_l(\lambda_{1..m})` going down
    from m = n; phase 2 draws the projection DPP of the kept vectors as in
    :func:`sample` (Kulesza and Taskar, ICML 2011 and 2012, Algs. 7-8).

    Parameters
    ----------
    L : array (n, n)
        Symmetric positive semi-definite kernel.
    k : int
        Sample size, 0 <= k <= rank(L) (numerical rank: eigenvalues above
        ``n * eps`` times the largest; those below are set to 0).
    seed : int or numpy.random.Generator, optional
        Source of all randomness.

    Returns
    -------
    array (k,)
        Sorted int64 indices in the namespace and on the device of ``L``.

    Raises
    ------
    ValueError
        ``k`` negative, above n, or above the numerical rank of L (the k-DPP is
        undefined: every k-set has determinant 0); or a bad kernel.

    Notes
    -----
    The polynomials :math:`e_l(\lambda_{1..m})` are computed as logarithms
    (log-sum-exp of the recursion), so kernels with huge or widely spread
    eigenvalues work where the direct recursion overflows (e.g. DPPy's, once
    :math:`e_k > 10^{308}`) and yields NaN probabilities. O(n^3) for ``eigh`` (in
    the caller's namespace), O(nk) for the polynomials and O(nk^2) for phase 2, both
    on NumPy.

    Examples
    --------
    >>> import numpy as np
    >>> s = sample_k(1e200 * np.eye(5), 3, seed=0)  # e_3 = 1e601 overflows float64
    >>> len(s), len(set(s.tolist()))
    (3, 3)
    """
    xp = namespace(L)
    L, V, lam = _eigen(L, xp)
    n = lam.shape[0]
    k = _size(k, n)
    tol = n * float(xp.finfo(L.dtype).eps) * float(lam.max(initial=0.0))
    lam = np.where(lam > tol, lam, 0.0)
    rank = int(np.count_nonzero(lam))
    if k > rank:
        raise ValueError(f"k = {k} exceeds the numerical rank {rank} of L: every {k}-subset has det L_S = 0")
    if k == 0:
        return _indices(np.empty(0, dtype=np.int64), L, xp)
    rng = default_rng(seed)
    keep = _select_k(lam, k, rng)
    Vk = to_numpy(xp.take(V, _indices(keep, L, xp), axis=1))
    return _sampled(_projection_sample(Vk, rng), L, xp)


# ------------------------------------------------------------------------ greedy MAP

def greedy_map(L: Array, k: int) -> Array:
    r"""Greedy maximum a posteriori set of the DPP: k items, each maximising the log-det gain.

    .. math::

        j_{t+1} = \arg\max_{i \notin Y_t} \log\det L_{Y_t \cup \{i\}}
        = \arg\max_{i \notin Y_t} d_i^2, \qquad
        d_i^2 = L_{ii} - L_{i Y_t} L_{Y_t}^{-1} L_{Y_t i},

    with the Schur complements :math:`d_i^2` (the gains
    :math:`\det L_{Y \cup i} / \det L_Y`) updated by an incremental Cholesky
    factorisation: :math:`e_i = (L_{j i} - \langle c_j, c_i \rangle) / d_j`,
    :math:`c_i \leftarrow (c_i, e_i)`, :math:`d_i^2 \leftarrow d_i^2 - e_i^2`
    (Chen, Zhang, Zhou, NeurIPS 2018, arXiv 1709.05135, Alg. 1). Greedy is a
    heuristic for the NP-hard MAP problem, not its exact solution. Ties go to the
    lowest index.

    Parameters
    ----------
    L : array (n, n)
        Symmetric positive semi-definite kernel.
    k : int
        Number of items wanted, 0 <= k <= n.

    Returns
    -------
    array (m,)
        int64 indices in selection order, in the namespace and on the device of
        ``L``; m = k unless the greedy set stops early (below).

    Raises
    ------
    ValueError
        ``k`` out of range; L non-square; NaN/inf on the diagonal or in the row
        of a chosen item; :math:`L_{YY}` of the chosen items not symmetric (beyond
        ``sqrt(eps)`` times its largest magnitude); a negative diagonal entry or a
        Schur complement below ``-sqrt(eps)`` times the largest diagonal entry
        (then L is not positive semi-definite).

    Notes
    -----
    Round-off: the computed gains :math:`d_i^2` of items already spanned by the
    chosen ones are of order ``eps`` and may be negative. Selection stops as soon as
    the best remaining gain is at most ``n * eps * max_i L_ii`` (the kernel's
    numerical rank is exhausted: every further item would give
    :math:`\det L_Y = 0`), so the result can hold fewer than k items; no division by
    a nonpositive gain ever happens.

    Input checks are confined to what the algorithm reads, in O(nk) contiguous
    memory: the result depends only on the diagonal and the rows of the chosen
    items (entries never read cannot change it). Symmetry is checked on
    :math:`L_{YY}`, whose determinant the result maximises, not on the read rows
    against their columns: that strided O(nk) gather alone costs as much as the
    whole algorithm (measured at n = 5000, k = 100), and a full symmetry,
    finiteness or eigenvalue check would cost O(n^2) to O(n^3), more than the
    algorithm itself for k^2 < n.

    O(n k^2) time (O(nk) per step), O(nk) memory; runs in the caller's namespace
    with a few host synchronisations per step (the argmax, its gain, the checks).

    Examples
    --------
    >>> import numpy as np
    >>> L = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, 0.1], [0.0, 0.1, 0.8]])
    >>> greedy_map(L, 2)  # item 0 (ties break to the lowest index), then the most diverse
    array([0, 2])
    """
    xp = namespace(L)
    L = v.as_array(L, "L", xp)
    if L.ndim != 2 or L.shape[0] != L.shape[1]:
        raise ValueError(f"L must be a square matrix of shape (n, n), got shape {tuple(L.shape)}")
    if L.shape[0] == 0:
        raise ValueError("L is empty: got shape (0, 0)")
    L = constant(v.as_float(L, xp, result_dtype(xp, L)), xp)
    n = L.shape[0]
    k = _size(k, n)
    eps = float(xp.finfo(L.dtype).eps)
    d2 = xp.asarray(xp.linalg.diagonal(L), copy=True)  # diagonal() may be a view of L
    v.check_finite(d2, "L", xp)
    top = float(xp.max(d2))
    if float(xp.min(d2)) < -math.sqrt(eps) * max(top, 0.0):
        raise ValueError("L must be positive semi-definite: it has a negative diagonal entry")
    floor = n * eps * top
    C = xp.zeros((max(k - 1, 0), n), dtype=L.dtype, device=device(L))
    chosen: list[int] = []
    for t in range(k):
        j = int(xp.argmax(d2))
        gain = float(d2[j])
        if not gain > floor:  # also stops on NaN (reported below)
            break
        chosen.append(j)
        if t == k - 1:
            break
        e = (L[j, :] - C[:t, j] @ C[:t, :]) / math.sqrt(gain)
        C[t, :] = e
        d2 = d2 - e * e
        d2[j] = -xp.inf  # chosen items stay at -inf: -inf - e_i^2 = -inf
    if chosen:
        _check_read(L, chosen, d2, top, xp)
    return _indices(chosen, L, xp)


def _check_read(L: Array, chosen: list[int], d2: Array, top: float, xp: Namespace) -> None:
    """After greedy_map: the rows of the chosen items Y finite (those it read, and the
    last one), L_YY symmetric (up to sqrt(eps) times its largest entry), and no Schur
    complement below -sqrt(eps) times the largest diagonal entry (gains only
    decrease, so the final ones are the smallest). O(nk), contiguous reads only."""
    idx = _indices(chosen, L, xp)
    rows = xp.take(L, idx, axis=0)
    v.check_finite(rows, "L", xp)
    block = xp.take(rows, idx, axis=1)
    tol = math.sqrt(float(xp.finfo(L.dtype).eps))
    if float(xp.max(xp.abs(block - xp.matrix_transpose(block)))) > tol * float(xp.max(xp.abs(block))):
        raise ValueError(
            "L must be symmetric: L[Y, Y] of the chosen items differs from its transpose beyond sqrt(eps) relative"
        )
    worst = float(xp.min(xp.where(xp.isinf(d2), xp.zeros_like(d2), d2)))
    if worst < -tol * top:
        raise ValueError(
            f"L must be positive semi-definite: a Schur complement is {worst:.3g} < -sqrt(eps) * max L_ii"
        )


# ------------------------------------------------------------------------------ GDPP

def _features(phi: object, name: str, xp: Namespace) -> Array:
    phi = v.as_array(phi, name, xp)
    if phi.ndim != 2:
        raise ValueError(f"{name} must be a batch of feature vectors of shape (batch, d), got shape {tuple(phi.shape)}")
    v.check_nonempty(phi, name)
    return phi


def _normalized_gram(phi: Array, xp: Namespace) -> Array:
    """Gram matrix of the row-normalised features; a zero row stays zero (as with
    ``torch.nn.functional.normalize``), with a finite gradient."""
    norms = xp.linalg.vector_norm(phi, axis=1, keepdims=True)
    positive = norms > 0
    unit = phi / xp.where(positive, norms, xp.ones_like(norms))
    K = unit @ xp.matrix_transpose(unit)
    return (K + xp.matrix_transpose(K)) / 2


def _smooth_eigh(K: Array, broadening: float, xp: Namespace) -> tuple[Array, Array]:
    """Ascending eigenvalues and eigenvectors (columns) of symmetric K, with first-order
    (Lorentzian-broadened) gradients and unchanged values.

    ``eigh`` runs on the constant K0; the gradient enters through G = V0^T (K - K0) V0,
    zero in value: d lam_i = G_ii (exact) and d v_i = sum_j v_j G_ji F_ji with
    F_ji = g(lam_i - lam_j), g(x) = x / (x^2 + delta^2) in place of 1/x (exact
    perturbation theory when delta = 0, finite for every spectrum when delta > 0)."""
    K0 = constant(K, xp)
    lam0, V0 = xp.linalg.eigh(K0)
    order = xp.argsort(lam0)  # the standard leaves the order unspecified
    lam0, V0 = xp.take(lam0, order), xp.take(V0, order, axis=1)
    G = xp.matrix_transpose(V0) @ (K - K0) @ V0
    lam = lam0 + xp.linalg.diagonal(G)
    gap = lam0[None, :] - lam0[:, None]  # gap[j, i] = lam_i - lam_j
    denom = gap * gap + broadening * broadening
    nonzero = denom > 0
    F = xp.where(nonzero, gap / xp.where(nonzero, denom, xp.ones_like(denom)), xp.zeros_like(denom))
    return lam, V0 + V0 @ (F * G)


def gdpp_loss(
    phi_real: Array,
    phi_fake: Array,
    *,
    magnitude_weight: float = 1e-4,
    broadening: float = 1e-3,
) -> Array:
    r"""GDPP diversity loss: match the DPP kernels of a real and a generated batch.

    With :math:`K = \hat\Phi \hat\Phi^\top` the cosine kernel of a batch of B feature
    vectors (rows normalised to unit length), :math:`\lambda_1 \le \dots \le
    \lambda_B` its eigenvalues and :math:`v_i` the eigenvectors, for the real (r)
    and fake (f) batches,

    .. math::

        \mathcal L = w_m \frac1B \sum_i (\lambda^f_i - \lambda^r_i)^2
        + \sum_i \hat\lambda^r_i \big(1 - \langle v^f_i, v^r_i\rangle^2\big),
        \qquad \hat\lambda^r_i = \frac{\lambda^r_i - \min_j \lambda^r_j}
        {\max_j \lambda^r_j - \min_j \lambda^r_j},

    a magnitude term (weight :math:`w_m`, 1e-4 as in the official code) plus a
    structure term weighted by the min-max normalised real eigenvalues (Elfeki,
    Couprie, Riviere, Elhoseiny, "GDPP: Learning Diverse Generations Using
    Determinantal Point Processes", ICML 2019, arXiv 1812.00068, eqs. 5-6).
    :math:`\mathcal L \ge 0`, and it is 0 when the two batches have the same kernel.

    Parameters
    ----------
    phi_real, phi_fake : arrays (B, d_r), (B, d_f)
        Features of the real and generated batches (e.g. the discriminator's last
        hidden layer); the same batch size B, any feature dimensions.
    magnitude_weight : float
        :math:`w_m \ge 0`.
    broadening : float
        :math:`\delta \ge 0` of the eigenvector gradients (below); 0 gives the exact
        gradient where eigenvalues are distinct.

    Returns
    -------
    array (0-D)
        In the namespace, floating dtype and device of the inputs; differentiable in
        both (PyTorch), with finite gradients for every input.

    Notes
    -----
    Where this differs from the official code (github.com/M-Elfeki/GDPP), which
    computes ``1e-4 * mse(eig_fake, eig_real) - sum(minmax(eig_real) *
    sum(V_fake * V_real, 0))``:

    - Sign. The official structure term :math:`-\sum_i \hat\lambda_i \langle v^f_i,
      v^r_i\rangle` depends on the arbitrary sign of each eigenvector returned by
      the eigensolver, and is :math:`-\sum_i \hat\lambda_i`, not 0, at a perfect
      match. Here :math:`1 - \langle v^f_i, v^r_i\rangle^2` (the squared sine of the
      angle between the two lines) is sign-invariant and 0 at a match. The weighting
      :math:`\hat\lambda^r_i` itself is the official one.
    - Order. Eigenvalues are sorted ascending explicitly (the array API leaves the
      order of ``eigh`` unspecified); the official code relies on TensorFlow's and
      PyTorch's ascending order.
    - All-equal real eigenvalues (a real batch with orthogonal or identical
      features, B = 1): the official min-max normalisation divides 0 by 0 (NaN).
      Here the weights are 0 when the spread is at most ``sqrt(eps)`` times the
      largest magnitude: the eigenvectors of a multiple of the identity are
      arbitrary, so there is no structure to match.
    - Gradients. Eigenvector gradients divide by eigenvalue gaps
      (:math:`\partial v_i = \sum_{j \ne i} v_j v_j^\top \partial K\, v_i /
      (\lambda_i - \lambda_j)`) and are NaN or infinite at repeated eigenvalues,
      which every batch with B > d has (B - d zero eigenvalues). Here
      :math:`1/(\lambda_i - \lambda_j)` is replaced by
      :math:`(\lambda_i - \lambda_j) / ((\lambda_i - \lambda_j)^2 + \delta^2)`
      (Lorentzian broadening, Liao et al., Phys. Rev. X 9, 031041, 2019): finite
      (at most :math:`1/(2\delta)` per pair), relative error
      :math:`\delta^2/\mathrm{gap}^2` elsewhere. Eigenvalue gradients
      (:math:`v_i v_i^\top`) are exact. Values are not changed.
    - A zero feature row stays zero after normalisation (as ``F.normalize``), with
      a finite gradient.

    As in the official code, eigenvectors of a repeated eigenvalue of either kernel
    (e.g. the B - d zero eigenvalues when B > d) are any basis of their eigenspace,
    so the structure term there depends on the eigensolver's choice; it vanishes
    where the real weights do (the smallest real eigenvalue has weight 0).

    O(B^2 (d_r + d_f) + B^3).

    Examples
    --------
    >>> import numpy as np
    >>> phi = np.random.default_rng(0).normal(size=(8, 4))
    >>> float(gdpp_loss(phi, phi)) < 1e-12
    True
    >>> float(gdpp_loss(phi, phi[:, :1])) > 0.1  # a collapsed batch: rank 1
    True
    """
    xp = namespace(phi_real, phi_fake)
    real, fake = _features(phi_real, "phi_real", xp), _features(phi_fake, "phi_fake", xp)
    if real.shape[0] != fake.shape[0]:
        raise ValueError(
            f"phi_real and phi_fake must have the same batch size (their kernels are B x B), "
            f"got {real.shape[0]} and {fake.shape[0]}"
        )
    dtype = result_dtype(xp, real, fake)
    real, fake = v.as_float(real, xp, dtype), v.as_float(fake, xp, dtype)
    v.check_finite(real, "phi_real", xp)
    v.check_finite(fake, "phi_fake", xp)
    w_m = _nonnegative_number(magnitude_weight, "magnitude_weight")
    delta = _nonnegative_number(broadening, "broadening")
    lam_r, V_r = _smooth_eigh(_normalized_gram(real, xp), delta, xp)
    lam_f, V_f = _smooth_eigh(_normalized_gram(fake, xp), delta, xp)
    magnitude = xp.mean((lam_f - lam_r) ** 2)
    low, high = xp.min(lam_r), xp.max(lam_r)
    spread = high - low
    tol = math.sqrt(float(xp.finfo(dtype).eps)) * float(xp.max(xp.abs(constant(lam_r, xp))))
    if float(constant(spread, xp)) > tol:
        weights = (lam_r - low) / spread
    else:
        weights = xp.zeros_like(lam_r)
    cos2 = xp.sum(V_f * V_r, axis=0) ** 2
    structure = xp.sum(weights * xp.clip(1 - cos2, 0.0, None))  # cos^2 <= 1 up to round-off
    return w_m * magnitude + structure
