r"""The eigendecomposition of a DPP kernel, with eigenvectors formed only where used.

The spectral samplers read every eigenvalue but only the eigenvectors that their first
phase keeps (|Y| of them, or k). A full ``eigh`` spends about half of its time on the
back-transformation of all n eigenvectors from the tridiagonal to the original basis
(2 n^3 flops in LAPACK's ``ormtr``). For NumPy input the decomposition is therefore
split into its LAPACK steps (``sytrd``, then ``stevd``, divide and conquer on the
tridiagonal matrix, then ``ormqr`` on the kept columns only); no array API function
or SciPy routine stops after the tridiagonal stage, hence the hand-assembled steps.
Measured on one core at n = 1000 (best of 7 CPU times): 0.19 s for the eigenvalues
and 176 vectors against 0.27 s for ``numpy.linalg.eigh``. Other namespaces call
their own ``eigh`` (on the GPU for CUDA arrays).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.linalg import get_lapack_funcs

from .._backend import Array, Namespace, index_array, is_numpy, to_numpy

__all__ = ["spectrum"]

Vectors = Callable[[np.ndarray], np.ndarray]


def spectrum(L: Array, xp: Namespace) -> tuple[np.ndarray, Vectors]:
    """Eigenvalues of the symmetric matrix ``L`` (ascending, NumPy, in L's precision)
    and a function mapping eigenvalue indices to their orthonormal eigenvectors,
    the columns of a NumPy float64 array (n, len(indices))."""
    if is_numpy(xp) and L.shape[0] > 1 and L.dtype in (np.float32, np.float64):
        return _lapack_spectrum(np.asarray(L))
    lam, V = xp.linalg.eigh(L)

    def vectors(idx: np.ndarray) -> np.ndarray:
        return to_numpy(xp.take(V, index_array(idx, L, xp), axis=1))

    return to_numpy(lam, dtype=None), vectors


def _check(info: int, routine: str) -> None:
    if info > 0:
        raise np.linalg.LinAlgError(f"eigenvalues did not converge (LAPACK {routine}, info = {info})")
    if info < 0:  # pragma: no cover - a wrong argument is a bug here, not bad input
        raise RuntimeError(f"LAPACK {routine}: argument {-info} had an illegal value")


def _lapack_spectrum(L: np.ndarray) -> tuple[np.ndarray, Vectors]:
    """L = Q T Q^T (sytrd, T tridiagonal), T = Z diag(lam) Z^T (stevd); the
    eigenvectors of L are the columns of Q Z, formed for the requested columns of Z
    only. Q is the product of the n - 1 Householder reflectors that sytrd leaves
    below the subdiagonal, which is the QR layout of R[1:, :-1] acting on rows 1..n-1
    (what LAPACK's own ``ormtr`` calls)."""
    sytrd, sytrd_lwork, stevd, ormqr = get_lapack_funcs(("sytrd", "sytrd_lwork", "stevd", "ormqr"), (L,))
    n = L.shape[0]
    lwork, info = sytrd_lwork(n, lower=1)
    _check(info, "sytrd")
    R, d, e, tau, info = sytrd(L, lower=1, lwork=int(lwork))
    _check(info, "sytrd")
    lam, Z, info = stevd(d, e)
    _check(info, "stevd")

    def vectors(idx: np.ndarray) -> np.ndarray:
        W = np.asfortranarray(Z[:, idx])
        if W.shape[1]:
            reflectors = R[1:, :-1]
            _, work, info = ormqr("L", "N", reflectors, tau, W[1:], lwork=-1)
            _check(info, "ormqr")
            W[1:], _, info = ormqr("L", "N", reflectors, tau, W[1:], lwork=int(np.real(work[0])))
            _check(info, "ormqr")
        return np.asarray(W, dtype=np.float64)

    return lam, vectors
