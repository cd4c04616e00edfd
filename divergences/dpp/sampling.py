r"""Exact DPP and k-DPP samplers by the spectral method (Hough et al. 2006;
Kulesza and Taskar 2012, arXiv 1207.6083, Alg. 1 and 8)."""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as v
from .._backend import Array, Namespace, Seed, constant, default_rng, index_array, namespace, np_namespace
from ._spectrum import Vectors, spectrum

__all__ = ["sample", "sample_k"]


def _eigen(L: object, xp: Namespace) -> tuple[Array, np.ndarray, Vectors]:
    """(L checked and symmetrised, eigenvalues >= 0 on NumPy, the eigenvectors of given
    eigenvalue indices as NumPy columns)."""
    L = v.symmetric_matrix(L, "L", xp)
    lam, vectors = spectrum(constant(L, xp), xp)
    v.check_psd(lam, "L", np_namespace())
    return L, np.clip(lam.astype(np.float64), 0.0, None), vectors


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
        if not cdf[-1] > 0:  # (NaN too) the search below would find no item to stop at
            raise ValueError(
                f"the projection DPP's residuals vanished or are not finite after {t} of {r} items: the "
                "kernel's eigenvectors are not orthonormal to working precision")
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
    return index_array(np.sort(idx), L, xp)


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
    (only the kept eigenvectors cross the host boundary). For NumPy input only the
    kept eigenvectors are formed: LAPACK's tridiagonal reduction and divide and
    conquer, then the back-transformation of :math:`|Y|` columns instead of n (0.19 s
    against 0.27 s for a full ``eigh`` at n = 1000, :math:`|Y|` = 176, on one core).
    :math:`\mathbb E|Y|` is :func:`expected_size`.

    Examples
    --------
    >>> import numpy as np
    >>> sample(np.diag([1e9, 1e9, 0.0]), seed=0)  # items 0, 1 almost surely, never 2
    array([0, 1])
    """
    xp = namespace(L)
    L, lam, vectors = _eigen(L, xp)
    rng = default_rng(seed)
    keep = np.flatnonzero(rng.random(lam.shape[0]) < lam / (1.0 + lam))
    if keep.size == 0:
        return index_array(np.empty(0, dtype=np.int64), L, xp)
    return _sampled(_projection_sample(vectors(keep), rng), L, xp)


def _log_esp(loglam: np.ndarray, k: int) -> np.ndarray:
    """log E[l, m] = log e_l(lam_1, ..., lam_m) for l <= k, m <= n, by the recursion
    e_l(m) = e_l(m-1) + lam_m e_{l-1}(m-1) (Kulesza and Taskar 2012, Alg. 7) in log
    space: every step adds positive terms, so it is accurate to a few ulps relative
    whatever the scale of the eigenvalues (no overflow for e_k > 1e308). Row l is the
    running log-sum-exp of row l - 1 shifted by one and weighted by lam: k vectorised
    passes over m."""
    n = loglam.shape[0]
    E = np.full((k + 1, n + 1), -np.inf)
    E[0, :] = 0.0
    for ell in range(1, k + 1):
        E[ell, 1:] = np.logaddexp.accumulate(loglam + E[ell - 1, :-1])
    return E


def _select_k(lam: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Exactly k eigenvector indices, P(set J) proportional to prod_{i in J} lam_i
    (Kulesza and Taskar 2012, Alg. 8), with log-space polynomials.

    Alg. 8 visits m = n, ..., 1 once each and keeps m with probability
    lam_m e_{l-1}(m-1) / e_l(m), l the number still to pick. One uniform per m, drawn
    up front, gives the same law; while l is fixed, the next kept item is the largest
    m below the last one whose uniform falls under its probability, found in one
    vectorised pass (k passes in all)."""
    n = lam.shape[0]
    positive = lam > 0
    loglam = np.full(lam.shape, -np.inf)
    loglam[positive] = np.log(lam[positive])
    E = _log_esp(loglam, k)
    u: np.ndarray = rng.random((n,))
    chosen = np.empty(k, dtype=np.int64)
    top = n  # items m <= top (1-based) are still open
    for left in range(k, 0, -1):
        m = np.arange(left, top + 1)  # below m = left, too few items remain to fill the set
        reachable = E[left, m] > -np.inf  # elsewhere the state cannot occur: probability 0
        log_e = np.where(reachable, E[left, m], 0.0)
        log_p = np.where(reachable, loglam[m - 1] + E[left - 1, m - 1] - log_e, -np.inf)
        # log_p is exactly 0 where E[left, m - 1] = -inf (all the remaining items are
        # needed), so the smallest reachable m always hits
        hits = np.flatnonzero(u[m - 1] < np.exp(np.minimum(log_p, 0.0)))
        top = int(m[hits[-1]]) - 1
        chosen[left - 1] = top
    return chosen


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
    :math:`e_k > 10^{308}`) and yields NaN probabilities. O(n^3) for the
    eigendecomposition (in the caller's namespace; for NumPy input only the k kept
    eigenvectors are formed, as in :func:`sample`), O(nk) for the polynomials and
    O(nk^2) for phase 2, both on NumPy.

    Examples
    --------
    >>> import numpy as np
    >>> s = sample_k(1e200 * np.eye(5), 3, seed=0)  # e_3 = 1e601 overflows float64
    >>> len(s), len(set(s.tolist()))
    (3, 3)
    """
    xp = namespace(L)
    L, lam, vectors = _eigen(L, xp)
    n = lam.shape[0]
    k = v.subset_size(k, n)
    tol = n * float(xp.finfo(L.dtype).eps) * float(lam.max(initial=0.0))
    lam = np.where(lam > tol, lam, 0.0)
    rank = int(np.count_nonzero(lam))
    if k > rank:
        raise ValueError(f"k = {k} exceeds the numerical rank {rank} of L: every {k}-subset has det L_S = 0")
    if k == 0:
        return index_array(np.empty(0, dtype=np.int64), L, xp)
    rng = default_rng(seed)
    return _sampled(_projection_sample(vectors(_select_k(lam, k, rng)), rng), L, xp)
