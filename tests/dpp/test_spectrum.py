"""The samplers' eigendecomposition (eigenvectors formed only for the indices asked):
eigenvalues against numpy.linalg.eigh, eigenvectors by residual, orthonormality and
the spectral projector, on every backend and in float32 and float64."""

import numpy as np
import pytest

from divergences._backend import np_namespace
from divergences.dpp._spectrum import spectrum


def _symmetric(n, seed, gap=True):
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.normal(size=(n, n)))[0]
    lam = np.linspace(-2.0, 3.0, n) if gap else np.round(rng.normal(size=n))  # rounded: repeated
    A = (Q * lam) @ Q.T
    return (A + A.T) / 2


@pytest.mark.parametrize("n", [1, 2, 7, 60])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_spectrum_against_eigh(xp, n, dtype):
    A = _symmetric(n, seed=n)
    eps = float(np.finfo(dtype).eps)
    lam, vectors = spectrum(xp.asarray(A, dtype=getattr(xp, dtype)), xp.ns)
    A = A.astype(dtype).astype(np.float64)  # the matrix actually decomposed
    ref, R = np.linalg.eigh(A)
    assert lam.dtype == np.dtype(dtype) and lam.shape == (n,)
    assert np.max(np.abs(lam - ref)) <= 10 * n * eps * np.max(np.abs(ref))
    idx = np.arange(n)[::3]
    V = vectors(idx)
    assert V.shape == (n, idx.size) and V.dtype == np.float64
    assert np.max(np.abs(A @ V - V * ref[idx])) <= 10 * n * eps * np.max(np.abs(ref))
    assert np.max(np.abs(V.T @ V - np.eye(idx.size))) <= 10 * n * eps
    # gaps of 5 / n: each eigenvector is determined up to sign, so the projectors agree
    assert np.max(np.abs(V @ V.T - R[:, idx] @ R[:, idx].T)) <= 1e3 * n * eps
    assert vectors(np.empty(0, dtype=np.int64)).shape == (n, 0)


def test_spectrum_spans_repeated_eigenvalues():
    # repeated eigenvalues: any orthonormal basis of the eigenspace; the projector on
    # all vectors of one eigenvalue is unique
    A = _symmetric(40, seed=3, gap=False)
    lam, vectors = spectrum(A, np_namespace())
    ref, R = np.linalg.eigh(A)
    for value in np.unique(np.round(ref)):
        idx = np.flatnonzero(np.abs(ref - value) < 1e-6)
        V = vectors(idx)
        assert np.max(np.abs(V @ V.T - R[:, idx] @ R[:, idx].T)) <= 1e-12
        assert np.max(np.abs(A @ V - value * V)) <= 1e-12
